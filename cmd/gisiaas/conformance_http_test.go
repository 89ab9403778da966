package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
)

// adminPassword is the bootstrap admin's password of the deployments the
// HTTP conformance tests serve.
const adminPassword = "conformance-admin-secret"

// conformanceServe is a running `gisiaas serve` over HTTPS for the HTTP
// target, with a second department's user (bob in project-b) for the
// isolation checks.
type conformanceServe struct {
	dir, endpoint, certFile string
	cli                     *cli
}

// serveForConformance builds the plugins (Go package paths), starts `gisiaas
// serve` with datacenters (YAML list items) behind HTTPS, and makes the
// second department, project and user through the identity admin API.
func serveForConformance(t *testing.T, plugins []string, datacenters string) *conformanceServe {
	t.Helper()
	dir := t.TempDir()
	for _, pkg := range plugins {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, filepath.Base(pkg)), pkg)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build plugin %s: %v\n%s", pkg, err, out)
		}
	}
	certFile, keyFile, pool := selfSigned(t, dir)
	cfg := filepath.Join(dir, "gisiaas.yaml")
	body := "listen: 127.0.0.1:0\ndata_dir: " + filepath.Join(dir, "var") + "\nplugin_dirs: [" + dir + "]\n" +
		"tls: {cert: " + certFile + ", key: " + keyFile + "}\n" +
		"datacenters:\n" + datacenters +
		// The suite is one client making many calls: the default 50/s would
		// only slow it down (the driver honours Retry-After).
		"limits: {token_rate: 100000, token_burst: 100000, call_timeout: 5m}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GISIAAS_ADMIN_PASSWORD", adminPassword)
	addr, cancel, done := startServe(t, cfg)
	t.Cleanup(func() { cancel(); <-done })
	endpoint := "https://" + addr.String()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	adminToken := login(t, client, endpoint, "admin", adminPassword, "admin", "Default")
	dept := adminCall(t, client, endpoint, adminToken, "POST", "/v1/identity/departments", `{"department":{"name":"conformance-b"}}`, "department")
	proj := adminCall(t, client, endpoint, adminToken, "POST", "/v1/identity/projects", `{"project":{"name":"project-b","department_id":"`+dept+`"}}`, "project")
	user := adminCall(t, client, endpoint, adminToken, "POST", "/v1/identity/users", `{"user":{"name":"bob","password":"bob-secret-pw","department_id":"`+dept+`"}}`, "user")
	adminCall(t, client, endpoint, adminToken, "PUT", "/v1/identity/projects/"+proj+"/users/"+user+"/roles/member", "", "")
	return &conformanceServe{dir: dir, endpoint: endpoint, certFile: certFile,
		cli: &cli{getenv: func(string) string { return "" }, now: time.Now}}
}

