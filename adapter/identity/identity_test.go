package identity

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

// fakeClock is moved by tests instead of sleeping; it is read from many
// goroutines in the concurrency test, hence the lock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheap keeps argon2 fast under -race; the format and verification are the
// same as with the defaults, which TestPasswordHash exercises.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type fixture struct {
	svc   *Service
	db    *store.DB
	clock *fakeClock
	ctx   context.Context
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	svc, err := New(db, WithClock(clock.Now), WithArgon2Params(cheap))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, clock: clock, ctx: context.Background()}
}

func (f *fixture) dept(t *testing.T, name string) Department {
	t.Helper()
	d, err := f.svc.CreateDepartment(f.ctx, name, name+" dept")
	if err != nil {
		t.Fatalf("CreateDepartment(%q): %v", name, err)
	}
	return d
}

func (f *fixture) project(t *testing.T, name, dept string) Project {
	t.Helper()
	p, err := f.svc.CreateProject(f.ctx, name, dept)
	if err != nil {
		t.Fatalf("CreateProject(%q): %v", name, err)
	}
	return p
}

func (f *fixture) user(t *testing.T, name, password, dept string) User {
	t.Helper()
	u, err := f.svc.CreateUser(f.ctx, name, password, dept)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// wantKind fails unless err has kind; when field is set the message must
// name it.
func wantKind(t *testing.T, err error, kind core.Kind, field string) {
	t.Helper()
	if core.KindOf(err) != kind {
		t.Fatalf("error %v (kind %q), want kind %q", err, core.KindOf(err), kind)
	}
	if field != "" && !strings.Contains(core.MessageOf(err), field) {
		t.Fatalf("message %q does not name %q", core.MessageOf(err), field)
	}
}

func TestDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		sales := f.dept(t, "Sales")
		if sales.ID == "" || sales.Description != "Sales dept" || !sales.CreatedAt.Equal(f.clock.Now()) {
			t.Fatalf("created %+v", sales)
		}
		f.dept(t, "Engineering")

		cases := []struct {
			name, dname string
			kind        core.Kind
			field       string
		}{
			{"duplicate name", "Sales", core.Conflict, "Sales"},
			{"empty name", "", core.InvalidArgument, "name"},
			{"blank name", "   ", core.InvalidArgument, "name"},
			{"padded name", " Ops", core.InvalidArgument, "name"},
			{"too long", strings.Repeat("x", 256), core.InvalidArgument, "name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateDepartment(f.ctx, c.dname, "")
				wantKind(t, err, c.kind, c.field)
			})
		}

		got, err := f.svc.GetDepartment(f.ctx, sales.ID)
		if err != nil || !reflect.DeepEqual(got, sales) {
			t.Fatalf("GetDepartment = %+v, %v; want %+v", got, err, sales)
		}
		_, err = f.svc.GetDepartment(f.ctx, "nope")
		wantKind(t, err, core.NotFound, "nope")
		_, err = f.svc.GetDepartment(f.ctx, "")
		wantKind(t, err, core.InvalidArgument, "department_id")

		list, err := f.svc.ListDepartments(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range list {
			names = append(names, d.Name)
		}
		if !reflect.DeepEqual(names, []string{"Engineering", "Sales"}) {
			t.Fatalf("ListDepartments names %v", names)
		}
	})
}

func TestProjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a, b := f.dept(t, "A"), f.dept(t, "B")
		web := f.project(t, "web", a.ID)
		if web.DepartmentID != a.ID {
			t.Fatalf("project %+v", web)
		}
		// The same name in another department is a different project.
		if p := f.project(t, "web", b.ID); p.ID == web.ID {
			t.Fatal("same id in two departments")
		}
		cases := []struct {
			name, pname, dept string
			kind              core.Kind
			field             string
		}{
			{"duplicate in department", "web", a.ID, core.Conflict, "web"},
			{"unknown department", "api", "nope", core.NotFound, "nope"},
			{"empty name", "", a.ID, core.InvalidArgument, "name"},
			{"empty department", "api", "", core.InvalidArgument, "department_id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateProject(f.ctx, c.pname, c.dept)
				wantKind(t, err, c.kind, c.field)
			})
		}
		got, err := f.svc.GetProject(f.ctx, web.ID)
		if err != nil || !reflect.DeepEqual(got, web) {
			t.Fatalf("GetProject = %+v, %v", got, err)
		}
		_, err = f.svc.GetProject(f.ctx, "nope")
		wantKind(t, err, core.NotFound, "")
	})
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a, b := f.dept(t, "A"), f.dept(t, "B")
		alice := f.user(t, "alice", "correct horse", a.ID)
		if alice.Domain != DefaultDomain || alice.DepartmentID != a.ID {
			t.Fatalf("user %+v", alice)
		}
		cases := []struct {
			name, uname, pw, dept string
			kind                  core.Kind
			field                 string
		}{
			{"duplicate name, other department", "alice", "password1", b.ID, core.Conflict, "alice"},
			{"short password", "bob", "1234567", a.ID, core.InvalidArgument, "password"},
			{"empty password", "bob", "", a.ID, core.InvalidArgument, "password"},
			{"empty name", "", "password1", a.ID, core.InvalidArgument, "name"},
			{"empty department", "bob", "password1", "", core.InvalidArgument, "department_id"},
			{"unknown department", "bob", "password1", "nope", core.NotFound, "nope"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateUser(f.ctx, c.uname, c.pw, c.dept)
				wantKind(t, err, c.kind, c.field)
			})
		}
		got, err := f.svc.GetUser(f.ctx, alice.ID)
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Fatalf("GetUser = %+v, %v", got, err)
		}
		_, err = f.svc.GetUser(f.ctx, "nope")
		wantKind(t, err, core.NotFound, "")
		// Exactly 8 characters is long enough.
		f.user(t, "bob", "12345678", b.ID)
	})
}

func TestRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "A")
		p := f.project(t, "web", d.ID)
		u := f.user(t, "alice", "password1", d.ID)

		roles, err := f.svc.ListRoles(f.ctx, u.ID, p.ID)
		if err != nil || len(roles) != 0 {
			t.Fatalf("roles before grant %v, %v", roles, err)
		}
		for _, r := range []Role{RoleMember, RoleProjectAdmin, RoleMember} { // the repeat is idempotent
			if err := f.svc.GrantRole(f.ctx, p.ID, u.ID, r); err != nil {
				t.Fatalf("GrantRole %s: %v", r, err)
			}
		}
		roles, err = f.svc.ListRoles(f.ctx, u.ID, p.ID)
		if err != nil || !reflect.DeepEqual(roles, []Role{RoleProjectAdmin, RoleMember}) {
			t.Fatalf("roles %v, %v", roles, err)
		}

		cases := []struct {
			name          string
			op            func(project, user string, r Role) error
			project, user string
			role          Role
			kind          core.Kind
			field         string
		}{
			{"grant unknown role", f.grant, p.ID, u.ID, "owner", core.InvalidArgument, "role"},
			{"grant unknown project", f.grant, "nope", u.ID, RoleMember, core.NotFound, "nope"},
			{"grant unknown user", f.grant, p.ID, "nope", RoleMember, core.NotFound, "nope"},
			{"revoke unknown role", f.revoke, p.ID, u.ID, "", core.InvalidArgument, "role"},
			{"revoke role not held", f.revoke, p.ID, u.ID, RoleAdmin, core.NotFound, "admin"},
			{"revoke unknown project", f.revoke, "nope", u.ID, RoleMember, core.NotFound, "nope"},
			{"list unknown user", f.list, p.ID, "nope", "", core.NotFound, "nope"},
			{"list unknown project", f.list, "nope", u.ID, "", core.NotFound, "nope"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantKind(t, c.op(c.project, c.user, c.role), c.kind, c.field)
			})
		}

		if err := f.svc.RevokeRole(f.ctx, p.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
		roles, err = f.svc.ListRoles(f.ctx, u.ID, p.ID)
		if err != nil || !reflect.DeepEqual(roles, []Role{RoleProjectAdmin}) {
			t.Fatalf("roles after revoke %v, %v", roles, err)
		}
	})
}

