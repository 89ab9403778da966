package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// fakeDriver answers unsupported for every service operation (its error
// names the operation), as a target for the recorder.
type fakeDriver struct{ core.Unimplemented }

func (fakeDriver) Info(context.Context) (core.DriverInfo, error) {
	return core.DriverInfo{Name: "fake", Version: "0.1"}, nil
}
func (fakeDriver) Health(context.Context) error { return nil }
func (fakeDriver) Close() error                 { return nil }

// TestWrapForwardsEveryMethod calls every method of core.Driver through the
// recorder: each must reach the same method of the driver (Unimplemented's
// error names it) and be recorded under that name.
func TestWrapForwardsEveryMethod(t *testing.T) {
	rec := NewRecorder()
	w := reflect.ValueOf(rec.Wrap(fakeDriver{}))
	dt := reflect.TypeOf((*core.Driver)(nil)).Elem()
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	for i := 0; i < dt.NumMethod(); i++ {
		m := dt.Method(i)
		ft := m.Type
		args := make([]reflect.Value, ft.NumIn())
		for j := range args {
			if ft.In(j) == ctxType {
				args[j] = reflect.ValueOf(context.Background())
			} else {
				args[j] = reflect.Zero(ft.In(j))
			}
		}
		out := w.MethodByName(m.Name).Call(args)
		xs := rec.take()
		if len(xs) != 1 || xs[0].Op != m.Name {
			t.Errorf("%s: recorded %+v, want one exchange named %s", m.Name, xs, m.Name)
			continue
		}
		errv := out[len(out)-1]
		switch m.Name {
		case "Info", "Health", "Close":
			if !errv.IsNil() {
				t.Errorf("%s: %v", m.Name, errv.Interface())
			}
		default:
			err, _ := errv.Interface().(error)
			if core.KindOf(err) != core.Unsupported || !strings.Contains(err.Error(), m.Name) {
				t.Errorf("%s reached the wrong method, or changed the error: %v", m.Name, err)
			}
			if xs[0].Error == "" {
				t.Errorf("%s: the error was not recorded", m.Name)
			}
		}
	}
	for _, l := range rec.latencies() {
		if l.Calls != 1 {
			t.Errorf("%s: %d calls", l.Op, l.Calls)
		}
	}
}

// secretDriver leaks secrets in every way a driver could: in its answers
// and its errors.
type secretDriver struct{ fakeDriver }

func (secretDriver) CreateServer(_ context.Context, req core.ServerCreate) (core.Server, error) {
	return core.Server{}, core.Errorf(core.Conflict, `refused: token=tok-LEAK-2 body {"secret":"sec-LEAK-3","password":"pw-LEAK-1"}`)
}

func (secretDriver) ListDatacenters(context.Context) ([]core.Datacenter, error) {
	return []core.Datacenter{{ID: "dc1", Name: "password=pw-LEAK-1"}}, nil
}

var leaksToFind = []string{"pw-LEAK-1", "tok-LEAK-2", "sec-LEAK-3", "ud-LEAK-4"}

// TestRecorderRedacts: what the recorder keeps of a call (request, answer,
// error) carries no secret.
func TestRecorderRedacts(t *testing.T) {
	rec := NewRecorder()
	d := rec.Wrap(secretDriver{})
	_, err := d.CreateServer(context.Background(), core.ServerCreate{Name: "s", UserData: []byte("ud-LEAK-4"),
		Metadata: map[string]string{"db_password": "pw-LEAK-1", "api_token": "tok-LEAK-2"}})
	if core.KindOf(err) != core.Conflict {
		t.Fatalf("the error kind changed on the way: %v", err)
	}
	if _, err := d.ListDatacenters(context.Background()); err != nil {
		t.Fatal(err)
	}
	xs := rec.take()
	b, _ := json.Marshal(xs)
	for _, s := range leaksToFind {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("the recorded exchanges carry %q: %s", s, b)
		}
	}
	if !bytes.Contains(b, []byte("CreateServer")) || !bytes.Contains(b, []byte("conflict")) {
		t.Errorf("the evidence lost the operation or the error: %s", b)
	}
}

