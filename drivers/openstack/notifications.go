package openstack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/gisiaas/gisiaas/core"
)

// OpenStack's own notifications, as billing systems on OpenStack consume
// them (Ceilometer does the same): each service publishes through
// oslo.messaging to a topic exchange of its own (nova, neutron, openstack
// for Cinder and Glance) with routing key "<topic>.<priority>". The driver
// binds a private, exclusive queue to those exchanges, so it takes no
// message from another consumer's queue and leaves nothing behind when it
// goes.
//
// A notification is a trigger, not a source of truth: it names a resource,
// the driver reads that resource (Get…, which observes it), and a
// "*.delete.end" ends it. So a notification's own state vocabulary (Nova's
// vm_state, Cinder's legacy payloads) never has to be mapped, and a
// notification and a poll that see the same change make one event.

// notificationExchanges are the oslo.messaging control exchanges of the
// services whose resources gisiaas serves.
var notificationExchanges = []string{"nova", "neutron", "openstack", "cinder", "glance", "octavia"}

// notificationTopics: Nova's versioned notifications and the legacy topic
// the other services publish on.
func (d *Driver) notificationTopics() []string {
	ts := []string{d.cfg.NotificationsTopic}
	if d.cfg.NotificationsTopic != "notifications" {
		ts = append(ts, "notifications")
	}
	return ts
}

// listenNotifications consumes notifications until ctx ends, reconnecting
// with backoff; after a reconnect the poll loop covers what was missed.
func (d *Driver) listenNotifications(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := d.consumeNotifications(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("openstack: notification listener stopped; reconnecting", "error", err, "in", backoff)
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// amqpURL turns an oslo.messaging transport URL (rabbit://…) into AMQP's.
func amqpURL(transport string) (string, error) {
	for _, p := range []string{"rabbit://", "amqp://", "amqps://"} {
		if rest, ok := strings.CutPrefix(transport, p); ok {
			if p == "amqps://" {
				return transport, nil
			}
			// oslo allows several hosts separated by commas; the first will do.
			hosts, path, _ := strings.Cut(rest, "/")
			first, _, _ := strings.Cut(hosts, ",")
			return "amqp://" + first + "/" + path, nil
		}
	}
	return "", fmt.Errorf("notifications_url %q is not a rabbit:// or amqp:// URL", redactURL(transport))
}

// redactURL hides a URL's password in logs and errors.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "…"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, _, _ := strings.Cut(rest[:at], ":")
		return scheme + "://" + user + ":***@" + rest[at+1:]
	}
	return u
}

func (d *Driver) consumeNotifications(ctx context.Context) error {
	url, err := amqpURL(d.cfg.NotificationsURL)
	if err != nil {
		return err
	}
	conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 10 * time.Second, Dial: amqp.DefaultDial(10 * time.Second)})
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", redactURL(url), err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return err
	}
	for _, ex := range notificationExchanges {
		// As oslo.messaging declares them (topic, not durable by default);
		// an exchange declared otherwise by the cloud refuses this and
		// closes the channel, so each exchange gets a channel of its own.
		xc, err := conn.Channel()
		if err != nil {
			return err
		}
		if err := xc.ExchangeDeclarePassive(ex, "topic", false, false, false, false, nil); err != nil {
			xc2, err2 := conn.Channel()
			if err2 != nil {
				return err2
			}
			if err := xc2.ExchangeDeclare(ex, "topic", false, false, false, false, nil); err != nil {
				slog.Warn("openstack: notification exchange unusable", "exchange", ex, "error", err)
				continue
			}
			_ = xc2.Close()
		} else {
			_ = xc.Close()
		}
		for _, topic := range d.notificationTopics() {
			if err := ch.QueueBind(q.Name, topic+".*", ex, false, nil); err != nil {
				return fmt.Errorf("binding to %s: %w", ex, err)
			}
		}
	}
	msgs, err := ch.Consume(q.Name, "gisiaas-"+d.events.boot, true, true, false, false, nil)
	if err != nil {
		return err
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-closed:
			return fmt.Errorf("connection closed: %v", e)
		case m, ok := <-msgs:
			if !ok {
				return fmt.Errorf("delivery channel closed")
			}
			d.handleNotification(ctx, m.Body)
		}
	}
}

// notification is an oslo.messaging notification, unwrapped from its
// envelope when it has one.
type notification struct {
	EventType string          `json:"event_type"`
	Payload   json.RawMessage `json:"payload"`
	Timestamp string          `json:"timestamp"`
}

