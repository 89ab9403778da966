package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
)

// cliEnv is a real API (SQLite, identity with the bootstrap admin, one
// simulated datacenter linked in process) and a config directory; the CLI
// runs in process against it with an environment of its own.
type cliEnv struct {
	t        *testing.T
	url      string
	srv      *httptest.Server
	ids      *identity.Service
	sim      *sim.Driver
	dir      string
	vars     map[string]string
	requests atomic.Int64 // requests the API received
}

type envOption func(*envSetup)

type envSetup struct {
	tls bool
	dcs []adapter.Datacenter
}

// withTLS serves the API over HTTPS with httptest's self-signed certificate.
func withTLS() envOption { return func(s *envSetup) { s.tls = true } }

// withDownDatacenter adds a datacenter whose driver is closed: every call
// to it fails, so lists answer with a Warning.
func withDownDatacenter(t *testing.T) envOption {
	return func(s *envSetup) {
		cfg := sim.TestConfig()
		cfg.Datacenters = []sim.DatacenterConfig{{ID: "dc2", Name: "Two"}}
		d, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		s.dcs = append(s.dcs, adapter.Datacenter{ID: "dc2", Name: "Two", Driver: "sim", Cloud: d})
	}
}

func newCLIEnv(t *testing.T, opts ...envOption) *cliEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Cheap Argon2, so -race stays fast.
	ids, err := identity.New(db, identity.WithArgon2Params(identity.Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.Bootstrap(ctx, "admin-secret"); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.TestConfig()
	cfg.Datacenters = []sim.DatacenterConfig{{ID: "dc1", Name: "One", Hosts: []string{"dc1-h1", "dc1-h2"}}}
	// Transitions take a moment, as on a real cloud, so --wait has to poll
	// through BUILD, attaching, deleting… rather than find the end at once.
	cfg.Latency = sim.Duration(50 * time.Millisecond)
	d, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	setup := envSetup{dcs: []adapter.Datacenter{{ID: "dc1", Name: "One", Driver: "sim", Cloud: d}}}
	for _, o := range opts {
		o(&setup)
	}
	e := &cliEnv{t: t, ids: ids, sim: d, dir: filepath.Join(t.TempDir(), "config"), vars: map[string]string{}}
	api := adapter.NewServer(adapter.Config{Identity: ids, Registry: reg, Datacenters: setup.dcs,
		// Polling must never meet the rate limit in a test.
		Limits: adapter.Limits{TokenRate: 1e6, TokenBurst: 1e6}})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		api.ServeHTTP(w, r)
	})
	if setup.tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL
	e.vars[envConfigDir] = e.dir
	return e
}

// run runs the CLI with stdin and returns its exit status and output.
func (e *cliEnv) runIn(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, now: time.Now,
		getenv: func(k string) string { return e.vars[k] }}
	code := c.main(e.t.Context(), args)
	return code, out.String(), errb.String()
}

func (e *cliEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	return e.runIn("", args...)
}