// sampleReport has a pass, a skip, a failure whose evidence carries every
// kind of secret (as a recorder other than ours might leave it), an error,
// clauses not tested and a leak.
func sampleReport() *Report {
	rep := &Report{Target: "driver", Driver: "fake<b>", DriverVersion: "0.1", SuiteCommit: "abc", SpecSHA256: ledger.SpecSHA256,
		RunID: "0123456789abcdef", Seed: 42, Capabilities: []core.Clause{"B.1.2", "B.2.1.1"},
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 2 * time.Second,
		Latency: []OpLatency{{Op: "CreateServer", Calls: 3, P50: time.Millisecond, P95: 3 * time.Millisecond}},
		Leaks:   []string{"server s-1"}}
	rep.Checks = []CheckResult{
		{ID: "B.1.2/list", Clause: "B.1.2", Name: "list", Status: Pass},
		{ID: "B.2.1.1/create", Clause: "B.2.1.1", Name: "create", Status: Fail, Message: "got <script>alert(1)</script> with password=pw-LEAK-1",
			Exchanges: []Exchange{{Op: "CreateServer",
				Request:  json.RawMessage(`{"name":"s","user_data":"ud-LEAK-4","auth":{"password":"pw-LEAK-1","token":"tok-LEAK-2"}}`),
				Response: `3 items: [{"id":"x","client_secret":"sec-LEAK-3"`,
				Error:    `X-Auth-Token: tok-LEAK-2 secret=sec-LEAK-3`, Duration: time.Millisecond}}},
		{ID: "B.2.1.2/delete", Clause: "B.2.1.2", Name: "delete", Status: Error, Message: "suite error: boom"},
		{ID: "X.3/routers", Clause: "X.3", Name: "routers", Status: Skip, Message: "X.3 declared unsupported, and refused as such"},
	}
	by := map[core.Clause][]CheckResult{}
	for _, c := range rep.Checks {
		by[c.Clause] = append(by[c.Clause], c)
	}
	sec := map[string]Status{}
	var order []string
	for _, cl := range ledger.Clauses {
		cr := ClauseResult{Clause: cl, Status: NotTested, Checks: []string{}}
		for _, c := range by[cl.ID] {
			cr.Status = c.Status
			cr.Checks = append(cr.Checks, c.ID)
		}
		rep.Clauses = append(rep.Clauses, cr)
		if _, ok := sec[cl.Section]; !ok {
			order = append(order, cl.Section)
			sec[cl.Section] = cr.Status
		}
		sec[cl.Section] = Worst(sec[cl.Section], cr.Status)
	}
	for _, s := range order {
		rep.Sections = append(rep.Sections, SectionResult{s, sec[s]})
	}
	return rep
}

// TestReportsNeverCarrySecrets is the redaction guard: a password, a token,
// a secret and user data in a failure's evidence reach none of the files.
func TestReportsNeverCarrySecrets(t *testing.T) {
	dir := t.TempDir()
	if err := WriteReports(sampleReport(), dir); err != nil {
		t.Fatal(err)
	}
	var sum bytes.Buffer
	WriteSummary(&sum, sampleReport())
	files := map[string][]byte{"summary": sum.Bytes()}
	for _, f := range []string{"report.json", "report.xml", "report.html", "report.md"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	for name, b := range files {
		for _, s := range leaksToFind {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s carries the secret %q", name, s)
			}
		}
		// The summary and the Markdown page carry no exchanges at all.
		if name != "summary" && name != "report.md" && !bytes.Contains(b, []byte("redacted")) {
			t.Errorf("%s: the evidence is gone instead of redacted", name)
		}
	}
}