// TestConformanceHTTP runs `gisiaas conformance http` against `gisiaas
// serve` over HTTPS with two simulator datacenters as plugin processes,
// and a second department's user for the isolation checks: the whole
// suite, black-box, every clause proven or declared-and-refused.
func TestConformanceHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the simulator plugin and runs the whole suite")
	}
	h := serveForConformance(t, []string{"github.com/gisiaas/gisiaas/cmd/gisiaas-driver-sim"},
		"  - {id: dc1, driver: sim, settings: {latency: 0s, datacenters: [{id: dc1, hosts: [h1, h2]}]}}\n"+
			"  - {id: dc2, driver: sim, settings: {latency: 0s, datacenters: [{id: dc2, hosts: [h3]}]}}\n")
	dir, endpoint, certFile, c := h.dir, h.endpoint, h.certFile, h.cli
	var stdout, stderr bytes.Buffer
	c.stdout, c.stderr = &stdout, &stderr
	c.stdin = strings.NewReader(adminPassword + "\nbob-secret-pw\n")

	out := filepath.Join(dir, "report")
	start := time.Now()
	code := c.main(context.Background(), []string{"conformance", "http", "--endpoint", endpoint,
		"--username", "admin", "--password-stdin", "--project", "admin",
		"--second-username", "bob", "--second-project", "project-b", "--second-project-domain", "conformance-b",
		"--ca-cert", certFile, "--seed", "7", "--state-timeout", "30s", "--out", out})
	took := time.Since(start)
	t.Logf("conformance http: exit %d in %s\n%s\n%s", code, took.Round(time.Millisecond), stdout.String(), stderr.String())

	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("report.json: %v", err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if rep.Target != "http" || len(rep.Clauses) == 0 {
		t.Fatalf("report: target %q, %d clauses", rep.Target, len(rep.Clauses))
	}
	for _, cl := range rep.Clauses {
		switch {
		case cl.Status == conformance.Pass || cl.Status == conformance.Skip:
		case cl.Status == conformance.NotTested && len(cl.Checks) == 0:
			t.Logf("%s %s: no check yet", cl.ID, cl.Title)
		default:
			t.Errorf("%s %s: %s", cl.ID, cl.Title, cl.Status)
		}
	}
	// The HTTP-only checks ran and passed, isolation with the second user.
	ran := map[string]conformance.Status{}
	for _, ch := range rep.Checks {
		ran[ch.ID] = ch.Status
		if ch.Status == conformance.Fail || ch.Status == conformance.Error {
			t.Errorf("%s: %s: %s", ch.ID, ch.Status, ch.Message)
		}
	}
	for _, id := range []string{"A.0.1/scheme", "A.0.1/methods", "A.0.2/token required", "A.0.2/request id", "A.0.3/not found",
		"A.0.3/bad request", "A.0.3/other project's path", "A.0.3/isolation", "A.0.4/timestamps", "A.0.4/utf-8",
		"B.1.1/token lifecycle", "B.1.1/wrong password", "B.1.1/unscoped token", "B.2.1.8/pagination", "B.4.1.1/idempotency key"} {
		if ran[id] != conformance.Pass {
			t.Errorf("%s: %q, want PASS", id, ran[id])
		}
	}
	if len(rep.Leaks) > 0 {
		t.Errorf("leaks: %v", rep.Leaks)
	}
	for _, l := range rep.Latency {
		if strings.Contains(l.Op, adminPassword) {
			t.Errorf("a latency row names the password: %s", l.Op)
		}
	}
	for _, f := range []string{"report.json", "report.xml", "report.html"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if bytes.Contains(b, []byte(adminPassword)) || bytes.Contains(b, []byte("bob-secret-pw")) {
			t.Errorf("%s holds a password", f)
		}
	}
	if took > time.Minute {
		t.Errorf("the suite took %s against the simulator, want under a minute", took)
	}

	// Without a second user the isolation check proves what one project
	// can, and says so; --run picks the checks.
	out1 := filepath.Join(dir, "report-one")
	stdout.Reset()
	stderr.Reset()
	c.stdin = strings.NewReader(adminPassword + "\n")
	c.main(context.Background(), []string{"conformance", "http", "--endpoint", endpoint, "--username", "admin", "--password-stdin",
		"--project", "admin", "--ca-cert", certFile, "--run", `^A\.0\.3/`, "--out", out1})
	if !strings.Contains(stderr.String(), "without --second-username") {
		t.Errorf("no note on the isolation check's reach: %s", stderr.String())
	}
	var one conformance.Report
	if raw, err := os.ReadFile(filepath.Join(out1, "report.json")); err != nil || json.Unmarshal(raw, &one) != nil {
		t.Fatalf("report.json of the --run subset: %v", err)
	}
	for _, ch := range one.Checks {
		if !strings.HasPrefix(ch.ID, "A.0.3/") || ch.Status != conformance.Pass {
			t.Errorf("--run ^A.0.3/: %s %s %s", ch.ID, ch.Status, ch.Message)
		}
	}
	if len(one.Checks) != 4 {
		t.Errorf("--run ^A.0.3/ ran %d checks, want 4", len(one.Checks))
	}

	// A wrong password is refused at login: exit 1, nothing run.
	stderr.Reset()
	c.stdin = strings.NewReader("not-the-password\n")
	if code := c.main(context.Background(), []string{"conformance", "http", "--endpoint", endpoint, "--username", "admin",
		"--password-stdin", "--project", "admin", "--ca-cert", certFile, "--out", filepath.Join(dir, "none")}); code != 1 ||
		!strings.Contains(stderr.String(), "logging in as admin") {
		t.Errorf("a wrong password: exit %d, %s", code, stderr.String())
	}

	if !rep.Passed() || code != 0 {
		t.Errorf("the deployment does not conform: exit %d, passed %v", code, rep.Passed())
	}
}

// login returns a token of user scoped to project.
func login(t *testing.T, client *http.Client, endpoint, user, password, project, projectDomain string) string {
	t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user + `","domain":{"name":"Default"},"password":"` + password +
		`"}}},"scope":{"project":{"name":"` + project + `","domain":{"name":"` + projectDomain + `"}}}}}`
	resp, err := client.Post(endpoint+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return resp.Header.Get("X-Subject-Token")
}

// adminCall makes an identity admin call and returns the id of the object
// wrapped in wrap ("" when the answer has none).
func adminCall(t *testing.T, client *http.Client, endpoint, token, method, path, body, wrap string) string {
	t.Helper()
	req, err := http.NewRequest(method, endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	if wrap == "" {
		return ""
	}
	var out map[string]struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out[wrap].ID == "" {
		t.Fatalf("%s %s: no %s.id (%v)", method, path, wrap, err)
	}
	return out[wrap].ID
}
