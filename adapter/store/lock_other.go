//go:build !unix

package store

import (
	"context"
	"database/sql"
)

// fileLocker is a no-op where flock is unavailable: concurrent first opens
// of one SQLite file may then fail, and a retry succeeds.
type fileLocker struct{}

func newFileLocker(string) *fileLocker { return &fileLocker{} }

func (*fileLocker) Lock(context.Context, *sql.DB) error   { return nil }
func (*fileLocker) Unlock(context.Context, *sql.DB) error { return nil }
