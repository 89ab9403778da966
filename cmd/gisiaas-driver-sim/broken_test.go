package main

// Proof that the suite can fail: test doubles wrapping the simulator, each
// breaking exactly one thing, make exactly the matching clauses FAIL while
// every other driver clause still passes or is proven unsupported.

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/conformance"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/drivers/sim"
)

func newSim(t *testing.T) core.Driver {
	t.Helper()
	d, err := sim.New(sim.TestConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// lbLiar declares the load balancer clauses (B.3.4.x) absent but serves
// them anyway, as the simulator does.
type lbLiar struct{ core.Driver }

func (l lbLiar) Info(ctx context.Context) (core.DriverInfo, error) {
	info, err := l.Driver.Info(ctx)
	var caps []core.Clause
	for _, c := range info.Capabilities {
		if !strings.HasPrefix(string(c), "B.3.4.") {
			caps = append(caps, c)
		}
	}
	info.Capabilities = caps
	return info, err
}

// wrongKind answers internal, not not_found, for a server id it never saw:
// GetServer of an unknown id. Servers that existed and are gone still get
// the simulator's not_found, so waits for a deletion keep working.
type wrongKind struct {
	core.Driver
	mu   sync.Mutex
	seen map[string]bool
}

func (w *wrongKind) saw(ids ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		w.seen[id] = true
	}
}

func (w *wrongKind) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	s, err := w.Driver.CreateServer(ctx, req)
	if err == nil {
		w.saw(s.ID)
	}
	return s, err
}

func (w *wrongKind) ListServers(ctx context.Context, o core.ListOptions) ([]core.Server, error) {
	ss, err := w.Driver.ListServers(ctx, o)
	for _, s := range ss {
		w.saw(s.ID)
	}
	return ss, err
}

func (w *wrongKind) GetServer(ctx context.Context, id string) (core.Server, error) {
	s, err := w.Driver.GetServer(ctx, id)
	w.mu.Lock()
	known := w.seen[id]
	w.mu.Unlock()
	if core.KindOf(err) == core.NotFound && !known {
		return core.Server{}, core.Errorf(core.Internal, "server %s: lookup failed", id)
	}
	return s, err
}

// noKind omits a required field: datacenters without their kind.
type noKind struct{ core.Driver }

func (n noKind) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	dcs, err := n.Driver.ListDatacenters(ctx)
	for i := range dcs {
		dcs[i].Kind = ""
	}
	return dcs, err
}

// leaky says it deleted a volume and does nothing (an unknown id is still
// not found). It declares a short state timeout, so that the waits for its
// volumes to go end soon: the simulator is instant at latency 0.
type leaky struct{ core.Driver }

func (l leaky) Info(ctx context.Context) (core.DriverInfo, error) {
	info, err := l.Driver.Info(ctx)
	info.StateTimeout = 300 * time.Millisecond
	return info, err
}

func (l leaky) DeleteVolume(ctx context.Context, id string) error {
	if _, err := l.Driver.GetVolume(ctx, id); err != nil {
		return err
	}
	return nil
}

