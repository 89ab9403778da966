package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/core"
)

// backupTables are billing's tables in an order that satisfies their
// foreign keys on restore.
var backupTables = []string{"billing_settings", "billing_templates", "billing_price_lists", "billing_prices",
	"billing_department_templates", "billing_accounts", "billing_recharges", "billing_recharge_codes",
	"billing_events", "billing_resources", "billing_charges"}

// BackupFormat names the backup document's layout.
const BackupFormat = "gisiaas-billing-backup/1"

// BackupInfo describes a backup taken.
type BackupInfo struct {
	ID      string    `json:"id"`
	TakenAt time.Time `json:"taken_at"`
	SHA256  string    `json:"sha256"`
	Bytes   int64     `json:"bytes"`
}

type backupDoc struct {
	Format  string                      `json:"format"`
	ID      string                      `json:"id"`
	TakenAt time.Time                   `json:"taken_at"`
	Tables  map[string][]map[string]any `json:"tables"`
}

// Backup writes all billing data — settings, pricing, accounts, recharges,
// codes (as hashes), the event log and the ledger — to w as one JSON
// document, in one consistent read, and records it (BL.16: a reset needs a
// backup first). Restore reads it back.
func (s *Service) Backup(ctx context.Context, w io.Writer, byUser string) (BackupInfo, error) {
	doc := backupDoc{Format: BackupFormat, ID: newID(), TakenAt: s.now(), Tables: map[string][]map[string]any{}}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, t := range backupTables {
			rows, err := tx.QueryxContext(ctx, `SELECT * FROM `+t)
			if err != nil {
				return dbErr("Backup", err)
			}
			out := []map[string]any{}
			for rows.Next() {
				m := map[string]any{}
				if err := rows.MapScan(m); err != nil {
					rows.Close()
					return dbErr("Backup", err)
				}
				for k, v := range m {
					switch x := v.(type) {
					case []byte:
						m[k] = string(x)
					case time.Time:
						m[k] = x.UTC().Format(time.RFC3339Nano)
					}
				}
				out = append(out, m)
			}
			rows.Close()
			doc.Tables[t] = out
		}
		return nil
	})
	if err != nil {
		return BackupInfo{}, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return BackupInfo{}, core.Wrap(core.Internal, "Backup", err)
	}
	sum := sha256.Sum256(raw)
	info := BackupInfo{ID: doc.ID, TakenAt: doc.TakenAt, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(raw))}
	if _, err := w.Write(raw); err != nil {
		return BackupInfo{}, core.Wrap(core.Unavailable, "Backup", err)
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO billing_backups (id, taken_at, sha256, bytes, by_user) VALUES (?, ?, ?, ?, ?)`),
		info.ID, info.TakenAt, info.SHA256, info.Bytes, byUser); err != nil {
		return BackupInfo{}, dbErr("Backup", err)
	}
	return info, nil
}

// Reset deletes all billing data, as uninstalling does (BL.16), then seeds
// the defaults again. It refuses unless backupID names a backup taken after
// the last event and the last charge, so nothing is lost that a backup does
// not hold.
func (s *Service) Reset(ctx context.Context, backupID string) error {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var taken time.Time
		if err := tx.GetContext(ctx, &taken, tx.Rebind(`SELECT taken_at FROM billing_backups WHERE id = ?`), backupID); err != nil {
			if core.KindOf(dbErr("", err)) == core.NotFound {
				return core.Errorf(core.Conflict, "backup_id: no backup %q was taken; take one (gisiaas billing backup) before a reset", backupID)
			}
			return dbErr("Reset", err)
		}
		var last struct {
			Event  *string `db:"event"`
			Charge *string `db:"charge"`
		}
		if err := tx.GetContext(ctx, &last, `SELECT (SELECT CAST(MAX(received_at) AS TEXT) FROM billing_events) AS event,
			(SELECT CAST(MAX(posted_at) AS TEXT) FROM billing_charges) AS charge`); err != nil {
			return dbErr("Reset", err)
		}
		for _, v := range []*string{last.Event, last.Charge} {
			if v == nil {
				continue
			}
			if t, ok := parseDBTime(*v); ok && t.After(taken) {
				return core.Errorf(core.Conflict, "backup_id: backup %s is older than the last billing data (%s); take a new one", backupID, t.Format(time.RFC3339))
			}
		}
		for i := len(backupTables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+backupTables[i]); err != nil {
				return dbErr("Reset", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.hist.mu.Lock()
	s.hist.version = ""
	s.hist.mu.Unlock()
	s.resources = nil
	return s.seed(ctx)
}

// parseDBTime reads a timestamp as either database prints it as text.
func parseDBTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05-07", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Restore loads a backup into an empty billing (after Reset, or on a new
// installation): Conflict if any event or charge is already there.
func (s *Service) Restore(ctx context.Context, r io.Reader) (BackupInfo, error) {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	var doc backupDoc
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc.Format != BackupFormat {
		return BackupInfo{}, core.Errorf(core.InvalidArgument, "backup: not a %s document", BackupFormat)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT (SELECT COUNT(*) FROM billing_events) + (SELECT COUNT(*) FROM billing_charges) + (SELECT COUNT(*) FROM billing_recharges)`); err != nil {
			return dbErr("Restore", err)
		}
		if n > 0 {
			return core.Errorf(core.Conflict, "billing holds data; reset it (after a backup) before a restore")
		}
		for i := len(backupTables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+backupTables[i]); err != nil {
				return dbErr("Restore", err)
			}
		}
		for _, t := range backupTables {
			for _, row := range doc.Tables[t] {
				cols := make([]string, 0, len(row))
				args := make([]any, 0, len(row))
				for k, v := range row {
					if (t == "billing_events" || t == "billing_charges") && k == "seq" || t == "billing_charges" && k == "id" {
						if s.dialect == Postgres {
							continue // identity columns: the order of insertion keeps the order
						}
					}
					if !columnName(k) {
						return core.Errorf(core.InvalidArgument, "backup: bad column name %q", k)
					}
					if num, ok := v.(json.Number); ok {
						v = num.String()
					}
					if str, ok := v.(string); ok && (strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_time")) {
						// Times go back as times, so each database stores
						// them in its own form (SQLite compares text).
						if tm, err := time.Parse(time.RFC3339Nano, str); err == nil {
							v = tm.UTC()
						}
					}
					cols = append(cols, k)
					args = append(args, v)
				}
				q := `INSERT INTO ` + t + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + `)`
				if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
					return dbErr("Restore", fmt.Errorf("%s: %w", t, err))
				}
			}
		}
		return nil
	})
	if err != nil {
		return BackupInfo{}, err
	}
	s.hist.mu.Lock()
	s.hist.version = ""
	s.hist.mu.Unlock()
	s.resources = nil
	return BackupInfo{ID: doc.ID, TakenAt: doc.TakenAt}, nil
}

// columnName reports whether k can be a column of ours: a backup is data,
// never SQL.
func columnName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// LatestBackupID is the id of the newest backup taken ("" if none).
func (s *Service) LatestBackupID(ctx context.Context) (string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM billing_backups ORDER BY taken_at DESC LIMIT 1`); err != nil {
		return "", dbErr("LatestBackupID", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}