func TestReportFormats(t *testing.T) {
	dir := t.TempDir()
	rep := sampleReport()
	if err := WriteReports(rep, dir); err != nil {
		t.Fatal(err)
	}
	// report.json reads back as the report.
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if back.RunID != rep.RunID || len(back.Clauses) != len(ledger.Clauses) || len(back.Checks) != 4 || back.Checks[1].Exchanges[0].Op != "CreateServer" {
		t.Fatalf("report.json lost something: %+v", back)
	}

	// JUnit: one testcase per check and per clause not tested, the clause
	// as classname and property; failures, errors and skips marked.
	b, _ = os.ReadFile(filepath.Join(dir, "report.xml"))
	var s junitSuite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("report.xml: %v", err)
	}
	notTested := len(ledger.Clauses) - 4
	if want := 4 + notTested + 1; len(s.Cases) != want || s.Tests != want {
		t.Fatalf("report.xml: %d testcases (tests=%d), want %d", len(s.Cases), s.Tests, want)
	}
	if s.Failures != 2 || s.Errors != 1 || s.Skipped != 1+notTested {
		t.Errorf("report.xml counts: failures %d errors %d skipped %d", s.Failures, s.Errors, s.Skipped)
	}
	c := s.Cases[1]
	if c.Classname != "B.2.1.1" || len(c.Properties) != 1 || c.Properties[0] != (junitProperty{"clause", "B.2.1.1"}) ||
		c.Failure == nil || !strings.Contains(c.Failure.Body, "CreateServer") {
		t.Errorf("report.xml failing case: %+v", c)
	}
	if s.Cases[2].Error == nil || s.Cases[3].Skipped == nil || s.Cases[4].Skipped == nil || !strings.HasSuffix(s.Cases[4].Name, "/not tested") {
		t.Errorf("report.xml: error, skip and not-tested cases: %+v", s.Cases[2:5])
	}

	// HTML: self-contained, escaped, every clause and section, latency.
	h := string(must(os.ReadFile(filepath.Join(dir, "report.html"))))
	for _, bad := range []string{"<script>", "fake<b>", "http://", "https://", "<link", "src="} {
		if strings.Contains(h, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	for _, want := range []string{"fake&lt;b&gt;", "&lt;script&gt;", rep.SpecSHA256, rep.RunID, "<code>42</code>", "abc",
		"Section B.2.1", "CreateServer", "p95", "server s-1", `class="not-tested"`, `class="fail"`, "<code>B.2.1.1</code> "} {
		if !strings.Contains(h, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, cl := range ledger.Clauses {
		if !strings.Contains(h, "<td><code>"+string(cl.ID)+"</code></td>") {
			t.Errorf("report.html has no row for %s", cl.ID)
		}
	}

	// The summary: a line per clause and section, counts, the verdict.
	var sum bytes.Buffer
	WriteSummary(&sum, rep)
	out := sum.String()
	if !regexp.MustCompile(`(?m)^B\.2\.1\s+ERROR\s+section$`).MatchString(out) {
		t.Errorf("summary: section B.2.1 is not ERROR (its worst clause):\n%s", out)
	}
	for _, want := range []string{"B.2.1.1", "failures:", "server s-1", "1 PASS, 1 SKIP", "1 FAIL, 1 ERROR; 4 checks"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "FAIL\n") {
		t.Errorf("summary verdict:\n%s", out)
	}
}

func TestSummaryVerdictPass(t *testing.T) {
	rep := &Report{Target: "driver", Clauses: []ClauseResult{{Clause: Clause{ID: "B.1.2", Level: core.Must, Section: "B.1.2", Scope: "driver"}, Status: Pass}}}
	var b bytes.Buffer
	WriteSummary(&b, rep)
	if !strings.HasSuffix(b.String(), "\nPASS\n") {
		t.Fatalf("summary:\n%s", b.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestReportMarkdown: one row per clause, a reason beside each clause the
// driver does not declare, and the failures listed.
func TestReportMarkdown(t *testing.T) {
	rep := sampleReport()
	var undeclared core.Clause
	declared := map[core.Clause]bool{}
	for _, c := range rep.Capabilities {
		declared[c] = true
	}
	for _, cl := range rep.Clauses {
		if cl.Scope == "driver" && !declared[cl.ID] {
			undeclared = cl.ID
			break
		}
	}
	path := filepath.Join(t.TempDir(), "r.md")
	if err := WriteMarkdown(rep, path, map[core.Clause]string{undeclared: "the cloud has no such service"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, cl := range rep.Clauses {
		if !strings.Contains(md, "| "+string(cl.ID)+" | ") {
			t.Errorf("no row for %s", cl.ID)
		}
	}
	if undeclared != "" && !strings.Contains(md, "declared unsupported: the cloud has no such service") {
		t.Errorf("the reason for %s is missing:\n%s", undeclared, md)
	}
	for _, c := range rep.Checks {
		if (c.Status == Fail || c.Status == Error) && !strings.Contains(md, c.ID) {
			t.Errorf("failure %s not listed", c.ID)
		}
	}
}
