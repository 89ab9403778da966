package openstack

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"

	"github.com/gisiaas/gisiaas/core"
)

func TestAMQPURLFromTransportURL(t *testing.T) {
	for in, want := range map[string]string{
		"rabbit://os:os@127.0.0.1:5672/openstack":           "amqp://os:os@127.0.0.1:5672/openstack",
		"rabbit://os:os@10.0.0.1:5672,os:os@10.0.0.2:5672/": "amqp://os:os@10.0.0.1:5672/",
		"amqp://guest:guest@localhost:5672/":                "amqp://guest:guest@localhost:5672/",
		"amqps://u:p@mq.example.org:5671/v":                 "amqps://u:p@mq.example.org:5671/v",
		"rabbit://user:p%40ss@mq:5672/vhost":                "amqp://user:p%40ss@mq:5672/vhost",
	} {
		got, err := amqpURL(in)
		if err != nil || got != want {
			t.Errorf("amqpURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := amqpURL("kafka://broker:9092"); err == nil {
		t.Error("a kafka URL was accepted")
	}
	if got := redactURL("rabbit://os:secret@h:5672/v"); got != "rabbit://os:***@h:5672/v" {
		t.Errorf("redactURL = %q", got)
	}
}

// envelope wraps a notification as oslo.messaging sends it (message format 2.0).
func envelope(t *testing.T, eventType string, payload any) []byte {
	t.Helper()
	inner, err := json.Marshal(map[string]any{"event_type": eventType, "payload": payload, "priority": "INFO",
		"publisher_id": "nova-compute:host1", "timestamp": "2026-12-07 10:11:12.345678", "message_id": "m1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(inner)})
	return b
}

func TestNotificationSubjects(t *testing.T) {
	nova := func(uuid string) any {
		return map[string]any{"nova_object.name": "InstanceActionPayload", "nova_object.data": map[string]any{"uuid": uuid, "state": "stopped"}}
	}
	cases := []struct {
		event   string
		payload any
		types   []core.ResourceType
		id      string
		deleted bool
	}{
		{"instance.power_off.end", nova("s1"), []core.ResourceType{core.TypeServer}, "s1", false},
		{"instance.delete.end", nova("s2"), []core.ResourceType{core.TypeServer}, "s2", true},
		{"compute.instance.create.end", map[string]any{"instance_id": "s3"}, []core.ResourceType{core.TypeServer}, "s3", false},
		{"volume.attach.end", map[string]any{"volume_id": "v1"}, []core.ResourceType{core.TypeVolume}, "v1", false},
		{"volume.delete.end", map[string]any{"volume_id": "v2"}, []core.ResourceType{core.TypeVolume}, "v2", true},
		{"snapshot.create.end", map[string]any{"snapshot_id": "sn"}, []core.ResourceType{core.TypeVolumeSnapshot}, "sn", false},
		{"backup.delete.end", map[string]any{"backup_id": "b"}, []core.ResourceType{core.TypeBackup}, "b", true},
		{"floatingip.update.end", map[string]any{"floatingip": map[string]any{"id": "f1"}}, []core.ResourceType{core.TypeFloatingIP, core.TypePublicIP}, "f1", false},
		{"floatingip.delete.end", map[string]any{"floatingip_id": "f2"}, []core.ResourceType{core.TypeFloatingIP, core.TypePublicIP}, "f2", true},
		{"router.create.end", map[string]any{"router": map[string]any{"id": "r"}}, []core.ResourceType{core.TypeRouter}, "r", false},
		{"image.delete", map[string]any{"id": "i"}, []core.ResourceType{core.TypeImage}, "i", true},
	}
	for _, c := range cases {
		n, err := parseNotification(envelope(t, c.event, c.payload))
		if err != nil {
			t.Fatalf("%s: %v", c.event, err)
		}
		s, ok := subjectOf(n)
		if !ok || s.id != c.id || s.deleted != c.deleted || !slices.Equal(s.types, c.types) {
			t.Errorf("%s: subject %+v ok=%v; want %v %q deleted=%v", c.event, s, ok, c.types, c.id, c.deleted)
		}
	}
	for _, ev := range []string{"port.create.end", "instance.update", "compute.metrics.update"} {
		n, _ := parseNotification(envelope(t, ev, map[string]any{"port": map[string]any{"id": "p"}}))
		if s, ok := subjectOf(n); ok {
			t.Errorf("%s: subject %+v, want none", ev, s)
		}
	}
}

func TestEventLogEndsKnownResourceOnce(t *testing.T) {
	l := newEventLog("t", 100)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l.record(observation{Type: core.TypePublicIP, ID: "f", ProjectID: "p", DatacenterID: "dc", State: string(core.NetActive)}, now)
	l.end([]core.ResourceType{core.TypeFloatingIP, core.TypePublicIP}, "f", now.Add(time.Second), now.Add(2*time.Second))
	l.end([]core.ResourceType{core.TypeFloatingIP, core.TypePublicIP}, "f", now.Add(time.Second), now.Add(2*time.Second))
	// A poll that began before the delete must not bring it back.
	l.record(observation{Type: core.TypePublicIP, ID: "f", State: string(core.NetActive), Time: now}, now.Add(3*time.Second))
	if len(l.events) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(l.events), l.events)
	}
	last := l.events[1]
	if last.ResourceType != core.TypePublicIP || last.FromState != string(core.NetActive) || last.ToState != string(core.NetDeleted) ||
		last.ProjectID != "p" || last.DatacenterID != "dc" || !last.Time.Equal(now.Add(time.Second)) {
		t.Errorf("deletion event %+v", last)
	}
}

// TestNotificationsDriveEvents proves the bus is a source on its own:
// polling is off, and the server is created and stopped behind the
// driver's back (gophercloud directly), so only Nova's notifications can
// tell the driver, which then reads the server and emits its events.
func TestNotificationsDriveEvents(t *testing.T) {
	cfg, ok := cloudConfigFromEnv()
	if !ok || cfg.NotificationsURL == "" {
		testDriver(t) // skips, or fails under CI
		if cfg.NotificationsURL == "" {
			t.Fatal("OS_NOTIFICATIONS_URL is not set: the cloud's notification bus is needed for this test")
		}
	}
	cfg.PollInterval = -1
	ctx := testContext(t)
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	boot := notifyBoot(t, d)
	srv, err := servers.Create(ctx, d.admin.compute, servers.CreateOpts{Name: "notify-" + d.events.boot, FlavorRef: boot.flavor,
		ImageRef: boot.image, Networks: []servers.Network{{UUID: boot.network}}}, nil).Extract()
	if err != nil {
		t.Fatalf("create behind the driver's back: %v", err)
	}
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			_ = servers.Delete(context.Background(), d.admin.compute, srv.ID).ExtractErr()
		}
	})
	want := []string{string(core.ServerActive), string(core.ServerShutoff), string(core.ServerDeleted)}
	var seen []string
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	err = d.Watch(wctx, "", func(ev core.Event) error {
		if ev.ResourceID != srv.ID {
			return nil
		}
		seen = append(seen, ev.ToState)
		switch ev.ToState {
		case string(core.ServerActive):
			if !slices.Contains(seen[:len(seen)-1], string(core.ServerActive)) {
				if err := servers.Stop(ctx, d.admin.compute, srv.ID).ExtractErr(); err != nil {
					return err
				}
			}
		case string(core.ServerShutoff):
			deleted = true
			return servers.Delete(ctx, d.admin.compute, srv.ID).ExtractErr()
		case string(core.ServerDeleted):
			return errDone
		}
		return nil
	})
	if err != errDone {
		t.Fatalf("Watch: %v; states seen %v, want them to include %v", err, seen, want)
	}
	for _, s := range want {
		if !slices.Contains(seen, s) {
			t.Errorf("no event to %s; seen %v", s, seen)
		}
	}
}

var errDone = core.Errorf(core.Internal, "done")

type bootRefs struct{ flavor, image, network string }

// notifyBoot finds what the test cloud boots with (scripts/openstack-up.sh
// makes flavor m1.tiny, image tiny and network private).
func notifyBoot(t *testing.T, d *Driver) bootRefs {
	t.Helper()
	ctx := testContext(t)
	imgs, err := images.List(d.admin.image, images.ListOpts{Name: "tiny"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	is, _ := images.ExtractImages(imgs)
	nets, err := networks.List(d.admin.network, networks.ListOpts{Name: "private"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := networks.ExtractNetworks(nets)
	if len(is) == 0 || len(ns) == 0 {
		t.Fatal("the test cloud has no image tiny or network private (scripts/openstack-up.sh makes them)")
	}
	return bootRefs{flavor: "1", image: is[0].ID, network: ns[0].ID}
}
