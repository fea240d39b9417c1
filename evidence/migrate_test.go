package evidence

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrationsAreNumberedWithoutGaps(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("%d migrations, schema version %d", len(ms), SchemaVersion())
	}
	for i, m := range ms {
		if m.version != i+1 || m.name == "" || len(m.sha256) != 64 {
			t.Errorf("migration %d = %+v", i, m)
		}
	}
}

func openRaw(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite3", dsn(path, "rwc", "immediate", "FULL", false))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestFailedMigrationLeavesNothingBehind(t *testing.T) {
	db, _ := openRaw(t)
	ctx := context.Background()
	steps := []migration{
		{version: 1, name: "good", sql: `CREATE TABLE a (x INTEGER) STRICT;`, sha256: strings.Repeat("1", 64)},
		{version: 2, name: "bad", sql: `CREATE TABLE b (x INTEGER) STRICT; CREATE TABLE a (y INTEGER);`, sha256: strings.Repeat("2", 64)},
	}
	err := applyMigrations(ctx, db, steps)
	if err == nil || !strings.Contains(err.Error(), "apply migration 0002_bad") {
		t.Fatalf("applyMigrations = %v, want the failing step named", err)
	}
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables left after a failed migration, want none (not even schema_migrations)", tables)
	}

	// Applied one at a time, a later run continues where the last stopped.
	if err := applyMigrations(ctx, db, steps[:1]); err != nil {
		t.Fatal(err)
	}
	steps[1].sql = `CREATE TABLE b (x INTEGER) STRICT;`
	if err := applyMigrations(ctx, db, steps); err != nil {
		t.Fatal(err)
	}
	var versions int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil || versions != 2 {
		t.Errorf("schema_migrations rows = %d, %v", versions, err)
	}

	// A shipped migration that was edited afterwards is refused rather than silently trusted.
	steps[0].sha256 = strings.Repeat("f", 64)
	if err := applyMigrations(ctx, db, steps); err == nil || !strings.Contains(err.Error(), "differs from the one this Jigsaw ships") {
		t.Errorf("edited migration: %v", err)
	}
}
