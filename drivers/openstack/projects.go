package openstack

import (
	"context"
	"strings"
	"sync"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/gisiaas/gisiaas/core"
)

// projectMap maps gisiaas projects to OpenStack projects and keeps one
// ProviderClient per OpenStack project the driver creates in. Nova creates a
// server in its token's project and takes no project_id, so creates go
// through a client scoped to the owning project; reads, lists and actions go
// through the service credential's client, which sees every project.
//
// A gisiaas project is the OpenStack project the config maps it to, or the
// one named ProjectPrefix+id (created on demand when CreateProjects). The
// empty project is the service credential's own.
type projectMap struct {
	d  *Driver
	ao gophercloud.AuthOptions
	eo gophercloud.EndpointOpts

	mu     sync.Mutex
	toOS   map[string]string   // gisiaas → OpenStack
	toGis  map[string]string   // OpenStack → gisiaas ("" for a project not ours)
	scoped map[string]*clients // OpenStack project → its clients
	// creating serializes the creation of one project's mapping or
	// clients, so concurrent first calls create one project, one token.
	creating map[string]*sync.Mutex
}

func newProjectMap(d *Driver, ao gophercloud.AuthOptions, eo gophercloud.EndpointOpts) *projectMap {
	m := &projectMap{d: d, ao: ao, eo: eo, toOS: map[string]string{}, toGis: map[string]string{},
		scoped: map[string]*clients{}, creating: map[string]*sync.Mutex{}}
	for gis, os := range d.cfg.Projects {
		m.toOS[gis] = os
		m.toGis[os] = gis
	}
	if _, ok := m.toGis[d.ownProject]; !ok {
		m.toOS[""] = d.ownProject
		m.toGis[d.ownProject] = ""
	}
	m.scoped[d.ownProject] = d.admin
	return m
}

func (m *projectMap) lockFor(key string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.creating[key]
	if !ok {
		l = &sync.Mutex{}
		m.creating[key] = l
	}
	return l
}

// find returns the OpenStack project of gisiaas project gis without
// creating one; ok is false when it has none yet (it then owns nothing).
func (m *projectMap) find(ctx context.Context, gis string) (string, bool, error) {
	m.mu.Lock()
	os, ok := m.toOS[gis]
	m.mu.Unlock()
	if ok {
		return os, true, nil
	}
	if len(m.d.cfg.Projects) > 0 && !*m.d.cfg.CreateProjects {
		return "", false, nil
	}
	pages, err := projects.List(m.d.admin.identity, projects.ListOpts{Name: m.d.cfg.ProjectPrefix + gis}).AllPages(ctx)
	if err != nil {
		return "", false, classify("FindProject", err)
	}
	ps, err := projects.ExtractProjects(pages)
	if err != nil {
		return "", false, classify("FindProject", err)
	}
	if len(ps) == 0 {
		return "", false, nil
	}
	m.remember(gis, ps[0].ID)
	return ps[0].ID, true, nil
}

func (m *projectMap) remember(gis, os string) {
	m.mu.Lock()
	m.toOS[gis] = os
	m.toGis[os] = gis
	m.mu.Unlock()
}

// ensure returns the OpenStack project of gis, creating it (and granting
// the service user its roles there) when the config allows.
func (m *projectMap) ensure(ctx context.Context, gis string) (string, error) {
	if os, ok, err := m.find(ctx, gis); err != nil || ok {
		return os, err
	}
	if !*m.d.cfg.CreateProjects {
		return "", &core.Error{Kind: core.InvalidArgument, Op: "Project", Message: "project " + gis + " is not mapped to an OpenStack project in this datacenter"}
	}
	l := m.lockFor("project:" + gis)
	l.Lock()
	defer l.Unlock()
	if os, ok, err := m.find(ctx, gis); err != nil || ok {
		return os, err
	}
	own, err := projects.Get(ctx, m.d.admin.identity, m.d.ownProject).Extract()
	if err != nil {
		return "", classify("CreateProject", err)
	}
	p, err := projects.Create(ctx, m.d.admin.identity, projects.CreateOpts{
		Name: m.d.cfg.ProjectPrefix + gis, DomainID: own.DomainID,
		Description: "gisiaas project " + gis, Tags: []string{"gisiaas"},
	}).Extract()
	if err != nil {
		// Another replica created it first: use theirs.
		if os, ok, ferr := m.find(ctx, gis); ferr == nil && ok {
			return os, nil
		}
		return "", classify("CreateProject", err)
	}
	if err := m.grant(ctx, p.ID); err != nil {
		return "", err
	}
	m.remember(gis, p.ID)
	return p.ID, nil
}

