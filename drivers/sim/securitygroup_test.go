package sim

import (
	"slices"
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

// sgGroup creates a security group with CreateMeta m.
func sgGroup(t testing.TB, d *Driver, m core.CreateMeta, name string) core.SecurityGroup {
	t.Helper()
	g, err := d.CreateSecurityGroup(testCtx(t), core.SecurityGroupCreate{CreateMeta: m, Name: name})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	return g
}

func sgPort(n int) *int { return &n }

// sgRuleIDs are the ids of g's rules as the simulator shows them.
func sgRuleIDs(t testing.TB, d *Driver, id string) []string {
	t.Helper()
	g, err := d.GetSecurityGroup(testCtx(t), id)
	if err != nil {
		t.Fatalf("GetSecurityGroup: %v", err)
	}
	out := []string{}
	for _, r := range g.Rules {
		out = append(out, r.ID)
	}
	return out
}

func TestSecurityGroup_B3_5_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	tests := []struct {
		name string
		req  core.SecurityGroupCreate
		want core.Kind
	}{
		{name: "B.3.5.1 create", req: core.SecurityGroupCreate{CreateMeta: meta(), Name: "web", Description: "web servers"}},
		{name: "B.3.5.1 default datacenter", req: core.SecurityGroupCreate{CreateMeta: core.CreateMeta{ProjectID: testProject}, Name: "db"}},
		{name: "B.3.5.1 no name", req: core.SecurityGroupCreate{CreateMeta: meta()}, want: core.InvalidArgument},
		{name: "B.3.5.1 name with a control character", req: core.SecurityGroupCreate{CreateMeta: meta(), Name: "a\x00b"}, want: core.InvalidArgument},
		{name: "B.3.5.1 description too long", req: core.SecurityGroupCreate{CreateMeta: meta(), Name: "x", Description: strings.Repeat("d", 1025)}, want: core.InvalidArgument},
		{name: "B.3.5.1 unknown datacenter", req: core.SecurityGroupCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}, Name: "x"}, want: core.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := d.CreateSecurityGroup(ctx, tc.req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			if g.Name != tc.req.Name || g.Description != tc.req.Description || g.DatacenterID != "dc1" || g.ProjectID != testProject {
				t.Fatalf("got %+v", g)
			}
			// Neutron's defaults: all egress, per ether type; no ingress.
			if len(g.Rules) != 2 {
				t.Fatalf("rules %+v, want the two default egress rules", g.Rules)
			}
			for i, et := range []string{core.EtherTypeIPv4, core.EtherTypeIPv6} {
				r := g.Rules[i]
				if r.ID == "" || r.GroupID != g.ID || r.Direction != core.DirectionEgress || r.EtherType != et ||
					r.Protocol != "" || r.PortRangeMin != nil || r.PortRangeMax != nil || r.RemoteIPPrefix != "" || r.RemoteGroupID != "" {
					t.Fatalf("default rule %d = %+v", i, r)
				}
			}
			netWantEvents(t, d, g.ID, netEv("", "ACTIVE"))
			if e := lastEvent(t, d, g.ID); e.ResourceType != core.TypeSecurityGroup || e.Attributes.Name != tc.req.Name {
				t.Fatalf("event %+v", e)
			}
		})
	}
	t.Run("B.3.5.1 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: meta(), Name: "x"})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("B.3.5.1 client token", func(t *testing.T) {
		m := meta()
		m.ClientToken = "sg-tok"
		a := sgGroup(t, d, m, "t")
		b := sgGroup(t, d, m, "t")
		if a.ID != b.ID || !slices.Equal(sgRuleIDs(t, d, a.ID), []string{a.Rules[0].ID, a.Rules[1].ID}) {
			t.Fatalf("second create %s, want %s", b.ID, a.ID)
		}
		netWantEvents(t, d, a.ID, netEv("", "ACTIVE"))
	})
}

