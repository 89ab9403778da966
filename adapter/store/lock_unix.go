//go:build unix

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"syscall"
	"time"
)

// fileLocker serialises SQLite migrations across processes with flock on a
// file beside the database. goose reads the schema version before it opens
// its migration transaction, so two servers opening a new database at once
// would both try migration 1; SQLite has no advisory lock to prevent that.
// flock is released by the kernel if a process dies, so a crash never leaves
// a stale lock behind.
type fileLocker struct {
	path string
	f    *os.File
}

func newFileLocker(dbPath string) *fileLocker { return &fileLocker{path: dbPath + "-migrate.lock"} }

func (l *fileLocker) Lock(ctx context.Context, _ *sql.DB) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.f = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *fileLocker) Unlock(context.Context, *sql.DB) error {
	if l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
	return err
}
