package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/gisiaas/gisiaas/core"
)

// Wrap returns d with every call observed: its latency per operation and,
// as a failure's evidence, the request (never an upload's data), a short
// summary of the answer and the error, all redacted by Observe. Results
// and errors pass through untouched, so error kinds are what d returned.
func (r *Recorder) Wrap(d core.Driver) core.Driver { return &recordingDriver{d: d, r: r} }

type recordingDriver struct {
	d core.Driver
	r *Recorder
}

var _ core.Driver = (*recordingDriver)(nil)

// maxSummary bounds an answer's summary: evidence, not a dump.
const maxSummary = 400

// summarize is v as redacted JSON, cut to maxSummary; a list starts with its
// length. Redaction comes before the cut, so a cut never exposes a secret
// that only the whole document would show to be one.
func summarize(v any) string {
	rv := reflect.ValueOf(v)
	prefix := ""
	if rv.Kind() == reflect.Slice {
		prefix = fmt.Sprintf("%d items: ", rv.Len())
	}
	b, err := json.Marshal(v)
	if err != nil {
		return prefix + "(unmarshallable)"
	}
	s := prefix + scrub(string(b))
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// scrubbedError is an error as the evidence shows it: a driver's error text
// may quote JSON with secrets in it, which Redact's text mode misses.
type scrubbedError struct{ err error }

func (e scrubbedError) Error() string { return scrub(e.err.Error()) }

func scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return scrubbedError{err}
}

// observe runs f and records it under op.
func observe[T any](r *Recorder, op string, req any, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	resp := ""
	if err == nil {
		resp = summarize(v)
	}
	r.Observe(op, time.Since(start), req, resp, scrubErr(err))
	return v, err
}

// observeErr is observe for operations that answer only an error.
func observeErr(r *Recorder, op string, req any, f func() error) error {
	start := time.Now()
	err := f()
	resp := ""
	if err == nil {
		resp = "ok"
	}
	r.Observe(op, time.Since(start), req, resp, scrubErr(err))
	return err
}

// idReq is the request of an operation that takes an id (and maybe more).
type idReq struct {
	ID      string `json:"id"`
	Request any    `json:"request,omitempty"`
}

func (w *recordingDriver) Info(ctx context.Context) (core.DriverInfo, error) {
	return observe(w.r, "Info", nil, func() (core.DriverInfo, error) { return w.d.Info(ctx) })
}

func (w *recordingDriver) Health(ctx context.Context) error {
	return observeErr(w.r, "Health", nil, func() error { return w.d.Health(ctx) })
}

func (w *recordingDriver) Close() error {
	return observeErr(w.r, "Close", nil, w.d.Close)
}

// Watch is recorded once, when it returns, with how many events it delivered.
func (w *recordingDriver) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	start := time.Now()
	n := 0
	err := w.d.Watch(ctx, after, func(e core.Event) error { n++; return fn(e) })
	w.r.Observe("Watch", time.Since(start), map[string]string{"after": after}, fmt.Sprintf("%d events", n), scrubErr(err))
	return err
}

func (w *recordingDriver) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	return observe(w.r, "ListDatacenters", nil, func() ([]core.Datacenter, error) { return w.d.ListDatacenters(ctx) })
}

type quotaReq struct {
	DatacenterID string `json:"datacenter_id"`
	ProjectID    string `json:"project_id"`
}

func (w *recordingDriver) GetComputeQuota(ctx context.Context, dc, project string) (core.ComputeQuota, error) {
	return observe(w.r, "GetComputeQuota", quotaReq{dc, project}, func() (core.ComputeQuota, error) { return w.d.GetComputeQuota(ctx, dc, project) })
}

func (w *recordingDriver) GetVolumeQuota(ctx context.Context, dc, project string) (core.VolumeQuota, error) {
	return observe(w.r, "GetVolumeQuota", quotaReq{dc, project}, func() (core.VolumeQuota, error) { return w.d.GetVolumeQuota(ctx, dc, project) })
}

// ---- compute ----

func (w *recordingDriver) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	return observe(w.r, "CreateServer", req, func() (core.Server, error) { return w.d.CreateServer(ctx, req) })
}

func (w *recordingDriver) GetServer(ctx context.Context, id string) (core.Server, error) {
	return observe(w.r, "GetServer", idReq{ID: id}, func() (core.Server, error) { return w.d.GetServer(ctx, id) })
}

func (w *recordingDriver) ListServers(ctx context.Context, opts core.ListOptions) ([]core.Server, error) {
	return observe(w.r, "ListServers", opts, func() ([]core.Server, error) { return w.d.ListServers(ctx, opts) })
}

func (w *recordingDriver) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	return observe(w.r, "UpdateServer", idReq{id, req}, func() (core.Server, error) { return w.d.UpdateServer(ctx, id, req) })
}

