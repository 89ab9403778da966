// Command gisiaas-driver-sim is the simulated cloud (drivers/sim) as a
// gisiaas driver plugin. The host starts it; run by hand it only says so.
// Its settings are a sim.Config in JSON, over sim.DefaultConfig: what the
// host leaves out keeps its default.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins"
)

func main() {
	plugins.Serve(plugins.ServeConfig{Name: "sim", Version: sim.Version, Factory: newDriver})
}

func newDriver(settings []byte) (core.Driver, error) {
	cfg := sim.DefaultConfig()
	if len(settings) > 0 {
		if err := json.Unmarshal(settings, &cfg); err != nil {
			return nil, fmt.Errorf("sim settings: %w", err) // names a field or an offset, not the settings
		}
	}
	d, err := sim.New(cfg)
	if err != nil {
		return nil, err // not a typed nil in a core.Driver
	}
	return d, nil
}
