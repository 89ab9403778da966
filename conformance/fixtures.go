package conformance

// Fixtures shared by the checks of every service: what a check needs to
// boot a server (a flavor, an image that fits it, a private network of the
// run's datacenter), servers created, waited for and cleaned up, and small
// assertions and waits every check makes. Everything here works against
// any target (in process, plugin, HTTP): it uses only core.Driver.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// noSuch is an id no target has: Unsupported probes and not-found checks
// use it, so they never touch a real resource.
const noSuch = "conformance-no-such-id-0000"

// Boot is what a server of the run boots with: a flavor, a public active
// image that fits it, and a non-external network of the run's datacenter.
type Boot struct {
	Flavor  core.Flavor
	Image   core.Image
	Network core.Network
}

// sortedFlavors lists the target's flavors, smallest first (vCPUs, then
// memory, then disk): checks boot the cheapest server that works.
func sortedFlavors(ctx context.Context, e *Env) ([]core.Flavor, error) {
	fs, err := e.Driver.ListFlavors(ctx)
	if err != nil {
		return nil, fmt.Errorf("ListFlavors: %w", err)
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.VCPUs != b.VCPUs {
			return a.VCPUs < b.VCPUs
		}
		if a.MemoryMB != b.MemoryMB {
			return a.MemoryMB < b.MemoryMB
		}
		return a.DiskGB < b.DiskGB
	})
	return fs, nil
}

// imageFits reports whether im boots on f from f's own disk.
func imageFits(im core.Image, f core.Flavor) bool {
	return im.MinRAMMB <= f.MemoryMB && im.MinDiskGB <= f.DiskGB
}

