package adapter

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ServeConfig is a deployment: where to listen, the database, and the
// datacenters, each one driver instance with its own settings.
type ServeConfig struct {
	Listen string `yaml:"listen"`
	TLS    struct {
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
	Database struct {
		// URL is a SQLite file or postgres://…; empty: gisiaas.db in DataDir.
		URL string `yaml:"url"`
	} `yaml:"database"`
	DataDir string `yaml:"data_dir"`
	// PluginDirs are searched for gisiaas-driver-<name> before PATH.
	PluginDirs  []string           `yaml:"plugin_dirs"`
	Datacenters []DatacenterConfig `yaml:"datacenters"`
	// Limits protect the clouds and the adapter (see Limits); zero fields
	// take the defaults.
	Limits Limits `yaml:"limits"`
}

// DatacenterConfig is one datacenter: the driver that serves it and that
// driver's settings (credentials, endpoints), handed to the plugin at
// configure time and never logged.
type DatacenterConfig struct {
	ID       string         `yaml:"id"`
	Name     string         `yaml:"name"`
	Driver   string         `yaml:"driver"`
	Settings map[string]any `yaml:"settings"`
}

//go:embed default.yaml
var defaultConfig []byte

// LoadConfig reads path, or the embedded default (two simulator
// datacenters, SQLite in ./var) when path is empty. "${data_dir}" in a
// driver's settings is replaced by the data directory.
func LoadConfig(path string) (ServeConfig, error) {
	raw := defaultConfig
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return ServeConfig{}, fmt.Errorf("config: %w", err)
		}
		raw = b
	}
	var c ServeConfig
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return ServeConfig{}, fmt.Errorf("config %s: %w", orDefault(path), err)
	}
	return c, nil
}

func orDefault(path string) string {
	if path == "" {
		return "(embedded default)"
	}
	return path
}

// Finish fills defaults and checks the configuration.
func (c *ServeConfig) Finish() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "var"
	}
	if c.Database.URL == "" {
		c.Database.URL = filepath.Join(c.DataDir, "gisiaas.db")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return fmt.Errorf("config: tls.cert and tls.key go together")
	}
	if len(c.Datacenters) == 0 {
		return fmt.Errorf("config: no datacenters")
	}
	seen := map[string]bool{}
	for i, dc := range c.Datacenters {
		if dc.ID == "" || dc.Driver == "" {
			return fmt.Errorf("config: datacenters[%d] needs an id and a driver", i)
		}
		if seen[dc.ID] {
			return fmt.Errorf("config: datacenter %q appears twice", dc.ID)
		}
		seen[dc.ID] = true
		if dc.Name == "" {
			c.Datacenters[i].Name = dc.ID
		}
		c.Datacenters[i].Settings = expand(dc.Settings, c.DataDir).(map[string]any)
	}
	return nil
}

// expand replaces ${data_dir} in every string of v.
func expand(v any, dataDir string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expand(e, dataDir)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expand(e, dataDir)
		}
		return out
	case string:
		return strings.ReplaceAll(x, "${data_dir}", dataDir)
	case nil:
		return map[string]any{}
	}
	return v
}
