package evidence

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

func TestEvidenceRowsAreAppendOnly(t *testing.T) {
	s, path := openTestStore(t)
	fill(t, s)
	db := rawDB(t, path)
	attempts := []struct{ table, update string }{
		{"exchanges", "status_code = 500"},
		{"probe_results", "status = 'fail'"},
		{"attestations", "level = 1"},
		{"files", "name = 'other.pdf'"},
		{"assessments", "target_url = 'https://elsewhere.example'"},
	}
	for _, a := range attempts {
		if _, err := db.Exec(fmt.Sprintf("UPDATE %s SET %s", a.table, a.update)); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE %s: %v, want the append-only trigger to abort", a.table, err)
		}
		if _, err := db.Exec("DELETE FROM " + a.table); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE FROM %s: %v, want the append-only trigger to abort", a.table, err)
		}
	}
	// The status of an unfinished assessment is the one thing that may change.
	if _, err := db.Exec(`UPDATE assessments SET status = 'complete', finished_at = '2026-07-01T12:00:00Z' WHERE seq = 1`); err != nil {
		t.Errorf("status update refused: %v", err)
	}
	if _, err := db.Exec(`UPDATE assessments SET status = 'running' WHERE seq = 1`); err == nil {
		t.Error("a complete assessment was reopened")
	}
	rep, err := s.VerifyChain(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("VerifyChain after refused tampering: %+v, %v", rep, err)
	}
}

// tamper drops the guard the way an attacker with file access would, then runs the change.
func tamper(t *testing.T, db *sql.DB, table string, stmts ...string) {
	t.Helper()
	for _, op := range []string{"update", "delete"} {
		if _, err := db.Exec(fmt.Sprintf("DROP TRIGGER IF EXISTS %s_append_only_%s", table, op)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// recomputedContentHash is what an attacker who knows the format would store after editing.
func recomputedContentHash(t *testing.T, db *sql.DB, table string, seq int64) string {
	t.Helper()
	tab := tableNamed(table)
	vals := make([]any, len(tab.columns))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.QueryRow(fmt.Sprintf("SELECT %s FROM %s WHERE seq = ?", strings.Join(tab.columns, ", "), table), seq).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	content, err := canonicalContent(table, tab.columns, vals)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(content)
}

func TestVerifyChainFindsTheFirstAlteredRow(t *testing.T) {
	// fill lays the chain out as: 1 AS, 2 EX, 3 PR, 4-6 AT, 7 FI, 8 EX, 9 PR, 10 AS.
	cases := []struct {
		name      string
		table     string
		change    func(t *testing.T, db *sql.DB)
		wantID    string
		wantField string
	}{
		{"assessment target", "assessments", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "assessments", `UPDATE assessments SET target_url = 'https://elsewhere.example' WHERE seq = 1`)
		}, "AS-000001", "content_sha256"},
		{"exchange status", "exchanges", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "exchanges", `UPDATE exchanges SET status_code = 401 WHERE seq = 2`)
		}, "EX-000002", "content_sha256"},
		{"exchange body", "exchanges", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "exchanges", `UPDATE exchanges SET response_body = CAST('{}' AS BLOB) WHERE seq = 8`)
		}, "EX-000008", "content_sha256"},
		{"exchange body emptied", "exchanges", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "exchanges", `UPDATE exchanges SET response_body = X'' WHERE seq = 8`)
		}, "EX-000008", "content_sha256"},
		{"probe result status", "probe_results", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "probe_results", `UPDATE probe_results SET status = 'pass', observed = 'fine' WHERE seq = 9`)
		}, "PR-000009", "content_sha256"},
		{"attestation level", "attestations", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "attestations", `UPDATE attestations SET level = 4 WHERE seq = 4`)
		}, "AT-000004", "content_sha256"},
		{"file bytes", "files", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "files", `UPDATE files SET content = CAST('forged' AS BLOB) WHERE seq = 7`)
		}, "FI-000007", "content_sha256"},
		{"content hash recomputed", "attestations", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "attestations", `UPDATE attestations SET level = 4 WHERE seq = 5`)
			h := recomputedContentHash(t, db, "attestations", 5)
			tamper(t, db, "attestations", fmt.Sprintf(`UPDATE attestations SET content_sha256 = '%s' WHERE seq = 5`, h))
		}, "AT-000005", "chain_hash"},
		{"content and chain hash recomputed", "probe_results", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "probe_results", `UPDATE probe_results SET status = 'fail' WHERE seq = 3`)
			h := recomputedContentHash(t, db, "probe_results", 3)
			var prev string
			if err := db.QueryRow(`SELECT prev_hash FROM probe_results WHERE seq = 3`).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			chain, err := link(prev, h)
			if err != nil {
				t.Fatal(err)
			}
			tamper(t, db, "probe_results", fmt.Sprintf(`UPDATE probe_results SET content_sha256 = '%s', chain_hash = '%s' WHERE seq = 3`, h, chain))
		}, "AT-000004", "prev_hash"},
		{"row removed", "attestations", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "attestations", `DELETE FROM attestations WHERE seq = 5`)
		}, "AT-000006", "seq"},
		{"rows reordered", "exchanges", func(t *testing.T, db *sql.DB) {
			tamper(t, db, "exchanges", `UPDATE exchanges SET seq = 100 WHERE seq = 2`, `UPDATE exchanges SET seq = 2 WHERE seq = 8`, `UPDATE exchanges SET seq = 8 WHERE seq = 100`)
		}, "EX-000002", "content_sha256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, path := openTestStore(t)
			fill(t, s)
			ctx := context.Background()
			clean, err := s.VerifyChain(ctx)
			if err != nil || !clean.OK || clean.Total != 10 || clean.Head.Seq != 10 || len(clean.Warnings) != 0 {
				t.Fatalf("untouched chain: %+v, %v", clean, err)
			}
			c.change(t, rawDB(t, path))
			rep, err := s.VerifyChain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.Problem == nil {
				t.Fatalf("tampering not detected: %+v", rep)
			}
			if rep.Problem.ID != c.wantID || rep.Problem.Field != c.wantField {
				t.Errorf("problem = %s, want %s at %s", rep.Problem, c.wantField, c.wantID)
			}
			if rep.Problem.Expected == rep.Problem.Stored {
				t.Errorf("problem shows equal expected and stored values: %s", rep.Problem)
			}
			if len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), c.table+"_append_only_") {
				t.Errorf("dropped trigger on %s not warned about: %v", c.table, rep.Warnings)
			}
		})
	}
}

