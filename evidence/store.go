package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver (cgo)
)

// busyTimeout is how long a writer waits for another writer (in this or another process)
// before giving up. Writer transactions last milliseconds, so this is only reached when
// something is badly wrong.
const busyTimeout = 15 * time.Second

// Store is an open evidence database. It is safe for concurrent use; other processes may
// write to the same file at the same time.
type Store struct {
	path string
	// write holds one connection so writers in this process queue in Go rather than spin on
	// SQLite's lock; writers in other processes wait through the busy timeout. Every
	// transaction on it begins IMMEDIATE, so a writer takes the lock before it reads the
	// chain head and can never be refused half way through.
	write *sql.DB
	// read serves queries; its transactions are DEFERRED snapshots that never block writers.
	read *sql.DB
	now  func() time.Time
}

// Open opens (creating if needed) the evidence database at path and brings its schema up to
// date. A database written by a newer version of Jigsaw is refused.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open evidence store: no database path given")
	}
	s, err := open(ctx, path, false)
	if err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	if err := migrate(ctx, s.write); err != nil {
		s.Close()
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	return s, nil
}

// OpenReadOnly opens an existing evidence database without changing it: no schema migration,
// no writes. It is what verify uses, so that checking a file never alters it. The file's
// schema must be the one this version of Jigsaw writes.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	s, err := open(ctx, path, true)
	if err != nil {
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	if err := checkSchema(ctx, s.read); err != nil {
		s.Close()
		return nil, fmt.Errorf("open evidence store %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, readOnly bool) (*Store, error) {
	s := &Store{path: path, now: time.Now}
	var err error
	if !readOnly {
		// synchronous=FULL on the writer: each evidence commit is fsynced before it is
		// reported as recorded, so a chain head an inspector has seen (and may export and
		// sign) cannot be rolled back by a power cut. At one commit per probe the cost is
		// one WAL fsync per probe (see BenchmarkRecordProbeResult).
		s.write, err = sql.Open("sqlite3", dsn(path, "rwc", "immediate", "FULL", false))
		if err != nil {
			return nil, err
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetMaxIdleConns(1)
		s.write.SetConnMaxIdleTime(0)
		s.write.SetConnMaxLifetime(0)
		if err := s.write.PingContext(ctx); err != nil {
			s.write.Close()
			return nil, err
		}
	}
	mode := "rw"
	if readOnly {
		mode = "ro"
	}
	s.read, err = sql.Open("sqlite3", dsn(path, mode, "deferred", "NORMAL", true))
	if err != nil {
		s.Close()
		return nil, err
	}
	s.read.SetMaxOpenConns(4)
	if err := s.read.PingContext(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if readOnly {
		if err := checkApplicationID(ctx, s.read); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// dsn builds a mattn/go-sqlite3 data source name. The pragmas run on every new connection.
func dsn(path, mode, txlock, synchronous string, queryOnly bool) string {
	q := url.Values{}
	q.Set("mode", mode)
	q.Set("_txlock", txlock)
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", synchronous)
	if mode != "ro" {
		q.Set("_journal_mode", "WAL")
	}
	if queryOnly {
		q.Set("_query_only", "on")
	}
	return "file:" + uriPathEscaper.Replace(path) + "?" + q.Encode()
}

// uriPathEscaper escapes the characters that would end or corrupt the path part of an SQLite
// URI filename; SQLite decodes %HH escapes in it.
var uriPathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Path is the database file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close releases the database. Everything recorded is already committed.
func (s *Store) Close() error {
	var errs []error
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	return errors.Join(errs...)
}

// writeTx runs fn in one IMMEDIATE transaction: all of it is committed or none of it.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.write == nil {
		return errors.New("evidence store was opened read-only")
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// readTx runs fn in one read snapshot so that several queries see the same state.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose
	return fn(tx)
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
