// Package registry is the adapter's record of every resource it manages and
// of every create it was asked for.
//
// A Resource row says which datacenter holds an id and which project owns
// it, so GET /v1/{project}/servers/{id} needs no datacenter from the client
// and an id of another project is a 404. Rows are kept in memory as well as
// in the database, so the ownership check on every request costs a map
// lookup; one adapter process owns the registry (several processes come with
// the scale-out issue).
//
// An Intent is written before a create reaches the driver. Its token is the
// driver's client token and a tag on the cloud resource, so a create cut
// short by a crash or a timeout is found and adopted by the reconciler, never
// made twice; the same row answers an Idempotency-Key replay.
//
//	reg, _ := registry.Open(ctx, db)
//	in, replay, _ := reg.BeginCreate(ctx, registry.Intent{ProjectID: p, UserID: u,
//		Type: core.TypeServer, DatacenterID: "dc1", IdempotencyKey: key, RequestHash: h})
//	if replay { /* answer in.ResponseCode, in.Response */ }
//	srv, err := driver.CreateServer(ctx, core.ServerCreate{CreateMeta: core.CreateMeta{ClientToken: in.Token}, …})
//	_ = reg.FinishCreate(ctx, in.Token, registry.Resource{Type: core.TypeServer, ID: srv.ID, …}, 202, body)
package registry
