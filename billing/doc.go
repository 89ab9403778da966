// Package billing meters lifecycle events per second and bills departments
// from prepaid accounts (SPEC Part B): pricing templates and price lists
// over time, recharges and recharge codes, live balances, and bills.
//
// It consumes normalized core.Event values — with the owning department —
// and knows no driver, no transport and no HTTP. The adapter mounts its
// routes and feeds it from the event bus.
//
// Rating is a pure function (Rate) of a resource's state timeline and its
// department's price history: each interval between two state changes is
// split at every price list's effective time and priced per second, exactly
// (apd decimals; amounts kept ×3600 so nothing is divided before the bill).
// The ledger posts those segments incrementally, once per event (the event
// id is the dedup key, forever); a late event posts adjustment segments that
// reconcile the resource with what Rate says from its whole history. A bill
// is the sum of segments over a window, rounded once per line, half-even, to
// the currency's minor unit, with the residual carried to the next line
// (RoundLines), so the lines sum exactly to the total. Rebuild re-derives
// any period from the event log and equals what was posted.
//
//	svc, _ := billing.New(ctx, db, billing.SQLite)
//	_ = svc.Record(ctx, []billing.Event{{Event: ev, DepartmentID: dept}})
//	bill, _ := svc.Bill(ctx, billing.BillQuery{DepartmentID: dept, From: from, To: to})
package billing