// grant gives the service user ProjectRoles on project os.
func (m *projectMap) grant(ctx context.Context, os string) error {
	r, ok := m.d.admin.provider.GetAuthResult().(interface{ ExtractUser() (*tokens.User, error) })
	if !ok {
		return core.Errorf(core.Internal, "openstack: the token does not name its user")
	}
	u, err := r.ExtractUser()
	if err != nil {
		return classify("GrantRole", err)
	}
	for _, name := range m.d.cfg.ProjectRoles {
		pages, err := roles.List(m.d.admin.identity, roles.ListOpts{Name: name}).AllPages(ctx)
		if err != nil {
			return classify("GrantRole", err)
		}
		rs, err := roles.ExtractRoles(pages)
		if err != nil {
			return classify("GrantRole", err)
		}
		if len(rs) == 0 {
			return &core.Error{Kind: core.InvalidArgument, Op: "GrantRole", Message: "role " + name + " (project_roles) does not exist in Keystone"}
		}
		if err := roles.Assign(ctx, m.d.admin.identity, rs[0].ID, roles.AssignOpts{UserID: u.ID, ProjectID: os}).ExtractErr(); err != nil {
			return classify("GrantRole", err)
		}
	}
	return nil
}

// clientsFor returns clients scoped to gisiaas project gis's OpenStack
// project (created on demand) and that project's id: what creates use.
func (m *projectMap) clientsFor(ctx context.Context, gis string) (*clients, string, error) {
	os, err := m.ensure(ctx, gis)
	if err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	cs, ok := m.scoped[os]
	m.mu.Unlock()
	if ok {
		return cs, os, nil
	}
	l := m.lockFor("clients:" + os)
	l.Lock()
	defer l.Unlock()
	m.mu.Lock()
	cs, ok = m.scoped[os]
	m.mu.Unlock()
	if ok {
		return cs, os, nil
	}
	ao := m.ao
	ao.Scope = &gophercloud.AuthScope{ProjectID: os}
	ao.TenantID, ao.TenantName = "", ""
	cs, err = newClients(ctx, ao, m.eo)
	if err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	m.scoped[os] = cs
	m.mu.Unlock()
	return cs, os, nil
}

// gisProject is the gisiaas project of OpenStack project os: from the
// config, from a project this driver created or found, or from Keystone by
// its name. A project that is not one of ours maps to its OpenStack id
// prefixed "openstack:", so it never collides with a gisiaas project.
func (m *projectMap) gisProject(ctx context.Context, os string) string {
	if os == "" {
		return ""
	}
	m.mu.Lock()
	gis, ok := m.toGis[os]
	m.mu.Unlock()
	if ok {
		return gis
	}
	p, err := projects.Get(ctx, m.d.admin.identity, os).Extract()
	if err != nil {
		return "openstack:" + os // not cached: Keystone may answer next time
	}
	if strings.HasPrefix(p.Name, m.d.cfg.ProjectPrefix) {
		gis = strings.TrimPrefix(p.Name, m.d.cfg.ProjectPrefix)
		m.remember(gis, os)
		return gis
	}
	gis = "openstack:" + os
	m.mu.Lock()
	m.toGis[os] = gis
	m.mu.Unlock()
	return gis
}
