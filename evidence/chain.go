package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nhs-jigsaw/jigsaw/internal/jcs"
)

// GenesisHash is the previous-hash of the first row of every chain: 32 zero bytes, in hex.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ChainHead is the last link of the evidence chain. Whoever holds a copy of it (an export
// carries it, signed) can prove that no row up to Seq was altered, removed or reordered since.
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// String renders the head as "seq:hash", the form exports sign.
func (h ChainHead) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash }

// chainedTable describes one evidence table in the chain.
type chainedTable struct {
	name string
	kind Kind
	// columns are hashed into the canonical content. "seq" is the row's primary key and its
	// position in the chain. Adding a column to a chained table in a later migration must
	// keep old rows hashing as they did (for example: include the column only when set).
	columns []string
	// optional are columns added after rows were written: hashed only when not empty, so the
	// older rows hash as they did.
	optional []string
}

// chainedTables lists every table in the chain. It is fixed data, never modified.
var chainedTables = []chainedTable{
	{name: "assessments", kind: KindAssessment, columns: []string{
		"seq", "ods_code", "org_name", "org_type", "region", "icb", "checklist_id", "checklist_version",
		"checklist_sha256", "target_url", "fhir_version", "cycle", "tool_version", "keep_bodies",
		"test_nhs_numbers", "started_at", "targets"}, optional: []string{"targets"}},
	{name: "exchanges", kind: KindExchange, columns: []string{
		"seq", "assessment_id", "probe_id", "probe_exchange_id", "method", "url", "request_headers",
		"request_body", "request_body_mode", "request_sha256", "request_size", "status_code",
		"response_headers", "response_body", "response_body_mode", "response_sha256", "response_size",
		"response_truncated", "removed_headers", "tls", "started_at", "duration_ns", "error", "recorded_at"}},
	{name: "probe_results", kind: KindResult, columns: []string{
		"seq", "assessment_id", "probe_id", "title", "pack", "status", "severity", "expected", "observed",
		"spec_ref", "started_at", "duration_ns", "exchange_ids", "recorded_at"}},
	{name: "attestations", kind: KindAttestation, columns: []string{
		"seq", "assessment_id", "item_id", "status", "level", "provenance", "answered_by", "answered_at",
		"evidence_refs", "owner", "notes", "waiver_reason", "waiver_expiry", "source_file", "source_sha256",
		"recorded_at"}},
	{name: "files", kind: KindFile, columns: []string{
		"seq", "assessment_id", "name", "media_type", "size", "sha256", "content", "note", "attached_at"}},
}

func tableNamed(name string) *chainedTable {
	for i := range chainedTables {
		if chainedTables[i].name == name {
			return &chainedTables[i]
		}
	}
	panic("evidence: unknown chained table " + name)
}

