package adapter

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/core"
)

// IntentTag is the tag every resource created through the adapter carries
// on its cloud, where the cloud allows: the create intent's token, by which
// the reconciler adopts a create cut short.
const IntentTag = "gisiaas:intent"

// apiTime is a time in SPEC A.0.4's format (ISO 8601, UTC, microseconds);
// the zero time is null.
type apiTime time.Time

func (t apiTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(TimeFormat) + `"`), nil
}

// backendOf returns the backend serving datacenter id. A registered
// resource whose datacenter is no longer configured is Unavailable.
func (s *Server) backendOf(id string) (*backend, error) {
	b, ok := s.backends[id]
	if !ok {
		return nil, core.Errorf(core.Unavailable, "datacenter %s is not configured on this server", id)
	}
	return b, nil
}

// owned finds resource typ/id of the path's project and the backend that
// holds it. Another project's id is NotFound, never Forbidden: its existence
// is not revealed.
func (s *Server) owned(c echo.Context, typ core.ResourceType, id string) (registry.Resource, *backend, error) {
	if err := core.ValidateID("id", id); err != nil {
		return registry.Resource{}, nil, err
	}
	res, err := s.reg.Owned(typ, id, c.Param("project_id"))
	if err != nil {
		return res, nil, err
	}
	b, err := s.backendOf(res.DatacenterID)
	return res, b, err
}

// checkRef checks an id a request refers to (a volume to boot from, a
// network, a security group): another project's is refused exactly as an
// unknown one is (InvalidArgument naming the field), and a project resource
// in another datacenter than dc is InvalidArgument. Ids the registry does not hold (shared objects: public
// images, flavors, external networks) are left to the driver.
func (s *Server) checkRef(project, dc string, typ core.ResourceType, field, id string) error {
	res, ok := s.reg.Get(typ, id)
	if !ok {
		return nil
	}
	if res.ProjectID != project {
		// The same answer as for an id that does not exist (a bad
		// parameter, as drivers answer unknown ids in a body): nothing
		// tells that it exists in another project.
		return core.Errorf(core.InvalidArgument, "%s: %s %s not found", field, typ, id)
	}
	if res.DatacenterID != dc {
		return core.Errorf(core.InvalidArgument, "%s: %s %s is in datacenter %s, not %s", field, typ, id, res.DatacenterID, dc)
	}
	return nil
}

// ref is an id a request refers to, for checkRefs.
type ref struct {
	typ   core.ResourceType
	field string
	id    string
}

// checkRefs runs checkRef on each non-empty ref.
func (s *Server) checkRefs(project, dc string, refs ...ref) error {
	for _, r := range refs {
		if r.id == "" {
			continue
		}
		if err := s.checkRef(project, dc, r.typ, r.field, r.id); err != nil {
			return err
		}
	}
	return nil
}

// createDatacenter picks the datacenter a create goes to: the one named,
// else the only one, else the first configured (the default).
func (s *Server) createDatacenter(named string) (*backend, error) {
	if named == "" {
		if len(s.dcs) == 0 {
			return nil, core.Errorf(core.Unavailable, "no datacenter is configured")
		}
		return s.backends[s.dcs[0].ID], nil
	}
	b, ok := s.backends[named]
	if !ok {
		return nil, core.Errorf(core.InvalidArgument, "datacenter_id: unknown datacenter %s", named)
	}
	return b, nil
}

// created is what a create callback returns: the new resource's id and
// state, and the body to answer.
type created struct {
	ID    string
	State string
	Body  any
}

// create runs a create with the registry's guarantees: the intent is
// recorded before the driver is called, with its token as the driver's
// client token and tag; an Idempotency-Key with the same request within 24
// hours answers the first answer and creates nothing twice; a refusal is
// recorded so a replay answers the same error. req is the decoded request,
// hashed to tell a replay from a different request under the same key.
func (s *Server) create(c echo.Context, typ core.ResourceType, clause core.Clause, b *backend, req any,
	fn func(ctx context.Context, meta core.CreateMeta) (created, error)) error {
	return s.createWith(c, typ, clause, b, req, createOptions{status: http.StatusAccepted}, fn)
}

