package conformance

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gisiaas/gisiaas/core"
)

// reportMarkdown renders the run as a Markdown page a vendor can publish
// beside its driver (docs/drivers/<name>-report.md): the verdict, one row
// per clause with its status and, for a clause the driver does not declare,
// why (from unsupported, the driver's own reasons), then what failed and
// what a pass could not judge.
func reportMarkdown(rep *Report, unsupported map[core.Clause]string) ([]byte, error) {
	var b bytes.Buffer
	cell := func(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }
	fmt.Fprintf(&b, "# Conformance report: %s %s\n\n", rep.Driver, rep.DriverVersion)
	fmt.Fprintf(&b, "**%s** — target %s, run %s, seed %d, started %s, %s.\n", verdict(rep), rep.Target, rep.RunID,
		rep.Seed, rep.Started.UTC().Format("2006-01-02 15:04 UTC"), rep.Duration.Round(1e9))
	var counts []string
	for _, c := range clauseCounts(rep) {
		counts = append(counts, fmt.Sprintf("%d %s", c.N, c.Status))
	}
	fmt.Fprintf(&b, "%d clauses: %s; %d checks. Spec SHA-256 %s", len(rep.Clauses), strings.Join(counts, ", "), len(rep.Checks), rep.SpecSHA256)
	if rep.SuiteCommit != "" {
		fmt.Fprintf(&b, ", suite %s", rep.SuiteCommit)
	}
	b.WriteString(".\n")
	if rep.Filter != "" {
		fmt.Fprintf(&b, "\nOnly the checks matching `%s` ran.\n", rep.Filter)
	}
	declared := map[core.Clause]bool{}
	for _, c := range rep.Capabilities {
		declared[c] = true
	}
	b.WriteString("\n| clause | title | level | status | checks | note |\n|---|---|---|---|---|---|\n")
	for _, cl := range rep.Clauses {
		note := ""
		if cl.Scope == "driver" && !declared[cl.ID] {
			note = "declared unsupported"
			if why := unsupported[cl.ID]; why != "" {
				note += ": " + why
			}
			if cl.Status == Skip {
				note += " (the 501 was proven)"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s |\n", cl.ID, cell(cl.Title), cl.Level, cl.Status, len(cl.Checks), cell(note))
	}
	var failed, noted []CheckResult
	for _, c := range rep.Checks {
		switch {
		case c.Status == Fail || c.Status == Error:
			failed = append(failed, c)
		case c.Status == Pass && c.Message != "":
			noted = append(noted, c)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n## Failures\n\n")
		for _, c := range failed {
			fmt.Fprintf(&b, "- **%s** %s: %s\n", c.Status, c.ID, cell(c.Message))
		}
	}
	if len(noted) > 0 {
		b.WriteString("\n## Passed, with what could not be judged\n\n")
		for _, c := range noted {
			fmt.Fprintf(&b, "- %s: %s\n", c.ID, cell(c.Message))
		}
	}
	if len(rep.Leaks) > 0 {
		b.WriteString("\n## Leaked\n\n")
		for _, l := range rep.Leaks {
			fmt.Fprintf(&b, "- %s\n", cell(l))
		}
	}
	if len(rep.Latency) > 0 {
		b.WriteString("\n## Latency per operation\n\n| operation | calls | p50 | p95 |\n|---|---|---|---|\n")
		for _, l := range rep.Latency {
			fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", l.Op, l.Calls, l.P50.Round(1e5), l.P95.Round(1e5))
		}
	}
	return b.Bytes(), nil
}

// WriteMarkdown writes the run's Markdown report (redacted like the others)
// to path; unsupported gives the driver's reason for each clause it does
// not declare.
func WriteMarkdown(rep *Report, path string, unsupported map[core.Clause]string) error {
	b, err := reportMarkdown(scrubReport(rep), unsupported)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}
