package openstack

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/gisiaas/gisiaas/core"
)

func netIntp(n int) *int { return &n }

func TestSecurityGroupLifecycle(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	w := watchEvents(t, d)
	_, priv := netFixture(t, ctx, d)

	token := "sg-" + time.Now().UTC().Format("20060102T150405.000000")
	req := core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject, ClientToken: token,
		Tags: map[string]string{"purpose": "sg-test"}}, Name: "sg-test", Description: "a test group"}
	g, err := d.CreateSecurityGroup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteSecurityGroup(testContext(t), g.ID) })
	if g.Name != "sg-test" || g.Description != "a test group" || g.ProjectID != netTestProject || g.Tags["purpose"] != "sg-test" {
		t.Fatalf("created %+v", g)
	}
	egress := 0
	for _, r := range g.Rules {
		if r.Direction == core.DirectionEgress && r.RemoteIPPrefix == "" && r.Protocol == "" && r.PortRangeMin == nil {
			egress++
		}
	}
	if egress != 2 {
		t.Errorf("new group's rules %+v, want Neutron's two all-egress rules", g.Rules)
	}
	if again, err := d.CreateSecurityGroup(ctx, req); err != nil || again.ID != g.ID {
		t.Fatalf("create with the same client token: %s, %v; want %s", again.ID, err, g.ID)
	}
	if ev := w.waitTo(t, ctx, core.TypeSecurityGroup, g.ID, string(core.NetActive)); ev.FromState != "" || ev.Attributes.Name != "sg-test" {
		t.Errorf("create event %+v", ev)
	}

	ssh := core.SecurityGroupRuleCreate{GroupID: g.ID, Description: "ssh", Direction: core.DirectionIngress, Protocol: "TCP",
		PortRangeMin: netIntp(22), PortRangeMax: netIntp(22), RemoteIPPrefix: "10.1.2.3/8"}
	r, err := d.CreateSecurityGroupRule(ctx, ssh)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.GroupID != g.ID || r.Protocol != "tcp" || r.EtherType != core.EtherTypeIPv4 || *r.PortRangeMin != 22 ||
		*r.PortRangeMax != 22 || r.RemoteIPPrefix != "10.0.0.0/8" || r.Description != "ssh" {
		t.Fatalf("rule %+v", r)
	}
	_, err = d.CreateSecurityGroupRule(ctx, ssh)
	wantKind(t, "the same rule again", err, core.Conflict)
	// ICMP echo reply is type 0: a bound of 0 is not "any".
	icmp, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress,
		Protocol: "icmp", PortRangeMin: netIntp(0)})
	if err != nil || icmp.PortRangeMin == nil || *icmp.PortRangeMin != 0 || icmp.PortRangeMax != nil {
		t.Fatalf("icmp type 0 rule: %+v, %v", icmp, err)
	}
	self, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress,
		Protocol: "tcp", PortRangeMin: netIntp(8080), PortRangeMax: netIntp(8080), RemoteGroupID: g.ID})
	if err != nil || self.RemoteGroupID != g.ID || self.RemoteIPPrefix != "" {
		t.Fatalf("remote group rule: %+v, %v", self, err)
	}
	for name, bad := range map[string]core.SecurityGroupRuleCreate{
		"unknown group":        {GroupID: "no-such-group", Direction: core.DirectionIngress},
		"unknown remote group": {GroupID: g.ID, Direction: core.DirectionIngress, RemoteGroupID: "no-such-group"},
		"sideways":             {GroupID: g.ID, Direction: "sideways"},
		"min above max":        {GroupID: g.ID, Direction: core.DirectionIngress, Protocol: "tcp", PortRangeMin: netIntp(90), PortRangeMax: netIntp(80)},
	} {
		_, err := d.CreateSecurityGroupRule(ctx, bad)
		wantKind(t, name, err, core.InvalidArgument)
	}
	s, err := d.GetSecurityGroup(ctx, g.ID)
	if err != nil || !slices.ContainsFunc(s.Rules, func(x core.SecurityGroupRule) bool { return x.ID == r.ID }) {
		t.Fatalf("show lacks rule %s: %+v, %v", r.ID, s.Rules, err)
	}
	if err := d.DeleteSecurityGroupRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete a deleted rule", d.DeleteSecurityGroupRule(ctx, r.ID), core.NotFound)
	if s, _ := d.GetSecurityGroup(ctx, g.ID); slices.ContainsFunc(s.Rules, func(x core.SecurityGroupRule) bool { return x.ID == r.ID }) {
		t.Errorf("rule %s still in its group", r.ID)
	}

	gs, err := d.ListSecurityGroups(ctx, core.ListOptions{ProjectID: netTestProject})
	if err != nil || !slices.ContainsFunc(gs, func(x core.SecurityGroup) bool { return x.ID == g.ID && x.Name == g.Name }) {
		t.Errorf("list lacks %s (%v)", g.ID, err)
	}

	// In use: named by another group's rule, then by a port.
	other, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject}, Name: "sg-test-other"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DeleteSecurityGroup(testContext(t), other.ID) })
	if _, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: other.ID, Direction: core.DirectionIngress, RemoteGroupID: g.ID}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete a group another group's rule names", d.DeleteSecurityGroup(ctx, g.ID), core.Conflict)
	if err := d.DeleteSecurityGroup(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	osProj, _, err := d.projects.find(ctx, netTestProject)
	if err != nil {
		t.Fatal(err)
	}
	port, err := ports.Create(ctx, d.admin.network, ports.CreateOpts{Name: "sg-test", NetworkID: priv.ID,
		ProjectID: osProj, SecurityGroups: &[]string{g.ID}}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete a group a port uses", d.DeleteSecurityGroup(ctx, g.ID), core.Conflict)
	if err := ports.Delete(ctx, d.admin.network, port.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}

	if err := d.DeleteSecurityGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetSecurityGroup(ctx, g.ID)
	wantKind(t, "show a deleted group", err, core.NotFound)
	wantKind(t, "delete it again", d.DeleteSecurityGroup(ctx, g.ID), core.NotFound)
	if ev := w.waitTo(t, ctx, core.TypeSecurityGroup, g.ID, string(core.NetDeleted)); ev.FromState != string(core.NetActive) {
		t.Errorf("delete event %+v", ev)
	}
	_, err = d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject}})
	wantKind(t, "a group without a name", err, core.InvalidArgument)
}

// Concurrent creates with one client token make one group.
func TestSecurityGroupConcurrentToken(t *testing.T) {
	d := testDriver(t)
	ctx := testContext(t)
	req := core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: netTestProject,
		ClientToken: "sg-race-" + time.Now().UTC().Format("20060102T150405.000000")}, Name: "sg-race"}
	ids := make([]string, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := d.CreateSecurityGroup(ctx, req)
			ids[i], errs[i] = g.ID, err
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
			_ = d.DeleteSecurityGroup(testContext(t), id)
		}
	})
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("creates with one token: %v, %v", ids, errs)
		}
	}
}
