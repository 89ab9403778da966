// Package conformance proves, clause by clause, that a driver or a whole
// deployment meets the standard (docs/spec.md), and prints a report a
// vendor can publish.
//
// The clause list is clauses.yaml, embedded; every check declares the
// clause it proves and the capability it needs. A clause the target does
// not declare is still called, and must answer unsupported (SKIP, proven);
// a declared clause answering unsupported, or one that works while declared
// absent, is a FAIL. Every resource a run creates carries the run tag; a
// final leak check fails the run if any remain, and Sweep deletes only
// tagged leftovers.
//
// Three targets run the same checks under the same IDs: a core.Driver in
// process (RunDriver, from go test), a plugin binary over go-plugin gRPC
// (gisiaas conformance driver), and a deployment over HTTP(S) (gisiaas
// conformance http), which adds the HTTP-only checks.
//
//	func TestConformance(t *testing.T) {
//		d, _ := sim.New(sim.TestConfig())
//		conformance.RunDriver(t, d)
//	}
package conformance
