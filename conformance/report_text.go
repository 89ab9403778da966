package conformance

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// verdict is the run's one word: PASS when the target conforms (Passed).
func verdict(rep *Report) Status {
	if rep.Passed() {
		return Pass
	}
	return Fail
}

// clauseCounts counts clauses per status, best first, leaving out zeros.
func clauseCounts(rep *Report) []statusCount {
	n := map[Status]int{}
	for _, c := range rep.Clauses {
		n[c.Status]++
	}
	var out []statusCount
	for _, s := range []Status{Pass, Skip, NotTested, Fail, Error} {
		if n[s] > 0 {
			out = append(out, statusCount{s, n[s]})
		}
	}
	return out
}

// WriteSummary prints the run for a terminal: one line per section and per
// clause, what failed and why (redacted, without the exchanges the reports
// carry), the leaks, the counts and the verdict.
func WriteSummary(w io.Writer, rep *Report) {
	rep = scrubReport(rep)
	fmt.Fprintf(w, "gisiaas conformance: %s %s (target %s), run %s, seed %d\n", rep.Driver, rep.DriverVersion, rep.Target, rep.RunID, rep.Seed)
	sections := map[string]Status{}
	for _, s := range rep.Sections {
		sections[s.Section] = s.Status
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	last := ""
	for _, cl := range rep.Clauses {
		if cl.Section != last {
			fmt.Fprintf(tw, "%s\t%s\tsection\n", cl.Section, sections[cl.Section])
			last = cl.Section
		}
		n := fmt.Sprintf("%d checks", len(cl.Checks))
		if len(cl.Checks) == 1 {
			n = "1 check"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s (%s, %s)\n", cl.ID, cl.Status, cl.Title, cl.Level, n)
	}
	tw.Flush()
	failed := false
	for _, c := range rep.Checks {
		if c.Status != Fail && c.Status != Error {
			continue
		}
		if !failed {
			fmt.Fprintln(w, "\nfailures:")
			failed = true
		}
		fmt.Fprintf(w, "  %s %s: %s\n", c.Status, c.ID, oneLine(c.Message))
	}
	noted := false
	for _, c := range rep.Checks {
		if c.Status != Pass || c.Message == "" {
			continue
		}
		if !noted {
			fmt.Fprintln(w, "\npassed, with what could not be judged:")
			noted = true
		}
		fmt.Fprintf(w, "  %s: %s\n", c.ID, oneLine(c.Message))
	}
	if len(rep.Leaks) > 0 {
		fmt.Fprintf(w, "\nleaked (still there after every cleanup; gisiaas conformance ... --sweep deletes them):\n")
		for _, l := range rep.Leaks {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	var counts []string
	for _, c := range clauseCounts(rep) {
		counts = append(counts, fmt.Sprintf("%d %s", c.N, c.Status))
	}
	fmt.Fprintf(w, "\n%d clauses: %s; %d checks in %s\n", len(rep.Clauses), strings.Join(counts, ", "), len(rep.Checks), rep.Duration.Round(1e6))
	fmt.Fprintf(w, "%s\n", verdict(rep))
}

// oneLine keeps a message on one terminal line (a panic's stack stays in
// the reports).
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}
