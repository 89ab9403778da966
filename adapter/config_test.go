package adapter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigDefaultAndFile(t *testing.T) {
	c, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Database.URL != filepath.Join("var", "gisiaas.db") || len(c.Datacenters) != 2 ||
		c.Datacenters[0].Driver != "sim" || c.Datacenters[1].Settings["state_path"] != "var/sim-dc2.json" {
		t.Fatalf("%+v", c)
	}
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, body, want string }{
		{"unknown field", "listen: x\nlisten_port: 1\n", "listen_port"},
		{"no datacenter", "listen: 127.0.0.1:1\n", "no datacenters"},
		{"duplicate datacenter", "datacenters: [{id: a, driver: sim}, {id: a, driver: sim}]\n", "twice"},
		{"cert without key", "tls: {cert: c.pem}\ndatacenters: [{id: a, driver: sim}]\n", "go together"},
	}
	for _, cs := range cases {
		c, err := LoadConfig(write(cs.body))
		if err == nil {
			err = c.Finish()
		}
		if err == nil || !strings.Contains(err.Error(), cs.want) {
			t.Errorf("%s: %v, want an error with %q", cs.name, err, cs.want)
		}
	}
	c, err = LoadConfig(write("database: {url: 'postgres://x'}\ndata_dir: /srv/g\ndatacenters: [{id: a, driver: sim, settings: {state_path: '${data_dir}/a.json'}}]\n"))
	if err != nil || c.Finish() != nil || c.Database.URL != "postgres://x" || c.Datacenters[0].Settings["state_path"] != "/srv/g/a.json" || c.Datacenters[0].Name != "a" {
		t.Fatalf("%+v %v", c, err)
	}
}
