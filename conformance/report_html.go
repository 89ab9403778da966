package conformance

import (
	"bytes"
	"html/template"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// htmlRow is one row of the clause table: a section (parent) or a clause.
type htmlRow struct {
	Section  bool
	ID       string
	Title    string
	Level    core.Level
	Declared bool
	Status   Status
	Checks   []htmlCheck
}

type htmlCheck struct {
	ID     string
	Status Status
}

type htmlPage struct {
	*Report
	Verdict  Status
	Counts   []statusCount
	Rows     []htmlRow
	Failures []CheckResult
	Noted    []CheckResult
}

type statusCount struct {
	Status Status
	N      int
}

var htmlFuncs = template.FuncMap{
	// class maps a status to its CSS class (colour).
	"class": func(s Status) string { return strings.ToLower(strings.ReplaceAll(string(s), " ", "-")) },
	"dur":   func(d time.Duration) string { return d.Round(time.Microsecond).String() },
	"utc":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}

// htmlTemplate has no external asset: the page is one file a vendor can
// publish as it is. html/template escapes every value.
var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gisiaas conformance: {{.Driver}} {{.DriverVersion}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
tr.section td{background:#e8eef8;font-weight:bold}
.pass{background:#c8efc8}.skip{background:#e4e4e4}.not-tested{background:#fbeebb}
.fail{background:#f6b8b8}.error{background:#e07070;color:#fff}
.verdict{font-size:1.4em;padding:.2em .6em;display:inline-block}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f7f7f7;padding:.5em;white-space:pre-wrap;word-break:break-all}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
</style>
</head>
<body>
<h1>gisiaas conformance report</h1>
<p class="verdict {{class .Verdict}}">{{.Verdict}}</p>
<dl>
<dt>Driver</dt><dd>{{.Driver}} {{.DriverVersion}}</dd>
<dt>Target</dt><dd>{{.Target}}</dd>
<dt>Suite commit</dt><dd><code>{{.SuiteCommit}}</code></dd>
<dt>SPEC.md SHA-256</dt><dd><code>{{.SpecSHA256}}</code></dd>
<dt>Run id</dt><dd><code>{{.RunID}}</code></dd>
<dt>Seed</dt><dd><code>{{.Seed}}</code></dd>
<dt>Started</dt><dd>{{utc .Started}}</dd>
<dt>Duration</dt><dd>{{dur .Duration}}</dd>
<dt>Clauses</dt><dd>{{range $i, $c := .Counts}}{{if $i}}, {{end}}{{$c.N}} <span class="{{class $c.Status}}">{{$c.Status}}</span>{{end}}</dd>
</dl>

<h2>Capability profile</h2>
<p>The clauses the driver declares; every other clause must refuse with <code>unsupported</code>.</p>
<p>{{range .Capabilities}}<code>{{.}}</code> {{else}}(none){{end}}</p>

<h2>Clauses</h2>
<table>
<tr><th>Clause</th><th>Title</th><th>Level</th><th>Declared</th><th>Status</th><th>Checks</th></tr>
{{range .Rows}}{{if .Section}}<tr class="section"><td colspan="4">Section {{.ID}}</td><td class="{{class .Status}}">{{.Status}}</td><td></td></tr>
{{else}}<tr><td><code>{{.ID}}</code></td><td>{{.Title}}</td><td>{{.Level}}</td><td>{{if .Declared}}yes{{else}}no{{end}}</td><td class="{{class .Status}}">{{.Status}}</td><td>{{range .Checks}}<span class="{{class .Status}}">{{.ID}}</span> {{end}}</td></tr>
{{end}}{{end}}</table>

<h2>Latency per operation</h2>
{{if .Latency}}<table>
<tr><th>Operation</th><th>Calls</th><th>p50</th><th>p95</th></tr>
{{range .Latency}}<tr><td><code>{{.Op}}</code></td><td>{{.Calls}}</td><td>{{dur .P50}}</td><td>{{dur .P95}}</td></tr>
{{end}}</table>{{else}}<p>No call was recorded.</p>{{end}}

<h2>Leaks</h2>
{{if .Leaks}}<p class="fail">Resources of this run remained after every cleanup:</p>
<ul>{{range .Leaks}}<li><code>{{.}}</code></li>{{end}}</ul>{{else}}<p>None: every resource the run created was deleted.</p>{{end}}

<h2>Passed, with what could not be judged</h2>
{{if .Noted}}<ul>{{range .Noted}}<li><code>{{.ID}}</code>: {{.Message}}</li>{{end}}</ul>{{else}}<p>Nothing: every pass judged all it checks.</p>{{end}}

<h2>Failures</h2>
{{range .Failures}}<h3 id="{{.ID}}"><span class="{{class .Status}}">{{.Status}}</span> <code>{{.ID}}</code></h3>
<pre>{{.Message}}</pre>
{{if .Exchanges}}<table>
<tr><th>Operation</th><th>Request</th><th>Response</th><th>Error</th><th>Took</th></tr>
{{range .Exchanges}}<tr><td><code>{{.Op}}</code></td><td><pre>{{printf "%s" .Request}}</pre></td><td><pre>{{.Response}}</pre></td><td><pre>{{.Error}}</pre></td><td>{{dur .Duration}}</td></tr>
{{end}}</table>{{end}}
{{else}}<p>None.</p>{{end}}
<p><small>Secrets (passwords, tokens, keys, user data) are redacted from every exchange.</small></p>
</body>
</html>
`))

func reportHTML(rep *Report) ([]byte, error) {
	p := htmlPage{Report: rep, Verdict: verdict(rep), Counts: clauseCounts(rep)}
	declared := core.NewClauseSet(rep.Capabilities...)
	status := map[string]Status{}
	for _, c := range rep.Checks {
		status[c.ID] = c.Status
		if c.Status == Fail || c.Status == Error {
			p.Failures = append(p.Failures, c)
		}
		if c.Status == Pass && c.Message != "" {
			p.Noted = append(p.Noted, c)
		}
	}
	sections := map[string]Status{}
	for _, s := range rep.Sections {
		sections[s.Section] = s.Status
	}
	last := ""
	for _, cl := range rep.Clauses {
		if cl.Section != last {
			p.Rows = append(p.Rows, htmlRow{Section: true, ID: cl.Section, Status: sections[cl.Section]})
			last = cl.Section
		}
		row := htmlRow{ID: string(cl.ID), Title: cl.Title, Level: cl.Level, Declared: declared.Has(cl.ID), Status: cl.Status}
		for _, id := range cl.Checks {
			row.Checks = append(row.Checks, htmlCheck{ID: id, Status: status[id]})
		}
		p.Rows = append(p.Rows, row)
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