func (w *recordingDriver) DeleteServer(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteServer", idReq{ID: id}, func() error { return w.d.DeleteServer(ctx, id) })
}

func (w *recordingDriver) StartServer(ctx context.Context, id string) error {
	return observeErr(w.r, "StartServer", idReq{ID: id}, func() error { return w.d.StartServer(ctx, id) })
}

func (w *recordingDriver) StopServer(ctx context.Context, id string) error {
	return observeErr(w.r, "StopServer", idReq{ID: id}, func() error { return w.d.StopServer(ctx, id) })
}

func (w *recordingDriver) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	return observeErr(w.r, "RebootServer", idReq{id, map[string]any{"type": kind}}, func() error { return w.d.RebootServer(ctx, id, kind) })
}

func (w *recordingDriver) LiveMigrateServer(ctx context.Context, id, host string) error {
	return observeErr(w.r, "LiveMigrateServer", idReq{id, map[string]string{"host": host}}, func() error { return w.d.LiveMigrateServer(ctx, id, host) })
}

func (w *recordingDriver) ResizeServer(ctx context.Context, id, flavorID string) error {
	return observeErr(w.r, "ResizeServer", idReq{id, map[string]string{"flavor_id": flavorID}}, func() error { return w.d.ResizeServer(ctx, id, flavorID) })
}

func (w *recordingDriver) ConfirmResize(ctx context.Context, id string) error {
	return observeErr(w.r, "ConfirmResize", idReq{ID: id}, func() error { return w.d.ConfirmResize(ctx, id) })
}

func (w *recordingDriver) RevertResize(ctx context.Context, id string) error {
	return observeErr(w.r, "RevertResize", idReq{ID: id}, func() error { return w.d.RevertResize(ctx, id) })
}

// ---- flavors ----

func (w *recordingDriver) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	return observe(w.r, "CreateFlavor", req, func() (core.Flavor, error) { return w.d.CreateFlavor(ctx, req) })
}

func (w *recordingDriver) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	return observe(w.r, "GetFlavor", idReq{ID: id}, func() (core.Flavor, error) { return w.d.GetFlavor(ctx, id) })
}

func (w *recordingDriver) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	return observe(w.r, "ListFlavors", nil, func() ([]core.Flavor, error) { return w.d.ListFlavors(ctx) })
}

func (w *recordingDriver) DeleteFlavor(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteFlavor", idReq{ID: id}, func() error { return w.d.DeleteFlavor(ctx, id) })
}

// ---- images ----

func (w *recordingDriver) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	return observe(w.r, "CreateImage", req, func() (core.Image, error) { return w.d.CreateImage(ctx, req) })
}

// UploadImage records the options and how many bytes the driver read, never
// the data.
func (w *recordingDriver) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	cr := &countingReader{r: data}
	start := time.Now()
	img, err := w.d.UploadImage(ctx, id, opts, cr)
	resp := fmt.Sprintf("read %d bytes", cr.n)
	if err == nil {
		resp += "; " + summarize(img)
	}
	w.r.Observe("UploadImage", time.Since(start), idReq{id, opts}, resp, scrubErr(err))
	return img, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (w *recordingDriver) GetImage(ctx context.Context, id string) (core.Image, error) {
	return observe(w.r, "GetImage", idReq{ID: id}, func() (core.Image, error) { return w.d.GetImage(ctx, id) })
}

func (w *recordingDriver) ListImages(ctx context.Context, opts core.ListOptions) ([]core.Image, error) {
	return observe(w.r, "ListImages", opts, func() ([]core.Image, error) { return w.d.ListImages(ctx, opts) })
}

func (w *recordingDriver) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	return observe(w.r, "UpdateImage", idReq{id, ops}, func() (core.Image, error) { return w.d.UpdateImage(ctx, id, ops) })
}

func (w *recordingDriver) DeleteImage(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteImage", idReq{ID: id}, func() error { return w.d.DeleteImage(ctx, id) })
}

// ---- networks ----

func (w *recordingDriver) ListNetworks(ctx context.Context, opts core.ListOptions) ([]core.Network, error) {
	return observe(w.r, "ListNetworks", opts, func() ([]core.Network, error) { return w.d.ListNetworks(ctx, opts) })
}

func (w *recordingDriver) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	return observe(w.r, "GetNetwork", idReq{ID: id}, func() (core.Network, error) { return w.d.GetNetwork(ctx, id) })
}

func (w *recordingDriver) ListPorts(ctx context.Context, opts core.ListOptions) ([]core.Port, error) {
	return observe(w.r, "ListPorts", opts, func() ([]core.Port, error) { return w.d.ListPorts(ctx, opts) })
}

// ---- floating IPs ----

func (w *recordingDriver) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	return observe(w.r, "CreateFloatingIP", req, func() (core.FloatingIP, error) { return w.d.CreateFloatingIP(ctx, req) })
}

