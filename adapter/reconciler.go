package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins"
)

// ReconcilerConfig is what a Reconciler works with.
type ReconcilerConfig struct {
	Registry *registry.Registry
	// Bus receives every lifecycle event, with its department; nil: the
	// registry is kept and nothing is published.
	Bus events.Bus
	// Identity gives a project's department; nil: events carry none.
	Identity    *identity.Service
	Datacenters []Datacenter
	Logger      *slog.Logger
	// AdoptAfter is how old a pending create must be before the reconciler
	// looks for it in its cloud: longer than any create call can still be in
	// flight, or a slow create would be abandoned under its caller. Zero: 5
	// minutes.
	AdoptAfter time.Duration
	// AdoptEvery is how often pending creates are looked for. Zero: 1 minute.
	AdoptEvery time.Duration
	// Backoff is the wait before watching a datacenter again after its
	// failures-th failure in a row. Nil: 1 s doubling up to 1 min.
	Backoff func(failures int) time.Duration
}

// Reconciler keeps the registry and the event bus in step with the clouds:
// it follows every datacenter's lifecycle events from the cursor it last
// saved, and adopts or abandons creates that a crash or a timeout cut short.
type Reconciler struct {
	cfg  ReconcilerConfig
	log  *slog.Logger
	byID map[string]Datacenter

	mu    sync.Mutex
	depts map[string]string // project → department; projects never move
}

// NewReconciler builds a reconciler; Run starts it.
func NewReconciler(cfg ReconcilerConfig) *Reconciler {
	if cfg.AdoptAfter <= 0 {
		cfg.AdoptAfter = 5 * time.Minute
	}
	if cfg.AdoptEvery <= 0 {
		cfg.AdoptEvery = time.Minute
	}
	if cfg.Backoff == nil {
		cfg.Backoff = plugins.ExponentialBackoff(time.Second, time.Minute)
	}
	r := &Reconciler{cfg: cfg, log: cfg.Logger, byID: map[string]Datacenter{}, depts: map[string]string{}}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = r.log.With("component", "reconciler")
	for _, dc := range cfg.Datacenters {
		r.byID[dc.ID] = dc
	}
	return r
}

// Run watches every datacenter and adopts pending creates until ctx is
// done, then returns ctx's error. A datacenter that fails is retried with
// backoff; nothing a cloud does stops the others.
func (r *Reconciler) Run(ctx context.Context) error {
	if r.cfg.Registry == nil {
		return errors.New("reconciler: a registry is required")
	}
	var wg sync.WaitGroup
	for _, dc := range r.cfg.Datacenters {
		wg.Go(func() { r.watch(ctx, dc) })
	}
	wg.Go(func() { r.adoptLoop(ctx) })
	wg.Wait()
	return ctx.Err()
}

