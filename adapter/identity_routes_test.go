package adapter

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// TestIdentityRoutesPermissions is one table over roles × routes: who may
// create departments, projects and users, assign which roles where, and
// make access keys (billing manual §2.5), on SQLite and PostgreSQL.
func TestIdentityRoutesPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := testIdentity(t, db)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		depA, err := ids.CreateDepartment(ctx, "survey", "")
		must(err)
		depB, err := ids.CreateDepartment(ctx, "planning", "")
		must(err)
		pa, err := ids.CreateProject(ctx, "pa", depA.ID)
		must(err)
		pb, err := ids.CreateProject(ctx, "pb", depB.ID)
		must(err)
		users := map[string]identity.User{}
		for name, spec := range map[string]struct {
			dept, project string
			role          identity.Role
		}{
			"alice": {depA.ID, pa.ID, identity.RoleDepartmentAdmin},
			"bob":   {depA.ID, pa.ID, identity.RoleProjectAdmin},
			"carol": {depA.ID, pa.ID, identity.RoleMember},
			"dave":  {depB.ID, pb.ID, identity.RoleDepartmentAdmin},
		} {
			u, err := ids.CreateUser(ctx, name, name+"-secret", spec.dept)
			must(err)
			must(ids.GrantRole(ctx, spec.project, u.ID, spec.role))
			users[name] = u
		}
		erin, err := ids.CreateUser(ctx, "erin", "erin-secret", depA.ID) // no role yet
		must(err)
		srv := httptest.NewServer(NewServer(Config{Identity: ids}))
		t.Cleanup(srv.Close)
		token := func(user, project, dept string) string {
			tok, err := ids.Authenticate(ctx, identity.Credentials{UserName: user, Password: user + "-secret",
				Scope: &identity.Scope{ProjectName: project, DepartmentName: dept}})
			must(err)
			return tok.Value
		}
		tokens := map[string]string{
			"admin": token("admin", "admin", "Default"),
			"alice": token("alice", "pa", "survey"),
			"bob":   token("bob", "pa", "survey"),
			"carol": token("carol", "pa", "survey"),
			"dave":  token("dave", "pb", "planning"),
		}
		roleURL := func(p identity.Project, u identity.User, role string) string {
			return "/v1/identity/projects/" + p.ID + "/users/" + u.ID + "/roles/" + role
		}
		cases := []struct {
			who, method, path, body string
			want                    int
		}{
			{"admin", "POST", "/v1/identity/departments", `{"department":{"name":"water","description":"hydrology"}}`, 201},
			{"alice", "POST", "/v1/identity/departments", `{"department":{"name":"x"}}`, 403},
			{"admin", "POST", "/v1/identity/departments", `{"department":{"name":"water"}}`, 409},
			{"admin", "POST", "/v1/identity/departments", `{"department":{"name":""}}`, 400},
			{"admin", "POST", "/v1/identity/departments", `{"dept":{}}`, 400},
			{"alice", "POST", "/v1/identity/projects", `{"project":{"name":"pa2","department_id":"` + depA.ID + `"}}`, 201},
			{"alice", "POST", "/v1/identity/projects", `{"project":{"name":"pb2","department_id":"` + depB.ID + `"}}`, 403},
			{"bob", "POST", "/v1/identity/projects", `{"project":{"name":"pa3","department_id":"` + depA.ID + `"}}`, 403},
			{"admin", "POST", "/v1/identity/projects", `{"project":{"name":"pz","department_id":"nope"}}`, 404},
			{"dave", "POST", "/v1/identity/users", `{"user":{"name":"frank","password":"frank-secret","department_id":"` + depB.ID + `"}}`, 201},
			{"dave", "POST", "/v1/identity/users", `{"user":{"name":"gina","password":"gina-secret","department_id":"` + depA.ID + `"}}`, 403},
			{"admin", "POST", "/v1/identity/users", `{"user":{"name":"hal","password":"short","department_id":"` + depA.ID + `"}}`, 400},
			{"carol", "GET", "/v1/identity/users", "", 403},
			{"alice", "GET", "/v1/identity/users?department_id=" + depB.ID, "", 403},
			{"alice", "GET", "/v1/identity/users", "", 200},
			{"admin", "GET", "/v1/identity/projects", "", 200},
			{"carol", "GET", "/v1/identity/departments", "", 200},
			{"bob", "PUT", roleURL(pa, erin, "member"), "", 204},
			{"bob", "PUT", roleURL(pa, erin, "department_admin"), "", 403},
			{"carol", "PUT", roleURL(pa, erin, "project_admin"), "", 403},
			{"alice", "PUT", roleURL(pa, erin, "department_admin"), "", 204},
			{"alice", "PUT", roleURL(pa, erin, "admin"), "", 403},
			{"dave", "PUT", roleURL(pa, erin, "member"), "", 403},
			{"alice", "PUT", roleURL(pa, users["dave"], "member"), "", 403}, // a user of another department
			{"admin", "PUT", roleURL(pb, erin, "member"), "", 204},
			{"admin", "PUT", roleURL(pa, erin, "owner"), "", 400},
			{"admin", "PUT", "/v1/identity/projects/nope/users/" + erin.ID + "/roles/member", "", 404},
			{"bob", "DELETE", roleURL(pa, erin, "member"), "", 204},
			{"bob", "DELETE", roleURL(pa, erin, "member"), "", 404},
			{"carol", "POST", "/v1/identity/users/" + users["carol"].ID + "/access-keys", "", 201},
			{"carol", "POST", "/v1/identity/users/" + users["bob"].ID + "/access-keys", "", 403},
			{"admin", "POST", "/v1/identity/users/" + users["bob"].ID + "/access-keys", "", 201},
		}
		for _, c := range cases {
			resp, body := call(t, c.method, srv.URL+c.path, c.body, map[string]string{"X-Auth-Token": tokens[c.who]})
			if resp.StatusCode != c.want {
				t.Errorf("%s %s %s: %d %v, want %d", c.who, c.method, c.path, resp.StatusCode, body, c.want)
			}
		}
		// No token, no entry.
		if resp, _ := call(t, "GET", srv.URL+"/v1/identity/departments", "", nil); resp.StatusCode != 401 {
			t.Fatalf("without a token: %d", resp.StatusCode)
		}
		// A department admin lists only their own department's users; a member sees only their department.
		_, body := call(t, "GET", srv.URL+"/v1/identity/users", "", map[string]string{"X-Auth-Token": tokens["alice"]})
		for _, u := range body["users"].([]any) {
			if u.(map[string]any)["department_id"] != depA.ID {
				t.Fatalf("alice sees %v", u)
			}
			if _, leaked := u.(map[string]any)["password"]; leaked {
				t.Fatal("a password in a user view")
			}
		}
		_, body = call(t, "GET", srv.URL+"/v1/identity/departments", "", map[string]string{"X-Auth-Token": tokens["carol"]})
		if ds := body["departments"].([]any); len(ds) != 1 || ds[0].(map[string]any)["id"] != depA.ID {
			t.Fatalf("carol sees %v", ds)
		}
		// The granted roles took effect.
		roles, err := ids.ListRoles(ctx, erin.ID, pa.ID)
		must(err)
		if len(roles) != 1 || roles[0] != identity.RoleDepartmentAdmin {
			t.Fatalf("erin's roles in pa: %v", roles)
		}
	})
}
