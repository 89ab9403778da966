package sim

import (
	"cmp"
	"slices"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// The state keeps pointers; callers get deep copies, so nothing they do
// with a result can reach into the cloud.

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cloneSlice copies s, keeping an empty non-nil slice empty and non-nil.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func cloneMeta(m core.Meta) core.Meta {
	m.Tags = cloneMap(m.Tags)
	return m
}

func intPtr(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneServer(s *core.Server) core.Server {
	c := *s
	c.Meta = cloneMeta(s.Meta)
	c.VolumeIDs = cloneSlice(s.VolumeIDs)
	c.Addresses = cloneSlice(s.Addresses)
	c.SecurityGroupIDs = cloneSlice(s.SecurityGroupIDs)
	c.Metadata = cloneMap(s.Metadata)
	return c
}

func cloneImage(i *core.Image) core.Image {
	c := *i
	c.Meta = cloneMeta(i.Meta)
	c.ImageTags = cloneSlice(i.ImageTags)
	c.Properties = cloneMap(i.Properties)
	return c
}

func cloneNetwork(n *core.Network) core.Network {
	c := *n
	c.Meta = cloneMeta(n.Meta)
	c.Subnets = cloneSlice(n.Subnets)
	return c
}

func cloneFloatingIP(f *core.FloatingIP) core.FloatingIP {
	c := *f
	c.Meta = cloneMeta(f.Meta)
	if f.PortDetails != nil {
		pd := *f.PortDetails
		c.PortDetails = &pd
	}
	return c
}

func clonePublicIP(p *core.PublicIP) core.PublicIP {
	c := *p
	c.Meta = cloneMeta(p.Meta)
	return c
}

func cloneLoadBalancer(l *core.LoadBalancer) core.LoadBalancer {
	c := *l
	c.Meta = cloneMeta(l.Meta)
	c.Listeners = cloneSlice(l.Listeners)
	c.Members = cloneSlice(l.Members)
	return c
}

func cloneRule(r core.SecurityGroupRule) core.SecurityGroupRule {
	r.PortRangeMin = intPtr(r.PortRangeMin)
	r.PortRangeMax = intPtr(r.PortRangeMax)
	return r
}

func cloneSecurityGroup(g *core.SecurityGroup) core.SecurityGroup {
	c := *g
	c.Meta = cloneMeta(g.Meta)
	c.Rules = make([]core.SecurityGroupRule, len(g.Rules))
	for i, r := range g.Rules {
		c.Rules[i] = cloneRule(r)
	}
	return c
}

func cloneVolume(v *core.Volume) core.Volume {
	c := *v
	c.Meta = cloneMeta(v.Meta)
	c.Attachments = cloneSlice(v.Attachments)
	return c
}

func cloneSnapshot(s *core.VolumeSnapshot) core.VolumeSnapshot {
	c := *s
	c.Meta = cloneMeta(s.Meta)
	return c
}

func cloneBackup(b *core.Backup) core.Backup {
	c := *b
	c.Meta = cloneMeta(b.Meta)
	return c
}

func cloneRouter(r *core.Router) core.Router {
	c := *r
	c.Meta = cloneMeta(r.Meta)
	c.Interfaces = cloneSlice(r.Interfaces)
	return c
}

// sortByCreated orders a list oldest first, ties by id, so every list is
// deterministic.
func sortByCreated[T any](s []T, key func(*T) (time.Time, string)) {
	slices.SortFunc(s, func(a, b T) int {
		ta, ia := key(&a)
		tb, ib := key(&b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return cmp.Compare(ia, ib)
	})
}
