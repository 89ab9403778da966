package adapter

import (
	"context"
	"testing"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/store"
)

// testIdentity is an identity service over db with the bootstrap admin
// (password "admin-secret") and a cheap password hash, so -race stays fast.
func testIdentity(t testing.TB, db *store.DB) *identity.Service {
	t.Helper()
	ids, err := identity.New(db, identity.WithArgon2Params(identity.Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.Bootstrap(context.Background(), "admin-secret"); err != nil {
		t.Fatal(err)
	}
	return ids
}