// pickImage returns the smallest public active image that fits f.
func pickImage(ctx context.Context, e *Env, f core.Flavor) (core.Image, error) {
	ims, err := e.Driver.ListImages(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	if err != nil {
		return core.Image{}, fmt.Errorf("ListImages: %w", err)
	}
	var best *core.Image
	for i, im := range ims {
		if im.Visibility != core.VisibilityPublic || im.Status != core.ImageActive || !imageFits(im, f) {
			continue
		}
		if best == nil || im.SizeBytes < best.SizeBytes {
			best = &ims[i]
		}
	}
	if best == nil {
		return core.Image{}, fmt.Errorf("no public active image fits flavor %s", f.ID)
	}
	return *best, nil
}

// pickNetwork returns a non-external network of the run's datacenter that
// has a subnet: where the run's servers get their private address.
func pickNetwork(ctx context.Context, e *Env) (core.Network, error) {
	ns, err := e.Driver.ListNetworks(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	if err != nil {
		return core.Network{}, fmt.Errorf("ListNetworks: %w", err)
	}
	for _, n := range ns {
		if !n.External && len(n.Subnets) > 0 && (n.DatacenterID == "" || n.DatacenterID == e.Datacenter) {
			return n, nil
		}
	}
	return core.Network{}, fmt.Errorf("datacenter %s has no private network with a subnet", e.Datacenter)
}

// pickBoot chooses the smallest flavor some public image fits, that image,
// and a private network. Not finding them is the suite's problem (ERROR):
// the target offers nothing to boot, so no server check can be judged.
func pickBoot(ctx context.Context, e *Env) (Boot, error) {
	fs, err := sortedFlavors(ctx, e)
	if err != nil {
		return Boot{}, Broken(err)
	}
	n, err := pickNetwork(ctx, e)
	if err != nil {
		return Boot{}, Broken(err)
	}
	for _, f := range fs {
		if im, err := pickImage(ctx, e, f); err == nil {
			return Boot{Flavor: f, Image: im, Network: n}, nil
		}
	}
	return Boot{}, Broken(fmt.Errorf("no flavor of %d has a public active image that fits it", len(fs)))
}

// largerFlavor returns a flavor other than from that b's image also fits,
// whose disk is not smaller (a disk cannot shrink): the target of a
// resize. The smallest such flavor, to keep the run cheap.
func largerFlavor(ctx context.Context, e *Env, b Boot) (core.Flavor, error) {
	fs, err := sortedFlavors(ctx, e)
	if err != nil {
		return core.Flavor{}, Broken(err)
	}
	for _, f := range fs {
		if f.ID != b.Flavor.ID && f.DiskGB >= b.Flavor.DiskGB && imageFits(b.Image, f) {
			return f, nil
		}
	}
	return core.Flavor{}, Broken(fmt.Errorf("no second flavor to resize %s to", b.Flavor.ID))
}

// serverRequest is the create request of a run's server booting b: tagged
// with the run, named from the seed, on b's network.
func serverRequest(e *Env, b Boot) core.ServerCreate {
	return core.ServerCreate{CreateMeta: e.Meta(), Name: e.Name("srv"), FlavorID: b.Flavor.ID, ImageID: b.Image.ID,
		Networks: []core.NetworkAttachment{{NetworkID: b.Network.ID}}}
}

// startServer creates the server req describes and registers its cleanup
// (delete, then wait until it is gone); it returns the create's answer
// without waiting. Most checks want newServer.
func startServer(ctx context.Context, e *Env, req core.ServerCreate) (core.Server, error) {
	s, err := e.Driver.CreateServer(ctx, req)
	if err != nil {
		return core.Server{}, fmt.Errorf("CreateServer: %w", err)
	}
	if s.ID == "" {
		return core.Server{}, Failf("CreateServer answered no id")
	}
	e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
	return s, nil
}

// newServer boots a run's server (b, or the pick of pickBoot when b is
// nil), with mutate applied to the request, and waits until it is ACTIVE.
// Its cleanup deletes it and waits until it is gone.
func newServer(ctx context.Context, e *Env, b *Boot, mutate func(*core.ServerCreate)) (core.Server, Boot, error) {
	if b == nil {
		pb, err := pickBoot(ctx, e)
		if err != nil {
			return core.Server{}, Boot{}, err
		}
		b = &pb
	}
	req := serverRequest(e, *b)
	if mutate != nil {
		mutate(&req)
	}
	s, err := startServer(ctx, e, req)
	if err != nil {
		return core.Server{}, *b, err
	}
	s, err = waitServer(ctx, e, s.ID, core.ServerActive)
	return s, *b, err
}

// waitServer polls server id until it is in state want; ERROR, or the
// server vanishing, fails at once.
func waitServer(ctx context.Context, e *Env, id string, want core.ServerStatus) (core.Server, error) {
	var s core.Server
	err := e.Eventually(ctx, fmt.Sprintf("server %s to be %s", id, want), func(ctx context.Context) (bool, error) {
		var err error
		s, err = e.Driver.GetServer(ctx, id)
		if err != nil {
			return false, err
		}
		if s.Status == core.ServerError && want != core.ServerError {
			return false, Failf("server %s went to ERROR", id)
		}
		return s.Status == want, nil
	})
	if err != nil && s.Status != "" {
		err = fmt.Errorf("%w (last seen %s)", err, s.Status)
	}
	return s, err
}

// waitGone polls get until it answers not found: the end of an
// asynchronous delete.
func waitGone(ctx context.Context, e *Env, what string, get func(ctx context.Context) error) error {
	return e.Eventually(ctx, what+" to be gone", func(ctx context.Context) (bool, error) {
		err := get(ctx)
		if err == nil {
			return false, nil
		}
		if core.KindOf(err) == core.NotFound {
			return true, nil
		}
		return false, err
	})
}

// deleteServerAndWait deletes server id and waits until GetServer answers
// not found. A target that soft-deletes leaves it SOFT_DELETED: deleting
// it again purges it (B.2.1.2), so a run leaves nothing to reclaim.
func deleteServerAndWait(ctx context.Context, e *Env, id string) error {
	if err := e.Driver.DeleteServer(ctx, id); err != nil {
		return err // NotFound included: the caller's cleanup accepts it
	}
	purged := false
	return waitGone(ctx, e, "server "+id, func(ctx context.Context) error {
		s, err := e.Driver.GetServer(ctx, id)
		if err == nil && s.Status == core.ServerSoftDeleted && !purged {
			if err := e.Driver.DeleteServer(ctx, id); err != nil && core.KindOf(err) != core.NotFound {
				return err
			}
			purged = true
		}
		return err
	})
}

// deleteImageAndWait deletes image id, unprotecting it first if a check
// left it protected, and waits until it is gone.
func deleteImageAndWait(ctx context.Context, e *Env, id string) error {
	err := e.Driver.DeleteImage(ctx, id)
	if core.KindOf(err) == core.Conflict {
		if _, uerr := e.Driver.UpdateImage(ctx, id, []core.PatchOp{{Op: "replace", Path: "/protected", Value: false}}); uerr != nil {
			return fmt.Errorf("%w; unprotecting it: %v", err, uerr)
		}
		err = e.Driver.DeleteImage(ctx, id)
	}
	if err != nil {
		return err
	}
	return waitGone(ctx, e, "image "+id, func(ctx context.Context) error {
		im, err := e.Driver.GetImage(ctx, id)
		if err == nil && im.Status == core.ImageDeleted {
			return core.ErrNotFound // Glance may show a deleted image for a while
		}
		return err
	})
}

// wantUTC checks a timestamp the target returned: set, and in UTC (A.0.4).
func wantUTC(what string, t time.Time) error {
	if t.IsZero() {
		return Failf("%s: missing", what)
	}
	if _, off := t.Zone(); off != 0 {
		return Failf("%s: %s is not UTC", what, t.Format(time.RFC3339Nano))
	}
	return nil
}

// wantRunMeta checks what every resource the run created carries: its
// project, its datacenter, the run tag (the leak check finds it by that),
// and a UTC creation time.
func wantRunMeta(e *Env, what string, m core.Meta) error {
	if m.ProjectID != e.Project {
		return Failf("%s: project_id %q, want %q", what, m.ProjectID, e.Project)
	}
	if m.DatacenterID != e.Datacenter {
		return Failf("%s: datacenter_id %q, want %q", what, m.DatacenterID, e.Datacenter)
	}
	if m.Tags[RunTag] != e.RunID {
		return Failf("%s: tags %v lack %s=%s", what, m.Tags, RunTag, e.RunID)
	}
	return wantUTC(what+": created_at", m.CreatedAt)
}

// wantPrivateAddress checks that s has a private address on network n,
// inside one of n's subnets.
func wantPrivateAddress(s core.Server, n core.Network) error {
	for _, a := range s.Addresses {
		if a.Kind != core.AddressPrivate || a.NetworkID != n.ID {
			continue
		}
		ip := net.ParseIP(a.Address)
		if ip == nil {
			return Failf("server %s: private address %q is not an IP address", s.ID, a.Address)
		}
		for _, sn := range n.Subnets {
			if _, cidr, err := net.ParseCIDR(sn.CIDR); err == nil && cidr.Contains(ip) {
				return nil
			}
		}
		return Failf("server %s: private address %s is in no subnet of network %s", s.ID, a.Address, n.ID)
	}
	return Failf("server %s: no private address on network %s (addresses %+v)", s.ID, n.ID, s.Addresses)
}

// errFound stops a Watch once the event sought has been seen.
var errFound = errors.New("conformance: event found")

// watchEvent replays the target's retained events and returns the first
// of resource id reaching state to, waiting for it up to the state
// timeout. ok is false when the target cannot replay (DriverInfo.CanReplay
// false, or Watch unsupported): a check then skips its event assertions,
// since the event may have passed before it could listen.
func watchEvent(ctx context.Context, e *Env, typ core.ResourceType, id, to string) (core.Event, bool, error) {
	return watchFor(ctx, e, fmt.Sprintf("%s %s to %s", typ, id, to), func(x core.Event) bool {
		return x.ResourceType == typ && x.ResourceID == id && x.ToState == to
	})
}

// watchFor is watchEvent with any condition: the first retained or new
// event match accepts. what names the event in failures.
func watchFor(ctx context.Context, e *Env, what string, match func(core.Event) bool) (ev core.Event, ok bool, err error) {
	if !e.Info.CanReplay {
		e.Note("the event of %s (the target cannot replay events)", what)
		return core.Event{}, false, nil
	}
	wctx, cancel := context.WithTimeout(ctx, e.StateTimeout())
	defer cancel()
	werr := e.Driver.Watch(wctx, "", func(x core.Event) error {
		if match(x) {
			ev = x
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(werr, errFound):
		if ev.ID == "" || ev.Cursor == "" {
			return ev, true, Failf("event of %s: id %q and cursor %q are required", what, ev.ID, ev.Cursor)
		}
		if ev.DatacenterID == "" {
			return ev, true, Failf("event of %s: datacenter_id is required", what)
		}
		return ev, true, wantUTC("event of "+what+": time", ev.Time)
	case core.KindOf(werr) == core.Unsupported:
		e.Note("the event of %s (the target does not stream events)", what)
		return core.Event{}, false, nil
	case wctx.Err() != nil && ctx.Err() == nil:
		return core.Event{}, true, Failf("no event of %s within %s", what, e.StateTimeout())
	default:
		return core.Event{}, true, fmt.Errorf("Watch: %w", werr)
	}
}
