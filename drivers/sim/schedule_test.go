package sim

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// schRun is one run of a test transition.
type schRun struct {
	id     string
	at     time.Time // the simulator's time when it ran
	locked bool      // d.mu was held, as the contract says
	d      *Driver
}

// schRecorder records the runs of a test-only transition kind.
type schRecorder struct {
	mu   sync.Mutex
	runs []schRun
}

func (r *schRecorder) get() []schRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]schRun(nil), r.runs...)
}

func (r *schRecorder) ids() string {
	var ids []string
	for _, x := range r.get() {
		ids = append(ids, x.id)
	}
	return strings.Join(ids, ",")
}

// schRegister registers transition kind for this test only.
func schRegister(t *testing.T, kind string) *schRecorder {
	t.Helper()
	rec := &schRecorder{}
	transitions[kind] = func(d *Driver, id string) {
		locked := !d.mu.TryLock()
		if !locked {
			d.mu.Unlock()
		}
		rec.mu.Lock()
		rec.runs = append(rec.runs, schRun{id: id, at: d.now(), locked: locked, d: d})
		rec.mu.Unlock()
	}
	t.Cleanup(func() { delete(transitions, kind) })
	return rec
}

// schDo runs f with d.mu held, as an operation does.
func schDo(d *Driver, f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
}

func TestSchedule_ZeroLatencyRunsInline(t *testing.T) {
	d := newTestDriver(t)
	rec := schRegister(t, "test.x")
	schDo(d, func() {
		d.schedule("test.x", "a")
		// Inline: done before the operation returns.
		if runs := rec.get(); len(runs) != 1 || runs[0].id != "a" || !runs[0].locked || runs[0].d != d {
			t.Fatalf("runs %+v", runs)
		}
		d.scheduleAfter("test.x", "b", -time.Second)
		if len(d.st.Pending) != 0 || len(d.timers) != 0 {
			t.Fatalf("pending %v timers %d", d.st.Pending, len(d.timers))
		}
	})
	if rec.ids() != "a,b" {
		t.Fatalf("ran %s", rec.ids())
	}
}

func TestSchedule_ManualClockRunsOnlyAfterAdvance(t *testing.T) {
	d, clock := newManualDriver(t, time.Second, func(c *Config) {
		c.Latencies = map[string]Duration{"test.slow": Duration(5 * time.Second), "test.now": 0}
	})
	x := schRegister(t, "test.x")
	slow := schRegister(t, "test.slow")
	now := schRegister(t, "test.now")
	start := clock.Now()
	schDo(d, func() {
		d.schedule("test.x", "a")
		d.schedule("test.slow", "b")
		d.schedule("test.now", "c") // its own latency is zero: inline
		if p := d.st.Pending["test.x/a"]; p.Kind != "test.x" || p.ID != "a" || !p.Due.Equal(start.Add(time.Second)) {
			t.Errorf("pending %+v", p)
		}
	})
	if now.ids() != "c" || x.ids() != "" || slow.ids() != "" {
		t.Fatalf("before Advance: now %q x %q slow %q", now.ids(), x.ids(), slow.ids())
	}
	clock.Advance(999 * time.Millisecond)
	if x.ids() != "" {
		t.Fatal("ran before its latency")
	}
	clock.Advance(time.Millisecond)
	runs := x.get()
	if len(runs) != 1 || runs[0].id != "a" || !runs[0].at.Equal(start.Add(time.Second)) || !runs[0].locked {
		t.Fatalf("runs %+v", runs)
	}
	clock.Advance(3999 * time.Millisecond)
	if slow.ids() != "" {
		t.Fatal("test.slow ran before its own latency")
	}
	clock.Advance(time.Millisecond)
	if slow.ids() != "b" || x.ids() != "a" {
		t.Fatalf("slow %q x %q", slow.ids(), x.ids())
	}
	schDo(d, func() {
		if len(d.st.Pending) != 0 || len(d.timers) != 0 {
			t.Fatalf("left pending %v, %d timers", d.st.Pending, len(d.timers))
		}
	})
}

