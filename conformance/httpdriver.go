package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// httpDriver is an HTTP deployment seen as a core.Driver: every operation
// is a call to the REST API (api/openapi.yaml), so the same checks prove a
// driver in process, a plugin and a whole deployment. It acts in one
// datacenter of the deployment (the target's) where an operation has no
// datacenter of its own (flavors, Info).
type httpDriver struct {
	t *HTTPTarget
}

var _ core.Driver = (*httpDriver)(nil)

// httpResource is where a type lives in the API and the names that wrap it.
type httpResource struct {
	path, one, many string
}

var (
	httpResServer     = httpResource{"/servers", "server", "servers"}
	httpResFlavor     = httpResource{"/flavors", "flavor", "flavors"}
	httpResImage      = httpResource{"/images", "image", "images"}
	httpResNetwork    = httpResource{"/networks", "network", "networks"}
	httpResFloatingIP = httpResource{"/floatingips", "floatingip", "floatingips"}
	httpResPublicIP   = httpResource{"/publicips", "publicip", "publicips"}
	httpResLB         = httpResource{"/loadbalancers", "loadbalancer", "loadbalancers"}
	httpResSecGroup   = httpResource{"/security-groups", "security_group", "security_groups"}
	httpResSecRule    = httpResource{"/security-group-rules", "security_group_rule", "security_group_rules"}
	httpResVolume     = httpResource{"/volumes", "volume", "volumes"}
	httpResSnapshot   = httpResource{"/volume-snapshots", "snapshot", "snapshots"}
	httpResBackup     = httpResource{"/backups", "backup", "backups"}
	httpResRouter     = httpResource{"/routers", "router", "routers"}
)

const httpProjectTemplate = "/v1/{project_id}"

func (d *httpDriver) project(p string) string {
	if p == "" {
		return d.t.projectID
	}
	return p
}

func (d *httpDriver) dc(dc string) string {
	if dc == "" {
		return d.t.datacenter
	}
	return dc
}

// do makes the call of op and decodes the answer's member wrap (the whole
// answer when wrap is empty) into out (nothing when nil).
func (d *httpDriver) do(ctx context.Context, op string, q Req, wrap string, out any) (*Resp, error) {
	r, err := d.t.Do(ctx, q)
	if err != nil {
		return nil, core.WithOp(op, err)
	}
	if err := r.Err(); err != nil {
		return r, core.WithOp(op, err)
	}
	if out == nil {
		return r, nil
	}
	raw := json.RawMessage(r.Body)
	if wrap != "" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &m); err != nil {
			return r, &core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("the answer is not a JSON object: %v", err)}
		}
		var ok bool
		if raw, ok = m[wrap]; !ok {
			return r, &core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("the answer has no %q member", wrap)}
		}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return r, &core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("the answer's %s: %v", wrap, err)}
	}
	return r, nil
}

// idPath is a resource's path and its template.
func (d *httpDriver) idPath(project string, r httpResource, id, suffix string) (path, tmpl string, err error) {
	if id == "" {
		// A path cannot carry an empty id; the API would route elsewhere.
		return "", "", core.Errorf(core.InvalidArgument, "id: is required")
	}
	return "/v1/" + url.PathEscape(d.project(project)) + r.path + "/" + url.PathEscape(id) + suffix,
		httpProjectTemplate + r.path + "/{id}" + suffix, nil
}

// httpGet fetches one resource of the run's project.
func httpGet[T any](ctx context.Context, d *httpDriver, op string, r httpResource, id string, q url.Values) (T, error) {
	var v T
	path, tmpl, err := d.idPath("", r, id, "")
	if err != nil {
		return v, core.WithOp(op, err)
	}
	_, err = d.do(ctx, op, Req{Method: "GET", Path: path, Op: tmpl, Query: q}, r.one, &v)
	return v, err
}

// action posts body to a resource's sub-path (or the resource itself for
// PUT/PATCH/DELETE) and decodes the answer's resource into out, if any.
func (d *httpDriver) action(ctx context.Context, op, method string, r httpResource, id, suffix string, body any, out any) error {
	path, tmpl, err := d.idPath("", r, id, suffix)
	if err != nil {
		return core.WithOp(op, err)
	}
	wrap := r.one
	if out == nil {
		wrap = ""
	}
	_, err = d.do(ctx, op, Req{Method: method, Path: path, Op: tmpl, Body: body}, wrap, out)
	return err
}

// httpPageSize is the largest page the API answers; list follows markers past it.
const httpPageSize = 1000

