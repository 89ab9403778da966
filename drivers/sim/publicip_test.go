package sim

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/core"
)

// netPublicIP creates an unbound public IP in dc1 of testProject.
func netPublicIP(t testing.TB, d *Driver, name string) core.PublicIP {
	t.Helper()
	p, err := d.CreatePublicIP(testCtx(t), core.PublicIPCreate{CreateMeta: meta(), Name: name})
	if err != nil {
		t.Fatalf("CreatePublicIP: %v", err)
	}
	return p
}

func TestPublicIP_B3_3_1_Create(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	tests := []struct {
		name string
		req  core.PublicIPCreate
		want core.Kind
		cidr string
		dc   string
	}{
		{name: "B.3.3.1 in the first datacenter by default", req: core.PublicIPCreate{CreateMeta: core.CreateMeta{ProjectID: testProject}, Name: "ip"},
			cidr: netExtSubnet(t, d, "dc1").CIDR, dc: "dc1"},
		{name: "B.3.3.1 without a name", req: core.PublicIPCreate{CreateMeta: meta()}, cidr: netExtSubnet(t, d, "dc1").CIDR, dc: "dc1"},
		{name: "B.3.3.1 in dc2", req: core.PublicIPCreate{CreateMeta: core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, Name: "ip2"},
			cidr: netExtSubnet(t, d, "dc2").CIDR, dc: "dc2"},
		{name: "B.3.3.1 blank name", req: core.PublicIPCreate{CreateMeta: meta(), Name: "  "}, want: core.InvalidArgument},
		{name: "B.3.3.1 name too long", req: core.PublicIPCreate{CreateMeta: meta(), Name: strings.Repeat("n", 256)}, want: core.InvalidArgument},
		{name: "B.3.3.1 unknown datacenter", req: core.PublicIPCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc9"}}, want: core.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := d.CreatePublicIP(ctx, tc.req)
			wantKind(t, err, tc.want)
			if tc.want != core.KindUnknown {
				return
			}
			a, err := netip.ParseAddr(p.Address)
			if err != nil || !netip.MustParsePrefix(tc.cidr).Contains(a) {
				t.Fatalf("address %q not in %s", p.Address, tc.cidr)
			}
			if p.Status != core.NetDown || p.ServerID != "" || p.PrivateIP != "" || p.Name != tc.req.Name || p.DatacenterID != tc.dc {
				t.Fatalf("got %+v", p)
			}
			netWantEvents(t, d, p.ID, netEv("", "DOWN"))
			if e := lastEvent(t, d, p.ID); e.ResourceType != core.TypePublicIP || e.Attributes.Name != tc.req.Name || e.DatacenterID != tc.dc {
				t.Fatalf("event %+v", e)
			}
		})
	}
	t.Run("B.3.3.1 datacenter down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: core.CreateMeta{DatacenterID: "dc2"}})
		wantKind(t, err, core.Unavailable)
	})
	t.Run("B.3.3.1 client token", func(t *testing.T) {
		m := meta()
		m.ClientToken = "pub-1"
		a, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: m, Name: "a"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: m, Name: "a"})
		if err != nil || b.ID != a.ID || b.Address != a.Address {
			t.Fatalf("second create %+v %v, want %s", b, err, a.ID)
		}
		netWantEvents(t, d, a.ID, netEv("", "DOWN"))
	})
	t.Run("B.3.3.1 addresses are distinct", func(t *testing.T) {
		l, err := d.ListPublicIPs(ctx, core.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range l {
			if seen[p.Address] {
				t.Fatalf("address %s twice", p.Address)
			}
			seen[p.Address] = true
		}
	})
}