// createOptions vary create for creates that are synchronous (201) or make
// an object the registry does not hold (a shared flavor).
type createOptions struct {
	status       int
	unregistered bool
}

// createWith is create with options.
func (s *Server) createWith(c echo.Context, typ core.ResourceType, clause core.Clause, b *backend, req any, opts createOptions,
	fn func(ctx context.Context, meta core.CreateMeta) (created, error)) error {
	ctx := c.Request().Context()
	project, who := c.Param("project_id"), callerOf(c)
	if s.billing != nil && who.Project != nil {
		// A department out of balance may be refused new resources (402),
		// when billing is set to; by default it keeps running (BL.11).
		if err := s.billing.CanCreate(ctx, who.Project.DepartmentID); err != nil {
			return err
		}
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if len(key) > 255 {
		return core.Errorf(core.InvalidArgument, "Idempotency-Key: longer than 255 characters")
	}
	raw, _ := json.Marshal(req)
	sum := sha256.Sum256([]byte(c.Request().Method + " " + c.Path() + "\n" + string(raw)))
	in, replay, err := s.reg.BeginCreate(ctx, registry.Intent{ProjectID: project, UserID: who.User.ID, Type: typ,
		DatacenterID: b.ID, IdempotencyKey: sql.NullString{String: key, Valid: key != ""}, RequestHash: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	if replay && (in.Status == registry.IntentDone || in.Status == registry.IntentFailed) {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSONBlob(in.ResponseCode, in.Response)
	}
	meta := core.CreateMeta{ProjectID: project, DatacenterID: b.ID, ClientToken: in.Token, Tags: map[string]string{IntentTag: in.Token}}
	var out created
	err = b.call(ctx, clause, func(ctx context.Context) (err error) {
		out, err = fn(ctx, meta)
		return err
	})
	if err != nil {
		switch core.KindOf(err) {
		case core.Unavailable, core.Throttled, core.Internal:
			// The cloud may or may not have it: the intent stays pending
			// for the reconciler to adopt or abandon, and a retry with the
			// same key calls the driver again with the same token.
		default:
			body := ErrorFor(err)
			buf, _ := json.Marshal(body)
			if ferr := s.reg.FailCreate(ctx, in.Token, body.Error.Code, buf); ferr != nil {
				return ferr
			}
		}
		return err
	}
	buf, err := json.Marshal(map[string]any{string(typ): out.Body})
	if err != nil {
		return core.Wrap(core.Internal, "create", err)
	}
	buf = singularKey(typ, buf)
	if opts.unregistered {
		if err := s.reg.CompleteCreate(ctx, in.Token, out.ID, opts.status, buf); err != nil {
			return err
		}
		return c.JSONBlob(opts.status, buf)
	}
	res := registry.Resource{Type: typ, ID: out.ID, DatacenterID: b.ID, ProjectID: project, State: out.State}
	if err := s.reg.FinishCreate(ctx, in.Token, res, opts.status, buf); err != nil {
		return err
	}
	return c.JSONBlob(opts.status, buf)
}

// bodyNames maps a resource type onto the singular and plural names that
// wrap it in bodies, as OpenStack clients expect.
var bodyNames = map[core.ResourceType][2]string{
	core.TypeServer:         {"server", "servers"},
	core.TypeFlavor:         {"flavor", "flavors"},
	core.TypeImage:          {"image", "images"},
	core.TypeVolume:         {"volume", "volumes"},
	core.TypeVolumeSnapshot: {"snapshot", "snapshots"},
	core.TypeBackup:         {"backup", "backups"},
	core.TypeFloatingIP:     {"floatingip", "floatingips"},
	core.TypePublicIP:       {"publicip", "publicips"},
	core.TypeLoadBalancer:   {"loadbalancer", "loadbalancers"},
	core.TypeSecurityGroup:  {"security_group", "security_groups"},
	core.TypeRouter:         {"router", "routers"},
}

// singularKey rewrites {"<type>": …} into {"<singular name>": …}.
func singularKey(typ core.ResourceType, buf []byte) []byte {
	names, ok := bodyNames[typ]
	if !ok || names[0] == string(typ) {
		return buf
	}
	return append([]byte(`{"`+names[0]+`":`), buf[len(`{"`+string(typ)+`":`):]...)
}

// one answers a single resource wrapped in its singular name.
func one(c echo.Context, status int, typ core.ResourceType, v any) error {
	return c.JSON(status, map[string]any{bodyNames[typ][0]: v})
}

// fanOut asks every datacenter of the request (all, or the one named by
// ?datacenter=) concurrently and merges what they answer. A datacenter
// that fails is left out with a Warning header; when all fail, the first
// failure is the answer.
func fanOut[T any](c echo.Context, s *Server, clause core.Clause, fn func(ctx context.Context, b *backend) ([]T, error)) ([]T, error) {
	targets := s.dcs
	if dc := c.QueryParam("datacenter"); dc != "" {
		b, ok := s.backends[dc]
		if !ok {
			return nil, core.Errorf(core.InvalidArgument, "datacenter: unknown datacenter %s", dc)
		}
		targets = []Datacenter{b.Datacenter}
	}
	parts := make([][]T, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, dc := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(c.Request().Context(), backendTimeout)
			defer cancel()
			b := s.backends[dc.ID]
			errs[i] = b.call(ctx, clause, func(ctx context.Context) (err error) {
				parts[i], err = fn(ctx, b)
				return err
			})
		}()
	}
	wg.Wait()
	var out []T
	var warnings []string
	var first error
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
			warnings = append(warnings, fmt.Sprintf(`199 gisiaas "datacenter %s: %s"`, targets[i].ID, strings.ReplaceAll(core.MessageOf(err), `"`, `'`)))
			continue
		}
		out = append(out, parts[i]...)
	}
	if failed == len(targets) && failed > 0 {
		return nil, first
	}
	for _, w := range warnings {
		c.Response().Header().Add("Warning", w)
	}
	return out, nil
}