func TestSecurityGroup_B3_5_3_ShowAndList(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	if l, err := d.ListSecurityGroups(ctx, core.ListOptions{}); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("empty list %#v %v", l, err)
	}
	a := sgGroup(t, d, meta(), "a")
	b := sgGroup(t, d, core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc2"}, "b")
	c := sgGroup(t, d, meta(), "c")
	tests := []struct {
		name string
		opts core.ListOptions
		want []string
	}{
		{"B.3.5.3 show without id lists all", core.ListOptions{}, []string{a.ID, b.ID, c.ID}},
		{"B.3.5.3 list by project", core.ListOptions{ProjectID: testProject}, []string{a.ID, c.ID}},
		{"B.3.5.3 list by datacenter", core.ListOptions{DatacenterID: "dc2"}, []string{b.ID}},
		{"B.3.5.3 list none", core.ListOptions{ProjectID: "proj-b", DatacenterID: "dc1"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.ListSecurityGroups(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, g := range l {
				got = append(got, g.ID)
				if len(g.Rules) != 2 {
					t.Fatalf("listed group %s without its rules", g.ID)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("B.3.5.3 show", func(t *testing.T) {
		g, err := d.GetSecurityGroup(ctx, a.ID)
		if err != nil || g.ID != a.ID || len(g.Rules) != 2 {
			t.Fatalf("got %+v %v", g, err)
		}
	})
	t.Run("B.3.5.3 show unknown", func(t *testing.T) {
		_, err := d.GetSecurityGroup(ctx, "nope")
		wantKind(t, err, core.NotFound)
	})
	t.Run("B.3.5.3 show in a datacenter that is down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.GetSecurityGroup(ctx, b.ID)
		wantKind(t, err, core.Unavailable)
	})
}

func TestSecurityGroup_B3_5_4_CreateRule(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	g := sgGroup(t, d, meta(), "web")
	peer := sgGroup(t, d, meta(), "peer")
	foreign := sgGroup(t, d, core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc1"}, "foreign")
	far := sgGroup(t, d, core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, "far")
	ssh := core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: core.DirectionIngress, Protocol: "TCP",
		PortRangeMin: sgPort(22), PortRangeMax: sgPort(22), RemoteIPPrefix: "203.0.113.0/24"}
	tests := []struct {
		name string
		req  core.SecurityGroupRuleCreate
		want core.Kind
		rule core.SecurityGroupRule // expected, without ID
	}{
		{name: "B.3.5.4 ingress ssh, defaults filled", req: ssh,
			rule: core.SecurityGroupRule{GroupID: g.ID, Direction: "ingress", EtherType: "IPv4", Protocol: "tcp",
				PortRangeMin: sgPort(22), PortRangeMax: sgPort(22), RemoteIPPrefix: "203.0.113.0/24"}},
		{name: "B.3.5.4 same rule again", req: ssh, want: core.Conflict},
		{name: "B.3.5.4 same rule with the protocol number", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress",
			Protocol: "6", PortRangeMin: sgPort(22), PortRangeMax: sgPort(22), RemoteIPPrefix: "203.0.113.0/24"}, want: core.Conflict},
		{name: "B.3.5.4 same as the default IPv4 egress rule", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "egress"}, want: core.Conflict},
		{name: "B.3.5.4 default IPv6 egress with ::/0", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "egress",
			EtherType: "IPv6", RemoteIPPrefix: "::/0"}, want: core.Conflict},
		{name: "B.3.5.4 another port range", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "tcp",
			PortRangeMin: sgPort(22), PortRangeMax: sgPort(23), RemoteIPPrefix: "203.0.113.0/24"},
			rule: core.SecurityGroupRule{GroupID: g.ID, Direction: "ingress", EtherType: "IPv4", Protocol: "tcp",
				PortRangeMin: sgPort(22), PortRangeMax: sgPort(23), RemoteIPPrefix: "203.0.113.0/24"}},
		{name: "B.3.5.4 host bits of the prefix masked", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "udp",
			PortRangeMin: sgPort(53), PortRangeMax: sgPort(53), RemoteIPPrefix: "198.51.100.7/24"},
			rule: core.SecurityGroupRule{GroupID: g.ID, Direction: "ingress", EtherType: "IPv4", Protocol: "udp",
				PortRangeMin: sgPort(53), PortRangeMax: sgPort(53), RemoteIPPrefix: "198.51.100.0/24"}},
		{name: "B.3.5.4 icmp echo from a remote group", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "icmp",
			PortRangeMin: sgPort(8), PortRangeMax: sgPort(0), RemoteGroupID: peer.ID, Description: "ping"},
			rule: core.SecurityGroupRule{GroupID: g.ID, Direction: "ingress", EtherType: "IPv4", Protocol: "icmp",
				PortRangeMin: sgPort(8), PortRangeMax: sgPort(0), RemoteGroupID: peer.ID, Description: "ping"}},
		{name: "B.3.5.4 the group itself as remote group", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", RemoteGroupID: g.ID},
			rule: core.SecurityGroupRule{GroupID: g.ID, Direction: "ingress", EtherType: "IPv4", RemoteGroupID: g.ID}},
		{name: "B.3.5.4 unknown group", req: core.SecurityGroupRuleCreate{GroupID: "nope", Direction: "ingress"}, want: core.InvalidArgument},
		{name: "B.3.5.4 no group", req: core.SecurityGroupRuleCreate{Direction: "ingress"}, want: core.InvalidArgument},
		{name: "B.3.5.4 unknown remote group", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", RemoteGroupID: "nope"}, want: core.InvalidArgument},
		{name: "B.3.5.4 remote group of another project", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", RemoteGroupID: foreign.ID}, want: core.InvalidArgument},
		{name: "B.3.5.4 remote group in another datacenter", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", RemoteGroupID: far.ID}, want: core.InvalidArgument},
		{name: "B.3.5.4 remote prefix and remote group", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress",
			RemoteIPPrefix: "10.0.0.0/8", RemoteGroupID: peer.ID}, want: core.InvalidArgument},
		{name: "B.3.5.4 bad direction", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "inbound"}, want: core.InvalidArgument},
		{name: "B.3.5.4 bad ethertype", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", EtherType: "IPv5"}, want: core.InvalidArgument},
		{name: "B.3.5.4 unknown protocol", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "smtp"}, want: core.InvalidArgument},
		{name: "B.3.5.4 ports without a protocol", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress",
			PortRangeMin: sgPort(80), PortRangeMax: sgPort(80)}, want: core.InvalidArgument},
		{name: "B.3.5.4 inverted port range", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "tcp",
			PortRangeMin: sgPort(90), PortRangeMax: sgPort(80)}, want: core.InvalidArgument},
		{name: "B.3.5.4 prefix of the other family", req: core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress",
			RemoteIPPrefix: "2001:db8::/32"}, want: core.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := sgRuleIDs(t, d, g.ID)
			r, err := d.CreateSecurityGroupRule(ctx, tc.req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				if got := sgRuleIDs(t, d, g.ID); !slices.Equal(got, before) {
					t.Fatalf("a refused rule changed the group: %v", got)
				}
				return
			}
			if r.ID == "" {
				t.Fatal("rule without id")
			}
			want := tc.rule
			want.ID = r.ID
			if !sgEqual(r, want) {
				t.Fatalf("rule %+v, want %+v", r, want)
			}
			shown, _ := d.GetSecurityGroup(ctx, g.ID)
			if last := shown.Rules[len(shown.Rules)-1]; !sgEqual(last, want) {
				t.Fatalf("group shows %+v, want %+v", last, want)
			}
		})
	}
	t.Run("B.3.5.4 a result shares nothing with the simulator", func(t *testing.T) {
		shown, _ := d.GetSecurityGroup(ctx, g.ID)
		*shown.Rules[2].PortRangeMin = 1
		again, _ := d.GetSecurityGroup(ctx, g.ID)
		if *again.Rules[2].PortRangeMin != 22 {
			t.Fatal("port range changed through a result")
		}
	})
	t.Run("B.3.5.4 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		_, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "gre"})
		wantKind(t, err, core.Unavailable)
	})
	netWantEvents(t, d, g.ID, netEv("", "ACTIVE")) // rules change no state
}

