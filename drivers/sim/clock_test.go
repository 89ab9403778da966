package sim

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

var clkStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestClock_ManualRunsTimersInTimeOrder(t *testing.T) {
	c := NewManualClock(clkStart)
	type run struct {
		name string
		at   time.Duration // the clock's time inside the callback, from the start
	}
	var runs []run
	add := func(name string, d time.Duration) {
		c.AfterFunc(d, func() { runs = append(runs, run{name, c.Now().Sub(clkStart)}) })
	}
	add("3s", 3*time.Second)
	add("1s", time.Second)
	add("2s-first", 2*time.Second)
	add("2s-second", 2*time.Second) // equal times run in registration order
	add("5s", 5*time.Second)
	if c.Pending() != 5 {
		t.Fatalf("Pending = %d, want 5", c.Pending())
	}

	c.Advance(2500 * time.Millisecond)
	want := []run{{"1s", time.Second}, {"2s-first", 2 * time.Second}, {"2s-second", 2 * time.Second}}
	if !reflect.DeepEqual(runs, want) {
		t.Fatalf("after 2.5s ran %v, want %v", runs, want)
	}
	if c.Pending() != 2 || !c.Now().Equal(clkStart.Add(2500*time.Millisecond)) {
		t.Fatalf("Pending %d, Now %v", c.Pending(), c.Now())
	}
	c.Advance(500 * time.Millisecond) // exactly due: runs
	if len(runs) != 4 || runs[3] != (run{"3s", 3 * time.Second}) || c.Pending() != 1 {
		t.Fatalf("at 3s: %v, pending %d", runs, c.Pending())
	}
	c.Advance(time.Hour)
	if len(runs) != 5 || runs[4] != (run{"5s", 5 * time.Second}) || c.Pending() != 0 {
		t.Fatalf("at the end: %v, pending %d", runs, c.Pending())
	}
	if !c.Now().Equal(clkStart.Add(time.Hour + 3*time.Second)) {
		t.Fatalf("Now %v", c.Now())
	}
}

// A timer set by a timer runs in the same Advance when it falls due before
// the target, counted from the time of the timer that set it.
func TestClock_ManualRunsTimersSetByTimers(t *testing.T) {
	c := NewManualClock(clkStart)
	var order []string
	c.AfterFunc(time.Second, func() {
		order = append(order, "a@1s")
		c.AfterFunc(time.Second, func() {
			order = append(order, "b@2s")
			c.AfterFunc(0, func() { order = append(order, "c@2s") })
			c.AfterFunc(10*time.Second, func() { order = append(order, "d@12s") })
		})
	})
	c.AfterFunc(2500*time.Millisecond, func() { order = append(order, "e@2.5s") })
	c.Advance(3 * time.Second)
	if want := []string{"a@1s", "b@2s", "c@2s", "e@2.5s"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("ran %v, want %v", order, want)
	}
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1 (d@12s)", c.Pending())
	}
	c.Advance(8999 * time.Millisecond)
	if len(order) != 4 {
		t.Fatalf("d ran early: %v", order)
	}
	c.Advance(time.Millisecond)
	if len(order) != 5 || order[4] != "d@12s" {
		t.Fatalf("%v", order)
	}
}

func TestClock_ManualStop(t *testing.T) {
	c := NewManualClock(clkStart)
	ran := map[string]int{}
	stopA := c.AfterFunc(time.Second, func() { ran["a"]++ })
	stopB := c.AfterFunc(2*time.Second, func() { ran["b"]++ })
	// A timer may stop another that is due in the same Advance.
	var stopC func() bool
	c.AfterFunc(1500*time.Millisecond, func() { ran["stopper"]++; stopC() })
	stopC = c.AfterFunc(1700*time.Millisecond, func() { ran["c"]++ })

	if !stopA() {
		t.Fatal("stop of a pending timer reported false")
	}
	if stopA() {
		t.Fatal("a second stop reported true")
	}
	if c.Pending() != 3 {
		t.Fatalf("Pending = %d, want 3", c.Pending())
	}
	c.Advance(2 * time.Second)
	if want := map[string]int{"b": 1, "stopper": 1}; !reflect.DeepEqual(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}
	if stopB() {
		t.Fatal("stop of a timer that ran reported true")
	}
	if c.Pending() != 0 {
		t.Fatalf("Pending = %d", c.Pending())
	}
	c.Advance(time.Hour)
	if ran["a"] != 0 || ran["c"] != 0 || ran["b"] != 1 {
		t.Fatalf("ran %v", ran)
	}
}

func TestClock_ManualZeroAdvanceRunsDueTimers(t *testing.T) {
	c := NewManualClock(clkStart)
	n := 0
	c.AfterFunc(0, func() { n++ })
	c.AfterFunc(-time.Second, func() { n++ }) // already past: due now
	if n != 0 {
		t.Fatal("AfterFunc ran its function at once")
	}
	c.Advance(0)
	if n != 2 || c.Pending() != 0 || !c.Now().Equal(clkStart) {
		t.Fatalf("n %d pending %d now %v", n, c.Pending(), c.Now())
	}
}

func TestClock_ManualNowIsUTC(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	c := NewManualClock(time.Date(2026, 5, 1, 8, 0, 0, 0, loc))
	if c.Now().Location() != time.UTC || c.Now().Hour() != 0 {
		t.Fatalf("Now %v", c.Now())
	}
}

// Timers registered from many goroutines while another advances all run once.
func TestClock_ManualConcurrentUse(t *testing.T) {
	c := NewManualClock(clkStart)
	var mu sync.Mutex
	count := 0
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c.AfterFunc(time.Duration(i)*time.Millisecond, func() { mu.Lock(); count++; mu.Unlock() })
				_ = c.Pending()
				_ = c.Now()
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			c.Advance(time.Millisecond)
		}
	}()
	wg.Wait()
	<-done
	c.Advance(time.Hour) // whatever the interleaving, every timer is due now
	if count != 400 || c.Pending() != 0 {
		t.Fatalf("ran %d of 400, %d pending", count, c.Pending())
	}
}

func TestClock_Real(t *testing.T) {
	var c Clock = realClock{}
	if c.Now().Location() != time.UTC {
		t.Fatalf("real clock is not UTC: %v", c.Now())
	}
	stop := c.AfterFunc(time.Hour, func() { t.Error("an hour passed") })
	if !stop() {
		t.Fatal("stop of a pending real timer reported false")
	}
	if stop() {
		t.Fatal("second stop reported true")
	}
}
