package libvirt

import (
	"strings"
	"testing"

	"github.com/gisiaas/gisiaas/core"
)

func TestSecurityGroup_RulesAsNWFilter(t *testing.T) {
	p22, p80, icmpType := 22, 80, 8
	g := &core.SecurityGroup{ID: "6f1c1c8e-0000-4000-8000-0000000000aa", Rules: []core.SecurityGroupRule{
		{Direction: core.DirectionEgress, EtherType: core.EtherTypeIPv4},
		{Direction: core.DirectionIngress, EtherType: core.EtherTypeIPv4, Protocol: "tcp", PortRangeMin: &p22, PortRangeMax: &p80, RemoteIPPrefix: "10.0.0.0/8"},
		{Direction: core.DirectionIngress, EtherType: core.EtherTypeIPv4, Protocol: "icmp", PortRangeMin: &icmpType, RemoteGroupID: "peers"},
		{Direction: core.DirectionIngress, EtherType: core.EtherTypeIPv6, Protocol: "udp", RemoteGroupID: "nobody"},
	}}
	x := groupFilterXML(g, map[string][]string{"peers": {"192.168.1.5", "192.168.1.6"}})
	for _, want := range []string{
		"<filter name='gisiaas-sg-6f1c1c8e-0000-4000-8000-0000000000aa' chain='root'>",
		"<uuid>6f1c1c8e-0000-4000-8000-0000000000aa</uuid>",
		"<rule action='accept' direction='out' priority='500'><all/></rule>",
		"<rule action='accept' direction='in' priority='500'><tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='22' dstportend='80'/></rule>",
		"<icmp srcipaddr='192.168.1.5' srcipmask='32' type='8'/>",
		"<icmp srcipaddr='192.168.1.6' srcipmask='32' type='8'/>",
	} {
		if !strings.Contains(x, want) {
			t.Errorf("filter lacks %s:\n%s", want, x)
		}
	}
	if strings.Contains(x, "udp-ipv6") {
		t.Errorf("a rule whose remote group has no server matched something:\n%s", x)
	}
	sx := serverFilterXML("srv", []string{"a", "b"})
	if !strings.Contains(sx, "<filterref filter='gisiaas-sg-a'/>") || !strings.Contains(sx, "<filterref filter='gisiaas-sg-b'/>") ||
		!strings.Contains(sx, "action='drop' direction='in'") {
		t.Errorf("server filter:\n%s", sx)
	}
	if !sameRule(core.SecurityGroupRule{Direction: "ingress", EtherType: "IPv4", Protocol: "tcp", RemoteIPPrefix: "0.0.0.0/0"},
		core.SecurityGroupRule{Direction: "ingress", EtherType: "IPv4", Protocol: "6"}) {
		t.Error("tcp from anywhere and protocol 6 without a prefix are the same rule")
	}
}

func TestSecurityGroup_UnsupportedWithoutNWFilter(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	_, err := d.CreateSecurityGroup(ctx, core.SecurityGroupCreate{CreateMeta: meta("sg"), Name: "x"})
	wantKind(t, "a group on test:///default", err, core.Unsupported)
	_, err = d.CreateServer(ctx, core.ServerCreate{CreateMeta: meta("sg"), Name: "x", FlavorID: "m1.tiny", ImageID: "base", SecurityGroupIDs: []string{"g"}})
	wantKind(t, "a server in an unknown group", err, core.InvalidArgument)
}
