package adapter

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// ErrorBody is the error shape of SPEC A.0.3, the billing manual's:
// {"error": {"code": 404, "title": "Not Found", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// titles overrides http.StatusText where the kind says more than the status.
var titles = map[core.Kind]string{
	core.QuotaExceeded: "Quota Exceeded",
}

// ErrorFor builds the body for err: its kind decides the status (one status
// per kind on every driver); an unclassified error is a 500 whose message
// does not leak internals.
func ErrorFor(err error) ErrorBody {
	// Billing's refusal of a create has no core kind: it is 402 (BL.11).
	var pay *billing.PaymentRequiredError
	if errors.As(err, &pay) {
		return ErrorBody{Error: ErrorDetail{Code: http.StatusPaymentRequired, Title: http.StatusText(http.StatusPaymentRequired), Message: pay.Message}}
	}
	kind := core.KindOf(err)
	status := kind.HTTPStatus()
	title := titles[kind]
	if title == "" {
		title = http.StatusText(status)
	}
	msg := core.MessageOf(err)
	var ce *core.Error
	switch {
	case !errors.As(err, &ce):
		msg = "internal error"
	case ownMessage(err) == "" && (kind == core.Unavailable || kind == core.Internal):
		// A wrapped cause (a database's or a library's text) can name
		// tables, hosts and ports: the client gets the kind, the log the cause.
		msg = map[core.Kind]string{core.Unavailable: "the service is temporarily unavailable; retry later",
			core.Internal: "internal error"}[kind]
	}
	return ErrorBody{Error: ErrorDetail{Code: status, Title: title, Message: msg}}
}

// WriteError writes err as an A.0.3 body with its status.
func WriteError(w http.ResponseWriter, err error) {
	body := ErrorFor(err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	var re *retryError
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(re.after.Seconds()))))
	}
	w.WriteHeader(body.Error.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// ownMessage is the first message a core.Error in err's chain states
// itself, "" if none does (only wrapped causes).
func ownMessage(err error) string {
	for err != nil {
		var ce *core.Error
		if !errors.As(err, &ce) {
			return ""
		}
		if ce.Message != "" {
			return ce.Message
		}
		err = ce.Err
	}
	return ""
}
