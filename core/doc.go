// Package core is the domain of gisiaas: one Go type per resource of the
// IaaS standard (SPEC Part A and extensions X.1–X.3), the driver interfaces
// grouped by service, the capability clauses, the portable error kinds, the
// normalized states and the lifecycle events. It imports nothing of ours.
//
// A driver implements Driver. It classifies every failure of its cloud into
// a Kind, maps the cloud's states into the normalized sets of state.go, and
// streams lifecycle events through Watch. An operation it does not offer
// returns an Unsupported error; embedding Unimplemented gives that for free:
//
//	type Driver struct {
//		core.Unimplemented // every operation not written below is Unsupported
//		client *mycloud.Client
//	}
//
//	var _ core.Driver = (*Driver)(nil)
//
//	func (d *Driver) GetServer(ctx context.Context, id string) (core.Server, error) {
//		s, err := d.client.Server(ctx, id)
//		if err != nil {
//			return core.Server{}, classify("GetServer", err) // to a core.Kind
//		}
//		return core.Server{ID: s.ID, Status: core.MapState(serverStates, s.State), NativeStatus: s.State}, nil
//	}
//
// Callers test kinds with errors.Is(err, core.ErrNotFound) or core.KindOf(err).
// Request types validate themselves (ServerCreate.Validate and the like) so
// that every driver refuses bad input with the same InvalidArgument message.
package core
