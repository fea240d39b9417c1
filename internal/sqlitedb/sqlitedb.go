// Package sqlitedb opens the central database's SQLite file and applies a component's embedded,
// numbered migrations. The league and the fleet scan share one central database, each with its
// own migration table, so either can be upgraded without the other.
package sqlitedb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver (cgo)
)

// Schema names a component's migrations: files NNNN_name.sql in Dir of Files, recorded in the
// table Name_schema_migrations.
type Schema struct {
	Name  string
	Files fs.FS
	Dir   string
}

// Open opens (creating if needed) the SQLite file in WAL mode with one writer connection, and
// brings the schema's tables up to date.
func Open(ctx context.Context, file string, schema Schema) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", "15000")
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	db, err := sql.Open("sqlite3", "file:"+strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One writer connection: writers queue in Go, not on SQLite's lock.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, schema); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB, schema Schema) error {
	migrationTable := schema.Name + "_schema_migrations"
	entries, err := fs.ReadDir(schema.Files, schema.Dir)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", schema.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+migrationTable+` (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("create %s: %w", migrationTable, err)
	}
	applied := map[int]string{}
	rows, err := tx.QueryContext(ctx, `SELECT version, sha256 FROM `+migrationTable)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return err
		}
		applied[v] = sum
	}
	rows.Close()
	for i, e := range entries {
		num, name, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return fmt.Errorf("%s migration %s: must be numbered %04d", schema.Name, e.Name(), i+1)
		}
		body, err := fs.ReadFile(schema.Files, path.Join(schema.Dir, e.Name()))
		if err != nil {
			return err
		}
		s := sha256.Sum256(body)
		sum := hex.EncodeToString(s[:])
		if have, ok := applied[v]; ok {
			if have != sum {
				return fmt.Errorf("%s schema migration %s in the database differs from the one this Jigsaw ships", schema.Name, e.Name())
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("apply %s migration %s: %w", schema.Name, e.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+migrationTable+` VALUES (?, ?, ?, ?)`, v, name, sum, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	}
	if len(applied) > len(entries) {
		return fmt.Errorf("the database's %s schema (version %d) is newer than this Jigsaw supports (%d): upgrade Jigsaw", schema.Name, len(applied), len(entries))
	}
	return tx.Commit()
}