func (w *recordingDriver) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	return observe(w.r, "GetFloatingIP", idReq{ID: id}, func() (core.FloatingIP, error) { return w.d.GetFloatingIP(ctx, id) })
}

func (w *recordingDriver) ListFloatingIPs(ctx context.Context, opts core.ListOptions) ([]core.FloatingIP, error) {
	return observe(w.r, "ListFloatingIPs", opts, func() ([]core.FloatingIP, error) { return w.d.ListFloatingIPs(ctx, opts) })
}

func (w *recordingDriver) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	return observe(w.r, "UpdateFloatingIP", idReq{id, req}, func() (core.FloatingIP, error) { return w.d.UpdateFloatingIP(ctx, id, req) })
}

func (w *recordingDriver) DeleteFloatingIP(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteFloatingIP", idReq{ID: id}, func() error { return w.d.DeleteFloatingIP(ctx, id) })
}

// ---- public IPs ----

func (w *recordingDriver) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	return observe(w.r, "CreatePublicIP", req, func() (core.PublicIP, error) { return w.d.CreatePublicIP(ctx, req) })
}

func (w *recordingDriver) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	return observe(w.r, "GetPublicIP", idReq{ID: id}, func() (core.PublicIP, error) { return w.d.GetPublicIP(ctx, id) })
}

func (w *recordingDriver) ListPublicIPs(ctx context.Context, opts core.ListOptions) ([]core.PublicIP, error) {
	return observe(w.r, "ListPublicIPs", opts, func() ([]core.PublicIP, error) { return w.d.ListPublicIPs(ctx, opts) })
}

func (w *recordingDriver) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	return observe(w.r, "BindPublicIP", idReq{id, to}, func() (core.PublicIP, error) { return w.d.BindPublicIP(ctx, id, to) })
}

func (w *recordingDriver) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	return observe(w.r, "UnbindPublicIP", idReq{id, from}, func() (core.PublicIP, error) { return w.d.UnbindPublicIP(ctx, id, from) })
}

func (w *recordingDriver) DeletePublicIP(ctx context.Context, id string) error {
	return observeErr(w.r, "DeletePublicIP", idReq{ID: id}, func() error { return w.d.DeletePublicIP(ctx, id) })
}

// ---- load balancers ----

func (w *recordingDriver) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	return observe(w.r, "CreateLoadBalancer", req, func() (core.LoadBalancer, error) { return w.d.CreateLoadBalancer(ctx, req) })
}

func (w *recordingDriver) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	return observe(w.r, "GetLoadBalancer", idReq{ID: id}, func() (core.LoadBalancer, error) { return w.d.GetLoadBalancer(ctx, id) })
}

func (w *recordingDriver) ListLoadBalancers(ctx context.Context, opts core.ListOptions) ([]core.LoadBalancer, error) {
	return observe(w.r, "ListLoadBalancers", opts, func() ([]core.LoadBalancer, error) { return w.d.ListLoadBalancers(ctx, opts) })
}

func (w *recordingDriver) DeleteLoadBalancer(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteLoadBalancer", idReq{ID: id}, func() error { return w.d.DeleteLoadBalancer(ctx, id) })
}

func (w *recordingDriver) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	return observe(w.r, "AddMember", idReq{id, m}, func() (core.LoadBalancer, error) { return w.d.AddMember(ctx, id, m) })
}

func (w *recordingDriver) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	return observe(w.r, "RemoveMember", idReq{id, m}, func() (core.LoadBalancer, error) { return w.d.RemoveMember(ctx, id, m) })
}

// ---- security groups ----

func (w *recordingDriver) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	return observe(w.r, "CreateSecurityGroup", req, func() (core.SecurityGroup, error) { return w.d.CreateSecurityGroup(ctx, req) })
}

func (w *recordingDriver) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	return observe(w.r, "GetSecurityGroup", idReq{ID: id}, func() (core.SecurityGroup, error) { return w.d.GetSecurityGroup(ctx, id) })
}

func (w *recordingDriver) ListSecurityGroups(ctx context.Context, opts core.ListOptions) ([]core.SecurityGroup, error) {
	return observe(w.r, "ListSecurityGroups", opts, func() ([]core.SecurityGroup, error) { return w.d.ListSecurityGroups(ctx, opts) })
}

func (w *recordingDriver) DeleteSecurityGroup(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteSecurityGroup", idReq{ID: id}, func() error { return w.d.DeleteSecurityGroup(ctx, id) })
}

func (w *recordingDriver) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	return observe(w.r, "CreateSecurityGroupRule", req, func() (core.SecurityGroupRule, error) { return w.d.CreateSecurityGroupRule(ctx, req) })
}

func (w *recordingDriver) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteSecurityGroupRule", idReq{ID: id}, func() error { return w.d.DeleteSecurityGroupRule(ctx, id) })
}

