package sqlitedb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func files(m map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range m {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

const (
	first  = `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT;`
	second = `ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT '';`
)

func TestOpenMigrates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "central.db")
	schema := Schema{Name: "demo", Files: files(map[string]string{"0001_t.sql": first}), Dir: "m"}
	db, err := Open(ctx, path, schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO t (v) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q, %v; want wal", mode, err)
	}
	db.Close()

	// A second migration applies once, to the existing rows; opening again changes nothing.
	schema.Files = files(map[string]string{"0001_t.sql": first, "0002_w.sql": second})
	for range 2 {
		db, err = Open(ctx, path, schema)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM demo_schema_migrations`).Scan(&n); err != nil || n != 2 {
			t.Errorf("migrations recorded %d, %v; want 2", n, err)
		}
		if _, err := db.Exec(`UPDATE t SET w = 'y'`); err != nil {
			t.Errorf("column from migration 2 missing: %v", err)
		}
		db.Close()
	}

	// Another component keeps its own migration table in the same file.
	other := Schema{Name: "other", Files: files(map[string]string{"0001_u.sql": `CREATE TABLE u (id INTEGER PRIMARY KEY) STRICT;`}), Dir: "m"}
	db, err = Open(ctx, path, other)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		before  map[string]string
		after   map[string]string
		wantErr string
	}{
		{name: "gap in numbering", after: map[string]string{"0001_t.sql": first, "0003_w.sql": second}, wantErr: "must be numbered 0002"},
		{name: "edited shipped migration", before: map[string]string{"0001_t.sql": first},
			after: map[string]string{"0001_t.sql": first + " -- edited"}, wantErr: "differs from the one this Jigsaw ships"},
		{name: "database newer than the build", before: map[string]string{"0001_t.sql": first, "0002_w.sql": second},
			after: map[string]string{"0001_t.sql": first}, wantErr: "newer than this Jigsaw supports"},
		{name: "broken SQL rolls back", after: map[string]string{"0001_t.sql": first, "0002_bad.sql": `CREATE TABLE oops (`}, wantErr: "apply demo migration 0002_bad.sql"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "central.db")
			if c.before != nil {
				db, err := Open(ctx, path, Schema{Name: "demo", Files: files(c.before), Dir: "m"})
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			_, err := Open(ctx, path, Schema{Name: "demo", Files: files(c.after), Dir: "m"})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
			}
			if c.name == "broken SQL rolls back" {
				db, err := Open(ctx, path, Schema{Name: "demo", Files: files(map[string]string{"0001_t.sql": first}), Dir: "m"})
				if err != nil {
					t.Fatalf("after a failed migration the database is not at its old version: %v", err)
				}
				db.Close()
			}
		})
	}
}