func (f *fixture) grant(p, u string, r Role) error  { return f.svc.GrantRole(f.ctx, p, u, r) }
func (f *fixture) revoke(p, u string, r Role) error { return f.svc.RevokeRole(f.ctx, p, u, r) }
func (f *fixture) list(p, u string, _ Role) error {
	_, err := f.svc.ListRoles(f.ctx, u, p)
	return err
}

func TestAccessKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "A")
		u := f.user(t, "alice", "password1", d.ID)
		k1, err := f.svc.CreateAccessKey(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := f.svc.CreateAccessKey(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if k1.ID == k2.ID || k1.Secret == k2.Secret || len(k1.Secret) < 43 || k1.UserID != u.ID {
			t.Fatalf("keys %+v %+v", k1, k2)
		}
		_, err = f.svc.CreateAccessKey(f.ctx, "nope")
		wantKind(t, err, core.NotFound, "nope")
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "Sales")
		other := f.dept(t, "Other")
		web := f.project(t, "web", d.ID)
		f.project(t, "web", other.ID) // same name elsewhere: scoping by name must pick the right one
		lonely := f.project(t, "lonely", d.ID)
		u := f.user(t, "alice", "password1", d.ID)
		if err := f.svc.GrantRole(f.ctx, web.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
		key, err := f.svc.CreateAccessKey(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		bad := errBadCredentials().Error()

		cases := []struct {
			name    string
			c       Credentials
			kind    core.Kind // KindUnknown: succeeds
			method  string
			project string // expected project id, "" for unscoped
		}{
			{"password by name", Credentials{UserName: "alice", Password: "password1"}, "", MethodPassword, ""},
			{"password by name and domain", Credentials{UserName: "alice", Domain: "Default", Password: "password1"}, "", MethodPassword, ""},
			{"password by id", Credentials{UserID: u.ID, Password: "password1"}, "", MethodPassword, ""},
			{"access key", Credentials{AccessKeyID: key.ID, Secret: key.Secret}, "", MethodAccessKey, ""},
			{"scoped by project id", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectID: web.ID}}, "", MethodPassword, web.ID},
			{"scoped by name and department name", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectName: "web", DepartmentName: "Sales"}}, "", MethodPassword, web.ID},
			{"scoped by name and department id", Credentials{AccessKeyID: key.ID, Secret: key.Secret, Scope: &Scope{ProjectName: "web", DepartmentID: d.ID}}, "", MethodAccessKey, web.ID},

			{"wrong password", Credentials{UserName: "alice", Password: "password2"}, core.Unauthenticated, "", ""},
			{"unknown user", Credentials{UserName: "mallory", Password: "password1"}, core.Unauthenticated, "", ""},
			{"unknown user id", Credentials{UserID: "nope", Password: "password1"}, core.Unauthenticated, "", ""},
			{"wrong domain", Credentials{UserName: "alice", Domain: "Elsewhere", Password: "password1"}, core.Unauthenticated, "", ""},
			{"wrong secret", Credentials{AccessKeyID: key.ID, Secret: key.Secret + "x"}, core.Unauthenticated, "", ""},
			{"unknown access key", Credentials{AccessKeyID: "NOPE", Secret: key.Secret}, core.Unauthenticated, "", ""},
			{"wrong password with scope", Credentials{UserName: "alice", Password: "nope-nope", Scope: &Scope{ProjectID: "nope"}}, core.Unauthenticated, "", ""},

			{"no role in project", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectID: lonely.ID}}, core.PermissionDenied, "", ""},
			{"no role in same-named project", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectName: "web", DepartmentName: "Other"}}, core.PermissionDenied, "", ""},
			{"unknown project", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectID: "nope"}}, core.NotFound, "", ""},
			{"unknown project name", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectName: "x", DepartmentName: "Sales"}}, core.NotFound, "", ""},
			{"project name without department", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{ProjectName: "web"}}, core.InvalidArgument, "", ""},
			{"empty scope", Credentials{UserName: "alice", Password: "password1", Scope: &Scope{}}, core.InvalidArgument, "", ""},
			{"no credentials", Credentials{}, core.InvalidArgument, "", ""},
			{"both methods", Credentials{UserName: "alice", Password: "password1", AccessKeyID: key.ID, Secret: key.Secret}, core.InvalidArgument, "", ""},
			{"id and name", Credentials{UserID: u.ID, UserName: "alice", Password: "password1"}, core.InvalidArgument, "", ""},
			{"key without secret", Credentials{AccessKeyID: key.ID}, core.InvalidArgument, "", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok, err := f.svc.Authenticate(f.ctx, c.c)
				if c.kind != core.KindUnknown {
					wantKind(t, err, c.kind, "")
					if c.kind == core.Unauthenticated && core.MessageOf(err) != core.MessageOf(errBadCredentials()) {
						t.Fatalf("message %q differs from the one bad-credentials message %q", core.MessageOf(err), bad)
					}
					return
				}
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if len(tok.Value) < 43 || tok.User.ID != u.ID || tok.Method != c.method {
					t.Fatalf("token %+v", tok)
				}
				if !tok.ExpiresAt.Equal(f.clock.Now().Add(DefaultTokenTTL)) {
					t.Fatalf("expires %v, want issue time + 8h", tok.ExpiresAt)
				}
				if c.project == "" {
					if tok.Project != nil || len(tok.Roles) != 0 {
						t.Fatalf("unscoped token has project %v roles %v", tok.Project, tok.Roles)
					}
				} else if tok.Project == nil || tok.Project.ID != c.project || !reflect.DeepEqual(tok.Roles, []Role{RoleMember}) {
					t.Fatalf("scoped token project %+v roles %v", tok.Project, tok.Roles)
				}
				got, err := f.svc.ValidateToken(f.ctx, tok.Value)
				if err != nil {
					t.Fatalf("ValidateToken: %v", err)
				}
				want := tok
				want.Value = ""
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("validated %+v\nwant      %+v", got, want)
				}
			})
		}
	})
}

func TestTokenExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "A")
		f.user(t, "alice", "password1", d.ID)
		tok, err := f.svc.Authenticate(f.ctx, Credentials{UserName: "alice", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			advance time.Duration
			valid   bool
		}{
			{0, true},
			{DefaultTokenTTL - time.Microsecond, true},
			{time.Microsecond, false}, // exactly at ExpiresAt
			{time.Hour, false},
		}
		for i, s := range steps {
			f.clock.Advance(s.advance)
			_, err := f.svc.ValidateToken(f.ctx, tok.Value)
			if s.valid && err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if !s.valid {
				wantKind(t, err, core.Unauthenticated, "")
			}
		}

		short, err := New(db, WithClock(f.clock.Now), WithArgon2Params(cheap), WithTokenTTL(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		tok2, err := short.Authenticate(f.ctx, Credentials{UserName: "alice", Password: "password1"})
		if err != nil || !tok2.ExpiresAt.Equal(f.clock.Now().Add(time.Minute)) {
			t.Fatalf("WithTokenTTL: %+v, %v", tok2, err)
		}
		if _, err := New(db, WithTokenTTL(0)); core.KindOf(err) != core.InvalidArgument {
			t.Fatalf("zero ttl accepted: %v", err)
		}
	})
}

func TestRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "A")
		p := f.project(t, "web", d.ID)
		u := f.user(t, "alice", "password1", d.ID)
		if err := f.svc.GrantRole(f.ctx, p.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
		login := func(scope *Scope) Token {
			tok, err := f.svc.Authenticate(f.ctx, Credentials{UserName: "alice", Password: "password1", Scope: scope})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		a, b := login(nil), login(nil)
		if err := f.svc.RevokeToken(f.ctx, a.Value); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.ValidateToken(f.ctx, a.Value)
		wantKind(t, err, core.Unauthenticated, "")
		if _, err := f.svc.ValidateToken(f.ctx, b.Value); err != nil {
			t.Fatalf("revoking one token ended another: %v", err)
		}
		if err := f.svc.RevokeToken(f.ctx, a.Value); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		wantKind(t, f.svc.RevokeToken(f.ctx, "not-a-token"), core.NotFound, "")
		wantKind(t, f.svc.RevokeToken(f.ctx, ""), core.InvalidArgument, "token")
		for _, bogus := range []string{"", "not-a-token", a.Value + "x"} {
			_, err := f.svc.ValidateToken(f.ctx, bogus)
			wantKind(t, err, core.Unauthenticated, "")
		}

		// Losing the last role in the project ends the scoped token, not
		// the unscoped one.
		scoped := login(&Scope{ProjectID: p.ID})
		if err := f.svc.GrantRole(f.ctx, p.ID, u.ID, RoleProjectAdmin); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.ValidateToken(f.ctx, scoped.Value)
		if err != nil || !reflect.DeepEqual(got.Roles, []Role{RoleProjectAdmin, RoleMember}) {
			t.Fatalf("roles follow grants: %v, %v", got.Roles, err)
		}
		for _, r := range []Role{RoleMember, RoleProjectAdmin} {
			if err := f.svc.RevokeRole(f.ctx, p.ID, u.ID, r); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.svc.ValidateToken(f.ctx, scoped.Value)
		wantKind(t, err, core.Unauthenticated, "")
		if _, err := f.svc.ValidateToken(f.ctx, b.Value); err != nil {
			t.Fatalf("unscoped token: %v", err)
		}
	})
}