// httpList fetches every page of a list.
func httpList[T any](ctx context.Context, d *httpDriver, op string, r httpResource, o core.ListOptions) ([]T, error) {
	out := []T{}
	q := url.Values{"limit": {strconv.Itoa(httpPageSize)}}
	if o.DatacenterID != "" {
		q.Set("datacenter", o.DatacenterID)
	}
	for {
		var page []json.RawMessage
		if _, err := d.do(ctx, op, Req{Method: "GET", Path: "/v1/" + url.PathEscape(d.project(o.ProjectID)) + r.path,
			Op: httpProjectTemplate + r.path, Query: q}, r.many, &page); err != nil {
			return nil, err
		}
		for _, raw := range page {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, &core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("an item of %s: %v", r.many, err)}
			}
			out = append(out, v)
		}
		if len(page) < httpPageSize {
			return out, nil
		}
		var last struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(page[len(page)-1], &last)
		q.Set("marker", last.ID)
	}
}

// httpCreateBody turns a core create request into the API's: the create meta
// goes into the datacenter_id member and the Idempotency-Key header, and
// empty strings are left out (the API treats absent as default, and
// refuses empty ids).
func httpCreateBody(v any, dc string) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"project_id", "datacenter_id", "client_token", "tags"} {
		delete(m, k)
	}
	httpPrune(m)
	if dc != "" {
		m["datacenter_id"] = dc
	}
	return m
}

func httpPrune(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if val == nil || val == "" {
				delete(x, k)
				continue
			}
			if k != "metadata" {
				httpPrune(val)
			}
		}
	case []any:
		for _, it := range x {
			httpPrune(it)
		}
	}
}

// httpCreate posts a create request and remembers the tags of what it made.
func httpCreate[T any](ctx context.Context, d *httpDriver, op string, r httpResource, meta core.CreateMeta, body map[string]any, id func(T) string) (T, error) {
	var v T
	q := Req{Method: "POST", Path: "/v1/" + url.PathEscape(d.project(meta.ProjectID)) + r.path, Op: httpProjectTemplate + r.path,
		Body: map[string]any{r.one: body}}
	if meta.ClientToken != "" {
		q.Header = http.Header{"Idempotency-Key": {meta.ClientToken}}
	}
	_, err := d.do(ctx, op, q, r.one, &v)
	if err == nil {
		d.t.remember(id(v), meta.Tags)
	}
	return v, err
}

func (d *httpDriver) tag(m *core.Meta, id string) { m.Tags = d.t.tagsOf(id) }

// ---- driver ----

func (d *httpDriver) Info(ctx context.Context) (core.DriverInfo, error) {
	dcs, err := d.t.datacenters(ctx)
	if err != nil {
		return core.DriverInfo{}, core.WithOp("Info", err)
	}
	for _, dc := range dcs {
		if dc.ID != d.t.datacenter {
			continue
		}
		info := core.DriverInfo{Name: dc.Driver, Version: dc.Version, StateTimeout: d.t.timeout, CanReplay: true}
		if info.Name == "" {
			info.Name = "http"
		}
		info.Name += " at " + d.t.base.Host + " (" + dc.ID + ")"
		for _, c := range dc.Capabilities {
			info.Capabilities = append(info.Capabilities, core.Clause(c))
		}
		return info, nil
	}
	return core.DriverInfo{}, core.Errorf(core.NotFound, "Info: datacenter %s is no longer listed", d.t.datacenter)
}

func (d *httpDriver) Health(ctx context.Context) error {
	dcs, err := d.t.datacenters(ctx)
	if err != nil {
		return core.Wrap(core.Unavailable, "Health", err)
	}
	for _, dc := range dcs {
		if dc.ID == d.t.datacenter {
			if dc.Health != "ok" {
				return core.Errorf(core.Unavailable, "datacenter %s is %s: %s", dc.ID, dc.Health, dc.HealthDetail)
			}
			return nil
		}
	}
	return core.Errorf(core.Unavailable, "datacenter %s is not listed", d.t.datacenter)
}

