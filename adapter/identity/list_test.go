package identity

import (
	"context"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

func TestListProjectsAndUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, err := New(db, WithArgon2Params(cheap))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := s.CreateDepartment(ctx, "a", "")
		b, _ := s.CreateDepartment(ctx, "b", "")
		for _, n := range []string{"p2", "p1"} {
			if _, err := s.CreateProject(ctx, n, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateProject(ctx, "q", b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "zed", "password1", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "amy", "password1", b.ID); err != nil {
			t.Fatal(err)
		}
		ps, err := s.ListProjects(ctx, a.ID)
		if err != nil || len(ps) != 2 || ps[0].Name != "p1" || ps[1].Name != "p2" {
			t.Fatalf("%+v %v", ps, err)
		}
		if all, _ := s.ListProjects(ctx, ""); len(all) != 3 {
			t.Fatalf("%+v", all)
		}
		us, err := s.ListUsers(ctx, b.ID)
		if err != nil || len(us) != 1 || us[0].Name != "amy" {
			t.Fatalf("%+v %v", us, err)
		}
		if none, _ := s.ListUsers(ctx, "nope"); none == nil || len(none) != 0 {
			t.Fatalf("%+v", none)
		}
	})
}