func TestSchedule_CancelPreventsRun(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	rec := schRegister(t, "test.x")
	schDo(d, func() {
		d.schedule("test.x", "a")
		d.schedule("test.x", "b")
		d.cancel("test.x", "a")
		d.cancel("test.x", "never-scheduled") // harmless
	})
	if clock.Pending() != 1 {
		t.Fatalf("the cancelled timer is still armed: %d pending", clock.Pending())
	}
	clock.Advance(time.Hour)
	if rec.ids() != "b" {
		t.Fatalf("ran %q, want b only", rec.ids())
	}
}

func TestSchedule_RescheduleReplacesTheTimer(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	rec := schRegister(t, "test.x")
	start := clock.Now()
	schDo(d, func() { d.schedule("test.x", "a") })
	clock.Advance(500 * time.Millisecond)
	schDo(d, func() { d.schedule("test.x", "a") }) // due at 1.5s now
	clock.Advance(500 * time.Millisecond)
	if rec.ids() != "" {
		t.Fatal("the replaced timer ran")
	}
	clock.Advance(500 * time.Millisecond)
	clock.Advance(time.Hour)
	runs := rec.get()
	if len(runs) != 1 || !runs[0].at.Equal(start.Add(1500*time.Millisecond)) {
		t.Fatalf("runs %+v", runs)
	}
}

// A timer that has fired but waits for the lock while an operation
// schedules the same transition again must not run the new one early.
func TestSchedule_FiredTimerDoesNotRunItsReplacementEarly(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	rec := schRegister(t, "test.x")
	start := clock.Now()
	schDo(d, func() { d.schedule("test.x", "a") })

	d.mu.Lock()
	done := make(chan struct{})
	go func() { clock.Advance(time.Second); close(done) }()
	for clock.Pending() != 0 { // the clock has taken the timer; its function waits for d.mu
		runtime.Gosched()
	}
	d.scheduleAfter("test.x", "a", 10*time.Second) // e.g. the action was restarted
	d.mu.Unlock()
	<-done
	if runs := rec.get(); len(runs) != 0 {
		t.Errorf("the replacement, due at +11s, ran at +%v", runs[0].at.Sub(start))
	}
	clock.Advance(10 * time.Second)
	runs := rec.get()
	if len(runs) != 1 || !runs[len(runs)-1].at.Equal(start.Add(11*time.Second)) {
		t.Fatalf("runs %+v, want one at +11s", runs)
	}
}

func TestSchedule_CloseStopsTimers(t *testing.T) {
	d, clock := newManualDriver(t, time.Second)
	rec := schRegister(t, "test.x")
	schDo(d, func() { d.schedule("test.x", "a") })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if clock.Pending() != 0 {
		t.Fatalf("%d timers still armed after Close", clock.Pending())
	}
	clock.Advance(time.Hour)
	if rec.ids() != "" {
		t.Fatal("a transition ran after Close")
	}
	schDo(d, func() {
		if _, ok := d.st.Pending["test.x/a"]; !ok {
			t.Fatal("Close dropped the pending transition; a restart could not resume it")
		}
	})
}

func TestSchedule_UnknownKindPanics(t *testing.T) {
	d := newTestDriver(t)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "test.unregistered") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	schDo(d, func() { d.schedule("test.unregistered", "a") })
}

