package league

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
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

// The league's tables live in the central database beside the fleet's; each package keeps
// its own migration table so either can be upgraded without the other.

//go:embed migrations/*.sql
var migrationFiles embed.FS

const migrationTable = "league_schema_migrations"

func openDB(ctx context.Context, file string) (*sql.DB, error) {
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
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate league schema: %w", err)
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
			return fmt.Errorf("league migration %s: must be numbered %04d", e.Name(), i+1)
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return err
		}
		s := sha256.Sum256(body)
		sum := hex.EncodeToString(s[:])
		if have, ok := applied[v]; ok {
			if have != sum {
				return fmt.Errorf("league schema migration %s in the database differs from the one this Jigsaw ships", e.Name())
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("apply league migration %s: %w", e.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+migrationTable+` VALUES (?, ?, ?, ?)`, v, name, sum, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	}
	if len(applied) > len(entries) {
		return fmt.Errorf("the database's league schema (version %d) is newer than this Jigsaw supports (%d): upgrade Jigsaw", len(applied), len(entries))
	}
	return tx.Commit()
}