// ok runs the CLI and fails the test unless it exits 0.
func (e *cliEnv) ok(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != 0 {
		e.t.Fatalf("gisiaas %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// okJSON runs the CLI with -o json and decodes what it prints.
func (e *cliEnv) okJSON(v any, args ...string) {
	e.t.Helper()
	out := e.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("gisiaas %s -o json printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs the CLI, wants exit status code and stderr containing want.
func (e *cliEnv) fails(code int, want string, args ...string) string {
	e.t.Helper()
	got, out, errOut := e.run(args...)
	if got != code || !strings.Contains(errOut, want) {
		e.t.Fatalf("gisiaas %s: exit %d, want %d with %q on stderr\nstdout: %s\nstderr: %s",
			strings.Join(args, " "), got, code, want, out, errOut)
	}
	return errOut
}

func (e *cliEnv) login(extra ...string) string {
	e.t.Helper()
	args := append([]string{"login", "--endpoint", e.url, "--username", "admin", "--password-stdin",
		"--project", "admin"}, extra...)
	code, out, errOut := e.runIn("admin-secret\n", args...)
	if code != 0 {
		e.t.Fatalf("login: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	return out
}

func (e *cliEnv) credentialsFile() string { return filepath.Join(e.dir, credentialsFile) }

func (e *cliEnv) saved() Credentials {
	e.t.Helper()
	b, err := os.ReadFile(e.credentialsFile())
	if err != nil {
		e.t.Fatal(err)
	}
	var cr Credentials
	if err := json.Unmarshal(b, &cr); err != nil {
		e.t.Fatal(err)
	}
	return cr
}

// TestLogin_SavesCredentials0600 logs in as the bootstrap admin: the token
// saved is one the identity service accepts, scoped to the admin project,
// in a file only its owner can read, even where a looser file was before.
func TestLogin_SavesCredentials0600(t *testing.T) {
	e := newCLIEnv(t)
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.credentialsFile(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.login()
	if !strings.Contains(out, "Logged in to "+e.url+" as admin, project admin") {
		t.Fatalf("login said: %s", out)
	}
	st, err := os.Stat(e.credentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	cr := e.saved()
	tok, err := e.ids.ValidateToken(context.Background(), cr.Token)
	if err != nil {
		t.Fatalf("the saved token is not valid: %v", err)
	}
	if cr.Endpoint != e.url || tok.Project == nil || cr.ProjectID != tok.Project.ID || tok.Project.Name != "admin" {
		t.Fatalf("saved %+v; the token is for project %+v", cr, tok.Project)
	}
	if !cr.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("saved expires_at %v, the token's %v", cr.ExpiresAt, tok.ExpiresAt)
	}
	// A wrong password: the API's 401 with its message, and nothing saved.
	e2 := newCLIEnv(t)
	code, _, errOut := e2.runIn("wrong\n", "login", "--endpoint", e2.url, "--username", "admin", "--password-stdin", "--project", "admin")
	if code != 1 || !strings.Contains(errOut, "401 Unauthorized: authentication failed: invalid credentials") {
		t.Fatalf("wrong password: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(e2.credentialsFile()); !os.IsNotExist(err) {
		t.Fatalf("a failed login left %s: %v", e2.credentialsFile(), err)
	}
	// Misuse is exit 2, before any request.
	before := e2.requests.Load()
	e2.fails(2, "--project is required", "login", "--endpoint", e2.url, "--username", "admin", "--password", "x")
	e2.fails(2, "not both", "login", "--endpoint", e2.url, "--username", "admin", "--password", "x", "--password-stdin", "--project", "admin")
	if n := e2.requests.Load() - before; n != 0 {
		t.Fatalf("misuse sent %d requests", n)
	}
}

// TestDatacenterList_TableAndJSON: the table is aligned with the API's
// values; -o json is the API's array itself.
func TestDatacenterList_TableAndJSON(t *testing.T) {
	e := newCLIEnv(t)
	e.login()
	out := e.ok("datacenter", "list")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row:\n%s", out)
	}
	header, row := lines[0], lines[1]
	if f := strings.Fields(header); strings.Join(f[:6], " ") != "ID NAME KIND DRIVER VERSION HEALTH" {
		t.Fatalf("header: %q", header)
	}
	if f := strings.Fields(row); f[0] != "dc1" || f[1] != "One" || !strings.Contains(row, " sim ") || !strings.Contains(row, " ok ") {
		t.Fatalf("row: %q", row)
	}
	// Aligned: each value starts under its header.
	for _, col := range []struct{ header, value string }{{"DRIVER", "sim"}, {"HEALTH", "ok"}} {
		if strings.Index(header, col.header) != strings.Index(row, " "+col.value+" ")+1 {
			t.Fatalf("%s is not under its header:\n%s", col.value, out)
		}
	}

	var dcs []map[string]any
	e.okJSON(&dcs, "datacenter", "list")
	if len(dcs) != 1 || dcs[0]["id"] != "dc1" || dcs[0]["health"] != "ok" || len(dcs[0]["capabilities"].([]any)) == 0 {
		t.Fatalf("-o json: %v", dcs)
	}
	// Byte for byte (modulo indentation) what the API answered.
	cr := e.saved()
	req, _ := http.NewRequest("GET", e.url+"/v1/"+cr.ProjectID+"/datacenters", nil)
	req.Header.Set("X-Auth-Token", cr.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var api map[string]json.RawMessage
	if err := json.Unmarshal(body, &api); err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	_ = json.Compact(&want, api["datacenters"])
	_ = json.Compact(&got, []byte(e.ok("datacenter", "list", "-o", "json")))
	if want.String() != got.String() {
		t.Fatalf("-o json differs from the API:\n got %s\nwant %s", got.String(), want.String())
	}
	e.fails(2, "give table or json", "datacenter", "list", "-o", "yaml")
}

// TestCredentials_AbsentExpiredEnv: without credentials, or with an expired
// saved token, a command says to log in and sends nothing; the environment
// overrides the file.
func TestCredentials_AbsentExpiredEnv(t *testing.T) {
	e := newCLIEnv(t)
	before := e.requests.Load()
	e.fails(1, "not logged in: run gisiaas login", "server", "list")

	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	expired := time.Now().Add(-time.Minute)
	b, _ := json.Marshal(Credentials{Endpoint: e.url, Token: "stale", ProjectID: "p", ExpiresAt: expired})
	if err := os.WriteFile(e.credentialsFile(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.fails(1, "expired at", "datacenter", "list")
	e.fails(1, "run gisiaas login", "datacenter", "list")
	if n := e.requests.Load() - before; n != 0 {
		t.Fatalf("missing or expired credentials sent %d requests", n)
	}

	// GISIAAS_TOKEN and GISIAAS_PROJECT_ID override the expired file.
	tok, err := e.ids.Authenticate(context.Background(), identity.Credentials{UserName: "admin", Password: "admin-secret",
		Scope: &identity.Scope{ProjectName: "admin", DepartmentName: "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	e.vars[envToken], e.vars[envProjectID] = tok.Value, tok.Project.ID
	var dcs []map[string]any
	e.okJSON(&dcs, "datacenter", "list")
	if len(dcs) != 1 {
		t.Fatalf("datacenters: %v", dcs)
	}
	// All three from the environment, no file at all.
	_ = os.Remove(e.credentialsFile())
	e.vars[envEndpoint] = e.url
	e.okJSON(&dcs, "datacenter", "list")
}

// TestRun_RealEnvironment goes through run() itself, which reads the
// process environment.
func TestRun_RealEnvironment(t *testing.T) {
	e := newCLIEnv(t)
	tok, err := e.ids.Authenticate(context.Background(), identity.Credentials{UserName: "admin", Password: "admin-secret",
		Scope: &identity.Scope{ProjectName: "admin", DepartmentName: "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envConfigDir, e.dir)
	t.Setenv(envEndpoint, e.url)
	t.Setenv(envToken, tok.Value)
	t.Setenv(envProjectID, tok.Project.ID)
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"datacenter", "list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "dc1") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(t.Context(), nil, &out, &errb); code != 2 {
		t.Fatalf("no arguments: exit %d", code)
	}
	if code := run(t.Context(), []string{"frobnicate"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
	out.Reset()
	if code := run(t.Context(), []string{"help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "volume attach") {
		t.Fatalf("help: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"help", "server", "create"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "-idempotency-key") {
		t.Fatalf("help server create: exit %d\n%s", code, out.String())
	}
	// serve is dispatched with its own flags (a wrong one stops it before it starts).
	errb.Reset()
	if code := run(t.Context(), []string{"serve", "--no-such-flag"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-data-dir") {
		t.Fatalf("serve --no-such-flag: exit %d\n%s", code, errb.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "gisiaas ") {
		t.Fatalf("version: exit %d %q", code, out.String())
	}
}

// TestAPIErrors: the A.0.3 body becomes "code Title: message" on stderr
// and exit 1; a refused token adds the advice to log in.
func TestAPIErrors(t *testing.T) {
	e := newCLIEnv(t)
	e.login()
	e.fails(1, "gisiaas: 404 Not Found: server nope not found", "server", "show", "nope")
	e.fails(1, "404 Not Found: volume nope not found", "volume", "attach", "nope", "--server", "s")
	errOut := e.fails(1, "2 of 2 servers were not deleted", "server", "delete", "nope-1", "nope-2")
	if !strings.Contains(errOut, "server nope-2: 404 Not Found: server nope-2 not found") {
		t.Fatalf("each failure is named: %s", errOut)
	}

	e.vars[envProjectID] = "someone-else"
	e.fails(1, "403 Forbidden: this token is not scoped to project someone-else", "server", "list")
	delete(e.vars, envProjectID)

	// logout revokes the token on the server, not just locally.
	token := e.saved().Token
	if out := e.ok("logout"); !strings.Contains(out, "Logged out") {
		t.Fatalf("logout: %s", out)
	}
	if _, err := os.Stat(e.credentialsFile()); !os.IsNotExist(err) {
		t.Fatalf("logout left the file: %v", err)
	}
	if _, err := e.ids.ValidateToken(context.Background(), token); err == nil {
		t.Fatal("the token is still valid after logout")
	}
	e.vars[envEndpoint], e.vars[envToken], e.vars[envProjectID] = e.url, token, "p"
	errOut = e.fails(1, "401 Unauthorized: ", "datacenter", "list")
	if !strings.Contains(errOut, "run gisiaas login") {
		t.Fatalf("a refused token gives no advice: %s", errOut)
	}
}

// TestTLS: an HTTPS endpoint is trusted through --ca-cert (kept for later
// commands) or --insecure, and refused otherwise.
func TestTLS(t *testing.T) {
	e := newCLIEnv(t, withTLS())
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := e.runIn("admin-secret\n", "login", "--endpoint", e.url, "--username", "admin", "--password-stdin", "--project", "admin")
	if code != 1 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("an untrusted certificate: exit %d, %s", code, errOut)
	}
	e.login("--ca-cert", ca)
	if cr := e.saved(); cr.CACert != ca {
		t.Fatalf("ca_cert saved as %q", cr.CACert)
	}
	if out := e.ok("datacenter", "list"); !strings.Contains(out, "dc1") {
		t.Fatal(out)
	}
	e.login("--insecure")
	if out := e.ok("datacenter", "list"); !strings.Contains(out, "dc1") {
		t.Fatal(out)
	}
}

// TestWarningHeader: a list with a datacenter down still answers, and the
// CLI says which datacenter is missing.
func TestWarningHeader(t *testing.T) {
	e := newCLIEnv(t, withDownDatacenter(t))
	e.login()
	code, out, errOut := e.run("server", "list")
	if code != 0 || !strings.HasPrefix(out, "ID") || !strings.Contains(errOut, "warning: datacenter dc2:") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// simRefs is a public image that fits m1.tiny and a private network of dc1.
func (e *cliEnv) simRefs() (image, network string) {
	e.t.Helper()
	ctx := context.Background()
	imgs, err := e.sim.ListImages(ctx, core.ListOptions{DatacenterID: "dc1"})
	if err != nil || len(imgs) == 0 {
		e.t.Fatalf("images: %v %v", imgs, err)
	}
	for _, im := range imgs {
		if im.MinRAMMB < imgs[0].MinRAMMB {
			imgs[0] = im
		}
	}
	nets, err := e.sim.ListNetworks(ctx, core.ListOptions{DatacenterID: "dc1"})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range nets {
		if !n.External {
			return imgs[0].ID, n.ID
		}
	}
	e.t.Fatalf("no private network: %v", nets)
	return "", ""
}

// TestServerAndVolumeLifecycle drives the resource commands end to end:
// create --wait, idempotency, list, volume create/attach/detach, stop,
// wait (and its timeout), public IPs, and deletes that really delete.
func TestServerAndVolumeLifecycle(t *testing.T) {
	e := newCLIEnv(t)
	e.login()
	image, network := e.simRefs()
	fast := []string{"--interval", "10ms", "--timeout", "30s"}

	create := append([]string{"server", "create", "--name", "web-1", "--flavor", "m1.tiny", "--image", image,
		"--network", network, "--idempotency-key", "k-1", "--metadata", "role=web", "--wait"}, fast...)
	code, out, errOut := e.run(append(create, "-o", "json")...)
	var srv map[string]any
	if err := json.Unmarshal([]byte(out), &srv); code != 0 || err != nil {
		t.Fatalf("server create: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	id, _ := srv["id"].(string)
	// It polled through the build: stderr shows each status once, in order.
	if want := "server " + id + ": BUILD\nserver " + id + ": ACTIVE\n"; errOut != want {
		t.Fatalf("progress on stderr: %q, want %q", errOut, want)
	}
	if id == "" || srv["status"] != "ACTIVE" || srv["name"] != "web-1" || srv["datacenter_id"] != "dc1" {
		t.Fatalf("created: %v", srv)
	}
	if md, _ := srv["metadata"].(map[string]any); md["role"] != "web" {
		t.Fatalf("metadata: %v", srv["metadata"])
	}
	// The same key again answers the same server and creates nothing.
	var again map[string]any
	e.okJSON(&again, create...)
	var servers []map[string]any
	e.okJSON(&servers, "server", "list")
	if again["id"] != id || len(servers) != 1 || servers[0]["id"] != id {
		t.Fatalf("idempotent create: first %s, again %v, list %v", id, again["id"], servers)
	}
	// The table shows the private address the API reports.
	priv := srv["addresses"].(map[string]any)["private"].([]any)
	addr := priv[0].(map[string]any)["address"].(string)
	out = e.ok("server", "list", "--datacenter", "dc1")
	if !strings.Contains(out, id) || !strings.Contains(out, "ACTIVE") || !strings.Contains(out, "private="+addr) {
		t.Fatalf("server list:\n%s", out)
	}
	if out := e.ok("server", "show", id); !strings.Contains(out, "status") || !strings.Contains(out, "web-1") {
		t.Fatalf("server show:\n%s", out)
	}

	var vol map[string]any
	e.okJSON(&vol, append([]string{"volume", "create", "--name", "data", "--size", "2", "--wait"}, fast...)...)
	vid, _ := vol["id"].(string)
	if vid == "" || vol["status"] != "available" || vol["size_gb"] != 2.0 {
		t.Fatalf("volume: %v", vol)
	}
	e.okJSON(&vol, append([]string{"volume", "attach", vid, "--server", id, "--mountpoint", "/dev/vdb", "--wait"}, fast...)...)
	atts, _ := vol["attachments"].([]any)
	if vol["status"] != "in-use" || len(atts) != 1 || atts[0].(map[string]any)["server_id"] != id ||
		atts[0].(map[string]any)["mountpoint"] != "/dev/vdb" {
		t.Fatalf("attached: %v", vol)
	}
	e.okJSON(&srv, "server", "show", id)
	if ids, _ := srv["volume_ids"].([]any); len(ids) != 1 || ids[0] != vid {
		t.Fatalf("the server does not show the volume: %v", srv["volume_ids"])
	}
	if out := e.ok("volume", "list"); !strings.Contains(out, vid) || !strings.Contains(out, id) {
		t.Fatalf("volume list does not show the attachment:\n%s", out)
	}

	// stop --wait returns once the API says SHUTOFF.
	if out := e.ok(append([]string{"server", "stop", id, "--wait"}, fast...)...); !strings.Contains(out, "SHUTOFF") {
		t.Fatalf("stop --wait:\n%s", out)
	}
	e.okJSON(&srv, "server", "show", id)
	if srv["status"] != "SHUTOFF" {
		t.Fatalf("after stop: %v", srv["status"])
	}
	e.fails(1, "timed out after 50ms waiting for server "+id+" to be ACTIVE (last seen: SHUTOFF)",
		"server", "wait", id, "--status", "ACTIVE", "--timeout", "50ms", "--interval", "10ms")
	e.ok(append([]string{"server", "start", id, "--wait"}, fast...)...)
	e.okJSON(&srv, append([]string{"server", "wait", id, "--status", "active"}, fast...)...)
	if srv["status"] != "ACTIVE" {
		t.Fatalf("after start: %v", srv["status"])
	}
	e.okJSON(&srv, append([]string{"server", "reboot", id, "--hard", "--wait"}, fast...)...)
	if srv["status"] != "ACTIVE" {
		t.Fatalf("after reboot: %v", srv["status"])
	}
	// Live migration to the other host, and a confirmed resize.
	to := "dc1-h1"
	if srv["host"] == to {
		to = "dc1-h2"
	}
	e.okJSON(&srv, append([]string{"server", "migrate", id, "--host", to, "--wait"}, fast...)...)
	if srv["host"] != to || srv["status"] != "ACTIVE" {
		t.Fatalf("migrated: host %v, status %v; want %s", srv["host"], srv["status"], to)
	}
	e.okJSON(&srv, append([]string{"server", "resize", id, "--flavor", "m1.small", "--wait"}, fast...)...)
	if srv["flavor_id"] != "m1.small" || srv["status"] != "VERIFY_RESIZE" {
		t.Fatalf("resized: %v %v", srv["status"], srv["flavor_id"])
	}
	e.okJSON(&srv, append([]string{"server", "confirm-resize", id, "--wait"}, fast...)...)
	if srv["status"] != "ACTIVE" || srv["flavor_id"] != "m1.small" {
		t.Fatalf("after resize: %v %v", srv["status"], srv["flavor_id"])
	}

	// A public IP, bound and unbound.
	var ip map[string]any
	e.okJSON(&ip, "publicip", "create", "--name", "front")
	ipid, _ := ip["id"].(string)
	if ipid == "" || ip["address"] == "" {
		t.Fatalf("public IP: %v", ip)
	}
	e.okJSON(&ip, "publicip", "bind", ipid, "--server", id)
	if ip["server_id"] != id {
		t.Fatalf("bound: %v", ip)
	}
	if out := e.ok("publicip", "list"); !strings.Contains(out, ipid) || !strings.Contains(out, id) {
		t.Fatalf("publicip list:\n%s", out)
	}
	e.okJSON(&ip, "publicip", "unbind", ipid)
	if ip["server_id"] != nil {
		t.Fatalf("unbound: %v", ip)
	}
	if out := e.ok("publicip", "delete", ipid); !strings.Contains(out, "Deleting publicip "+ipid) {
		t.Fatalf("publicip delete: %s", out)
	}

	e.okJSON(&vol, append([]string{"volume", "detach", vid, "--server", id, "--wait"}, fast...)...)
	if vol["status"] != "available" {
		t.Fatalf("detached: %v", vol)
	}
	e.okJSON(&vol, append([]string{"volume", "extend", vid, "--size", "3", "--wait"}, fast...)...)
	if vol["size_gb"] != 3.0 {
		t.Fatalf("extended: %v", vol)
	}
	if out := e.ok(append([]string{"volume", "delete", vid, "--wait"}, fast...)...); !strings.Contains(out, "Deleted volume "+vid) {
		t.Fatalf("volume delete: %s", out)
	}
	if out := e.ok(append([]string{"server", "delete", id, "--wait"}, fast...)...); !strings.Contains(out, "Deleted server "+id) {
		t.Fatalf("server delete: %s", out)
	}
	e.fails(1, "404 Not Found: server "+id+" not found", "server", "show", id)
	e.fails(1, "404 Not Found: volume "+vid+" not found", "volume", "show", vid)
	if out := e.ok("server", "list"); strings.Contains(out, id) {
		t.Fatalf("the deleted server is still listed:\n%s", out)
	}
}

// TestServerCreate_Misuse: missing flags are exit 2 before any request.
func TestServerCreate_Misuse(t *testing.T) {
	e := newCLIEnv(t)
	e.login()
	before := e.requests.Load()
	e.fails(2, "--name is required", "server", "create", "--flavor", "m1.tiny")
	e.fails(2, "--flavor is required", "server", "create", "--name", "x")
	e.fails(2, "give KEY=VALUE", "server", "create", "--name", "x", "--flavor", "f", "--metadata", "novalue")
	e.fails(2, "give one ID", "server", "show")
	e.fails(2, "--server is required", "volume", "attach", "v")
	e.fails(2, "flag provided but not defined", "server", "list", "--colour", "red")
	if n := e.requests.Load() - before; n != 0 {
		t.Fatalf("misuse sent %d requests", n)
	}
}

func TestParseArgs_Interspersed(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := fs.String("o", "table", "")
	var vols stringList
	fs.Var(&vols, "volume", "")
	pos, err := parseArgs(fs, []string{"a", "-o", "json", "b", "--volume", "v1", "--volume=v2,v3", "--", "-x"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, " ") != "a b -x" || *o != "json" || strings.Join(vols, " ") != "v1 v2 v3" {
		t.Fatalf("pos %q, o %q, volumes %q", pos, *o, vols)
	}
}

func TestRender(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"x"`, "x"},
		{`12`, "12"},
		{`null`, ""},
		{`["a","b"]`, "a,b"},
		{`{"private":[{"address":"10.0.0.3","port_id":"p"}],"floating":[],"public":[{"address":"198.18.0.9"}]}`, "private=10.0.0.3 public=198.18.0.9"},
		{`[{"server_id":"s1","mode":"rw"},{"server_id":"s2","mode":"ro"}]`, "mode=rw server_id=s1; mode=ro server_id=s2"},
	} {
		if got := render(json.RawMessage(c.in)); got != c.want {
			t.Errorf("render(%s) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := cell("a\tb\nc\x1b[31m"); got != "a b c?[31m" {
		t.Errorf("cell = %q", got)
	}
	if got := warningText(`199 gisiaas "datacenter dc2: down"`); got != "datacenter dc2: down" {
		t.Errorf("warningText = %q", got)
	}
}

// TestRedirectRefused: the token is never carried across a redirect; the
// client stops there and says where it led.
func TestRedirectRefused(t *testing.T) {
	e := newCLIEnv(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, e.url+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	e.vars[envEndpoint], e.vars[envToken], e.vars[envProjectID] = redirector.URL, "secret-token", "p"
	e.fails(1, "the endpoint redirects to "+e.url+"/v1/p/datacenters", "datacenter", "list")
	if n := e.requests.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}