// maxPage is the largest page a list answers.
const maxPage = 1000

// paginate sorts items oldest first (ties by id) and answers the page after
// ?marker= (an id of the previous page) of at most ?limit= items.
func paginate[T any](c echo.Context, items []T, key func(T) (time.Time, string)) ([]T, error) {
	limit := maxPage
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return nil, core.Errorf(core.InvalidArgument, "limit: must be an integer from 1 to %d", maxPage)
		}
		limit = n
	}
	sort.SliceStable(items, func(i, j int) bool {
		ti, idi := key(items[i])
		tj, idj := key(items[j])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return idi < idj
	})
	if marker := c.QueryParam("marker"); marker != "" {
		at := -1
		for i, it := range items {
			if _, id := key(it); id == marker {
				at = i
				break
			}
		}
		if at < 0 {
			return nil, core.Errorf(core.InvalidArgument, "marker: %s is not in this list", marker)
		}
		items = items[at+1:]
	}
	if len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

// list answers a fanned-out, paginated list wrapped in its plural name.
func list[T any, V any](c echo.Context, s *Server, typ core.ResourceType, clause core.Clause,
	fetch func(ctx context.Context, b *backend) ([]T, error), key func(T) (time.Time, string), view func(T) V) error {
	items, err := fanOut(c, s, clause, fetch)
	if err != nil {
		return err
	}
	if items, err = paginate(c, items, key); err != nil {
		return err
	}
	out := make([]V, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return c.JSON(http.StatusOK, map[string]any{bodyNames[typ][1]: out})
}

// learn registers a project resource a driver reported but the registry
// does not hold yet (made before the adapter watched, or outside it), so
// the id listed can be fetched by id.
func (s *Server) learn(ctx context.Context, typ core.ResourceType, dc, project, id, state string) {
	if project == "" || id == "" {
		return
	}
	if r, ok := s.reg.Get(typ, id); ok {
		if r.State != state && r.DatacenterID == dc {
			_, _ = s.reg.SetState(ctx, typ, id, state)
		}
		return
	}
	_ = s.reg.Put(ctx, registry.Resource{Type: typ, ID: id, DatacenterID: dc, ProjectID: project, State: state})
}

// gone forgets a registered resource its cloud no longer has, so the
// registry does not keep answering for it.
func (s *Server) gone(ctx context.Context, typ core.ResourceType, id string, err error) error {
	if core.KindOf(err) == core.NotFound {
		_ = s.reg.Delete(ctx, typ, id)
	}
	return err
}

// noContent answers 204, the answer to a delete the cloud accepted.
func noContent(c echo.Context) error { return c.NoContent(http.StatusNoContent) }

// accepted answers 202 with no body: an action the cloud accepted, whose
// outcome the client polls with GET.
func accepted(c echo.Context) error { return c.NoContent(http.StatusAccepted) }

// showOwned answers GET of an owned resource: get asks its datacenter,
// state (nil for types without one) keeps the registry's last known state,
// view renders it. A resource its cloud no longer has is forgotten (404).
func showOwned[T, V any](c echo.Context, s *Server, typ core.ResourceType, clause core.Clause,
	get func(ctx context.Context, d core.Driver, id string) (T, error), state func(T) string, view func(T) V) error {
	res, b, err := s.owned(c, typ, c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var v T
	err = b.call(ctx, clause, func(ctx context.Context) (err error) {
		v, err = get(ctx, b.Cloud, res.CloudID)
		return err
	})
	if err != nil {
		return s.gone(ctx, typ, res.ID, err)
	}
	if state != nil {
		if st := state(v); st != res.State {
			_, _ = s.reg.SetState(ctx, typ, res.ID, st)
		}
	}
	return one(c, http.StatusOK, typ, view(v))
}

// deleteOwned answers DELETE of an owned resource: 204 once its cloud
// accepted the delete; the client polls GET until 404.
func deleteOwned(c echo.Context, s *Server, typ core.ResourceType, clause core.Clause, del func(ctx context.Context, d core.Driver, id string) error) error {
	res, b, err := s.owned(c, typ, c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := b.call(ctx, clause, func(ctx context.Context) error { return del(ctx, b.Cloud, res.CloudID) }); err != nil {
		return s.gone(ctx, typ, res.ID, err)
	}
	return noContent(c)
}

// listed is what listProject needs of a project resource: its owner, id,
// state (for the registry) and creation time (for the order of pages).
type listed struct {
	project, id, state string
	created            time.Time
}

// listProject answers a list of project resources: fanned out to the
// datacenters with the project's filter, each one the registry does not
// know yet learned, paged, and viewed.
func listProject[T, V any](c echo.Context, s *Server, typ core.ResourceType, clause core.Clause,
	fetch func(d core.Driver, ctx context.Context, o core.ListOptions) ([]T, error), describe func(T) listed, view func(T) V) error {
	project := c.Param("project_id")
	return list(c, s, typ, clause,
		func(ctx context.Context, b *backend) ([]T, error) {
			vs, err := fetch(b.Cloud, ctx, core.ListOptions{ProjectID: project, DatacenterID: b.ID})
			for _, v := range vs {
				d := describe(v)
				s.learn(ctx, typ, b.ID, d.project, d.id, d.state)
			}
			return vs, err
		},
		func(v T) (time.Time, string) { d := describe(v); return d.created, d.id }, view)
}
