// Package league is the central store of verified submissions: it imports signed
// submissions against a registry of known organisation keys, keeps every cycle, and builds
// each cycle's benchmarks (ranks, peer percentiles, quartiles, medians, change since the
// previous cycle, claimed-vs-verified gaps) with scoring.League.
package league

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Store is the central league database.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
	// find resolves the checklist a submission names; its SHA-256 must match the one signed.
	find func(ref string) (*checklist.Checklist, error)
}

// SetChecklistFinder sets how Import finds the checklist a submission names (by default the
// built-in catalogue). The checklist found must have the SHA-256 the submission signed.
func (s *Store) SetChecklistFinder(find func(ref string) (*checklist.Checklist, error)) {
	s.find = find
}

// Open opens (creating if needed) the central database and brings the league tables up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open league store: no database path given (use --db)")
	}
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open league store %s: %w", path, err)
	}
	return &Store{db: db, path: path, now: time.Now, find: checklist.Lookup}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Key is a registered public key.
type Key struct {
	KeyID string `json:"key_id"`
	// ODS binds the key to one organisation; empty means it may sign any organisation's
	// submission (an inspectorate's key).
	ODS    string `json:"ods,omitempty"`
	Source string `json:"source"`
	// RetiredAt is when a rotation replaced the key (RFC 3339); empty while it is active.
	RetiredAt string `json:"retired_at,omitempty"`
	public    ed25519.PublicKey
}

// LoadKeys reads public keys from a file or from every *.pub / *.pem file in a directory.
// A file named after an ODS code (RX1.pub) binds its key to that organisation.
func LoadKeys(path string) ([]Key, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys %s: %w", path, err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("keys %s: %w", path, err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".pub" || ext == ".pem") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("keys %s: no *.pub or *.pem public key files in the directory", path)
		}
	}
	var out []Key
	for _, f := range files {
		pub, err := submission.LoadPublicKey(f)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", f, err)
		}
		base := strings.ToUpper(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
		k := Key{KeyID: submission.KeyID(pub), Source: f, public: pub}
		if terminology.ODSCodeValid(base) {
			k.ODS = base
		}
		out = append(out, k)
	}
	return out, nil
}

// NewKey makes a registry entry for a public key (ods may be empty).
func NewKey(pub ed25519.PublicKey, ods, source string) Key {
	return Key{KeyID: submission.KeyID(pub), ODS: ods, Source: source, public: pub}
}