// canonicalContent is the byte string a row's content hash covers: a JSON object with the
// table name under "_table" and every canonical column, keys in ascending order, no
// whitespace, strings escaped as RFC 8785 (JCS) does. Values are integers, strings, null, or
// for BLOB columns {"len":N,"sha256":"hex"} so that a chain can be checked without the bytes.
func canonicalContent(table string, columns []string, values []any) ([]byte, error) {
	type field struct {
		key string
		val any
	}
	fields := make([]field, 0, len(columns)+1)
	fields = append(fields, field{"_table", table})
	optional := tableNamed(table).optional
	for i, c := range columns {
		if s, ok := values[i].(string); ok && s == "" && slices.Contains(optional, c) {
			continue
		}
		fields = append(fields, field{c, values[i]})
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.key, b.key) })

	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		jcs.WriteString(&b, f.key)
		b.WriteByte(':')
		switch v := f.val.(type) {
		case nil:
			b.WriteString("null")
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case string:
			if !utf8.ValidString(v) {
				return nil, fmt.Errorf("column %s is not valid UTF-8", f.key)
			}
			jcs.WriteString(&b, v)
		case []byte:
			sum := sha256.Sum256(v)
			b.WriteString(`{"len":`)
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteString(`,"sha256":"`)
			b.WriteString(hex.EncodeToString(sum[:]))
			b.WriteString(`"}`)
		default:
			return nil, fmt.Errorf("column %s has unexpected type %T", f.key, v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// link computes a chain hash: SHA-256 over the 32 bytes of the previous chain hash followed
// by the 32 bytes of the row's content hash.
func link(prevHex, contentHex string) (string, error) {
	prev, err := hex.DecodeString(prevHex)
	if err != nil || len(prev) != sha256.Size {
		return "", fmt.Errorf("previous hash %q is not a SHA-256 in hex", prevHex)
	}
	content, err := hex.DecodeString(contentHex)
	if err != nil || len(content) != sha256.Size {
		return "", fmt.Errorf("content hash %q is not a SHA-256 in hex", contentHex)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// headQuery finds the chain head: the highest seq over all chained tables (each a primary-key
// lookup).
var headQuery = func() string {
	parts := make([]string, len(chainedTables))
	for i, t := range chainedTables {
		parts[i] = fmt.Sprintf("SELECT * FROM (SELECT seq, chain_hash FROM %s ORDER BY seq DESC LIMIT 1)", t.name)
	}
	return "SELECT seq, chain_hash FROM (" + strings.Join(parts, " UNION ALL ") + ") ORDER BY seq DESC LIMIT 1"
}()

func chainHead(ctx context.Context, q queryer) (ChainHead, error) {
	var h ChainHead
	err := q.QueryRowContext(ctx, headQuery).Scan(&h.Seq, &h.Hash)
	if err == sql.ErrNoRows {
		return ChainHead{Seq: 0, Hash: GenesisHash}, nil
	}
	if err != nil {
		return ChainHead{}, fmt.Errorf("read chain head: %w", err)
	}
	return h, nil
}

// ChainHead returns the current head of the evidence chain.
func (s *Store) ChainHead(ctx context.Context) (ChainHead, error) {
	return chainHead(ctx, s.read)
}

// insertChained appends one evidence row to the chain inside tx (which must have begun
// IMMEDIATE, so no other writer can move the head meanwhile) and returns its seq.
// row holds exactly the table's canonical columns except seq; extra holds columns outside
// the canonical content (only assessments have any).
func insertChained(ctx context.Context, tx *sql.Tx, tableName string, row, extra map[string]any) (int64, error) {
	t := tableNamed(tableName)
	if len(row) != len(t.columns)-1 {
		return 0, fmt.Errorf("insert into %s: %d columns given, %d expected", t.name, len(row), len(t.columns)-1)
	}
	head, err := chainHead(ctx, tx)
	if err != nil {
		return 0, err
	}
	seq := head.Seq + 1
	values := make([]any, len(t.columns))
	for i, c := range t.columns {
		if c == "seq" {
			values[i] = seq
			continue
		}
		v, ok := row[c]
		if !ok {
			return 0, fmt.Errorf("insert into %s: column %s missing", t.name, c)
		}
		values[i] = normaliseValue(v)
	}
	content, err := canonicalContent(t.name, t.columns, values)
	if err != nil {
		return 0, fmt.Errorf("insert into %s: %w", t.name, err)
	}
	contentHash := sha256Hex(content)
	chainHash, err := link(head.Hash, contentHash)
	if err != nil {
		return 0, fmt.Errorf("insert into %s: chain head seq %d: %w", t.name, head.Seq, err)
	}

	cols := append(slices.Clone(t.columns), "content_sha256", "prev_hash", "chain_hash")
	values = append(values, contentHash, head.Hash, chainHash)
	extraKeys := make([]string, 0, len(extra))
	for k := range extra {
		extraKeys = append(extraKeys, k)
	}
	slices.Sort(extraKeys)
	for _, k := range extraKeys {
		cols = append(cols, k)
		values = append(values, normaliseValue(extra[k]))
	}
	query := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.name, strings.Join(cols, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
	if _, err := tx.ExecContext(ctx, query, values...); err != nil {
		return 0, fmt.Errorf("insert into %s: %w", t.name, err)
	}
	return seq, nil
}

// normaliseValue maps Go values onto the three types the canonical form knows, exactly as
// SQLite will hand them back: integers as int64, text as valid UTF-8 strings, blobs as
// non-empty []byte or NULL.
func normaliseValue(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		return strings.ToValidUTF8(x, "\uFFFD")
	case []byte:
		if len(x) == 0 {
			return nil
		}
		return x
	case nil:
		return nil
	default:
		panic(fmt.Sprintf("evidence: unsupported column value type %T", v))
	}
}

// VerifyReport is what VerifyChain found.
type VerifyReport struct {
	OK bool `json:"ok"`
	// Rows counts the rows of each chained table.
	Rows  map[string]int64 `json:"rows"`
	Total int64            `json:"total"`
	// Head is the last row that verified: the chain head when OK, the last good link otherwise.
	Head ChainHead `json:"head"`
	// Problem names the first row (in chain order) that does not match, when OK is false.
	Problem *ChainProblem `json:"problem,omitempty"`
	// Warnings are findings that do not break the chain, such as a missing append-only trigger.
	Warnings []string `json:"warnings,omitempty"`
}

// ChainProblem names the first row that failed verification.
type ChainProblem struct {
	Table string `json:"table"`
	// ID is the evidence id (for example EX-000123) or empty when the row itself is missing.
	ID  string `json:"id,omitempty"`
	Seq int64  `json:"seq"`
	// Field is what did not match: content_sha256, prev_hash, chain_hash or seq.
	Field    string `json:"field"`
	Expected string `json:"expected"`
	Stored   string `json:"stored"`
	Reason   string `json:"reason"`
}

func (p *ChainProblem) String() string {
	where := p.Table
	if p.ID != "" {
		where += " " + p.ID
	}
	return fmt.Sprintf("%s (seq %d): %s: %s expected %s, stored %s", where, p.Seq, p.Reason, p.Field, p.Expected, p.Stored)
}

// chainCursor walks one chained table in seq order.
type chainCursor struct {
	table *chainedTable
	rows  *sql.Rows
	cur   *chainRow
}

type chainRow struct {
	seq                              int64
	values                           []any
	contentHash, prevHash, chainHash string
}

func (c *chainCursor) advance() error {
	c.cur = nil
	if !c.rows.Next() {
		return c.rows.Err()
	}
	n := len(c.table.columns)
	dest := make([]any, n+3)
	vals := make([]any, n+3)
	for i := range dest {
		dest[i] = &vals[i]
	}
	if err := c.rows.Scan(dest...); err != nil {
		return fmt.Errorf("read %s: %w", c.table.name, err)
	}
	r := &chainRow{values: vals[:n]}
	seq, ok := vals[0].(int64)
	if !ok {
		return fmt.Errorf("read %s: seq has type %T", c.table.name, vals[0])
	}
	r.seq = seq
	r.contentHash, _ = vals[n].(string)
	r.prevHash, _ = vals[n+1].(string)
	r.chainHash, _ = vals[n+2].(string)
	c.cur = r
	return nil
}

// VerifyChain recomputes every evidence row's content hash and the chain that links them, in
// one read snapshot, and reports the first row that does not match. The error is only for
// failures to read the database; a broken chain is reported in VerifyReport.
//
// What it proves: no row up to the head was changed, removed from the middle or reordered.
// Removing rows from the end, or rewriting the whole chain, leaves a valid but shorter or
// different chain: only a copy of the head kept elsewhere (a signed export) catches that.
func (s *Store) VerifyChain(ctx context.Context) (VerifyReport, error) {
	rep := VerifyReport{Rows: map[string]int64{}, Head: ChainHead{Hash: GenesisHash}}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		warnings, err := missingTriggers(ctx, tx)
		if err != nil {
			return err
		}
		rep.Warnings = warnings

		cursors := make([]*chainCursor, 0, len(chainedTables))
		defer func() {
			for _, c := range cursors {
				c.rows.Close()
			}
		}()
		for i := range chainedTables {
			t := &chainedTables[i]
			var n int64
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", t.name, err)
			}
			rep.Rows[t.name] = n
			rep.Total += n
			rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s, content_sha256, prev_hash, chain_hash FROM %s ORDER BY seq",
				strings.Join(t.columns, ", "), t.name))
			if err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			c := &chainCursor{table: t, rows: rows}
			cursors = append(cursors, c)
			if err := c.advance(); err != nil {
				return err
			}
		}

		expectedSeq := int64(1)
		prev := GenesisHash
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			var next *chainCursor
			for _, c := range cursors {
				if c.cur != nil && (next == nil || c.cur.seq < next.cur.seq) {
					next = c
				}
			}
			if next == nil {
				break
			}
			row := next.cur
			if problem := checkRow(next.table, row, expectedSeq, prev); problem != nil {
				rep.Problem = problem
				return nil
			}
			rep.Head = ChainHead{Seq: row.seq, Hash: row.chainHash}
			prev = row.chainHash
			expectedSeq++
			if err := next.advance(); err != nil {
				return err
			}
		}
		if expectedSeq-1 != rep.Total {
			// Only reachable if rows changed between counting and reading, which one snapshot rules out.
			return fmt.Errorf("verify chain: counted %d rows but walked %d", rep.Total, expectedSeq-1)
		}
		rep.OK = true
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify evidence chain in %s: %w", s.path, err)
	}
	return rep, nil
}

