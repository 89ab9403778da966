package registry

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
	"github.com/gisiaas/gisiaas/core"
)

func TestRegistryResources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, err := Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		put := func(id, dc, project, state string) error {
			return r.Put(ctx, Resource{Type: core.TypeServer, ID: id, DatacenterID: dc, ProjectID: project, State: state})
		}
		if err := put("s1", "dc1", "pa", "BUILD"); err != nil {
			t.Fatal(err)
		}
		if err := put("s2", "dc2", "pa", "ACTIVE"); err != nil {
			t.Fatal(err)
		}
		if err := put("s3", "dc1", "pb", "ACTIVE"); err != nil {
			t.Fatal(err)
		}
		// The same id in another datacenter or project is refused.
		if err := put("s1", "dc2", "pa", "ACTIVE"); core.KindOf(err) != core.Conflict {
			t.Fatalf("id claimed twice: %v", err)
		}
		if err := put("s1", "dc1", "pb", "ACTIVE"); core.KindOf(err) != core.Conflict {
			t.Fatalf("id moved to another project: %v", err)
		}
		if ok, err := r.SetState(ctx, core.TypeServer, "s1", "ACTIVE"); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, _ := r.SetState(ctx, core.TypeServer, "nope", "ACTIVE"); ok {
			t.Fatal("SetState on an unknown id reported true")
		}
		if _, err := r.Owned(core.TypeServer, "s3", "pa"); core.KindOf(err) != core.NotFound {
			t.Fatalf("another project's id: %v", err)
		}
		if _, err := r.Owned(core.TypeVolume, "s1", "pa"); core.KindOf(err) != core.NotFound {
			t.Fatalf("the id of another type: %v", err)
		}
		if l := r.List("pa", core.TypeServer); len(l) != 2 || l[0].ID != "s1" || l[1].ID != "s2" {
			t.Fatalf("list: %+v", l)
		}
		// A second Open reads back what the first wrote.
		r2, err := Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r2.Owned(core.TypeServer, "s1", "pa")
		if err != nil || got.State != "ACTIVE" || got.DatacenterID != "dc1" || got.CloudID != "s1" || got.CreatedAt.IsZero() {
			t.Fatalf("reloaded: %+v %v", got, err)
		}
		if err := r.Delete(ctx, core.TypeServer, "s1"); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Get(core.TypeServer, "s1"); ok {
			t.Fatal("deleted id still there")
		}
		if r3, _ := Open(ctx, db); len(r3.List("pa", core.TypeServer)) != 1 {
			t.Fatal("delete not persisted")
		}
	})
}

