package adapter

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/drivers/sim"
	"github.com/gisiaas/gisiaas/plugins/plugintest"
)

func simDC(t *testing.T, id string) *sim.Driver {
	t.Helper()
	cfg := sim.TestConfig()
	cfg.Datacenters = []sim.DatacenterConfig{{ID: id, Name: "DC " + id, Hosts: []string{id + "-h1", id + "-h2"}}}
	d, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestB12Datacenters_B131_B132Quotas proves B.1.2 and B.1.3.x over HTTP
// with drivers behind a real gRPC boundary: a datacenter that is down is
// listed as such, hosts are for cloud admins, and a token reaches only its
// own project's paths.
func TestB12Datacenters_B131_B132Quotas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		dep, _ := ids.CreateDepartment(ctx, "survey", "")
		p, _ := ids.CreateProject(ctx, "gis", dep.ID)
		u, _ := ids.CreateUser(ctx, "alice", "alice-secret", dep.ID)
		if err := ids.GrantRole(ctx, p.ID, u.ID, identity.RoleMember); err != nil {
			t.Fatal(err)
		}
		up := plugintest.New(t, simDC(t, "dc1"))
		down := simDC(t, "dc2")
		down.Close()
		srv := httptest.NewServer(NewServer(Config{Identity: ids, Datacenters: []Datacenter{
			{ID: "dc1", Name: "One", Driver: "sim", Cloud: up},
			{ID: "dc2", Name: "Two", Driver: "sim", Cloud: down},
		}}))
		t.Cleanup(srv.Close)
		login := func(user, project, dept string) (string, string) {
			tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: user, Password: user + "-secret",
				Scope: &identity.Scope{ProjectName: project, DepartmentName: dept}})
			if err != nil {
				t.Fatal(err)
			}
			return tok.Value, tok.Project.ID
		}
		alice, pid := login("alice", "gis", "survey")
		admin, adminPID := login("admin", "admin", "Default")

		resp, body := call(t, "GET", srv.URL+"/v1/"+pid+"/datacenters", "", map[string]string{"X-Auth-Token": alice})
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
		dcs := body["datacenters"].([]any)
		one, two := dcs[0].(map[string]any), dcs[1].(map[string]any)
		if one["id"] != "dc1" || one["health"] != "ok" || one["kind"] != "availability_zone" || one["driver"] != "sim" ||
			one["version"] != sim.Version || len(one["capabilities"].([]any)) != 54 || one["hosts"] != nil {
			t.Fatalf("dc1 for a member: %v", one)
		}
		if two["id"] != "dc2" || two["health"] != "unavailable" || two["health_detail"] == "" {
			t.Fatalf("dc2 (down): %v", two)
		}
		_, body = call(t, "GET", srv.URL+"/v1/"+adminPID+"/datacenters", "", map[string]string{"X-Auth-Token": admin})
		if hosts := body["datacenters"].([]any)[0].(map[string]any)["hosts"]; hosts == nil || len(hosts.([]any)) != 2 {
			t.Fatalf("admin hosts: %v", hosts)
		}

		cases := []struct {
			token, path string
			want        int
		}{
			{alice, "/v1/" + pid + "/datacenters/dc1/quotas/compute", 200},
			{alice, "/v1/" + pid + "/datacenters/dc1/quotas/volume", 200},
			{alice, "/v1/" + pid + "/datacenters/dc9/quotas/compute", 404},
			{alice, "/v1/" + pid + "/datacenters/dc2/quotas/compute", 503},
			{alice, "/v1/" + adminPID + "/datacenters", 403}, // another project's path
			{admin, "/v1/" + pid + "/datacenters", 403},      // even a cloud admin's token is scoped
			{"", "/v1/" + pid + "/datacenters", 401},
		}
		for _, c := range cases {
			resp, body := call(t, "GET", srv.URL+c.path, "", map[string]string{"X-Auth-Token": c.token})
			if resp.StatusCode != c.want {
				t.Errorf("%s: %d %v, want %d", c.path, resp.StatusCode, body, c.want)
			}
		}
		_, body = call(t, "GET", srv.URL+"/v1/"+pid+"/datacenters/dc1/quotas/compute", "", map[string]string{"X-Auth-Token": alice})
		q := body["quota"].(map[string]any)
		if q["total_vcpus"] != float64(64) || q["used_vcpus"] != float64(0) || q["project_id"] != pid || q["datacenter_id"] != "dc1" {
			t.Fatalf("quota %v", q)
		}
	})
}