// ---- volumes ----

func (w *recordingDriver) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	return observe(w.r, "CreateVolume", req, func() (core.Volume, error) { return w.d.CreateVolume(ctx, req) })
}

func (w *recordingDriver) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	return observe(w.r, "GetVolume", idReq{ID: id}, func() (core.Volume, error) { return w.d.GetVolume(ctx, id) })
}

func (w *recordingDriver) ListVolumes(ctx context.Context, opts core.ListOptions) ([]core.Volume, error) {
	return observe(w.r, "ListVolumes", opts, func() ([]core.Volume, error) { return w.d.ListVolumes(ctx, opts) })
}

func (w *recordingDriver) DeleteVolume(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteVolume", idReq{ID: id}, func() error { return w.d.DeleteVolume(ctx, id) })
}

func (w *recordingDriver) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	return observe(w.r, "AttachVolume", idReq{id, req}, func() (core.Volume, error) { return w.d.AttachVolume(ctx, id, req) })
}

func (w *recordingDriver) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	return observe(w.r, "DetachVolume", idReq{id, map[string]string{"server_id": serverID}}, func() (core.Volume, error) { return w.d.DetachVolume(ctx, id, serverID) })
}

func (w *recordingDriver) ExtendVolume(ctx context.Context, id string, newSizeGB int64) (core.Volume, error) {
	return observe(w.r, "ExtendVolume", idReq{id, map[string]int64{"new_size_gb": newSizeGB}}, func() (core.Volume, error) { return w.d.ExtendVolume(ctx, id, newSizeGB) })
}

// ---- volume snapshots (X.1) ----

func (w *recordingDriver) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	return observe(w.r, "CreateVolumeSnapshot", req, func() (core.VolumeSnapshot, error) { return w.d.CreateVolumeSnapshot(ctx, req) })
}

func (w *recordingDriver) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	return observe(w.r, "GetVolumeSnapshot", idReq{ID: id}, func() (core.VolumeSnapshot, error) { return w.d.GetVolumeSnapshot(ctx, id) })
}

func (w *recordingDriver) ListVolumeSnapshots(ctx context.Context, opts core.ListOptions) ([]core.VolumeSnapshot, error) {
	return observe(w.r, "ListVolumeSnapshots", opts, func() ([]core.VolumeSnapshot, error) { return w.d.ListVolumeSnapshots(ctx, opts) })
}

func (w *recordingDriver) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteVolumeSnapshot", idReq{ID: id}, func() error { return w.d.DeleteVolumeSnapshot(ctx, id) })
}

// ---- backups (X.2) ----

func (w *recordingDriver) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	return observe(w.r, "CreateBackup", req, func() (core.Backup, error) { return w.d.CreateBackup(ctx, req) })
}

func (w *recordingDriver) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	return observe(w.r, "GetBackup", idReq{ID: id}, func() (core.Backup, error) { return w.d.GetBackup(ctx, id) })
}

func (w *recordingDriver) ListBackups(ctx context.Context, opts core.ListOptions) ([]core.Backup, error) {
	return observe(w.r, "ListBackups", opts, func() ([]core.Backup, error) { return w.d.ListBackups(ctx, opts) })
}

func (w *recordingDriver) DeleteBackup(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteBackup", idReq{ID: id}, func() error { return w.d.DeleteBackup(ctx, id) })
}

// ---- routers (X.3) ----

func (w *recordingDriver) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	return observe(w.r, "CreateRouter", req, func() (core.Router, error) { return w.d.CreateRouter(ctx, req) })
}

func (w *recordingDriver) GetRouter(ctx context.Context, id string) (core.Router, error) {
	return observe(w.r, "GetRouter", idReq{ID: id}, func() (core.Router, error) { return w.d.GetRouter(ctx, id) })
}

func (w *recordingDriver) ListRouters(ctx context.Context, opts core.ListOptions) ([]core.Router, error) {
	return observe(w.r, "ListRouters", opts, func() ([]core.Router, error) { return w.d.ListRouters(ctx, opts) })
}

func (w *recordingDriver) DeleteRouter(ctx context.Context, id string) error {
	return observeErr(w.r, "DeleteRouter", idReq{ID: id}, func() error { return w.d.DeleteRouter(ctx, id) })
}

func (w *recordingDriver) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return observe(w.r, "AddRouterInterface", idReq{id, map[string]string{"subnet_id": subnetID}}, func() (core.Router, error) { return w.d.AddRouterInterface(ctx, id, subnetID) })
}

func (w *recordingDriver) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	return observe(w.r, "RemoveRouterInterface", idReq{id, map[string]string{"subnet_id": subnetID}}, func() (core.Router, error) { return w.d.RemoveRouterInterface(ctx, id, subnetID) })
}