// schPersistent is a driver keeping its state in path, on clock.
func schPersistent(t *testing.T, path string, clock *ManualClock) *Driver {
	t.Helper()
	cfg := TestConfig()
	cfg.StatePath = path
	cfg.Latency = Duration(time.Second)
	d, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestSchedule_ResumesAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := NewManualClock(clkStart)
	rec := schRegister(t, "test.x")
	d1 := schPersistent(t, path, clock)
	schDo(d1, func() {
		d1.scheduleAfter("test.x", "due", time.Second)
		d1.scheduleAfter("test.x", "later", 5*time.Second)
		if err := d1.commit(); err != nil {
			t.Fatal(err)
		}
	})
	_ = d1.Close()
	clock.Advance(2 * time.Second) // the cloud is down for 2s

	d2 := schPersistent(t, path, clock)
	runs := rec.get()
	if len(runs) != 1 || runs[0].id != "due" || runs[0].d != d2 || !runs[0].at.Equal(clkStart.Add(2*time.Second)) {
		t.Fatalf("after New: %+v; want the due one run at once by the new driver", runs)
	}
	clock.Advance(2999 * time.Millisecond)
	if rec.ids() != "due" {
		t.Fatalf("the later one ran early: %s", rec.ids())
	}
	clock.Advance(time.Millisecond)
	runs = rec.get()
	if len(runs) != 2 || runs[1].id != "later" || !runs[1].at.Equal(clkStart.Add(5*time.Second)) || !runs[1].locked {
		t.Fatalf("runs %+v", runs)
	}
	// The timer's run was saved: nothing is pending in the file.
	st, err := loadState(path)
	if err != nil || len(st.Pending) != 0 {
		t.Fatalf("file pending %v, %v", st.Pending, err)
	}
}

// Transitions that fell due while the cloud was down run in the order they
// fell due, as the clock would have run them.
func TestSchedule_ResumeRunsDueTransitionsInDueOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := NewManualClock(clkStart)
	rec := schRegister(t, "test.x")
	d1 := schPersistent(t, path, clock)
	var want []string
	schDo(d1, func() {
		for i := 16; i >= 1; i-- {
			d1.scheduleAfter("test.x", fmt.Sprintf("t%02d", i), time.Duration(i)*time.Second)
		}
		if err := d1.commit(); err != nil {
			t.Fatal(err)
		}
	})
	for i := 1; i <= 16; i++ {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	_ = d1.Close()
	clock.Advance(time.Minute)
	schPersistent(t, path, clock)
	if got := rec.ids(); got != strings.Join(want, ",") {
		t.Fatalf("resumed in the order\n%s\nwant\n%s", got, strings.Join(want, ","))
	}
}

// A due transition run during New is saved as done: a second restart does
// not run it again.
func TestSchedule_ResumedTransitionRunsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := NewManualClock(clkStart)
	rec := schRegister(t, "test.x")
	d1 := schPersistent(t, path, clock)
	schDo(d1, func() {
		d1.scheduleAfter("test.x", "a", time.Second)
		_ = d1.commit()
	})
	_ = d1.Close()
	clock.Advance(2 * time.Second)
	d2 := schPersistent(t, path, clock)
	if rec.ids() != "a" {
		t.Fatalf("after the first restart: %q", rec.ids())
	}
	_ = d2.Close() // no operation in between
	if st, err := loadState(path); err != nil || len(st.Pending) != 0 {
		t.Errorf("the file still lists %v as pending (%v)", st.Pending, err)
	}
	schPersistent(t, path, clock)
	if rec.ids() != "a" {
		t.Fatalf("after the second restart the transition ran again: %q", rec.ids())
	}
}

func TestSchedule_ResumeDropsUnknownKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clock := NewManualClock(clkStart)
	schRegister(t, "test.gone")
	d1 := schPersistent(t, path, clock)
	schDo(d1, func() {
		d1.scheduleAfter("test.gone", "a", time.Second)
		_ = d1.commit()
	})
	_ = d1.Close()
	delete(transitions, "test.gone") // a newer build no longer has it
	d2 := schPersistent(t, path, clock)
	schDo(d2, func() {
		if len(d2.st.Pending) != 0 || len(d2.timers) != 0 {
			t.Fatalf("pending %v", d2.st.Pending)
		}
	})
	clock.Advance(time.Hour) // and nothing panics later
}
