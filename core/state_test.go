package core

import "testing"

func TestState_MapState(t *testing.T) {
	servers := map[string]ServerStatus{"running": ServerActive, "stopped": ServerShutoff, "building": ServerBuild}
	volumes := map[string]VolumeStatus{"ready": VolumeAvailable, "attached": VolumeInUse}
	cases := []struct {
		name   string
		native string
		got    string
		want   string
	}{
		{"known server state", "running", string(MapState(servers, "running")), "ACTIVE"},
		{"another known", "stopped", string(MapState(servers, "stopped")), "SHUTOFF"},
		{"unknown server state", "shelved_offloaded", string(MapState(servers, "shelved_offloaded")), StateUnknown},
		{"case matters", "Running", string(MapState(servers, "Running")), StateUnknown},
		{"empty native", "", string(MapState(servers, "")), StateUnknown},
		{"nil table", "running", string(MapState[ServerStatus](nil, "running")), StateUnknown},
		{"known volume state", "attached", string(MapState(volumes, "attached")), "in-use"},
		{"unknown volume state", "maintenance", string(MapState(volumes, "maintenance")), StateUnknown},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: MapState(%q) = %q, want %q", c.name, c.native, c.got, c.want)
		}
	}
	// The typed unknown of each set is StateUnknown, so a mapped unknown compares equal.
	if MapState(servers, "x") != ServerUnknown || MapState(volumes, "x") != VolumeUnknown {
		t.Fatal("MapState's unknown is not the type's Unknown constant")
	}
	for _, u := range []string{string(ServerUnknown), string(VolumeUnknown), string(ImageUnknown),
		string(SnapshotUnknown), string(NetUnknown), string(LBUnknown)} {
		if u != StateUnknown {
			t.Errorf("unknown state %q is not %q", u, StateUnknown)
		}
	}
}

func TestState_SetsAreComplete(t *testing.T) {
	seen := map[ServerStatus]bool{}
	for _, s := range ServerStates {
		if seen[s] {
			t.Errorf("server state %s twice", s)
		}
		seen[s] = true
	}
	for _, s := range []ServerStatus{ServerBuild, ServerActive, ServerShutoff, ServerReboot, ServerResize,
		ServerVerifyResize, ServerMigrating, ServerError, ServerSoftDeleted, ServerDeleted, ServerUnknown} {
		if !seen[s] {
			t.Errorf("ServerStates lacks %s", s)
		}
	}
	vseen := map[VolumeStatus]bool{}
	for _, s := range VolumeStates {
		if vseen[s] {
			t.Errorf("volume state %s twice", s)
		}
		vseen[s] = true
	}
	if len(vseen) != 10 || !vseen[VolumeDeleted] || !vseen[VolumeUnknown] || !vseen[VolumeExtending] {
		t.Errorf("VolumeStates %v", VolumeStates)
	}
	if string(ServerDeleted) != StateDeleted || string(NetDeleted) != StateDeleted || string(LBDeleted) != StateDeleted {
		t.Error("a deleted state of Nova, Neutron or Octavia is not DELETED")
	}
}
