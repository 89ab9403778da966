package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// Alert kinds (Alert.Kind) and the account states they enter
// (billing_accounts.alert_state).
const (
	AlertLowBalance = "low_balance"
	AlertArrears    = "arrears"

	alertStateOK      = "ok"
	alertStateLow     = "low"
	alertStateArrears = "arrears"
)

// alertRank orders the states: an alert fires only on a move to a worse one.
var alertRank = map[string]int{alertStateOK: 0, alertStateLow: 1, alertStateArrears: 2}

// webhookTimeout bounds one webhook delivery.
const webhookTimeout = 5 * time.Second

// webhookClient posts alerts. It follows no redirect: a webhook answers
// where it was set, or the delivery failed.
var webhookClient = &http.Client{
	Timeout:       webhookTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// CheckAlerts computes department's account and, when its balance has
// crossed into low (below its threshold) or arrears (not positive) since
// the last check, records the new state, hands the Alert to the service's
// alerts function and POSTs it as JSON to the department's webhook, if any,
// without waiting for the delivery. Moving back up records the better state
// silently, so the next crossing alerts again. Concurrent checks alert once:
// only the one that changes the stored state alerts.
func (s *Service) CheckAlerts(ctx context.Context, departmentID string) error {
	a, err := s.account(ctx, departmentID)
	if err != nil {
		return err
	}
	state := alertStateOK
	switch {
	case a.balance.Sign() <= 0:
		state = alertStateArrears
	case a.threshold != nil && a.balance.Cmp(a.threshold) < 0:
		state = alertStateLow
	}
	if state == a.alertState {
		return nil
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE billing_accounts SET alert_state = ? WHERE department_id = ? AND alert_state = ?`),
		state, departmentID, a.alertState)
	if err != nil {
		return dbErr("CheckAlerts", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr("CheckAlerts", err)
	} else if n != 1 || alertRank[state] <= alertRank[a.alertState] {
		return nil
	}
	al := Alert{DepartmentID: departmentID, Kind: AlertArrears, Balance: a.Balance, Currency: a.Currency.Code, Time: a.AsOf}
	if state == alertStateLow {
		al.Kind = AlertLowBalance
	}
	if a.LowBalanceThreshold != nil {
		al.Threshold = *a.LowBalanceThreshold
	}
	s.alerts(al)
	if a.webhookURL != "" {
		go s.postAlert(a.webhookURL, al)
	}
	return nil
}

// postAlert delivers al to a webhook, once; a failure is logged (the alert
// also went to the event bus).
func (s *Service) postAlert(target string, al Alert) {
	host := target
	if u, err := url.Parse(target); err == nil {
		host = u.Host // the path may hold a secret token: not logged
	}
	body, err := json.Marshal(al)
	if err != nil {
		s.log.Error("billing alert webhook: encode", "department", al.DepartmentID, "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		s.log.Warn("billing alert webhook: bad URL", "department", al.DepartmentID, "host", host, "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gisiaas-billing")
	resp, err := webhookClient.Do(req)
	if err != nil {
		s.log.Warn("billing alert webhook: delivery failed", "department", al.DepartmentID, "host", host, "kind", al.Kind, "error", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		s.log.Warn("billing alert webhook: refused", "department", al.DepartmentID, "host", host, "kind", al.Kind, "status", resp.StatusCode)
	}
}

// checkOpenAccounts runs CheckAlerts for every department with a resource
// still open: only those can be charged between two events.
func (s *Service) checkOpenAccounts(ctx context.Context) error {
	var depts []string
	if err := s.db.SelectContext(ctx, &depts, `SELECT DISTINCT r.department_id FROM billing_resources r
		JOIN billing_accounts a ON a.department_id = r.department_id WHERE r.open ORDER BY r.department_id`); err != nil {
		return dbErr("RunAlerts", err)
	}
	for _, d := range depts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := s.CheckAlerts(ctx, d); err != nil && core.KindOf(err) != core.NotFound {
			s.log.Warn("billing alerts: check failed", "department", d, "error", err)
		}
	}
	return nil
}

// RunAlerts checks the alerts of every department with open resources now
// and then every every (a minute when not positive), until ctx ends, so a
// balance that runs low between two events still alerts.
func (s *Service) RunAlerts(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.checkOpenAccounts(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("billing alerts", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