// AddKeys registers keys on their own (league import registers them with its files, all or
// nothing). See addKeys for what is refused.
func (s *Store) AddKeys(ctx context.Context, keys []Key) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := s.addKeys(ctx, tx, keys); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) keys(ctx context.Context, q execQuerier) (map[string]Key, []ed25519.PublicKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT key_id, public_key, ods, source, retired_at FROM league_keys`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byID := map[string]Key{}
	var pubs []ed25519.PublicKey
	for rows.Next() {
		var k Key
		var b64 string
		if err := rows.Scan(&k.KeyID, &b64, &k.ODS, &k.Source, &k.RetiredAt); err != nil {
			return nil, nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, nil, fmt.Errorf("registered key %s is damaged", k.KeyID)
		}
		k.public = raw
		byID[k.KeyID] = k
		pubs = append(pubs, raw)
	}
	return byID, pubs, rows.Err()
}

// Import outcomes.
const (
	Imported  = "imported"
	Unchanged = "unchanged"
	Refused   = "refused"
)

// ImportResult is what happened to one file.
type ImportResult struct {
	File   string `json:"file"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	ODS    string `json:"ods,omitempty"`
	Cycle  string `json:"cycle,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
}

// Import verifies and stores each submission file. A file is refused, with the reason, when
// it is larger than submission.MaxFileSize, does not verify (schema, canonical form, hashes,
// chain, signature), when its key is not registered, is bound to another organisation or was
// retired before the submission was exported, when re-scoring its signed, chain-verified
// answers and probe results with the checklist it names (matched by SHA-256) does not give the
// score it signed, or when the cycle already holds a different submission from the
// organisation. Importing the same file again changes nothing. The error is only for failures
// of the store itself.
func (s *Store) Import(ctx context.Context, files []string) ([]ImportResult, error) {
	return s.ImportWithKeys(ctx, files, nil)
}

// NotImported is the status of a file that verified but was not stored because another file of
// the same import was refused.
const NotImported = "not-imported"

// ImportWithKeys registers keys and imports files all or nothing, in one transaction: when a
// key cannot be registered or any file is refused, nothing is written (no key, no file), and
// the files that did verify say so.
func (s *Store) ImportWithKeys(ctx context.Context, files []string, newKeys []Key) ([]ImportResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := s.addKeys(ctx, tx, newKeys); err != nil {
		return nil, err
	}
	keys, trusted, err := s.keys(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read key registry: %w", err)
	}
	out := make([]ImportResult, 0, len(files))
	refused := 0
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := s.importFile(ctx, tx, f, keys, trusted)
		if err != nil {
			return out, err
		}
		if r.Status == Refused {
			refused++
		}
		out = append(out, r)
	}
	if refused > 0 {
		for i := range out {
			if out[i].Status == Imported {
				out[i].Status = NotImported
				out[i].Reason = fmt.Sprintf("verified, but not imported: %d file(s) of this import were refused, and an import is all or nothing (keys included)", refused)
			}
		}
		return out, nil
	}
	return out, tx.Commit()
}

func (s *Store) importFile(ctx context.Context, tx *sql.Tx, file string, keys map[string]Key, trusted []ed25519.PublicKey) (ImportResult, error) {
	res := ImportResult{File: file, Status: Refused}
	if st, err := os.Stat(file); err != nil {
		res.Reason = err.Error()
		return res, nil
	} else if st.Size() > submission.MaxFileSize {
		res.Reason = fmt.Sprintf("%d bytes is larger than the %d MiB limit for a submission; it was not read", st.Size(), submission.MaxFileSize>>20)
		return res, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		res.Reason = err.Error()
		return res, nil
	}
	fileSum := sha256.Sum256(data)
	fileSHA := hex.EncodeToString(fileSum[:])
	var known int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM league_submissions WHERE file_sha256 = ?`, fileSHA).Scan(&known); err != nil {
		return res, err
	}
	sub, err := submission.Parse(file, data)
	if err != nil {
		res.Reason = err.Error()
		return res, nil
	}
	p := &sub.Payload
	res.ODS, res.KeyID = p.Organisation.ODS, sub.Signature.KeyID
	res.Cycle = cycleOf(p)
	if known > 0 {
		res.Status, res.Reason = Unchanged, "already imported"
		return res, nil
	}
	if len(trusted) == 0 {
		res.Reason = "no organisation keys are registered: pass --keys DIR|FILE with the organisations' public keys"
		return res, nil
	}
	report, err := submission.Verify(sub, trusted)
	if err != nil {
		res.Reason = err.Error()
		return res, nil
	}
	if !report.Trusted {
		res.Reason = fmt.Sprintf("signed by key %s, which is not registered", report.KeyID)
		return res, nil
	}
	k := keys[report.KeyID]
	if k.ODS != "" && k.ODS != p.Organisation.ODS {
		res.Reason = fmt.Sprintf("signed by key %s, registered to %s, not to %s", k.KeyID, k.ODS, p.Organisation.ODS)
		return res, nil
	}
	if retired, err := time.Parse(time.RFC3339Nano, k.RetiredAt); err == nil && !p.ExportedAt.Before(retired) {
		res.Reason = fmt.Sprintf("signed by key %s, retired by a rotation at %s, after which it signs nothing (the submission was exported %s)",
			k.KeyID, retired.Format(time.RFC3339), p.ExportedAt.UTC().Format(time.RFC3339))
		return res, nil
	}
	orgType := checklist.OrgType(p.Organisation.Type)
	if !slices.Contains(checklist.OrgTypes(), orgType) {
		res.Reason = fmt.Sprintf("organisation type %q is not one of the checklist's types", p.Organisation.Type)
		return res, nil
	}
	// Never trust the signed score: re-score from the signed evidence.
	if why := s.rescore(p, orgType); why != "" {
		res.Reason = why
		return res, nil
	}
	var gapItems, gapOver, gapSum int
	for _, it := range p.Score.Items {
		if it.Gap != nil {
			gapItems++
			gapSum += *it.Gap
			if it.OverClaimed {
				gapOver++
			}
		}
	}
	region := cmpOr(p.Organisation.Region, p.Organisation.ICB, "Unknown region")

	var other string
	err = tx.QueryRowContext(ctx, `SELECT file_sha256 FROM league_submissions WHERE ods = ? AND cycle = ?`, p.Organisation.ODS, res.Cycle).Scan(&other)
	if err == nil {
		res.Reason = fmt.Sprintf("cycle %s already holds a different submission from %s (file SHA-256 %.12s…); a cycle keeps one submission per organisation", res.Cycle, p.Organisation.ODS, other)
		return res, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	var percent any
	if p.Score.Percent != nil {
		percent = *p.Score.Percent
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO league_submissions (file_sha256, payload_sha256, ods, name, org_type, region, cycle, assessment, checklist,
		exported_at, key_id, percent, rating, warning_notice, gap_items, gap_over, gap_sum, source, imported_at,
		checklist_sha256, completeness, status, assessed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		fileSHA, sub.Signature.PayloadSHA256, p.Organisation.ODS, p.Organisation.Name, string(orgType), region, res.Cycle, p.Assessment.ID,
		p.Checklist.Ref(), p.ExportedAt.UTC().Format(time.RFC3339), report.KeyID, percent, string(p.Score.Rating), p.Score.WarningNotice.Flagged,
		gapItems, gapOver, gapSum, filepath.Base(file), s.now().UTC().Format(time.RFC3339),
		p.Checklist.SHA256, p.Score.Completeness.Share, p.Score.Completeness.Status, p.Assessment.StartedAt.UTC().Format(time.RFC3339))
	if err != nil {
		return res, fmt.Errorf("store submission %s: %w", file, err)
	}
	id, _ := r.LastInsertId()
	for i, d := range p.Score.Domains {
		if d.Percent == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO league_domains (submission_id, position, domain_id, title, percent) VALUES (?, ?, ?, ?, ?)`,
			id, i, d.ID, d.Title, *d.Percent); err != nil {
			return res, fmt.Errorf("store submission %s domain %s: %w", file, d.ID, err)
		}
	}
	res.Status, res.Reason = Imported, ""
	return res, nil
}

// cycleOf is the submission's assessment cycle; without one, the calendar quarter the
// assessment started in ("2026-Q4").
func cycleOf(p *submission.Payload) string {
	if c := strings.TrimSpace(p.Assessment.Cycle); c != "" {
		return c
	}
	t := p.Assessment.StartedAt.UTC()
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rescore scores the submission again from its signed, chain-verified answers and probe results
// (and the scope it carries) with the checklist it names, and says why it is refused when the
// checklist cannot be found with the signed SHA-256 or the score differs from the signed one
// ("" when they agree).
func (s *Store) rescore(p *submission.Payload, orgType checklist.OrgType) string {
	ref := p.Checklist.Ref()
	c, err := s.find(ref)
	if err != nil {
		return fmt.Sprintf("cannot re-score: checklist %s: %v", ref, err)
	}
	if c.SHA256 != p.Checklist.SHA256 {
		return fmt.Sprintf("cannot re-score: the submission was scored with checklist %s sha256 %.12s…, but the one held has sha256 %.12s…", ref, p.Checklist.SHA256, c.SHA256)
	}
	var scope *evidence.Scope
	if p.Scope != "" {
		if scope, err = evidence.ParseScope("scope", []byte(p.Scope)); err != nil {
			return "cannot re-score: " + err.Error()
		}
	}
	a := evidence.Assessment{StartedAt: p.Assessment.StartedAt, FinishedAt: p.Assessment.FinishedAt}
	a.Org.Type = orgType
	got, err := scoring.Score(evidence.ScoringInput(a, p.Answers, p.Results, scope, c))
	if err != nil {
		return "cannot re-score: " + err.Error()
	}
	return scoreDiff(p.Score, got)
}

// scoreDiff compares a signed score with the re-scored one and names what differs ("" when
// they are the same to the byte in their JSON form).
func scoreDiff(signed, rescored scoring.Result) string {
	a, errA := json.Marshal(signed)
	b, errB := json.Marshal(rescored)
	if errA != nil || errB != nil {
		return "cannot compare the signed score with the re-scored one"
	}
	if bytes.Equal(a, b) {
		return ""
	}
	var parts []string
	if signed.Rating != rescored.Rating {
		parts = append(parts, fmt.Sprintf("rating %s signed, %s re-scored", signed.Rating.Label(), rescored.Rating.Label()))
	}
	if pctText(signed.Percent) != pctText(rescored.Percent) {
		parts = append(parts, fmt.Sprintf("score %s signed, %s re-scored", pctText(signed.Percent), pctText(rescored.Percent)))
	}
	if signed.WarningNotice.Flagged != rescored.WarningNotice.Flagged {
		parts = append(parts, fmt.Sprintf("Warning Notice flag %v signed, %v re-scored", signed.WarningNotice.Flagged, rescored.WarningNotice.Flagged))
	}
	if signed.Completeness.Share != rescored.Completeness.Share {
		parts = append(parts, fmt.Sprintf("completeness %.3f signed, %.3f re-scored", signed.Completeness.Share, rescored.Completeness.Share))
	}
	for i := range min(len(signed.Items), len(rescored.Items)) {
		if si, ri := signed.Items[i], rescored.Items[i]; si.ItemID == ri.ItemID && si.Final != ri.Final {
			parts = append(parts, fmt.Sprintf("item %s level %d signed, %d re-scored", si.ItemID, si.Final, ri.Final))
			break
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "details of the score differ")
	}
	return "the signed score disagrees with re-scoring the signed answers and probe results: " + strings.Join(parts, "; ")
}

func pctText(p *float64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatFloat(*p, 'f', 4, 64) + "%"
}