func parseNotification(body []byte) (notification, error) {
	var env struct {
		Message string `json:"oslo.message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return notification{}, err
	}
	if env.Message != "" {
		body = []byte(env.Message)
	}
	var n notification
	err := json.Unmarshal(body, &n)
	return n, err
}

// notificationSubject is the resource a notification names: its candidate
// types (a Neutron floating IP is a floating or a public IP), its id, and
// whether the notification ends it.
type notificationSubject struct {
	types   []core.ResourceType
	id      string
	deleted bool
}

func subjectOf(n notification) (notificationSubject, bool) {
	var p map[string]json.RawMessage
	if json.Unmarshal(n.Payload, &p) != nil {
		return notificationSubject{}, false
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	sub := func(m map[string]json.RawMessage, k string) map[string]json.RawMessage {
		var o map[string]json.RawMessage
		_ = json.Unmarshal(m[k], &o)
		return o
	}
	// Neutron names the resource as <kind>_id on a delete, and sends the
	// resource itself under <kind> otherwise.
	neutronID := func(kind string) string {
		if id := str(p, kind+"_id"); id != "" {
			return id
		}
		return str(sub(p, kind), "id")
	}
	ev := n.EventType
	del := strings.HasSuffix(ev, ".delete.end") || ev == "image.delete"
	var s notificationSubject
	switch {
	case strings.HasPrefix(ev, "instance."): // Nova, versioned
		s = notificationSubject{[]core.ResourceType{core.TypeServer}, str(sub(p, "nova_object.data"), "uuid"), del}
	case strings.HasPrefix(ev, "compute.instance."): // Nova, legacy
		s = notificationSubject{[]core.ResourceType{core.TypeServer}, str(p, "instance_id"), del}
	case strings.HasPrefix(ev, "volume."):
		s = notificationSubject{[]core.ResourceType{core.TypeVolume}, str(p, "volume_id"), del}
	case strings.HasPrefix(ev, "snapshot."):
		s = notificationSubject{[]core.ResourceType{core.TypeVolumeSnapshot}, str(p, "snapshot_id"), del}
	case strings.HasPrefix(ev, "backup."):
		s = notificationSubject{[]core.ResourceType{core.TypeBackup}, str(p, "backup_id"), del}
	case strings.HasPrefix(ev, "image."):
		s = notificationSubject{[]core.ResourceType{core.TypeImage}, str(p, "id"), del}
	case strings.HasPrefix(ev, "floatingip."):
		s = notificationSubject{[]core.ResourceType{core.TypeFloatingIP, core.TypePublicIP}, neutronID("floatingip"), del}
	case strings.HasPrefix(ev, "router."):
		s = notificationSubject{[]core.ResourceType{core.TypeRouter}, neutronID("router"), del}
	case strings.HasPrefix(ev, "security_group."):
		s = notificationSubject{[]core.ResourceType{core.TypeSecurityGroup}, neutronID("security_group"), del}
	default:
		return notificationSubject{}, false
	}
	return s, s.id != ""
}

// handleNotification refreshes the resource a notification names.
func (d *Driver) handleNotification(ctx context.Context, body []byte) {
	n, err := parseNotification(body)
	if err != nil {
		return
	}
	s, ok := subjectOf(n)
	if !ok {
		return
	}
	if s.deleted {
		t, _ := time.Parse("2006-01-02 15:04:05.999999", n.Timestamp)
		d.events.end(s.types, s.id, t, time.Now().UTC())
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, t := range s.types {
		if err := d.refresh(rctx, t, s.id); err == nil || core.KindOf(err) != core.NotFound {
			return
		}
	}
}

// refresh reads one resource, which observes it.
func (d *Driver) refresh(ctx context.Context, t core.ResourceType, id string) error {
	var err error
	switch t {
	case core.TypeServer:
		_, err = d.GetServer(ctx, id)
	case core.TypeVolume:
		_, err = d.GetVolume(ctx, id)
	case core.TypeVolumeSnapshot:
		_, err = d.GetVolumeSnapshot(ctx, id)
	case core.TypeBackup:
		_, err = d.GetBackup(ctx, id)
	case core.TypeImage:
		_, err = d.GetImage(ctx, id)
	case core.TypeFloatingIP:
		_, err = d.GetFloatingIP(ctx, id)
	case core.TypePublicIP:
		_, err = d.GetPublicIP(ctx, id)
	case core.TypeRouter:
		_, err = d.GetRouter(ctx, id)
	case core.TypeSecurityGroup:
		_, err = d.GetSecurityGroup(ctx, id)
	}
	return err
}

// end records the deletion of a resource known under one of types.
func (l *eventLog) end(types []core.ResourceType, id string, at, now time.Time) {
	if at.IsZero() {
		at = now
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range types {
		k := key(t, id)
		s, ok := l.state[k]
		if !ok {
			continue
		}
		o := observation{Type: t, ID: id, ProjectID: s.project, DatacenterID: s.dc, State: deletedState(t), Attrs: s.attrs, Time: at.UTC()}
		l.append(o, s.state, fingerprint(o))
		delete(l.state, k)
		l.deleted[k] = struct{}{}
		return
	}
}
