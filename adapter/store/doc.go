// Package store opens gisiaas's database — SQLite for one machine,
// PostgreSQL for a fleet — and brings its schema up to date.
//
// The schema lives in embedded goose migrations (one set per dialect, same
// versions), applied by Open under an advisory lock on PostgreSQL, so a
// binary always runs against the schema it was built for. Queries are
// written once with ? placeholders and rebound by sqlx for the dialect.
//
//	db, err := store.Open(ctx, "sqlite:///var/lib/gisiaas/gisiaas.db")
//	// or store.Open(ctx, "postgres://gisiaas@db:5432/gisiaas?sslmode=require")
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//	var n int
//	err = db.GetContext(ctx, &n, db.Rebind(`SELECT count(*) FROM users WHERE domain = ?`), "Default")
package store