func sgEqual(a, b core.SecurityGroupRule) bool {
	ip := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	if ip(a.PortRangeMin) != ip(b.PortRangeMin) || ip(a.PortRangeMax) != ip(b.PortRangeMax) {
		return false
	}
	a.PortRangeMin, a.PortRangeMax, b.PortRangeMin, b.PortRangeMax = nil, nil, nil, nil
	return a == b
}

func TestSecurityGroup_B3_5_5_DeleteRule(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	g := sgGroup(t, d, meta(), "web")
	r, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "ingress", Protocol: "tcp",
		PortRangeMin: sgPort(443), PortRangeMax: sgPort(443)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		want core.Kind
		left []string
	}{
		{"B.3.5.5 delete a rule", r.ID, core.KindUnknown, []string{g.Rules[0].ID, g.Rules[1].ID}},
		{"B.3.5.5 delete it again", r.ID, core.NotFound, nil},
		{"B.3.5.5 delete a default rule", g.Rules[1].ID, core.KindUnknown, []string{g.Rules[0].ID}},
		{"B.3.5.5 delete unknown", "nope", core.NotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, d.DeleteSecurityGroupRule(ctx, tc.id), tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			if got := sgRuleIDs(t, d, g.ID); !slices.Equal(got, tc.left) {
				t.Fatalf("rules left %v, want %v", got, tc.left)
			}
		})
	}
	t.Run("B.3.5.5 a deleted rule can be created again", func(t *testing.T) {
		_, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: g.ID, Direction: "egress", EtherType: "IPv6"})
		wantKind(t, err, core.KindUnknown)
	})
	t.Run("B.3.5.5 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		wantKind(t, d.DeleteSecurityGroupRule(ctx, g.Rules[0].ID), core.Unavailable)
	})
}