func TestPublicIP_B3_3_4_ShowAndList(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	if l, err := d.ListPublicIPs(ctx, core.ListOptions{}); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("empty list = %#v, %v", l, err)
	}
	a := netPublicIP(t, d, "a")
	b, err := d.CreatePublicIP(ctx, core.PublicIPCreate{CreateMeta: core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc2"}, Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	c := netPublicIP(t, d, "c")
	tests := []struct {
		name string
		opts core.ListOptions
		want []string
	}{
		{"B.3.3.4 list all", core.ListOptions{}, []string{a.ID, b.ID, c.ID}},
		{"B.3.3.4 list by project", core.ListOptions{ProjectID: testProject}, []string{a.ID, c.ID}},
		{"B.3.3.4 list by datacenter", core.ListOptions{DatacenterID: "dc2"}, []string{b.ID}},
		{"B.3.3.4 list none", core.ListOptions{ProjectID: "proj-b", DatacenterID: "dc1"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := d.ListPublicIPs(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, p := range l {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("B.3.3.4 show", func(t *testing.T) {
		p, err := d.GetPublicIP(ctx, a.ID)
		if err != nil || !reflect.DeepEqual(p, a) {
			t.Fatalf("got %+v %v, want %+v", p, err, a)
		}
	})
	t.Run("B.3.3.4 show unknown", func(t *testing.T) {
		_, err := d.GetPublicIP(ctx, "nope")
		wantKind(t, err, core.NotFound)
	})
	t.Run("B.3.3.4 show in a datacenter that is down", func(t *testing.T) {
		d.SetDatacenterDown("dc2", true)
		defer d.SetDatacenterDown("dc2", false)
		_, err := d.GetPublicIP(ctx, b.ID)
		wantKind(t, err, core.Unavailable)
	})
}

// TestPublicIP_B3_3_2_BindRefused covers the refusals that need no server.
func TestPublicIP_B3_3_2_BindRefused(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	p := netPublicIP(t, d, "ip")
	vip := netLB(t, d, testProject, "dc1").VIPAddress
	tests := []struct {
		name string
		id   string
		to   core.PublicIPBinding
		want core.Kind
	}{
		{"B.3.3.2 neither server nor private IP", p.ID, core.PublicIPBinding{}, core.InvalidArgument},
		{"B.3.3.2 both server and private IP", p.ID, core.PublicIPBinding{ServerID: "s", PrivateIP: "10.0.0.5"}, core.InvalidArgument},
		{"B.3.3.2 malformed private IP", p.ID, core.PublicIPBinding{PrivateIP: "10.0.0.500"}, core.InvalidArgument},
		{"B.3.3.2 unknown server", p.ID, core.PublicIPBinding{ServerID: "nope"}, core.InvalidArgument},
		{"B.3.3.2 private IP of no port", p.ID, core.PublicIPBinding{PrivateIP: "10.0.200.1"}, core.InvalidArgument},
		{"B.3.3.2 private IP of a load balancer, not a server", p.ID, core.PublicIPBinding{PrivateIP: vip}, core.InvalidArgument},
		{"B.3.3.2 unknown public IP", "nope", core.PublicIPBinding{ServerID: "s"}, core.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.BindPublicIP(ctx, tc.id, tc.to)
			wantKind(t, err, tc.want)
			netWantEvents(t, d, p.ID, netEv("", "DOWN"))
		})
	}
}

func TestPublicIP_B3_3_3_UnbindRefused(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	p := netPublicIP(t, d, "ip")
	tests := []struct {
		name string
		id   string
		from core.PublicIPBinding
		want core.Kind
	}{
		{"B.3.3.3 not bound", p.ID, core.PublicIPBinding{ServerID: "s"}, core.Conflict},
		{"B.3.3.3 neither server nor private IP", p.ID, core.PublicIPBinding{}, core.InvalidArgument},
		{"B.3.3.3 unknown public IP", "nope", core.PublicIPBinding{PrivateIP: "10.0.0.5"}, core.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.UnbindPublicIP(ctx, tc.id, tc.from)
			wantKind(t, err, tc.want)
		})
	}
}

func TestPublicIP_B3_3_5_Delete(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	p := netPublicIP(t, d, "ip")
	tests := []struct {
		name string
		id   string
		want core.Kind
	}{
		{"B.3.3.5 delete unbound", p.ID, core.KindUnknown},
		{"B.3.3.5 delete again", p.ID, core.NotFound},
		{"B.3.3.5 delete unknown", "nope", core.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, d.DeletePublicIP(ctx, tc.id), tc.want)
		})
	}
	netWantEvents(t, d, p.ID, netEv("", "DOWN"), netEv("DOWN", "DELETED"))
	if e := lastEvent(t, d, p.ID); e.Attributes.Name != "ip" {
		t.Fatalf("delete event %+v", e)
	}
	if _, err := d.GetPublicIP(ctx, p.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("deleted public IP: %v", err)
	}
}

// TestPublicIP_B3_3_2_Bind binds public IPs to servers and private IPs,
// unbinds them, and deletes a server that has one.
func TestPublicIP_B3_3_2_Bind(t *testing.T) {
	d := newTestDriver(t)
	ctx := testCtx(t)
	s1, s2 := netServer(t, d, "s1"), netServer(t, d, "s2")
	port1, port2 := netDevicePort(t, d, s1.ID), netDevicePort(t, d, s2.ID)
	other := netServerIn(t, d, core.CreateMeta{ProjectID: "proj-b", DatacenterID: "dc1"}, "other")
	far := netServerIn(t, d, core.CreateMeta{ProjectID: testProject, DatacenterID: "dc2"}, "far")
	a, b, c := netPublicIP(t, d, "a"), netPublicIP(t, d, "b"), netPublicIP(t, d, "c")

	steps := []struct {
		name      string
		id        string
		to        core.PublicIPBinding
		want      core.Kind
		server    string
		privateIP string
	}{
		{name: "B.3.3.2 bind to a server", id: a.ID, to: core.PublicIPBinding{ServerID: s1.ID}, server: s1.ID, privateIP: port1.FixedIP},
		{name: "B.3.3.2 bind a bound public IP", id: a.ID, to: core.PublicIPBinding{ServerID: s2.ID}, want: core.Conflict},
		{name: "B.3.3.2 second public IP on the same server", id: b.ID, to: core.PublicIPBinding{ServerID: s1.ID}, want: core.Conflict},
		{name: "B.3.3.2 second public IP on the same private IP", id: b.ID, to: core.PublicIPBinding{PrivateIP: port1.FixedIP}, want: core.Conflict},
		{name: "B.3.3.2 server of another project", id: b.ID, to: core.PublicIPBinding{ServerID: other.ID}, want: core.InvalidArgument},
		{name: "B.3.3.2 private IP of another project's server", id: b.ID, to: core.PublicIPBinding{PrivateIP: netDevicePort(t, d, other.ID).FixedIP}, want: core.InvalidArgument},
		{name: "B.3.3.2 server in another datacenter", id: b.ID, to: core.PublicIPBinding{ServerID: far.ID}, want: core.InvalidArgument},
		{name: "B.3.3.2 private IP in another datacenter", id: b.ID, to: core.PublicIPBinding{PrivateIP: netDevicePort(t, d, far.ID).FixedIP}, want: core.InvalidArgument},
		{name: "B.3.3.2 bind to a private IP", id: b.ID, to: core.PublicIPBinding{PrivateIP: port2.FixedIP}, server: s2.ID, privateIP: port2.FixedIP},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(d.Events())
			p, err := d.BindPublicIP(ctx, st.id, st.to)
			wantKind(t, err, st.want)
			if st.want != core.KindUnknown {
				if len(d.Events()) != before {
					t.Fatal("a refused bind emitted an event")
				}
				return
			}
			if p.Status != core.NetActive || p.ServerID != st.server || p.PrivateIP != st.privateIP {
				t.Fatalf("bound %+v, want server %s private %s", p, st.server, st.privateIP)
			}
			netWantEvents(t, d, p.ID, netEv("", "DOWN"), netEv("DOWN", "ACTIVE"))
			if e := lastEvent(t, d, p.ID); e.Attributes.ServerID != st.server {
				t.Fatalf("bind event attributes %+v, want server %s", e.Attributes, st.server)
			}
			if got := netAddrs(t, d, st.server, core.AddressPublic); !slices.Equal(got, []string{p.Address}) {
				t.Fatalf("server public addresses %v, want [%s]", got, p.Address)
			}
		})
	}

	t.Run("B.3.3.5 delete a bound public IP", func(t *testing.T) {
		wantKind(t, d.DeletePublicIP(ctx, a.ID), core.Conflict)
	})
	unbind := []struct {
		name string
		id   string
		from core.PublicIPBinding
		want core.Kind
		srv  string
	}{
		{name: "B.3.3.3 unbind from the wrong server", id: a.ID, from: core.PublicIPBinding{ServerID: s2.ID}, want: core.InvalidArgument},
		{name: "B.3.3.3 unbind from the wrong private IP", id: a.ID, from: core.PublicIPBinding{PrivateIP: port2.FixedIP}, want: core.InvalidArgument},
		{name: "B.3.3.3 unbind from the server", id: a.ID, from: core.PublicIPBinding{ServerID: s1.ID}, srv: s1.ID},
		{name: "B.3.3.3 unbind from the private IP", id: b.ID, from: core.PublicIPBinding{PrivateIP: port2.FixedIP}, srv: s2.ID},
		{name: "B.3.3.3 unbind again", id: b.ID, from: core.PublicIPBinding{PrivateIP: port2.FixedIP}, want: core.Conflict},
	}
	for _, st := range unbind {
		t.Run(st.name, func(t *testing.T) {
			p, err := d.UnbindPublicIP(ctx, st.id, st.from)
			wantKind(t, err, st.want)
			if st.want != core.KindUnknown {
				return
			}
			if p.Status != core.NetDown || p.ServerID != "" || p.PrivateIP != "" {
				t.Fatalf("unbound %+v", p)
			}
			netWantEvents(t, d, p.ID, netEv("", "DOWN"), netEv("DOWN", "ACTIVE"), netEv("ACTIVE", "DOWN"))
			if got := netAddrs(t, d, st.srv, core.AddressPublic); len(got) != 0 {
				t.Fatalf("server keeps public addresses %v", got)
			}
		})
	}
	t.Run("B.3.3.5 delete after unbind", func(t *testing.T) {
		wantKind(t, d.DeletePublicIP(ctx, a.ID), core.KindUnknown)
		netWantEvents(t, d, a.ID, netEv("", "DOWN"), netEv("DOWN", "ACTIVE"), netEv("ACTIVE", "DOWN"), netEv("DOWN", "DELETED"))
	})
	t.Run("B.3.3.2 a server in ERROR cannot be bound", func(t *testing.T) {
		d.mu.Lock()
		d.st.Servers[s2.ID].Status = core.ServerError
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			d.st.Servers[s2.ID].Status = core.ServerActive
			d.mu.Unlock()
		}()
		_, err := d.BindPublicIP(ctx, c.ID, core.PublicIPBinding{ServerID: s2.ID})
		wantKind(t, err, core.Conflict)
		_, err = d.BindPublicIP(ctx, c.ID, core.PublicIPBinding{PrivateIP: port2.FixedIP})
		wantKind(t, err, core.Conflict)
	})
	t.Run("B.2.1.2 deleting the server unbinds its public IP", func(t *testing.T) {
		if _, err := d.BindPublicIP(ctx, c.ID, core.PublicIPBinding{ServerID: s2.ID}); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteServer(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		p, err := d.GetPublicIP(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != core.NetDown || p.ServerID != "" || p.PrivateIP != "" {
			t.Fatalf("public IP after server delete: %+v", p)
		}
		netWantEvents(t, d, c.ID, netEv("", "DOWN"), netEv("DOWN", "ACTIVE"), netEv("ACTIVE", "DOWN"))
		wantKind(t, d.DeletePublicIP(ctx, c.ID), core.KindUnknown)
	})
}

// TestPublicIP_B3_3_2_SoftDeletedServer: a server waiting to be reclaimed
// cannot take a public IP.
func TestPublicIP_B3_3_2_SoftDeletedServer(t *testing.T) {
	d := newTestDriver(t, func(c *Config) { c.SoftDeleteReclaim = Duration(time.Hour) })
	ctx := testCtx(t)
	s := netServer(t, d, "s")
	port := netDevicePort(t, d, s.ID)
	if err := d.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := d.GetServer(ctx, s.ID); err != nil || got.Status != core.ServerSoftDeleted {
		t.Fatalf("server after delete: %+v %v", got.Status, err)
	}
	p := netPublicIP(t, d, "ip")
	_, err := d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{ServerID: s.ID})
	wantKind(t, err, core.Conflict)
	_, err = d.BindPublicIP(ctx, p.ID, core.PublicIPBinding{PrivateIP: port.FixedIP})
	wantKind(t, err, core.Conflict)
}
