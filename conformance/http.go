package conformance

// HTTPTarget is raw access to an HTTP deployment, for the checks only the
// HTTP API can prove (authentication, A.0.x, pagination, idempotency keys,
// isolation between two projects). Its fields and the HTTP driver are in
// httpdriver.go.
type HTTPTarget struct {
	rec *Recorder
}

func (h *HTTPTarget) recorder() *Recorder {
	if h == nil {
		return nil
	}
	return h.rec
}