func TestSecurityGroup_B3_5_2_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	target := sgGroup(t, d, meta(), "target")
	user := sgGroup(t, d, meta(), "user")
	self := sgGroup(t, d, meta(), "self")
	ref, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: user.ID, Direction: "ingress", RemoteGroupID: target.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSecurityGroupRule(ctx, core.SecurityGroupRuleCreate{GroupID: self.ID, Direction: "ingress", RemoteGroupID: self.ID}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		setup func()
		id    string
		want  core.Kind
	}{
		{name: "B.3.5.2 named as remote group by another group's rule", id: target.ID, want: core.Conflict},
		{name: "B.3.5.2 once that rule is gone", id: target.ID,
			setup: func() {
				if err := d.DeleteSecurityGroupRule(ctx, ref.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "B.3.5.2 a rule naming its own group does not block", id: self.ID},
		{name: "B.3.5.2 delete again", id: target.ID, want: core.NotFound},
		{name: "B.3.5.2 delete unknown", id: "nope", want: core.NotFound},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.setup != nil {
				st.setup()
			}
			wantKind(t, d.DeleteSecurityGroup(ctx, st.id), st.want)
			if st.want != core.KindUnknown {
				return
			}
			netWantEvents(t, d, st.id, netEv("", "ACTIVE"), netEv("ACTIVE", "DELETED"))
			if _, err := d.GetSecurityGroup(ctx, st.id); core.KindOf(err) != core.NotFound {
				t.Fatalf("deleted group: %v", err)
			}
		})
	}
	t.Run("B.3.5.2 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc1", true)
		defer d.SetDatacenterDown("dc1", false)
		wantKind(t, d.DeleteSecurityGroup(ctx, user.ID), core.Unavailable)
	})
}

// TestSecurityGroup_B3_5_2_InUse: a group a server uses cannot be deleted
// until the server is gone.
func TestSecurityGroup_B3_5_2_InUse(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	g := sgGroup(t, d, meta(), "web")
	s := netServer(t, d, "s", g.ID)
	if !slices.Contains(s.SecurityGroupIDs, g.ID) {
		t.Fatalf("server groups %v, want %s", s.SecurityGroupIDs, g.ID)
	}
	wantKind(t, d.DeleteSecurityGroup(ctx, g.ID), core.Conflict)
	if err := d.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, d.DeleteSecurityGroup(ctx, g.ID), core.KindUnknown)
	netWantEvents(t, d, g.ID, netEv("", "ACTIVE"), netEv("ACTIVE", "DELETED"))
}