// checkRow compares one row against the chain so far.
func checkRow(t *chainedTable, row *chainRow, expectedSeq int64, prev string) *ChainProblem {
	p := &ChainProblem{Table: t.name, ID: FormatID(t.kind, row.seq), Seq: row.seq}
	switch {
	case row.seq < expectedSeq:
		p.Field, p.Reason = "seq", "sequence number used twice"
		p.Expected, p.Stored = strconv.FormatInt(expectedSeq, 10), strconv.FormatInt(row.seq, 10)
		return p
	case row.seq > expectedSeq:
		p.Field = "seq"
		p.Reason = fmt.Sprintf("row(s) with seq %d..%d are missing (removed from the chain)", expectedSeq, row.seq-1)
		p.Expected, p.Stored = strconv.FormatInt(expectedSeq, 10), strconv.FormatInt(row.seq, 10)
		return p
	}
	content, err := canonicalContent(t.name, t.columns, row.values)
	if err != nil {
		p.Field, p.Reason, p.Expected, p.Stored = "content_sha256", "row content cannot be canonicalised: "+err.Error(), "(canonical content)", row.contentHash
		return p
	}
	if want := sha256Hex(content); want != row.contentHash {
		p.Field, p.Reason, p.Expected, p.Stored = "content_sha256", "row content was altered", want, row.contentHash
		return p
	}
	if row.prevHash != prev {
		p.Field, p.Reason, p.Expected, p.Stored = "prev_hash", "link to the previous row is broken", prev, row.prevHash
		return p
	}
	want, err := link(prev, row.contentHash)
	if err != nil || want != row.chainHash {
		p.Field, p.Reason, p.Expected, p.Stored = "chain_hash", "chain hash does not match", want, row.chainHash
		return p
	}
	return nil
}

// missingTriggers lists the append-only triggers that are not in the schema: evidence can
// still be verified without them, but someone removed a guard.
func missingTriggers(ctx context.Context, q queryer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		return nil, fmt.Errorf("read triggers: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read triggers: %w", err)
		}
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read triggers: %w", err)
	}
	var missing []string
	for _, t := range chainedTables {
		for _, op := range []string{"update", "delete"} {
			name := t.name + "_append_only_" + op
			if !have[name] {
				missing = append(missing, fmt.Sprintf("append-only trigger %s is missing: %s rows can be %sd", name, t.name, op))
			}
		}
	}
	return missing, nil
}