func TestVerifyChainOfEmptyDatabase(t *testing.T) {
	s, _ := openTestStore(t)
	rep, err := s.VerifyChain(context.Background())
	if err != nil || !rep.OK || rep.Total != 0 || rep.Head != (ChainHead{Seq: 0, Hash: GenesisHash}) {
		t.Fatalf("empty chain: %+v, %v", rep, err)
	}
}

func TestChainLinksMatchTheDocumentedFormat(t *testing.T) {
	s, path := openTestStore(t)
	fill(t, s)
	db := rawDB(t, path)
	// Recompute the whole chain independently of VerifyChain, from the documented formula.
	prev := GenesisHash
	for seq := int64(1); seq <= 10; seq++ {
		var table, content, storedPrev, chain string
		found := false
		for _, tab := range chainedTables {
			err := db.QueryRow(fmt.Sprintf("SELECT content_sha256, prev_hash, chain_hash FROM %s WHERE seq = ?", tab.name), seq).Scan(&content, &storedPrev, &chain)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			table, found = tab.name, true
		}
		if !found {
			t.Fatalf("seq %d missing", seq)
		}
		if content != recomputedContentHash(t, db, table, seq) {
			t.Errorf("seq %d (%s): content hash does not match its canonical content", seq, table)
		}
		want, _ := link(prev, content)
		if storedPrev != prev || chain != want {
			t.Errorf("seq %d: prev %s chain %s, want %s %s", seq, storedPrev, chain, prev, want)
		}
		prev = chain
	}
	head, _ := s.ChainHead(context.Background())
	if head.Hash != prev || head.String() != "10:"+prev {
		t.Errorf("head %v, want 10:%s", head, prev)
	}
}

func TestCanonicalContent(t *testing.T) {
	got, err := canonicalContent("files", []string{"seq", "name", "content", "note", "size"},
		[]any{int64(7), "a \"b\"\n\u2028é\x01", []byte("abc"), nil, int64(-3)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_table":"files","content":{"len":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},` +
		`"name":"a \"b\"\n` + "\u2028é" + `\u0001","note":null,"seq":7,"size":-3}`
	if string(got) != want {
		t.Errorf("canonical content\n got %s\nwant %s", got, want)
	}
	if _, err := canonicalContent("files", []string{"name"}, []any{"\xff"}); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if _, err := canonicalContent("files", []string{"size"}, []any{1.5}); err == nil {
		t.Error("float accepted")
	}
}
