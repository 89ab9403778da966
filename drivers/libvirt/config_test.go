package libvirt

import (
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"uri":"test:///default","stop_timeout":"7s","flavors":[{"id":"a","name":"a","vcpus":1,"memory_mb":64,"disk_gb":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err = c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.StopTimeout) != 7*time.Second || c.Pool != "default" || len(c.Datacenters) != 1 ||
		c.Datacenters[0].Hosts[0].URI != "test:///default" || c.Datacenters[0].Hosts[0].Name != "host1" {
		t.Fatalf("config %+v", c)
	}
	for _, bad := range []string{``, `{"uri":"test:///default","colour":"red"}`, `{}`, `{"datacenters":[{"id":"x","hosts":[]}]}`,
		`{"uri":"test:///default","flavors":[{"id":"a","name":"a","vcpus":0,"memory_mb":1}]}`} {
		c, err := ParseConfig([]byte(bad))
		if err == nil {
			_, err = c.withDefaults()
		}
		if err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	if _, err := FromSettings([]byte(`{"uri":"nosuchdriver:///x"}`)); err == nil {
		t.Error("a URI no libvirt driver serves was accepted")
	}
}
