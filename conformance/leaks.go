package conformance

import (
	"context"
	"fmt"
	"sort"

	"github.com/gisiaas/gisiaas/core"
)

// tagged is a resource of a run, for the leak check and the sweep.
type tagged struct {
	typ core.ResourceType
	id  string
	del func(ctx context.Context) error
}

// runResources lists the resources of project that carry the run tag (of
// runID; "" = of any run), with how to delete each. Types the target
// does not support are skipped.
func runResources(ctx context.Context, d core.Driver, project, dc, runID string) ([]tagged, error) {
	o := core.ListOptions{ProjectID: project, DatacenterID: dc}
	mine := func(tags map[string]string) bool {
		v, ok := tags[RunTag]
		return ok && (runID == "" || v == runID)
	}
	var out []tagged
	add := func(typ core.ResourceType, id string, tags map[string]string, del func(ctx context.Context, id string) error) {
		if mine(tags) {
			out = append(out, tagged{typ, id, func(ctx context.Context) error { return del(ctx, id) }})
		}
	}
	skip := func(err error) error {
		if err == nil || core.KindOf(err) == core.Unsupported {
			return nil
		}
		return err
	}
	// Dependents first, so the sweep deletes in an order clouds accept.
	if xs, err := d.ListLoadBalancers(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeLoadBalancer, x.ID, x.Tags, d.DeleteLoadBalancer)
		}
	}
	if xs, err := d.ListFloatingIPs(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeFloatingIP, x.ID, x.Tags, d.DeleteFloatingIP)
		}
	}
	if xs, err := d.ListPublicIPs(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypePublicIP, x.ID, x.Tags, d.DeletePublicIP)
		}
	}
	if xs, err := d.ListServers(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			if x.Status == core.ServerDeleted || x.Status == core.ServerSoftDeleted {
				continue
			}
			add(core.TypeServer, x.ID, x.Tags, d.DeleteServer)
		}
	}
	if xs, err := d.ListBackups(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for i := len(xs) - 1; i >= 0; i-- { // incrementals before their parents
			add(core.TypeBackup, xs[i].ID, xs[i].Tags, d.DeleteBackup)
		}
	}
	if xs, err := d.ListVolumeSnapshots(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeVolumeSnapshot, x.ID, x.Tags, d.DeleteVolumeSnapshot)
		}
	}
	if xs, err := d.ListVolumes(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeVolume, x.ID, x.Tags, d.DeleteVolume)
		}
	}
	if xs, err := d.ListImages(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeImage, x.ID, x.Tags, d.DeleteImage)
		}
	}
	if xs, err := d.ListSecurityGroups(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeSecurityGroup, x.ID, x.Tags, d.DeleteSecurityGroup)
		}
	}
	if xs, err := d.ListRouters(ctx, o); skip(err) != nil {
		return nil, err
	} else {
		for _, x := range xs {
			add(core.TypeRouter, x.ID, x.Tags, d.DeleteRouter)
		}
	}
	return out, nil
}

// leaks lists what the run left behind.
func leaks(ctx context.Context, e *Env) []string {
	rs, err := runResources(ctx, e.Driver, e.Project, e.Datacenter, e.RunID)
	if err != nil {
		return []string{fmt.Sprintf("the leak check could not list: %v", err)}
	}
	out := []string{}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s", r.typ, r.id))
	}
	sort.Strings(out)
	return out
}

// Sweep deletes what any conformance run left in project, and only that:
// resources carrying the run tag. It returns what it deleted.
func Sweep(ctx context.Context, d core.Driver, project, dc string) ([]string, error) {
	rs, err := runResources(ctx, d, project, dc, "")
	if err != nil {
		return nil, err
	}
	var done []string
	for _, r := range rs {
		if err := r.del(ctx); err != nil && core.KindOf(err) != core.NotFound {
			return done, fmt.Errorf("%s %s: %w", r.typ, r.id, err)
		}
		done = append(done, fmt.Sprintf("%s %s", r.typ, r.id))
	}
	return done, nil
}
