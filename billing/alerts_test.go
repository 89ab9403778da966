package billing

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// alertSink receives alerts from the service (the bus) and the webhook.
type alertSink struct {
	mu    sync.Mutex
	bus   []Alert
	hooks chan Alert
	srv   *httptest.Server
}

func newAlertSink(t *testing.T) *alertSink {
	k := &alertSink{hooks: make(chan Alert, 100)}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a Alert
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&a) != nil {
			t.Errorf("webhook: %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		k.hooks <- a
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *alertSink) publish(a Alert) { k.mu.Lock(); k.bus = append(k.bus, a); k.mu.Unlock() }

func (k *alertSink) busAlerts() []Alert {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Alert(nil), k.bus...)
}

// hook waits for the next webhook delivery.
func (k *alertSink) hook(t *testing.T) Alert {
	t.Helper()
	select {
	case a := <-k.hooks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery")
		return Alert{}
	}
}

// noHook fails if a webhook delivery is waiting.
func (k *alertSink) noHook(t *testing.T) {
	t.Helper()
	select {
	case a := <-k.hooks:
		t.Fatalf("unexpected webhook delivery: %+v", a)
	default:
	}
}

// TestAlertsOncePerCrossing: low and arrears alert once each, on the bus
// and the webhook; checking again does not repeat them; a recharge resets
// the state silently so the next crossing alerts again.
func TestAlertsOncePerCrossing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Set(acctStart)
		sink := newAlertSink(t)
		s, err := New(ctx, db, d, WithClock(clock.Now), WithAlerts(sink.publish))
		if err != nil {
			t.Fatal(err)
		}
		acctPrices(t, s, map[string]string{ItemServerFlavorPrefix + "acct": "36"})
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recharge(ctx, "d1", "100", "", "admin"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLowBalance(ctx, "d1", strp("50"), sink.srv.URL+"/hook/secret"); err != nil {
			t.Fatal(err)
		}
		acctServer(t, s, "d1", "srv1", "ACTIVE", acctStart)
		check := func() {
			t.Helper()
			if err := s.CheckAlerts(ctx, "d1"); err != nil {
				t.Fatal(err)
			}
		}
		check() // 100: ok
		clock.Set(acctStart.Add(90 * time.Minute))
		// Concurrent checks at the crossing alert once.
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.CheckAlerts(ctx, "d1"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if a := sink.hook(t); a.Kind != AlertLowBalance || a.Balance != "46.00" || a.Threshold != "50.00" || a.Currency != "USD" || a.DepartmentID != "d1" || !a.Time.Equal(clock.Now()) {
			t.Fatalf("low: %+v", a)
		}
		check() // still low: nothing
		clock.Set(acctStart.Add(3 * time.Hour))
		check() // 100 − 108 = −8: arrears
		if a := sink.hook(t); a.Kind != AlertArrears || a.Balance != "-8.00" {
			t.Fatalf("arrears: %+v", a)
		}
		check()
		if _, err := s.Recharge(ctx, "d1", "200", "", "admin"); err != nil {
			t.Fatal(err)
		}
		check() // 192: back to ok, silently
		clock.Set(acctStart.Add(7 * time.Hour))
		check() // 300 − 252 = 48: low again
		if a := sink.hook(t); a.Kind != AlertLowBalance || a.Balance != "48.00" {
			t.Fatalf("low again: %+v", a)
		}
		bus := sink.busAlerts()
		if len(bus) != 3 || bus[0].Kind != AlertLowBalance || bus[1].Kind != AlertArrears || bus[2].Kind != AlertLowBalance {
			t.Fatalf("bus: %+v", bus)
		}
		sink.noHook(t)
	})
}

// TestRunAlerts: the loop alerts between events for departments with open
// resources.
func TestRunAlerts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clock := newTestClock()
		clock.Set(acctStart)
		sink := newAlertSink(t)
		s, err := New(ctx, db, d, WithClock(clock.Now), WithAlerts(sink.publish))
		if err != nil {
			t.Fatal(err)
		}
		acctPrices(t, s, map[string]string{ItemServerFlavorPrefix + "acct": "36"})
		for _, dept := range []string{"d1", "idle"} {
			if err := s.CreateAccount(ctx, dept); err != nil {
				t.Fatal(err)
			}
			if err := s.SetLowBalance(ctx, dept, nil, sink.srv.URL); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Recharge(ctx, "d1", "10", "", "admin"); err != nil {
			t.Fatal(err)
		}
		acctServer(t, s, "d1", "srv1", "ACTIVE", acctStart)
		clock.Set(acctStart.Add(time.Hour)) // 10 − 36: arrears, with no event since
		done := make(chan struct{})
		go func() { s.RunAlerts(ctx, 10*time.Millisecond); close(done) }()
		if a := sink.hook(t); a.Kind != AlertArrears || a.DepartmentID != "d1" {
			t.Fatalf("alert: %+v", a)
		}
		cancel()
		<-done
		// "idle" (balance 0, no open resource) was never checked.
		var state string
		if err := db.GetContext(context.Background(), &state, db.Rebind(`SELECT alert_state FROM billing_accounts WHERE department_id = ?`), "idle"); err != nil || state != alertStateOK {
			t.Fatalf("idle: %q %v", state, err)
		}
	})
}

// TestWebhookFailureDoesNotBlock: an unreachable webhook neither fails nor
// delays CheckAlerts, and the alert still reaches the bus.
func TestWebhookFailureDoesNotBlock(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqlx.DB, d Dialect) {
		ctx := context.Background()
		sink := newAlertSink(t)
		s, err := New(ctx, db, d, WithClock(newTestClock().Now), WithAlerts(sink.publish))
		if err != nil {
			t.Fatal(err)
		}
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close()
		if err := s.CreateAccount(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLowBalance(ctx, "d1", nil, deadURL); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckAlerts(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
		if bus := sink.busAlerts(); len(bus) != 1 || bus[0].Kind != AlertArrears || bus[0].Balance != "0.00" {
			t.Fatalf("bus: %+v", bus)
		}
	})
}
