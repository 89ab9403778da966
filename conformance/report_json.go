package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// WriteReports writes the three report files into dir, creating it:
// report.json (the Report), report.xml (JUnit) and report.html (a
// self-contained page a vendor can publish). Every file is written from a
// scrubbed copy of rep, so a secret that reached the report by a path other
// than the Recorder still never reaches a file.
func WriteReports(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	safe := scrubReport(rep)
	for _, f := range []struct {
		name  string
		write func(*Report) ([]byte, error)
	}{
		{"report.json", reportJSON},
		{"report.xml", reportJUnit},
		{"report.html", reportHTML},
		{"report.md", func(r *Report) ([]byte, error) { return reportMarkdown(r, nil) }},
	} {
		b, err := f.write(safe)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func reportJSON(rep *Report) ([]byte, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// jsonSecretRE finds a secret member inside text that is not a whole JSON
// document (a summary cut short, JSON quoted in an error), which Redact's
// text mode does not see because a quote sits between key and colon.
var jsonSecretRE = regexp.MustCompile(`(?i)("[^"]*(?:` + strings.Join(quoteAll(secretKeys), "|") + `)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// scrub redacts s: as JSON when it is, as "key: value" text, and any JSON
// member embedded in the text.
func scrub(s string) string {
	if s == "" {
		return s
	}
	s = string(Redact([]byte(s)))
	return jsonSecretRE.ReplaceAllString(s, `$1"[redacted]"`)
}

// scrubReport is a copy of rep with every free text redacted: messages,
// exchanges and leaks.
func scrubReport(rep *Report) *Report {
	out := *rep
	out.Checks = make([]CheckResult, len(rep.Checks))
	for i, c := range rep.Checks {
		c.Message = scrub(c.Message)
		xs := make([]Exchange, len(c.Exchanges))
		for j, x := range c.Exchanges {
			if len(x.Request) > 0 {
				r := Redact(x.Request)
				if !json.Valid(r) { // keep report.json valid whatever was recorded
					r, _ = json.Marshal(scrub(string(x.Request)))
				}
				x.Request = json.RawMessage(r)
			}
			x.Response = scrub(x.Response)
			x.Error = scrub(x.Error)
			xs[j] = x
		}
		c.Exchanges = xs
		out.Checks[i] = c
	}
	out.Leaks = make([]string, len(rep.Leaks))
	for i, l := range rep.Leaks {
		out.Leaks[i] = scrub(l)
	}
	return &out
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