// watch follows datacenter dc's events, saving the cursor after each one,
// so a restart of the adapter resumes where it stopped (and the bus drops
// the event it may see twice).
func (r *Reconciler) watch(ctx context.Context, dc Datacenter) {
	log := r.log.With("datacenter", dc.ID)
	reg := r.cfg.Registry
	failures := 0
	for ctx.Err() == nil {
		cursor, err := reg.Cursor(ctx, dc.ID)
		var fnErr error
		if err == nil {
			err = dc.Cloud.Watch(ctx, cursor, func(ev core.Event) error {
				if fnErr = r.handle(ctx, dc, ev); fnErr != nil {
					return fnErr
				}
				if fnErr = reg.SetCursor(ctx, dc.ID, ev.Cursor); fnErr != nil {
					return fnErr
				}
				failures = 0
				return nil
			})
		}
		if ctx.Err() != nil {
			return
		}
		// The driver no longer knows the cursor: it trimmed past it (Gone)
		// or it lost its history (a cursor ahead of its stream). Start again
		// from its oldest event; the bus drops what was published already.
		if fnErr == nil && cursor != "" && (core.KindOf(err) == core.Gone || core.KindOf(err) == core.InvalidArgument) {
			log.Warn("the datacenter no longer knows the event cursor; replaying from its oldest event", "cursor", cursor, "error", err)
			if err = reg.SetCursor(ctx, dc.ID, ""); err == nil {
				continue
			}
		}
		failures++
		wait := r.cfg.Backoff(failures)
		log.Warn("watching the datacenter failed; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// handle applies one event to the registry and publishes it. An error
// stops the Watch, to be retried from the last saved cursor; what can never
// succeed (a shared object, an id claimed by another datacenter) is logged
// and skipped instead, so one bad event cannot wedge a datacenter.
func (r *Reconciler) handle(ctx context.Context, dc Datacenter, ev core.Event) error {
	if ev.DatacenterID == "" {
		ev.DatacenterID = dc.ID
	}
	if ev.DatacenterID != dc.ID {
		return nil // a driver serving several datacenters: each is watched on its own
	}
	if ev.ResourceType != core.TypeFlavor { // flavors are shared; the rest belong to a project
		if ev.ProjectID == "" {
			return nil // a shared object (a public image): not in the registry, billed to nobody
		}
		ok, err := r.record(ctx, ev)
		if err != nil || !ok {
			return err
		}
	}
	if r.cfg.Bus == nil {
		return nil
	}
	dept, err := r.department(ctx, ev.ProjectID)
	if err != nil {
		return err
	}
	_, _, err = r.cfg.Bus.Publish(ctx, events.Event{Event: ev, DepartmentID: dept})
	return err
}

// record applies ev to the registry; false means it was skipped.
func (r *Reconciler) record(ctx context.Context, ev core.Event) (bool, error) {
	reg := r.cfg.Registry
	old, known := reg.Get(ev.ResourceType, ev.ResourceID)
	if known && (old.DatacenterID != ev.DatacenterID || old.ProjectID != ev.ProjectID) {
		r.log.Error("an event names a resource id registered elsewhere; skipped", "type", ev.ResourceType, "id", ev.ResourceID,
			"datacenter", ev.DatacenterID, "project", ev.ProjectID, "registered_datacenter", old.DatacenterID, "event", ev.ID)
		return false, nil
	}
	var err error
	switch {
	case isDeletedState(ev.ResourceType, ev.ToState):
		if known {
			err = reg.Delete(ctx, ev.ResourceType, ev.ResourceID)
		}
	case known:
		_, err = reg.SetState(ctx, ev.ResourceType, ev.ResourceID, ev.ToState)
	default:
		err = reg.Put(ctx, registry.Resource{Type: ev.ResourceType, ID: ev.ResourceID, DatacenterID: ev.DatacenterID,
			ProjectID: ev.ProjectID, State: ev.ToState})
	}
	if core.KindOf(err) == core.Conflict {
		// Registered between Get and Put: by the create that made it (the
		// usual race with FinishCreate), or by another datacenter.
		now, ok := reg.Get(ev.ResourceType, ev.ResourceID)
		switch {
		case ok && now.DatacenterID == ev.DatacenterID && now.ProjectID == ev.ProjectID:
			_, err = reg.SetState(ctx, ev.ResourceType, ev.ResourceID, ev.ToState)
		case ok:
			r.log.Error("an event names a resource id registered elsewhere; skipped", "type", ev.ResourceType, "id", ev.ResourceID,
				"datacenter", ev.DatacenterID, "event", ev.ID, "registered_datacenter", now.DatacenterID)
			return false, nil
		default:
			// The other writer has committed but not yet updated the
			// registry's memory: the Watch retries from the saved cursor.
			return false, core.Wrap(core.Unavailable, "reconciler", err)
		}
	}
	return err == nil, err
}

// isDeletedState reports whether state is the last one of a resource of
// type typ (SOFT_DELETED is not: the server can still be restored).
func isDeletedState(typ core.ResourceType, state string) bool {
	var deleted string
	switch typ {
	case core.TypeServer:
		deleted = string(core.ServerDeleted)
	case core.TypeVolume:
		deleted = string(core.VolumeDeleted)
	case core.TypeImage:
		deleted = string(core.ImageDeleted)
	case core.TypeVolumeSnapshot, core.TypeBackup:
		deleted = string(core.SnapshotDeleted)
	case core.TypeLoadBalancer:
		deleted = string(core.LBDeleted)
	default: // floating and public IPs, routers, security groups, ports
		deleted = string(core.NetDeleted)
	}
	return state == deleted || state == core.StateDeleted
}

// department returns project's department, asking identity once per
// project. A project identity does not know gets none: its events are
// still published, for billing to report.
func (r *Reconciler) department(ctx context.Context, project string) (string, error) {
	if project == "" || r.cfg.Identity == nil {
		return "", nil
	}
	r.mu.Lock()
	d, ok := r.depts[project]
	r.mu.Unlock()
	if ok {
		return d, nil
	}
	p, err := r.cfg.Identity.GetProject(ctx, project)
	switch {
	case core.KindOf(err) == core.NotFound:
		r.log.Warn("an event names a project identity does not know", "project", project)
	case err != nil:
		return "", err
	default:
		d = p.DepartmentID
	}
	r.mu.Lock()
	r.depts[project] = d
	r.mu.Unlock()
	return d, nil
}

func (r *Reconciler) adoptLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.AdoptEvery)
	defer t.Stop()
	for {
		r.adopt(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// adopt settles the creates left pending for longer than AdoptAfter: a
// resource tagged with the intent's token is in its cloud (adopted, so an
// Idempotency-Key replay answers it), or none is and the create never
// happened (abandoned). A datacenter that cannot be listed is left for the
// next round.
func (r *Reconciler) adopt(ctx context.Context) {
	reg := r.cfg.Registry
	pending, err := reg.PendingCreates(ctx, time.Now().Add(-r.cfg.AdoptAfter))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("listing pending creates failed", "error", err)
		}
		return
	}
	type listKey struct {
		dc, project string
		typ         core.ResourceType
	}
	lists := map[listKey][]cloudResource{}
	down := map[string]bool{}
	for _, in := range pending {
		log := r.log.With("intent", in.Token, "type", in.Type, "datacenter", in.DatacenterID, "project", in.ProjectID)
		dc, ok := r.byID[in.DatacenterID]
		lister := listers[in.Type]
		if !ok || lister == nil {
			log.Warn("a pending create cannot be looked for: its datacenter is not configured or its type is not listed")
			continue
		}
		if down[dc.ID] {
			continue
		}
		k := listKey{dc.ID, in.ProjectID, in.Type}
		items, listed := lists[k]
		if !listed {
			lctx, cancel := context.WithTimeout(ctx, backendTimeout)
			items, err = lister(lctx, dc.Cloud, core.ListOptions{ProjectID: in.ProjectID, DatacenterID: dc.ID}, reg)
			cancel()
			if err != nil && core.KindOf(err) != core.Unsupported {
				if ctx.Err() != nil {
					return
				}
				log.Warn("the datacenter cannot be listed; retrying next round", "error", err)
				down[dc.ID] = true
				continue
			}
			lists[k] = items // unsupported: nothing of the type can exist there
		}
		var found *cloudResource
		for i := range items {
			if items[i].tags[IntentTag] == in.Token {
				found = &items[i]
				break
			}
		}
		if found == nil {
			if err := reg.AbandonCreate(ctx, in.Token); err != nil {
				log.Warn("abandoning a create failed", "error", err)
			} else {
				log.Info("a create cut short never reached its cloud; abandoned")
			}
			continue
		}
		name := string(in.Type)
		if n, ok := bodyNames[in.Type]; ok {
			name = n[0]
		}
		body, err := json.Marshal(map[string]any{name: found.body})
		if err != nil {
			log.Error("encoding an adopted resource failed", "error", err)
			continue
		}
		res := registry.Resource{Type: in.Type, ID: found.id, DatacenterID: dc.ID, ProjectID: in.ProjectID, State: found.state}
		if _, known := reg.Get(in.Type, found.id); known {
			res.State = "" // the events' state is newer than the list's: keep it
		}
		if err := reg.FinishCreate(ctx, in.Token, res, http.StatusAccepted, body); err != nil {
			log.Warn("adopting a create failed", "id", found.id, "error", err)
		} else {
			log.Info("a create cut short was found in its cloud; adopted", "id", found.id)
		}
	}
}

// cloudResource is what adoption needs of a listed resource.
type cloudResource struct {
	id, state string
	tags      map[string]string
	body      any
}

// listers list one type of a datacenter's resources, for adoption.
var listers = map[core.ResourceType]func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error){
	core.TypeServer: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListServers(ctx, o))(func(v core.Server) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewServer(v)}
		})
	},
	core.TypeVolume: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListVolumes(ctx, o))(func(v core.Volume) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewVolume(v)}
		})
	},
	core.TypeVolumeSnapshot: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListVolumeSnapshots(ctx, o))(func(v core.VolumeSnapshot) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewSnapshot(v)}
		})
	},
	core.TypeBackup: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListBackups(ctx, o))(func(v core.Backup) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewBackup(v)}
		})
	},
	core.TypeImage: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListImages(ctx, o))(func(v core.Image) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewImage(v)}
		})
	},
	core.TypeFloatingIP: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListFloatingIPs(ctx, o))(func(v core.FloatingIP) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, (&Server{reg: reg}).viewFloatingIP(v)}
		})
	},
	core.TypePublicIP: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListPublicIPs(ctx, o))(func(v core.PublicIP) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewPublicIP(v)}
		})
	},
	core.TypeLoadBalancer: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListLoadBalancers(ctx, o))(func(v core.LoadBalancer) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewLoadBalancer(v)}
		})
	},
	core.TypeSecurityGroup: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListSecurityGroups(ctx, o))(func(v core.SecurityGroup) cloudResource {
			return cloudResource{v.ID, string(core.NetActive), v.Tags, viewSecurityGroup(v)} // a group has no status; its events say ACTIVE
		})
	},
	core.TypeRouter: func(ctx context.Context, d core.Driver, o core.ListOptions, reg *registry.Registry) ([]cloudResource, error) {
		return resources(d.ListRouters(ctx, o))(func(v core.Router) cloudResource {
			return cloudResource{v.ID, string(v.Status), v.Tags, viewRouter(v)}
		})
	},
}

// resources maps a list's answer through f, keeping its error.
func resources[T any](items []T, err error) func(f func(T) cloudResource) ([]cloudResource, error) {
	return func(f func(T) cloudResource) ([]cloudResource, error) {
		if err != nil {
			return nil, err
		}
		out := make([]cloudResource, len(items))
		for i, it := range items {
			out[i] = f(it)
		}
		return out, nil
	}
}
