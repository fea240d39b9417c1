package evidence

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// ChainLink is one link of the evidence chain as an export carries it: the row's place and
// the SHA-256 of its canonical content. The links of every row up to the head, in order, are
// enough to recompute the chain head without any row's content, so an export can prove its
// own rows are in the chain while holding only the digests of other assessments' rows.
type ChainLink struct {
	Seq           int64  `json:"seq"`
	ContentSHA256 string `json:"content_sha256"`
}

// ExportedRow is one evidence row of an assessment in its canonical form: the exact bytes
// (as a string) its content hash covers. Binary columns appear as {"len":N,"sha256":"hex"}.
type ExportedRow struct {
	ID        string `json:"id"`
	Table     string `json:"table"`
	Canonical string `json:"canonical"`
}

// ExportedEvidence is what an export needs from the store, read in one snapshot.
type ExportedEvidence struct {
	Head  ChainHead     `json:"head"`
	Links []ChainLink   `json:"links"`
	Rows  []ExportedRow `json:"rows"`
}

// ExportEvidence returns the chain links of every evidence row up to the current head and the
// canonical content of every row of one assessment (the assessment row itself first), read
// in one snapshot. It recomputes each exported row's content hash and the whole chain as it
// goes and fails, naming the row, if anything does not match: a broken chain is not exported.
func (s *Store) ExportEvidence(ctx context.Context, assessmentID int64) (*ExportedEvidence, error) {
	ref := FormatID(KindAssessment, assessmentID)
	out := &ExportedEvidence{Links: []ChainLink{}, Rows: []ExportedRow{}}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if _, err := assessment(ctx, tx, assessmentID); err != nil {
			return err
		}
		type linked struct {
			ChainLink
			chainHash string
		}
		var all []linked
		for i := range chainedTables {
			t := &chainedTables[i]
			where, args := "", []any{}
			if t.name == "assessments" {
				where, args = " WHERE seq = ?", []any{assessmentID}
			} else {
				where, args = " WHERE assessment_id = ?", []any{assessmentID}
			}
			// Links of every row.
			rows, err := tx.QueryContext(ctx, "SELECT seq, content_sha256, chain_hash FROM "+t.name)
			if err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			for rows.Next() {
				var l linked
				if err := rows.Scan(&l.Seq, &l.ContentSHA256, &l.chainHash); err != nil {
					rows.Close()
					return fmt.Errorf("read %s: %w", t.name, err)
				}
				all = append(all, l)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			// Canonical content of this assessment's rows.
			rows, err = tx.QueryContext(ctx, fmt.Sprintf("SELECT %s, content_sha256 FROM %s%s ORDER BY seq",
				strings.Join(t.columns, ", "), t.name, where), args...)
			if err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
			for rows.Next() {
				n := len(t.columns)
				vals := make([]any, n+1)
				dest := make([]any, n+1)
				for i := range dest {
					dest[i] = &vals[i]
				}
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return fmt.Errorf("read %s: %w", t.name, err)
				}
				seq, _ := vals[0].(int64)
				id := FormatID(t.kind, seq)
				content, err := canonicalContent(t.name, t.columns, vals[:n])
				if err != nil {
					rows.Close()
					return fmt.Errorf("%s %s: %w", t.name, id, err)
				}
				if stored, _ := vals[n].(string); sha256Hex(content) != stored {
					rows.Close()
					return fmt.Errorf("%s %s: row content was altered (content hash does not match): run jigsaw verify --db", t.name, id)
				}
				out.Rows = append(out.Rows, ExportedRow{ID: id, Table: t.name, Canonical: string(content)})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read %s: %w", t.name, err)
			}
		}
		sortLinks(all, func(l linked) int64 { return l.Seq })
		prev := GenesisHash
		for i, l := range all {
			if l.Seq != int64(i+1) {
				return fmt.Errorf("evidence chain: expected seq %d, found %d: run jigsaw verify --db", i+1, l.Seq)
			}
			h, err := link(prev, l.ContentSHA256)
			if err != nil || h != l.chainHash {
				return fmt.Errorf("evidence chain breaks at seq %d: run jigsaw verify --db", l.Seq)
			}
			prev = h
			out.Links = append(out.Links, l.ChainLink)
		}
		out.Head = ChainHead{Seq: int64(len(all)), Hash: prev}
		sortLinks(out.Rows, func(r ExportedRow) int64 { _, seq, _ := ParseID(r.ID); return seq })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export evidence of %s from %s: %w", ref, s.path, err)
	}
	return out, nil
}

// RecomputeChain recomputes the chain head from links, which must run from seq 1 without gaps.
func RecomputeChain(links []ChainLink) (ChainHead, error) {
	prev := GenesisHash
	for i, l := range links {
		if l.Seq != int64(i+1) {
			return ChainHead{}, fmt.Errorf("chain link %d has seq %d, want %d", i+1, l.Seq, i+1)
		}
		h, err := link(prev, l.ContentSHA256)
		if err != nil {
			return ChainHead{}, fmt.Errorf("chain link seq %d: %w", l.Seq, err)
		}
		prev = h
	}
	return ChainHead{Seq: int64(len(links)), Hash: prev}, nil
}

// ContentSHA256 is the hex SHA-256 of a row's canonical content, as its content_sha256.
func ContentSHA256(canonical []byte) string { return sha256Hex(canonical) }

// sortLinks orders s by seq; each table comes sorted already, so a stable sort of their
// concatenation is cheap.
func sortLinks[T any](s []T, seq func(T) int64) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(seq(a), seq(b)) })
}