func TestRegistryIntents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		r, err := Open(ctx, db, WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		key := sql.NullString{String: "k1", Valid: true}
		in := Intent{ProjectID: "pa", UserID: "u", Type: core.TypeServer, DatacenterID: "dc1", IdempotencyKey: key, RequestHash: "h1"}
		first, replay, err := r.BeginCreate(ctx, in)
		if err != nil || replay || first.Token == "" || first.Status != IntentPending {
			t.Fatalf("first: %+v %v %v", first, replay, err)
		}
		// Pending: a replay hands back the same token, to call the driver with again.
		again, replay, err := r.BeginCreate(ctx, in)
		if err != nil || !replay || again.Token != first.Token {
			t.Fatalf("pending replay: %+v %v %v", again, replay, err)
		}
		// Another project's k1 is its own.
		other := in
		other.ProjectID = "pb"
		if o, replay, err := r.BeginCreate(ctx, other); err != nil || replay || o.Token == first.Token {
			t.Fatalf("other project: %+v %v %v", o, replay, err)
		}
		// Another request under the same key is refused.
		diff := in
		diff.RequestHash = "h2"
		if _, _, err := r.BeginCreate(ctx, diff); !errors.Is(err, ErrKeyReused) {
			t.Fatalf("reused key: %v", err)
		}
		// An event recorded ACTIVE before the create's answer: the answer does not set it back.
		if err := r.Put(ctx, Resource{Type: core.TypeServer, ID: "s1", DatacenterID: "dc1", ProjectID: "pa", State: "ACTIVE"}); err != nil {
			t.Fatal(err)
		}
		if err := r.FinishCreate(ctx, first.Token, Resource{Type: core.TypeServer, ID: "s1", DatacenterID: "dc1", ProjectID: "pa", State: "BUILD"}, 202, []byte(`{"server":{}}`)); err != nil {
			t.Fatal(err)
		}
		if res, _ := r.Get(core.TypeServer, "s1"); res.State != "ACTIVE" {
			t.Fatalf("state after FinishCreate: %s", res.State)
		}
		done, replay, err := r.BeginCreate(ctx, in)
		if err != nil || !replay || done.Status != IntentDone || done.ResponseCode != 202 || string(done.Response) != `{"server":{}}` || done.ResourceID != "s1" {
			t.Fatalf("done replay: %+v %v %v", done, replay, err)
		}
		// A FinishCreate that cannot register (the id is another datacenter's) changes nothing.
		second, _, _ := r.BeginCreate(ctx, Intent{ProjectID: "pa", UserID: "u", Type: core.TypeServer, DatacenterID: "dc2", RequestHash: "h"})
		if err := r.FinishCreate(ctx, second.Token, Resource{Type: core.TypeServer, ID: "s1", DatacenterID: "dc2", ProjectID: "pa"}, 202, nil); core.KindOf(err) != core.Conflict {
			t.Fatalf("clashing finish: %v", err)
		}
		if in2, _ := r.Intent(ctx, second.Token); in2.Status != IntentPending {
			t.Fatalf("intent after a failed finish: %s", in2.Status)
		}
		if res, _ := r.Get(core.TypeServer, "s1"); res.DatacenterID != "dc1" {
			t.Fatalf("registry changed by a failed finish: %+v", res)
		}
		// Pending creates are those older than the cutoff.
		if p, _ := r.PendingCreates(ctx, now.Add(time.Second)); len(p) != 2 { // pb's and second
			t.Fatalf("pending: %+v", p)
		}
		if p, _ := r.PendingCreates(ctx, now.Add(-time.Second)); len(p) != 0 {
			t.Fatalf("pending before the cutoff: %+v", p)
		}
		if err := r.AbandonCreate(ctx, second.Token); err != nil {
			t.Fatal(err)
		}
		if in2, _ := r.Intent(ctx, second.Token); in2.Status != IntentAbandoned {
			t.Fatalf("abandoned: %s", in2.Status)
		}
		if _, err := r.Intent(ctx, "nope"); core.KindOf(err) != core.NotFound {
			t.Fatalf("unknown intent: %v", err)
		}
		// A refusal is replayed as such; after 24 h the key is free again.
		k2 := in
		k2.IdempotencyKey = sql.NullString{String: "k2", Valid: true}
		f, _, _ := r.BeginCreate(ctx, k2)
		if err := r.FailCreate(ctx, f.Token, 400, []byte(`{"error":{}}`)); err != nil {
			t.Fatal(err)
		}
		if got, replay, _ := r.BeginCreate(ctx, k2); !replay || got.Status != IntentFailed || got.ResponseCode != 400 {
			t.Fatalf("failed replay: %+v", got)
		}
		now = now.Add(IdempotencyWindow + time.Second)
		if fresh, replay, err := r.BeginCreate(ctx, k2); err != nil || replay || fresh.Token == f.Token {
			t.Fatalf("after 24h: %+v %v %v", fresh, replay, err)
		}
	})
}

func TestRegistryCursors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, _ := Open(ctx, db)
		if c, err := r.Cursor(ctx, "dc1"); c != "" || err != nil {
			t.Fatalf("%q %v", c, err)
		}
		for _, c := range []string{"5", "9"} {
			if err := r.SetCursor(ctx, "dc1", c); err != nil {
				t.Fatal(err)
			}
		}
		if c, _ := r.Cursor(ctx, "dc1"); c != "9" {
			t.Fatalf("cursor %q", c)
		}
		if c, _ := r.Cursor(ctx, "dc2"); c != "" {
			t.Fatalf("dc2 cursor %q", c)
		}
	})
}

// TestRegistryConcurrentPutAndFinish: the reconciler registering a resource
// from its first event while the create's answer registers it too — both
// succeed, whichever comes first, and the resource is registered once.
func TestRegistryConcurrentPutAndFinish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, _ := Open(ctx, db)
		for i := 0; i < 20; i++ {
			id := NewToken()
			in, _, err := r.BeginCreate(ctx, Intent{ProjectID: "pa", UserID: "u", Type: core.TypeVolume, DatacenterID: "dc1", RequestHash: "h"})
			if err != nil {
				t.Fatal(err)
			}
			res := Resource{Type: core.TypeVolume, ID: id, DatacenterID: "dc1", ProjectID: "pa", State: "creating"}
			errs := make(chan error, 2)
			go func() {
				errs <- r.Put(ctx, Resource{Type: core.TypeVolume, ID: id, DatacenterID: "dc1", ProjectID: "pa", State: "available"})
			}()
			go func() { errs <- r.FinishCreate(ctx, in.Token, res, 202, []byte(`{}`)) }()
			for j := 0; j < 2; j++ {
				if err := <-errs; err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
			}
			if _, err := r.Owned(core.TypeVolume, id, "pa"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
