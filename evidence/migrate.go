package evidence

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// applicationID marks the file as a Jigsaw evidence database ("JIGS") in the SQLite header,
// so that verify can tell "not ours" from "ours but altered".
const applicationID = 0x4A494753

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step, embedded from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
	sha256  string
}

// migrations returns the embedded migrations in order. Numbers must run 1, 2, 3... without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number", name)
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		out = append(out, migration{version: v, name: rest, sql: string(body), sha256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %d (%s): expected number %d, migrations must be numbered without gaps", m.version, m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this build of Jigsaw writes.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the schema up to date in one IMMEDIATE transaction: two processes opening a
// new file at once cannot both apply a step, and a failed step leaves nothing behind.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	return applyMigrations(ctx, db, ms)
}

func applyMigrations(ctx context.Context, db *sql.DB, ms []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op

	if err := checkApplicationID(ctx, tx); err != nil {
		return err
	}
	var foreign int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite_%' AND NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'schema_migrations')`).Scan(&foreign); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if foreign > 0 {
		return fmt.Errorf("not a Jigsaw evidence database (it has tables but no schema_migrations): give a new file or an existing evidence database")
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		sha256     TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, tx)
	if err != nil {
		return err
	}
	if err := compareApplied(applied, ms); err != nil {
		return err
	}
	for _, m := range ms[len(applied):] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)`,
			m.version, m.name, m.sha256, formatTime(timeNowUTC())); err != nil {
			return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("set application id: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema migration: %w", err)
	}
	return nil
}

// checkSchema refuses a database whose schema is not exactly the one this build writes.
// Used by read-only opens, which must not migrate.
func checkSchema(ctx context.Context, q queryer) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	var exists int
	if err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if exists == 0 {
		return fmt.Errorf("not a Jigsaw evidence database (no schema_migrations table)")
	}
	applied, err := appliedMigrations(ctx, q)
	if err != nil {
		return err
	}
	if err := compareApplied(applied, ms); err != nil {
		return err
	}
	if len(applied) < len(ms) {
		return fmt.Errorf("evidence database has schema version %d but this Jigsaw reads version %d: open it once with a command that records evidence (for example jigsaw assess) to upgrade it",
			len(applied), len(ms))
	}
	return nil
}

type appliedMigration struct {
	version      int
	name, sha256 string
}

func appliedMigrations(ctx context.Context, q queryer) ([]appliedMigration, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, name, sha256 FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var a appliedMigration
		if err := rows.Scan(&a.version, &a.name, &a.sha256); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// compareApplied checks that what the file has applied is a prefix of what this build knows.
func compareApplied(applied []appliedMigration, known []migration) error {
	if n := len(applied); n > 0 && applied[n-1].version > len(known) {
		return fmt.Errorf("evidence database has schema version %d, newer than this Jigsaw supports (%d): upgrade Jigsaw to read it",
			applied[n-1].version, len(known))
	}
	for i, a := range applied {
		if a.version != i+1 {
			return fmt.Errorf("schema_migrations is inconsistent: version %d recorded where %d was expected", a.version, i+1)
		}
		if a.sha256 != known[i].sha256 {
			return fmt.Errorf("schema migration %04d_%s recorded in the database differs from the one this Jigsaw ships (sha256 %s, expected %s)",
				a.version, a.name, a.sha256, known[i].sha256)
		}
	}
	return nil
}

// checkApplicationID refuses SQLite files that belong to another application.
func checkApplicationID(ctx context.Context, q queryer) error {
	var id int64
	if err := q.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&id); err != nil {
		return fmt.Errorf("read application id: %w", err)
	}
	if id != 0 && id != applicationID {
		return fmt.Errorf("not a Jigsaw evidence database (SQLite application_id %#x)", id)
	}
	return nil
}