// TestNothingStoredInClear reads every row of every table and looks for the
// password, access-key secret and token in any column.
func TestNothingStoredInClear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		const password = "s3cret-password-xyz"
		d := f.dept(t, "A")
		p := f.project(t, "web", d.ID)
		u := f.user(t, "alice", password, d.ID)
		if err := f.svc.GrantRole(f.ctx, p.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
		key, err := f.svc.CreateAccessKey(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		t1, err := f.svc.Authenticate(f.ctx, Credentials{UserName: "alice", Password: password, Scope: &Scope{ProjectID: p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		t2, err := f.svc.Authenticate(f.ctx, Credentials{AccessKeyID: key.ID, Secret: key.Secret})
		if err != nil {
			t.Fatal(err)
		}
		secrets := map[string]string{"password": password, "secret": key.Secret, "token 1": t1.Value, "token 2": t2.Value}

		var dump strings.Builder
		for _, table := range []string{"departments", "projects", "users", "role_assignments", "access_keys", "tokens"} {
			rows, err := db.QueryxContext(f.ctx, `SELECT * FROM `+table)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				row := map[string]any{}
				if err := rows.MapScan(row); err != nil {
					t.Fatal(err)
				}
				for col, v := range row {
					if b, ok := v.([]byte); ok {
						v = string(b)
					}
					fmt.Fprintf(&dump, "%s.%s=%v\n", table, col, v)
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("table %s is empty: the test would prove nothing", table)
			}
		}
		for what, s := range secrets {
			if strings.Contains(dump.String(), s) {
				t.Errorf("%s stored in clear", what)
			}
		}
		if !strings.Contains(dump.String(), "users.password_hash=$argon2id$v=19$") {
			t.Errorf("password not stored as an argon2id PHC string:\n%s", dump.String())
		}
		if !strings.Contains(dump.String(), sha256Hex(t1.Value)) || !strings.Contains(dump.String(), sha256Hex(key.Secret)) {
			t.Error("token or secret hash missing from the rows")
		}
	})
}

// TestConcurrentValidation validates tokens from many goroutines while others
// log in and revoke; run with -race.
func TestConcurrentValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		d := f.dept(t, "A")
		p := f.project(t, "web", d.ID)
		u := f.user(t, "alice", "password1", d.ID)
		if err := f.svc.GrantRole(f.ctx, p.ID, u.ID, RoleMember); err != nil {
			t.Fatal(err)
		}
		keep, err := f.svc.Authenticate(f.ctx, Credentials{UserID: u.ID, Password: "password1", Scope: &Scope{ProjectID: p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		const workers, rounds = 16, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds*2)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					got, err := f.svc.ValidateToken(f.ctx, keep.Value)
					if err != nil {
						errs <- fmt.Errorf("validate: %w", err)
						continue
					}
					if got.User.ID != u.ID || got.Project == nil || got.Project.ID != p.ID {
						errs <- fmt.Errorf("validate: wrong identity %+v", got)
					}
					if w%4 == 0 { // some workers churn tokens meanwhile
						tok, err := f.svc.Authenticate(f.ctx, Credentials{UserName: "alice", Password: "password1"})
						if err != nil {
							errs <- fmt.Errorf("authenticate: %w", err)
							continue
						}
						if err := f.svc.RevokeToken(f.ctx, tok.Value); err != nil {
							errs <- fmt.Errorf("revoke: %w", err)
						}
						if _, err := f.svc.ValidateToken(f.ctx, tok.Value); core.KindOf(err) != core.Unauthenticated {
							errs <- fmt.Errorf("revoked token validated: %v", err)
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestBootstrap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		_, err := f.svc.Bootstrap(f.ctx, "short")
		wantKind(t, err, core.InvalidArgument, "password")

		created, err := f.svc.Bootstrap(f.ctx, "first-password")
		if err != nil || !created {
			t.Fatalf("first Bootstrap = %v, %v; want created", created, err)
		}
		// Again, and concurrently: nothing new, no error, and the first
		// password stays (the later ones, even invalid, are ignored).
		var wg sync.WaitGroup
		results := make(chan error, 4)
		for _, pw := range []string{"second-password", "", "x", "third-password"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				created, err := f.svc.Bootstrap(f.ctx, pw)
				if err == nil && created {
					err = fmt.Errorf("Bootstrap(%q) created again", pw)
				}
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		for err := range results {
			if err != nil {
				t.Error(err)
			}
		}
		tok, err := f.svc.Authenticate(f.ctx, Credentials{UserName: BootstrapUser, Domain: DefaultDomain, Password: "first-password",
			Scope: &Scope{ProjectName: BootstrapProject, DepartmentName: BootstrapDepartment}})
		if err != nil {
			t.Fatalf("admin login: %v", err)
		}
		if !tok.HasRole(RoleAdmin) || tok.Project.Name != "admin" || tok.HasRole(RoleMember) {
			t.Fatalf("admin token %+v", tok)
		}
		_, err = f.svc.Authenticate(f.ctx, Credentials{UserName: BootstrapUser, Password: "second-password"})
		wantKind(t, err, core.Unauthenticated, "")

		depts, err := f.svc.ListDepartments(f.ctx)
		if err != nil || len(depts) != 1 || depts[0].Name != "Default" {
			t.Fatalf("departments %+v, %v", depts, err)
		}
		var n int
		for table, want := range map[string]int{"projects": 1, "users": 1, "role_assignments": 1} {
			if err := db.GetContext(f.ctx, &n, `SELECT count(*) FROM `+table); err != nil || n != want {
				t.Fatalf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
	})
}

// TestBootstrapRace runs the very first Bootstrap from several goroutines:
// exactly one reports that it created the admin.
func TestBootstrapRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var wg sync.WaitGroup
		results := make(chan bool, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				created, err := f.svc.Bootstrap(f.ctx, fmt.Sprintf("password-%d", i))
				if err != nil {
					t.Errorf("Bootstrap: %v", err)
				}
				results <- created
			}()
		}
		wg.Wait()
		close(results)
		n := 0
		for c := range results {
			if c {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d Bootstraps report creating the admin, want 1", n)
		}
	})
}
