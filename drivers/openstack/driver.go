package openstack

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/gisiaas/gisiaas/core"
)

// Version is the driver's own version, reported in Info.
const Version = "0.1.0"

// Driver is an OpenStack cloud behind core.Driver.
type Driver struct {
	// Unimplemented answers unsupported for an operation core adds later.
	core.Unimplemented
	cfg Config

	// admin are the service clients of the service credential in its own
	// scope: reads and actions by id on any project's resources, and lists
	// across projects (all_tenants).
	admin *clients
	// ownProject is the OpenStack project of the service credential's scope.
	ownProject string

	projects *projectMap

	dcMu    sync.Mutex
	firstDC string
	events  *eventLog

	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed chan struct{}
	once   sync.Once
}

var _ core.Driver = (*Driver)(nil)

// clients are the service clients of one ProviderClient: one token, shared
// by every service, re-authenticated once on a 401 however many calls see it.
type clients struct {
	provider *gophercloud.ProviderClient
	identity *gophercloud.ServiceClient
	compute  *gophercloud.ServiceClient
	image    *gophercloud.ServiceClient
	network  *gophercloud.ServiceClient
	volume   *gophercloud.ServiceClient
	// lb is nil when the catalog has no Octavia: load balancers are then
	// declared unsupported.
	lb *gophercloud.ServiceClient
}

// microversions this driver relies on; all are in Zed (Nova 2.93, Cinder 3.70).
const (
	// 2.79: server tags at create (2.52), host in the server body for
	// admins, migrate with a host (2.56), live migration without
	// block_migration guesswork (2.25: "auto").
	computeMicroversion = "2.79"
	// 3.27: the new attachment API; 3.42: extend of an in-use volume;
	// 3.60: updated_at filters for changes-since polling.
	volumeMicroversion = "3.60"
)

// New connects to the cloud cfg describes: it authenticates the service
// credential once and looks up every service in the catalog. Background work
// (polling, notifications) starts here and ends with Close.
func New(ctx context.Context, cfg Config) (*Driver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ao, eo, err := cfg.authOptions()
	if err != nil {
		return nil, err
	}
	cs, err := newClients(ctx, ao, eo)
	if err != nil {
		return nil, err
	}
	d := &Driver{cfg: cfg, admin: cs, closed: make(chan struct{})}
	d.ownProject, err = tokenProject(cs.provider)
	if err != nil {
		return nil, err
	}
	if cfg.ApplicationCredentialID != "" {
		for gis, os := range cfg.Projects {
			if os != d.ownProject {
				return nil, core.Errorf(core.InvalidArgument, "openstack settings: projects maps %s to %s, but the application credential's project is %s", gis, os, d.ownProject)
			}
		}
	}
	d.projects = newProjectMap(d, ao, eo)
	d.events = newEventLog(cfg.Name, cfg.EventRetention)
	bg, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	d.startEventSources(bg)
	return d, nil
}

// newClients authenticates ao and builds every service client from the
// catalog. The transport retries 429/503 after Retry-After (retry.go).
func newClients(ctx context.Context, ao gophercloud.AuthOptions, eo gophercloud.EndpointOpts) (*clients, error) {
	pc, err := openstack.NewClient(ao.IdentityEndpoint)
	if err != nil {
		return nil, core.Errorf(core.InvalidArgument, "openstack: auth_url: %v", err)
	}
	pc.HTTPClient = http.Client{Transport: newRetryTransport(http.DefaultTransport, 4)}
	if err := openstack.Authenticate(ctx, pc, ao); err != nil {
		return nil, classify("Authenticate", err)
	}
	cs := &clients{provider: pc}
	if cs.identity, err = openstack.NewIdentityV3(pc, eo); err != nil {
		return nil, catalogError("identity", err)
	}
	if cs.compute, err = openstack.NewComputeV2(pc, eo); err != nil {
		return nil, catalogError("compute", err)
	}
	cs.compute.Microversion = computeMicroversion
	if cs.image, err = openstack.NewImageV2(pc, eo); err != nil {
		return nil, catalogError("image", err)
	}
	if cs.network, err = openstack.NewNetworkV2(pc, eo); err != nil {
		return nil, catalogError("network", err)
	}
	if cs.volume, err = openstack.NewBlockStorageV3(pc, eo); err != nil {
		return nil, catalogError("volumev3", err)
	}
	cs.volume.Microversion = volumeMicroversion
	if lb, err := openstack.NewLoadBalancerV2(pc, eo); err == nil {
		cs.lb = lb
	}
	return cs, nil
}

