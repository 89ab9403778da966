// Command testplugin serves plugins/internal/testdriver as a driver plugin,
// for the tests and benchmarks of package plugins. Its tests build it with
// `go build`, some with
// -ldflags "-X github.com/gisiaas/gisiaas/plugins.protocolVersionOverride=N"
// to play a plugin of another protocol version.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
	"github.com/gisiaas/gisiaas/plugins/internal/testdriver"
)

func main() {
	plugins.Serve(plugins.ServeConfig{Name: "testplugin", Version: "0.0.1", Factory: func(b []byte) (core.Driver, error) {
		var c testdriver.Config
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("testplugin: bad settings: %w", err)
		}
		return testdriver.New(c), nil
	}})
}