// Close revokes the run's tokens: a token left valid is a credential left
// lying around.
func (d *httpDriver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	toks := []string{d.t.token}
	d.t.secondMu.Lock()
	if d.t.second != nil {
		toks = append(toks, d.t.second.token)
	}
	d.t.secondMu.Unlock()
	var first error
	for _, tok := range toks {
		r, err := d.t.Do(ctx, Req{Method: "DELETE", Path: "/v3/auth/tokens", Token: tok, Header: http.Header{"X-Subject-Token": {tok}}})
		if err == nil {
			err = r.Err()
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ---- events ----

type httpEventBody struct {
	Seq          int64                `json:"seq"`
	ID           string               `json:"id"`
	ResourceType core.ResourceType    `json:"resource_type"`
	ResourceID   string               `json:"resource_id"`
	DatacenterID string               `json:"datacenter_id"`
	ProjectID    string               `json:"project_id"`
	FromState    string               `json:"from_state"`
	ToState      string               `json:"to_state"`
	Attributes   core.EventAttributes `json:"attributes"`
	Time         time.Time            `json:"time"`
}

// Watch reads the project's Server-Sent Events; after is an event's seq,
// sent as Last-Event-ID as a reconnecting EventSource does.
func (d *httpDriver) Watch(ctx context.Context, after string, fn func(core.Event) error) error {
	const op = "Watch"
	q := Req{Method: "GET", Path: d.t.ProjectPath("/events"), Op: httpProjectTemplate + "/events"}
	if after != "" {
		q.Header = http.Header{"Last-Event-ID": {after}}
	}
	req, err := d.t.newRequest(ctx, q, nil)
	if err != nil {
		return Broken(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	// The stream lasts as long as ctx: the client's own timeout would cut it.
	client := *d.t.client
	client.Timeout = 0
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = &core.Error{Kind: core.Unavailable, Op: op, Message: err.Error()}
		d.t.rec.Observe("GET "+q.Op, time.Since(start), nil, "", err)
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		r := &Resp{Status: resp.StatusCode, Header: resp.Header, Body: b}
		d.t.rec.Observe("GET "+q.Op, time.Since(start), nil, fmt.Sprintf("%d %s", r.Status, b), r.Err())
		if err := r.Err(); err != nil {
			return core.WithOp(op, err)
		}
		return &core.Error{Kind: core.Internal, Op: op, Message: fmt.Sprintf("the event stream answered %d", resp.StatusCode)}
	}
	d.t.rec.Observe("GET "+q.Op, time.Since(start), nil, "200 text/event-stream", nil)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var event string
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				if err := d.dispatch(event, strings.Join(data, "\n"), fn); err != nil {
					return err
				}
			}
			event, data = "", nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			event = value
		case "data":
			data = append(data, value)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return &core.Error{Kind: core.Unavailable, Op: op, Message: "the event stream broke: " + err.Error()}
	}
	return &core.Error{Kind: core.Unavailable, Op: op, Message: "the event stream ended"}
}

func (d *httpDriver) dispatch(event, data string, fn func(core.Event) error) error {
	if event == "error" {
		r := &Resp{Status: http.StatusInternalServerError, Body: []byte(data)}
		var eb ErrorBody
		if json.Unmarshal([]byte(data), &eb) == nil && eb.Error.Code != nil {
			r.Status = *eb.Error.Code
		}
		return core.WithOp("Watch", r.Err())
	}
	var b httpEventBody
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		return &core.Error{Kind: core.Internal, Op: "Watch", Message: fmt.Sprintf("an event: %v", err)}
	}
	return fn(core.Event{ID: b.ID, Cursor: strconv.FormatInt(b.Seq, 10), ResourceType: b.ResourceType, ResourceID: b.ResourceID,
		DatacenterID: b.DatacenterID, ProjectID: b.ProjectID, FromState: b.FromState, ToState: b.ToState,
		Attributes: b.Attributes, Time: b.Time})
}

// ---- datacenters and quotas ----

func (d *httpDriver) ListDatacenters(ctx context.Context) ([]core.Datacenter, error) {
	dcs, err := d.t.datacenters(ctx)
	if err != nil {
		return nil, core.WithOp("ListDatacenters", err)
	}
	out := make([]core.Datacenter, 0, len(dcs))
	for _, dc := range dcs {
		out = append(out, core.Datacenter{ID: dc.ID, Name: dc.Name, Kind: core.DatacenterKind(dc.Kind), Hosts: dc.Hosts,
			Available: dc.Health == "ok"})
	}
	return out, nil
}

func (d *httpDriver) quota(ctx context.Context, op, dc, project, kind string, out any) error {
	if dc == "" {
		return core.Errorf(core.InvalidArgument, "%s: datacenter: is required", op)
	}
	q := Req{Method: "GET", Path: "/v1/" + url.PathEscape(d.project(project)) + "/datacenters/" + url.PathEscape(dc) + "/quotas/" + kind,
		Op: httpProjectTemplate + "/datacenters/{dc}/quotas/" + kind}
	_, err := d.do(ctx, op, q, "quota", out)
	return err
}

func (d *httpDriver) GetComputeQuota(ctx context.Context, dc, project string) (core.ComputeQuota, error) {
	var q core.ComputeQuota
	return q, d.quota(ctx, "GetComputeQuota", dc, project, "compute", &q)
}

func (d *httpDriver) GetVolumeQuota(ctx context.Context, dc, project string) (core.VolumeQuota, error) {
	var q core.VolumeQuota
	return q, d.quota(ctx, "GetVolumeQuota", dc, project, "volume", &q)
}

// ---- servers ----

// httpServerBody is a server as the API shows it: addresses grouped by kind,
// security groups under their own name.
type httpServerBody struct {
	core.Server
	Addresses      map[core.AddressKind][]core.ServerAddress `json:"addresses"`
	SecurityGroups []string                                  `json:"security_groups"`
}

func (d *httpDriver) server(b httpServerBody) core.Server {
	s := b.Server
	s.SecurityGroupIDs = b.SecurityGroups
	s.Addresses = nil
	for _, k := range []core.AddressKind{core.AddressPrivate, core.AddressFloating, core.AddressPublic} {
		for _, a := range b.Addresses[k] {
			a.Kind = k
			s.Addresses = append(s.Addresses, a)
		}
	}
	d.tag(&s.Meta, s.ID)
	return s
}

func (d *httpDriver) CreateServer(ctx context.Context, req core.ServerCreate) (core.Server, error) {
	b, err := httpCreate(ctx, d, "CreateServer", httpResServer, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(b httpServerBody) string { return b.ID })
	return d.server(b), err
}

func (d *httpDriver) GetServer(ctx context.Context, id string) (core.Server, error) {
	b, err := httpGet[httpServerBody](ctx, d, "GetServer", httpResServer, id, nil)
	return d.server(b), err
}

func (d *httpDriver) ListServers(ctx context.Context, o core.ListOptions) ([]core.Server, error) {
	bs, err := httpList[httpServerBody](ctx, d, "ListServers", httpResServer, o)
	out := make([]core.Server, len(bs))
	for i, b := range bs {
		out[i] = d.server(b)
	}
	return out, err
}

func (d *httpDriver) UpdateServer(ctx context.Context, id string, req core.ServerUpdate) (core.Server, error) {
	var b httpServerBody
	err := d.action(ctx, "UpdateServer", "PUT", httpResServer, id, "", map[string]any{"server": req}, &b)
	return d.server(b), err
}

func (d *httpDriver) DeleteServer(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteServer", "DELETE", httpResServer, id, "", nil, nil)
}

func (d *httpDriver) StartServer(ctx context.Context, id string) error {
	return d.action(ctx, "StartServer", "POST", httpResServer, id, "/start", nil, nil)
}

func (d *httpDriver) StopServer(ctx context.Context, id string) error {
	return d.action(ctx, "StopServer", "POST", httpResServer, id, "/stop", nil, nil)
}

func (d *httpDriver) RebootServer(ctx context.Context, id string, kind core.RebootType) error {
	return d.action(ctx, "RebootServer", "POST", httpResServer, id, "/reboot", map[string]any{"type": kind}, nil)
}

func (d *httpDriver) LiveMigrateServer(ctx context.Context, id, host string) error {
	return d.action(ctx, "LiveMigrateServer", "POST", httpResServer, id, "/live-migrate", map[string]any{"host": host}, nil)
}

func (d *httpDriver) ResizeServer(ctx context.Context, id, flavorID string) error {
	return d.action(ctx, "ResizeServer", "POST", httpResServer, id, "/resize", map[string]any{"flavor_id": flavorID}, nil)
}

func (d *httpDriver) ConfirmResize(ctx context.Context, id string) error {
	return d.action(ctx, "ConfirmResize", "POST", httpResServer, id, "/confirm-resize", nil, nil)
}

func (d *httpDriver) RevertResize(ctx context.Context, id string) error {
	return d.action(ctx, "RevertResize", "POST", httpResServer, id, "/revert-resize", nil, nil)
}

// ---- flavors: the target's datacenter's ----

func (d *httpDriver) inDC() url.Values { return url.Values{"datacenter": {d.t.datacenter}} }

func (d *httpDriver) CreateFlavor(ctx context.Context, req core.FlavorCreate) (core.Flavor, error) {
	var f core.Flavor
	body := httpCreateBody(req, d.t.datacenter)
	body["public"] = req.Public // false is meaningful: absent means true
	_, err := d.do(ctx, "CreateFlavor", Req{Method: "POST", Path: d.t.ProjectPath(httpResFlavor.path), Op: httpProjectTemplate + httpResFlavor.path,
		Body: map[string]any{"flavor": body}}, "flavor", &f)
	return f, err
}

func (d *httpDriver) GetFlavor(ctx context.Context, id string) (core.Flavor, error) {
	return httpGet[core.Flavor](ctx, d, "GetFlavor", httpResFlavor, id, d.inDC())
}

func (d *httpDriver) ListFlavors(ctx context.Context) ([]core.Flavor, error) {
	return httpList[core.Flavor](ctx, d, "ListFlavors", httpResFlavor, core.ListOptions{DatacenterID: d.t.datacenter})
}

func (d *httpDriver) DeleteFlavor(ctx context.Context, id string) error {
	path, tmpl, err := d.idPath("", httpResFlavor, id, "")
	if err != nil {
		return core.WithOp("DeleteFlavor", err)
	}
	_, err = d.do(ctx, "DeleteFlavor", Req{Method: "DELETE", Path: path, Op: tmpl, Query: d.inDC()}, "", nil)
	return err
}

// ---- images ----

func (d *httpDriver) image(v core.Image) core.Image { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateImage(ctx context.Context, req core.ImageCreate) (core.Image, error) {
	v, err := httpCreate(ctx, d, "CreateImage", httpResImage, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.Image) string { return v.ID })
	return d.image(v), err
}

func (d *httpDriver) UploadImage(ctx context.Context, id string, o core.ImageUpload, data io.Reader) (core.Image, error) {
	const op = "UploadImage"
	var v core.Image
	path, tmpl, err := d.idPath("", httpResImage, id, "/file")
	if err != nil {
		return v, core.WithOp(op, err)
	}
	q := url.Values{}
	if o.DiskFormat != "" {
		q.Set("disk_format", o.DiskFormat)
	}
	if o.Source != "" {
		q.Set("source", o.Source)
	}
	if data == nil {
		data = strings.NewReader("")
	}
	_, err = d.do(ctx, op, Req{Method: "PUT", Path: path, Op: tmpl, Query: q, Stream: data, ContentType: "application/octet-stream"}, "image", &v)
	return d.image(v), err
}

func (d *httpDriver) GetImage(ctx context.Context, id string) (core.Image, error) {
	v, err := httpGet[core.Image](ctx, d, "GetImage", httpResImage, id, nil)
	return d.image(v), err
}

func (d *httpDriver) ListImages(ctx context.Context, o core.ListOptions) ([]core.Image, error) {
	vs, err := httpList[core.Image](ctx, d, "ListImages", httpResImage, o)
	for i := range vs {
		vs[i] = d.image(vs[i])
	}
	return vs, err
}

// httpImagePatchType is Glance's media type for an image patch (B.2.3.5).
const httpImagePatchType = "application/openstack-images-v2.1-json-patch"

func (d *httpDriver) UpdateImage(ctx context.Context, id string, ops []core.PatchOp) (core.Image, error) {
	const op = "UpdateImage"
	var v core.Image
	path, tmpl, err := d.idPath("", httpResImage, id, "")
	if err != nil {
		return v, core.WithOp(op, err)
	}
	// Built by hand: PatchOp leaves out a false or zero value, which a
	// replace needs.
	body := make([]map[string]any, len(ops))
	for i, o := range ops {
		body[i] = map[string]any{"op": o.Op, "path": o.Path}
		if o.Op != "remove" || o.Value != nil {
			body[i]["value"] = o.Value
		}
	}
	_, err = d.do(ctx, op, Req{Method: "PATCH", Path: path, Op: tmpl, Body: body, ContentType: httpImagePatchType}, "image", &v)
	return d.image(v), err
}

func (d *httpDriver) DeleteImage(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteImage", "DELETE", httpResImage, id, "", nil, nil)
}

// ---- networks ----

func (d *httpDriver) ListNetworks(ctx context.Context, o core.ListOptions) ([]core.Network, error) {
	return httpList[core.Network](ctx, d, "ListNetworks", httpResNetwork, o)
}

func (d *httpDriver) GetNetwork(ctx context.Context, id string) (core.Network, error) {
	return httpGet[core.Network](ctx, d, "GetNetwork", httpResNetwork, id, nil)
}

// ListPorts: the API has no ports route; a server's ports are its private
// addresses, each with its port id, network and MAC, so the ports of the
// project's servers are derived from those, their subnet from the
// network's subnets.
func (d *httpDriver) ListPorts(ctx context.Context, o core.ListOptions) ([]core.Port, error) {
	servers, err := d.ListServers(ctx, o)
	if err != nil {
		return nil, core.WithOp("ListPorts", err)
	}
	nets, err := d.ListNetworks(ctx, o)
	if err != nil {
		return nil, core.WithOp("ListPorts", err)
	}
	subnetOf := func(netID, ip string) string {
		addr := net.ParseIP(ip)
		for _, n := range nets {
			if n.ID != netID {
				continue
			}
			for _, sn := range n.Subnets {
				if _, c, err := net.ParseCIDR(sn.CIDR); err == nil && addr != nil && c.Contains(addr) {
					return sn.ID
				}
			}
		}
		return ""
	}
	out := []core.Port{}
	for _, s := range servers {
		for _, a := range s.Addresses {
			if a.Kind != core.AddressPrivate || a.PortID == "" {
				continue
			}
			out = append(out, core.Port{ID: a.PortID, NetworkID: a.NetworkID, SubnetID: subnetOf(a.NetworkID, a.Address),
				DeviceID: s.ID, MACAddress: a.MAC, FixedIP: a.Address, Status: core.NetActive})
		}
	}
	return out, nil
}

// ---- floating IPs ----

func (d *httpDriver) fip(v core.FloatingIP) core.FloatingIP { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateFloatingIP(ctx context.Context, req core.FloatingIPCreate) (core.FloatingIP, error) {
	v, err := httpCreate(ctx, d, "CreateFloatingIP", httpResFloatingIP, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.FloatingIP) string { return v.ID })
	return d.fip(v), err
}

func (d *httpDriver) GetFloatingIP(ctx context.Context, id string) (core.FloatingIP, error) {
	v, err := httpGet[core.FloatingIP](ctx, d, "GetFloatingIP", httpResFloatingIP, id, nil)
	return d.fip(v), err
}

func (d *httpDriver) ListFloatingIPs(ctx context.Context, o core.ListOptions) ([]core.FloatingIP, error) {
	vs, err := httpList[core.FloatingIP](ctx, d, "ListFloatingIPs", httpResFloatingIP, o)
	for i := range vs {
		vs[i] = d.fip(vs[i])
	}
	return vs, err
}

func (d *httpDriver) UpdateFloatingIP(ctx context.Context, id string, req core.FloatingIPUpdate) (core.FloatingIP, error) {
	body := map[string]any{"port_id": nil} // null dissociates
	if req.PortID != "" {
		body["port_id"] = req.PortID
	}
	if req.FixedIP != "" {
		body["fixed_ip_address"] = req.FixedIP
	}
	var v core.FloatingIP
	err := d.action(ctx, "UpdateFloatingIP", "PUT", httpResFloatingIP, id, "", map[string]any{"floatingip": body}, &v)
	return d.fip(v), err
}

func (d *httpDriver) DeleteFloatingIP(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteFloatingIP", "DELETE", httpResFloatingIP, id, "", nil, nil)
}

// ---- public IPs ----

func (d *httpDriver) pip(v core.PublicIP) core.PublicIP { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreatePublicIP(ctx context.Context, req core.PublicIPCreate) (core.PublicIP, error) {
	v, err := httpCreate(ctx, d, "CreatePublicIP", httpResPublicIP, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.PublicIP) string { return v.ID })
	return d.pip(v), err
}

func (d *httpDriver) GetPublicIP(ctx context.Context, id string) (core.PublicIP, error) {
	v, err := httpGet[core.PublicIP](ctx, d, "GetPublicIP", httpResPublicIP, id, nil)
	return d.pip(v), err
}

func (d *httpDriver) ListPublicIPs(ctx context.Context, o core.ListOptions) ([]core.PublicIP, error) {
	vs, err := httpList[core.PublicIP](ctx, d, "ListPublicIPs", httpResPublicIP, o)
	for i := range vs {
		vs[i] = d.pip(vs[i])
	}
	return vs, err
}

func (d *httpDriver) BindPublicIP(ctx context.Context, id string, to core.PublicIPBinding) (core.PublicIP, error) {
	var v core.PublicIP
	err := d.action(ctx, "BindPublicIP", "POST", httpResPublicIP, id, "/bind", to, &v)
	return d.pip(v), err
}

func (d *httpDriver) UnbindPublicIP(ctx context.Context, id string, from core.PublicIPBinding) (core.PublicIP, error) {
	var body any
	if from != (core.PublicIPBinding{}) {
		body = from // else no body: unbind from whatever it is bound to
	}
	var v core.PublicIP
	err := d.action(ctx, "UnbindPublicIP", "POST", httpResPublicIP, id, "/unbind", body, &v)
	return d.pip(v), err
}

func (d *httpDriver) DeletePublicIP(ctx context.Context, id string) error {
	return d.action(ctx, "DeletePublicIP", "DELETE", httpResPublicIP, id, "", nil, nil)
}

// ---- load balancers ----

func (d *httpDriver) lb(v core.LoadBalancer) core.LoadBalancer { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateLoadBalancer(ctx context.Context, req core.LoadBalancerCreate) (core.LoadBalancer, error) {
	v, err := httpCreate(ctx, d, "CreateLoadBalancer", httpResLB, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.LoadBalancer) string { return v.ID })
	return d.lb(v), err
}

func (d *httpDriver) GetLoadBalancer(ctx context.Context, id string) (core.LoadBalancer, error) {
	v, err := httpGet[core.LoadBalancer](ctx, d, "GetLoadBalancer", httpResLB, id, nil)
	return d.lb(v), err
}

func (d *httpDriver) ListLoadBalancers(ctx context.Context, o core.ListOptions) ([]core.LoadBalancer, error) {
	vs, err := httpList[core.LoadBalancer](ctx, d, "ListLoadBalancers", httpResLB, o)
	for i := range vs {
		vs[i] = d.lb(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteLoadBalancer(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteLoadBalancer", "DELETE", httpResLB, id, "", nil, nil)
}

// members changes members (202) and answers the load balancer as it is then.
func (d *httpDriver) members(ctx context.Context, op, id string, body map[string]any) (core.LoadBalancer, error) {
	if err := d.action(ctx, op, "PATCH", httpResLB, id, "/members", body, nil); err != nil {
		return core.LoadBalancer{}, err
	}
	v, err := d.GetLoadBalancer(ctx, id)
	return v, core.WithOp(op, err)
}

func (d *httpDriver) AddMember(ctx context.Context, id string, m core.MemberAdd) (core.LoadBalancer, error) {
	return d.members(ctx, "AddMember", id, map[string]any{"add": []any{httpCreateBody(m, "")}})
}

func (d *httpDriver) RemoveMember(ctx context.Context, id string, m core.MemberRemove) (core.LoadBalancer, error) {
	return d.members(ctx, "RemoveMember", id, map[string]any{"remove": []any{httpCreateBody(m, "")}})
}

// ---- security groups ----

func (d *httpDriver) sg(v core.SecurityGroup) core.SecurityGroup { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateSecurityGroup(ctx context.Context, req core.SecurityGroupCreate) (core.SecurityGroup, error) {
	v, err := httpCreate(ctx, d, "CreateSecurityGroup", httpResSecGroup, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.SecurityGroup) string { return v.ID })
	return d.sg(v), err
}

func (d *httpDriver) GetSecurityGroup(ctx context.Context, id string) (core.SecurityGroup, error) {
	v, err := httpGet[core.SecurityGroup](ctx, d, "GetSecurityGroup", httpResSecGroup, id, nil)
	return d.sg(v), err
}

func (d *httpDriver) ListSecurityGroups(ctx context.Context, o core.ListOptions) ([]core.SecurityGroup, error) {
	vs, err := httpList[core.SecurityGroup](ctx, d, "ListSecurityGroups", httpResSecGroup, o)
	for i := range vs {
		vs[i] = d.sg(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteSecurityGroup(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteSecurityGroup", "DELETE", httpResSecGroup, id, "", nil, nil)
}

func (d *httpDriver) CreateSecurityGroupRule(ctx context.Context, req core.SecurityGroupRuleCreate) (core.SecurityGroupRule, error) {
	var r core.SecurityGroupRule
	body := httpCreateBody(req, "")
	_, err := d.do(ctx, "CreateSecurityGroupRule", Req{Method: "POST", Path: d.t.ProjectPath(httpResSecRule.path), Op: httpProjectTemplate + httpResSecRule.path,
		Body: map[string]any{httpResSecRule.one: body}}, httpResSecRule.one, &r)
	return r, err
}

func (d *httpDriver) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteSecurityGroupRule", "DELETE", httpResSecRule, id, "", nil, nil)
}

// ---- volumes ----

func (d *httpDriver) vol(v core.Volume) core.Volume { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateVolume(ctx context.Context, req core.VolumeCreate) (core.Volume, error) {
	v, err := httpCreate(ctx, d, "CreateVolume", httpResVolume, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.Volume) string { return v.ID })
	return d.vol(v), err
}

func (d *httpDriver) GetVolume(ctx context.Context, id string) (core.Volume, error) {
	v, err := httpGet[core.Volume](ctx, d, "GetVolume", httpResVolume, id, nil)
	return d.vol(v), err
}

func (d *httpDriver) ListVolumes(ctx context.Context, o core.ListOptions) ([]core.Volume, error) {
	vs, err := httpList[core.Volume](ctx, d, "ListVolumes", httpResVolume, o)
	for i := range vs {
		vs[i] = d.vol(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteVolume(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteVolume", "DELETE", httpResVolume, id, "", nil, nil)
}

func (d *httpDriver) AttachVolume(ctx context.Context, id string, req core.VolumeAttach) (core.Volume, error) {
	var v core.Volume
	err := d.action(ctx, "AttachVolume", "POST", httpResVolume, id, "/attach", httpCreateBody(req, ""), &v)
	return d.vol(v), err
}

func (d *httpDriver) DetachVolume(ctx context.Context, id, serverID string) (core.Volume, error) {
	var v core.Volume
	err := d.action(ctx, "DetachVolume", "POST", httpResVolume, id, "/detach", map[string]any{"server_id": serverID}, &v)
	return d.vol(v), err
}

// ExtendVolume is accepted (202) without a body: the volume is read back.
func (d *httpDriver) ExtendVolume(ctx context.Context, id string, size int64) (core.Volume, error) {
	if err := d.action(ctx, "ExtendVolume", "POST", httpResVolume, id, "/extend", map[string]any{"size_gb": size}, nil); err != nil {
		return core.Volume{}, err
	}
	v, err := d.GetVolume(ctx, id)
	return v, core.WithOp("ExtendVolume", err)
}

// ---- volume snapshots and backups: made where their volume is ----

func (d *httpDriver) snap(v core.VolumeSnapshot) core.VolumeSnapshot { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateVolumeSnapshot(ctx context.Context, req core.VolumeSnapshotCreate) (core.VolumeSnapshot, error) {
	v, err := httpCreate(ctx, d, "CreateVolumeSnapshot", httpResSnapshot, req.CreateMeta, httpCreateBody(req, ""),
		func(v core.VolumeSnapshot) string { return v.ID })
	return d.snap(v), err
}

func (d *httpDriver) GetVolumeSnapshot(ctx context.Context, id string) (core.VolumeSnapshot, error) {
	v, err := httpGet[core.VolumeSnapshot](ctx, d, "GetVolumeSnapshot", httpResSnapshot, id, nil)
	return d.snap(v), err
}

func (d *httpDriver) ListVolumeSnapshots(ctx context.Context, o core.ListOptions) ([]core.VolumeSnapshot, error) {
	vs, err := httpList[core.VolumeSnapshot](ctx, d, "ListVolumeSnapshots", httpResSnapshot, o)
	for i := range vs {
		vs[i] = d.snap(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteVolumeSnapshot(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteVolumeSnapshot", "DELETE", httpResSnapshot, id, "", nil, nil)
}

func (d *httpDriver) backup(v core.Backup) core.Backup { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateBackup(ctx context.Context, req core.BackupCreate) (core.Backup, error) {
	v, err := httpCreate(ctx, d, "CreateBackup", httpResBackup, req.CreateMeta, httpCreateBody(req, ""),
		func(v core.Backup) string { return v.ID })
	return d.backup(v), err
}

func (d *httpDriver) GetBackup(ctx context.Context, id string) (core.Backup, error) {
	v, err := httpGet[core.Backup](ctx, d, "GetBackup", httpResBackup, id, nil)
	return d.backup(v), err
}

func (d *httpDriver) ListBackups(ctx context.Context, o core.ListOptions) ([]core.Backup, error) {
	vs, err := httpList[core.Backup](ctx, d, "ListBackups", httpResBackup, o)
	for i := range vs {
		vs[i] = d.backup(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteBackup(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteBackup", "DELETE", httpResBackup, id, "", nil, nil)
}

// ---- routers ----

func (d *httpDriver) router(v core.Router) core.Router { d.tag(&v.Meta, v.ID); return v }

func (d *httpDriver) CreateRouter(ctx context.Context, req core.RouterCreate) (core.Router, error) {
	v, err := httpCreate(ctx, d, "CreateRouter", httpResRouter, req.CreateMeta, httpCreateBody(req, d.dc(req.DatacenterID)),
		func(v core.Router) string { return v.ID })
	return d.router(v), err
}

func (d *httpDriver) GetRouter(ctx context.Context, id string) (core.Router, error) {
	v, err := httpGet[core.Router](ctx, d, "GetRouter", httpResRouter, id, nil)
	return d.router(v), err
}

func (d *httpDriver) ListRouters(ctx context.Context, o core.ListOptions) ([]core.Router, error) {
	vs, err := httpList[core.Router](ctx, d, "ListRouters", httpResRouter, o)
	for i := range vs {
		vs[i] = d.router(vs[i])
	}
	return vs, err
}

func (d *httpDriver) DeleteRouter(ctx context.Context, id string) error {
	return d.action(ctx, "DeleteRouter", "DELETE", httpResRouter, id, "", nil, nil)
}

func (d *httpDriver) AddRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	var v core.Router
	err := d.action(ctx, "AddRouterInterface", "POST", httpResRouter, id, "/add-interface", map[string]any{"subnet_id": subnetID}, &v)
	return d.router(v), err
}

func (d *httpDriver) RemoveRouterInterface(ctx context.Context, id, subnetID string) (core.Router, error) {
	var v core.Router
	err := d.action(ctx, "RemoveRouterInterface", "POST", httpResRouter, id, "/remove-interface", map[string]any{"subnet_id": subnetID}, &v)
	return d.router(v), err
}