func catalogError(service string, err error) error {
	return &core.Error{Kind: core.Unavailable, Op: "New", Message: fmt.Sprintf("the catalog has no %s endpoint usable here", service), Err: err}
}

// tokenProject is the project the provider's token is scoped to.
func tokenProject(pc *gophercloud.ProviderClient) (string, error) {
	r, ok := pc.GetAuthResult().(interface {
		ExtractProject() (*tokens.Project, error)
	})
	if !ok {
		return "", core.Errorf(core.Internal, "openstack: the token is not a Keystone v3 token")
	}
	p, err := r.ExtractProject()
	if err != nil || p == nil || p.ID == "" {
		return "", core.Errorf(core.InvalidArgument, "openstack: the service credential is not scoped to a project")
	}
	return p.ID, nil
}

// Info declares the clauses this cloud offers: all of them, but load
// balancers only where the catalog has Octavia.
func (d *Driver) Info(context.Context) (core.DriverInfo, error) {
	var caps []core.Clause
	for _, c := range core.Clauses {
		switch c.ID {
		case core.ClauseLBCreate, core.ClauseLBDelete, core.ClauseLBShow, core.ClauseLBList, core.ClauseLBAddMember, core.ClauseLBRemoveMember:
			if d.admin.lb == nil {
				continue
			}
		}
		caps = append(caps, c.ID)
	}
	return core.DriverInfo{
		Name:         "openstack",
		Version:      Version,
		Capabilities: caps,
		StateTimeout: time.Duration(d.cfg.StateTimeout),
		CanReplay:    true,
	}, nil
}

// Health answers nil when Keystone and Nova answer with the service token.
func (d *Driver) Health(ctx context.Context) error {
	if _, err := d.ListDatacenters(ctx); err != nil {
		return &core.Error{Kind: core.Unavailable, Op: "Health", Message: core.MessageOf(err), Err: err}
	}
	return nil
}

// Close stops the event sources; calls in flight end with their contexts.
func (d *Driver) Close() error {
	d.once.Do(func() {
		d.stop()
		close(d.closed)
		d.wg.Wait()
		d.events.close()
	})
	return nil
}

// dcOf is the datacenter of a resource: the one its create asked for (kept
// in its metadata), else its availability zone, else the cloud's first
// compute zone (networks, IPs, security groups and load balancers have no
// zone of their own in most clouds).
func (d *Driver) dcOf(ctx context.Context, fromMetadata, az string) string {
	switch {
	case fromMetadata != "":
		return fromMetadata
	case az != "":
		return d.datacenterOfZone(az)
	}
	return d.defaultDC(ctx)
}

// defaultDC is the first available compute availability zone, looked up once.
func (d *Driver) defaultDC(ctx context.Context) string {
	d.dcMu.Lock()
	defer d.dcMu.Unlock()
	if d.firstDC != "" {
		return d.firstDC
	}
	pages, err := availabilityzones.List(d.admin.compute).AllPages(ctx)
	if err != nil {
		return ""
	}
	zones, err := availabilityzones.ExtractAvailabilityZones(pages)
	if err != nil {
		return ""
	}
	for _, z := range zones {
		if z.ZoneState.Available && z.ZoneName != "internal" {
			d.firstDC = d.datacenterOfZone(z.ZoneName)
			break
		}
	}
	return d.firstDC
}

// zoneName is the availability zone of gisiaas datacenter dc: the one the
// config's zones maps it to, else dc itself.
func (d *Driver) zoneName(dc string) string {
	if az, ok := d.cfg.Zones[dc]; ok {
		return az
	}
	return dc
}

// datacenterOfZone is the gisiaas datacenter of availability zone az.
func (d *Driver) datacenterOfZone(az string) string {
	for dc, z := range d.cfg.Zones {
		if z == az {
			return dc
		}
	}
	return az
}
