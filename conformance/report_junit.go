package conformance

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// The JUnit schema as CI servers read it: one testsuite, one testcase per
// check, the clause both as classname (CI groups by it) and as a property.
type junitSuite struct {
	XMLName    xml.Name        `xml:"testsuite"`
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitProblem   `xml:"failure,omitempty"`
	Error      *junitProblem   `xml:"error,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func reportJUnit(rep *Report) ([]byte, error) {
	s := junitSuite{
		Name:      fmt.Sprintf("gisiaas conformance: %s %s (%s)", rep.Driver, rep.DriverVersion, rep.Target),
		Time:      seconds(rep.Duration),
		Timestamp: rep.Started.UTC().Format(time.RFC3339),
		Properties: []junitProperty{
			{"target", rep.Target}, {"driver", rep.Driver}, {"driver_version", rep.DriverVersion},
			{"suite_commit", rep.SuiteCommit}, {"spec_sha256", rep.SpecSHA256},
			{"run_id", rep.RunID}, {"seed", fmt.Sprint(rep.Seed)},
			{"capabilities", joinClauses(rep)},
		},
	}
	for _, c := range rep.Checks {
		tc := junitCase{Name: c.ID, Classname: string(c.Clause), Time: seconds(c.Duration),
			Properties: []junitProperty{{"clause", string(c.Clause)}}}
		switch c.Status {
		case Fail:
			tc.Failure = &junitProblem{Message: c.Message, Type: string(Fail), Body: evidence(c)}
			s.Failures++
		case Error:
			tc.Error = &junitProblem{Message: c.Message, Type: string(Error), Body: evidence(c)}
			s.Errors++
		case Skip:
			tc.Skipped = &junitSkipped{Message: c.Message}
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
	}
	// A clause no check ran for is still a row, so nothing is silently absent.
	for _, cl := range rep.Clauses {
		if cl.Status != NotTested {
			continue
		}
		s.Cases = append(s.Cases, junitCase{Name: string(cl.ID) + "/not tested", Classname: string(cl.ID), Time: seconds(0),
			Properties: []junitProperty{{"clause", string(cl.ID)}},
			Skipped:    &junitSkipped{Message: fmt.Sprintf("%s %s: not tested against target %s", cl.ID, cl.Title, rep.Target)}})
		s.Skipped++
	}
	if len(rep.Leaks) > 0 {
		s.Cases = append(s.Cases, junitCase{Name: "leak check", Classname: "conformance", Time: seconds(0),
			Failure: &junitProblem{Message: fmt.Sprintf("%d resources of the run remain", len(rep.Leaks)), Type: string(Fail),
				Body: strings.Join(rep.Leaks, "\n")}})
		s.Failures++
	}
	s.Tests = len(s.Cases)
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// evidence is a check's message and its (redacted) exchanges as text.
func evidence(c CheckResult) string {
	var b strings.Builder
	b.WriteString(c.Message)
	for _, x := range c.Exchanges {
		fmt.Fprintf(&b, "\n%s (%s)", x.Op, x.Duration)
		if len(x.Request) > 0 {
			fmt.Fprintf(&b, "\n  request:  %s", x.Request)
		}
		if x.Response != "" {
			fmt.Fprintf(&b, "\n  response: %s", x.Response)
		}
		if x.Error != "" {
			fmt.Fprintf(&b, "\n  error:    %s", x.Error)
		}
	}
	return b.String()
}

func joinClauses(rep *Report) string {
	ids := make([]string, len(rep.Capabilities))
	for i, c := range rep.Capabilities {
		ids[i] = string(c)
	}
	return strings.Join(ids, " ")
}