// runBroken runs the whole suite against d and requires exactly the
// clauses want to FAIL; every other driver clause must PASS or SKIP.
func runBroken(t *testing.T, d core.Driver, want ...core.Clause) *conformance.Report {
	t.Helper()
	rep, err := conformance.Run(context.Background(), d, conformance.Options{Target: "driver", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	wanted := core.NewClauseSet(want...)
	checked := core.NewClauseSet()
	for _, c := range conformance.Checks() {
		checked[c.Clause] = struct{}{}
	}
	msgs := map[string]string{}
	for _, c := range rep.Checks {
		if c.Status == conformance.Fail || c.Status == conformance.Error {
			msgs[c.ID] = c.Message
		}
	}
	for _, cl := range rep.Clauses {
		switch {
		case wanted.Has(cl.ID):
			if cl.Status != conformance.Fail {
				t.Errorf("%s %s: %s, want FAIL", cl.ID, cl.Title, cl.Status)
			}
		case cl.Scope != "driver":
			if cl.Status != conformance.NotTested {
				t.Errorf("%s (scope %s): %s against a driver", cl.ID, cl.Scope, cl.Status)
			}
		case !checked.Has(cl.ID):
			t.Logf("%s has no check yet", cl.ID) // the ledger's meta-test fails for it
		case cl.Status != conformance.Pass && cl.Status != conformance.Skip:
			var why []string
			for _, id := range cl.Checks {
				if m, ok := msgs[id]; ok {
					why = append(why, id+": "+m)
				}
			}
			t.Errorf("%s %s: %s, want PASS or SKIP: %s", cl.ID, cl.Title, cl.Status, strings.Join(why, "; "))
		}
	}
	if rep.Passed() {
		t.Errorf("the broken driver passed")
	}
	return rep
}

func TestBrokenDriverLiesAboutACapability(t *testing.T) {
	t.Parallel()
	rep := runBroken(t, lbLiar{newSim(t)}, core.ClauseLBCreate, core.ClauseLBDelete, core.ClauseLBShow,
		core.ClauseLBList, core.ClauseLBAddMember, core.ClauseLBRemoveMember)
	for _, c := range rep.Checks {
		if strings.HasPrefix(string(c.Clause), "B.3.4.") && c.Status == conformance.Fail &&
			!strings.Contains(c.Message, "declared unsupported") && !strings.Contains(c.Message, "works while") {
			t.Errorf("%s: %s", c.ID, c.Message)
		}
	}
}

func TestBrokenDriverWrongErrorKind(t *testing.T) {
	t.Parallel()
	rep := runBroken(t, &wrongKind{Driver: newSim(t), seen: map[string]bool{}}, core.ClauseServerShow)
	found := false
	for _, c := range rep.Checks {
		if c.Clause == core.ClauseServerShow && c.Status == conformance.Fail {
			found = strings.Contains(c.Message, "internal") && strings.Contains(c.Message, "not_found")
			if len(c.Exchanges) == 0 || c.Exchanges[len(c.Exchanges)-1].Op != "GetServer" {
				t.Errorf("%s: the evidence does not show the GetServer call: %+v", c.ID, c.Exchanges)
			}
		}
	}
	if !found {
		t.Errorf("no B.2.1.3 failure names the wrong kind and the right one")
	}
}

func TestBrokenDriverOmitsAField(t *testing.T) {
	t.Parallel()
	runBroken(t, noKind{newSim(t)}, core.ClauseDatacenters)
}

func TestBrokenDriverLeaksAVolume(t *testing.T) {
	t.Parallel()
	rep := runBroken(t, leaky{newSim(t)}, leakyFailures...)
	if len(rep.Leaks) == 0 {
		t.Fatal("the leak check found nothing")
	}
	for _, c := range rep.Checks {
		if c.ID == "B.4.1.2/delete" && (c.Status != conformance.Fail || !strings.Contains(c.Message, "gone")) {
			t.Errorf("%s: %s %s, want a FAIL waiting for the volume to go", c.ID, c.Status, c.Message)
		}
	}
	for _, l := range rep.Leaks {
		if !strings.HasPrefix(l, "volume ") {
			t.Errorf("leaked %s: only volumes should", l)
		}
	}
}

// leakyFailures are the clauses a DeleteVolume that does nothing fails:
// the delete check, and every check that creates a volume, since its
// cleanup waits for the volume to go (a delete that does nothing cannot
// refuse either: X.1's "delete a volume that has a snapshot" succeeds).
var leakyFailures = []core.Clause{core.ClauseVolumeQuota, core.ClauseVolumeCreate, core.ClauseVolumeDelete,
	core.ClauseVolumeShow, core.ClauseVolumeAttach, core.ClauseVolumeDetach, core.ClauseVolumeExtend,
	core.ClauseVolumeSnapshots, core.ClauseVolumeBackups}

// noReplay is the simulator declaring that it cannot replay events.
type noReplay struct{ core.Driver }

func (n noReplay) Info(ctx context.Context) (core.DriverInfo, error) {
	info, err := n.Driver.Info(ctx)
	info.CanReplay = false
	return info, err
}

// TestPassesSayWhatTheyCouldNotJudge: a target that cannot replay events
// still passes the volume create check, and the report says the event part
// was not judged — a pass is never more than it proved.
func TestPassesSayWhatTheyCouldNotJudge(t *testing.T) {
	rep, err := conformance.Run(context.Background(), noReplay{newSim(t)}, conformance.Options{Seed: 3, Run: regexp.MustCompile(`^B\.4\.1\.1/create$`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 1 || rep.Checks[0].Status != conformance.Pass || !strings.Contains(rep.Checks[0].Message, "cannot replay") {
		t.Fatalf("checks: %+v", rep.Checks)
	}
	var out strings.Builder
	conformance.WriteSummary(&out, rep)
	if !strings.Contains(out.String(), "could not be judged") {
		t.Fatalf("summary:\n%s", out.String())
	}
}
