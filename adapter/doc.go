// Package adapter is the HTTP API of gisiaas: authentication, identity,
// validation, ownership, dispatch to the datacenters' drivers, the
// reconciler and the event stream.
//
// This first part holds what every route shares: the error body of SPEC
// A.0.3 and the request id of SPEC A.0.2.
//
//	h := adapter.RequestID(mux)          // every response carries X-Request-Id
//	...
//	adapter.WriteError(w, r, err)         // {"error":{"code":404,"title":"Not Found","message":"…"}}
package adapter
