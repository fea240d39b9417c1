package evidence

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nhs-jigsaw/jigsaw/internal/redact"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/observed"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// maxStoredFile bounds a file whose bytes are kept in the database. Larger files can still be
// attached by hash and size.
const maxStoredFile = 64 << 20

// UpsertOrganisation records an organisation or updates its name, type, region and ICB.
// Assessments keep the details they started with.
func (s *Store) UpsertOrganisation(ctx context.Context, org Organisation) error {
	if !terminology.ODSCodeValid(org.ODSCode) {
		return fmt.Errorf("organisation: ODS code %q is not 3 to 6 upper-case letters and digits", org.ODSCode)
	}
	if strings.TrimSpace(org.Name) == "" {
		return fmt.Errorf("organisation %s: name is empty", org.ODSCode)
	}
	if !slices.Contains(checklist.OrgTypes(), org.Type) {
		return fmt.Errorf("organisation %s: type %q is not one of %v", org.ODSCode, org.Type, checklist.OrgTypes())
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO organisations (ods_code, name, org_type, region, icb, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (ods_code) DO UPDATE SET name = excluded.name, org_type = excluded.org_type,
				region = excluded.region, icb = excluded.icb, updated_at = excluded.updated_at`,
			org.ODSCode, org.Name, string(org.Type), org.Region, org.ICB, formatTime(s.now()))
		if err != nil {
			return fmt.Errorf("record organisation %s: %w", org.ODSCode, err)
		}
		return nil
	})
}

// CreateAssessment starts an assessment of an organisation already recorded with
// UpsertOrganisation. The assessment is the first link it adds to the chain.
func (s *Store) CreateAssessment(ctx context.Context, in NewAssessment) (Assessment, error) {
	for _, f := range []struct{ name, value string }{
		{"checklist id", in.ChecklistID}, {"checklist version", in.ChecklistVersion}, {"target URL", in.TargetURL},
		{"FHIR version", in.FHIRVersion}, {"tool version", in.ToolVersion},
	} {
		if strings.TrimSpace(f.value) == "" {
			return Assessment{}, fmt.Errorf("new assessment of %s: %s is empty", in.ODSCode, f.name)
		}
	}
	if !isSHA256Hex(in.ChecklistSHA256) {
		return Assessment{}, fmt.Errorf("new assessment of %s: checklist sha256 %q is not 64 hex digits", in.ODSCode, in.ChecklistSHA256)
	}
	started := in.StartedAt
	if started.IsZero() {
		started = s.now()
	}
	testNumbers := make([]string, 0, len(in.TestNHSNumbers))
	for _, n := range in.TestNHSNumbers {
		d := digitsOnly(n)
		if !terminology.NHSNumberValid(d) {
			return Assessment{}, fmt.Errorf("new assessment of %s: test NHS number %q is not a valid NHS number", in.ODSCode, n)
		}
		if !slices.Contains(testNumbers, d) {
			testNumbers = append(testNumbers, d)
		}
	}
	slices.Sort(testNumbers)
	if !in.KeepBodies {
		// Which test patient was used is kept for the report; the number itself is not.
		for i, n := range testNumbers {
			testNumbers[i] = redact.MaskIdentifier(n)
		}
	}
	testJSON, _ := json.Marshal(testNumbers)
	// Target URLs are stored without credentials; they are not patient data.
	red := NewRedactor(true)
	target := red.RedactURL(in.TargetURL)
	targetsJSON := ""
	if len(in.Targets) > 0 {
		ts := make([]Target, len(in.Targets))
		for i, t := range in.Targets {
			if strings.TrimSpace(t.URL) == "" || strings.TrimSpace(t.Role) == "" {
				return Assessment{}, fmt.Errorf("new assessment of %s: target %d has no URL or role", in.ODSCode, i+1)
			}
			ts[i] = Target{Role: t.Role, URL: red.RedactURL(t.URL), FHIRVersion: t.FHIRVersion}
		}
		b, _ := json.Marshal(ts)
		targetsJSON = string(b)
	}

	var id int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		org, err := organisation(ctx, tx, in.ODSCode)
		if err != nil {
			return err
		}
		id, err = insertChained(ctx, tx, "assessments", map[string]any{
			"ods_code": org.ODSCode, "org_name": org.Name, "org_type": string(org.Type), "region": org.Region,
			"icb": org.ICB, "checklist_id": in.ChecklistID, "checklist_version": in.ChecklistVersion,
			"checklist_sha256": strings.ToLower(in.ChecklistSHA256), "target_url": target,
			"fhir_version": in.FHIRVersion, "cycle": in.Cycle, "tool_version": in.ToolVersion,
			"keep_bodies": in.KeepBodies, "test_nhs_numbers": string(testJSON), "started_at": formatTime(started),
			"targets": targetsJSON,
		}, map[string]any{"status": string(Running), "finished_at": ""})
		return err
	})
	if err != nil {
		return Assessment{}, fmt.Errorf("new assessment of %s: %w", in.ODSCode, err)
	}
	return s.Assessment(ctx, id)
}

// SetAssessmentStatus marks an assessment complete or incomplete when a run ends, or running
// again when an incomplete one is resumed. A complete assessment is closed for good.
func (s *Store) SetAssessmentStatus(ctx context.Context, assessmentID int64, status AssessmentStatus) error {
	ref := FormatID(KindAssessment, assessmentID)
	switch status {
	case Running, Complete, Incomplete:
	default:
		return fmt.Errorf("assessment %s: status %q is not running, complete or incomplete", ref, status)
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		current, err := assessmentStatus(ctx, tx, assessmentID)
		if err != nil {
			return err
		}
		if current == Complete {
			if status == Complete {
				return nil // already complete: keep the first finish time
			}
			return fmt.Errorf("assessment %s is complete and cannot become %s: start a new assessment", ref, status)
		}
		finished := ""
		if status != Running {
			finished = formatTime(s.now())
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assessments SET status = ?, finished_at = ? WHERE seq = ?`,
			string(status), finished, assessmentID); err != nil {
			return fmt.Errorf("set assessment %s %s: %w", ref, status, err)
		}
		return nil
	})
}

// openAssessment is what a writer needs to know about the assessment it adds evidence to.
type openAssessment struct {
	keepBodies bool
}

// evidenceUse says what a writer adds. Probe evidence closes with the run that gathered it;
// attestations and attached files may come later (an inspector verifies a trust's claims, a
// trust's answers arrive after the probes ran), so they stay open on a complete assessment.
type evidenceUse int

const (
	probeEvidence evidenceUse = iota
	lateEvidence
)

// assessmentForEvidence loads an assessment and refuses probe evidence to a complete one.
func assessmentForEvidence(ctx context.Context, q queryer, assessmentID int64, use evidenceUse) (openAssessment, error) {
	var a openAssessment
	var status string
	err := q.QueryRowContext(ctx, `SELECT status, keep_bodies FROM assessments WHERE seq = ?`, assessmentID).
		Scan(&status, &a.keepBodies)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("assessment %s: %w", FormatID(KindAssessment, assessmentID), ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read assessment %s: %w", FormatID(KindAssessment, assessmentID), err)
	}
	if AssessmentStatus(status) == Complete && use == probeEvidence {
		return a, fmt.Errorf("assessment %s is complete: probe results can no longer be added to it (start a new assessment to probe again)", FormatID(KindAssessment, assessmentID))
	}
	return a, nil
}

// RecordProbeResult stores one probe result and the HTTP exchanges it made, in one
// transaction: either all of it is recorded or none. Call it as each probe finishes, so an
// interrupted run keeps everything already recorded. Bodies, headers and URLs are stripped of
// secrets and (unless the assessment keeps bodies) patient identifiers before they are stored.
// res.Exchanges name exchanges by their probe ids; the stored result names them by evidence id.
func (s *Store) RecordProbeResult(ctx context.Context, assessmentID int64, res observed.Result, exchanges []observed.Exchange) (RecordedResult, error) {
	if strings.TrimSpace(res.ProbeID) == "" {
		return RecordedResult{}, errors.New("record probe result: probe id is empty")
	}
	if !res.Status.Valid() {
		return RecordedResult{}, fmt.Errorf("record probe result %s: status %q is not one of pass, fail, warn, info, skip, not-applicable, error", res.ProbeID, res.Status)
	}
	byProbeID := map[string]int{}
	for i, ex := range exchanges {
		if _, dup := byProbeID[ex.ID]; dup {
			return RecordedResult{}, fmt.Errorf("record probe result %s: exchange id %q given twice", res.ProbeID, ex.ID)
		}
		byProbeID[ex.ID] = i
	}

	// The redaction policy is fixed when the assessment is created, so the rows are prepared
	// before the write lock is taken: the transaction itself only appends.
	policy, err := assessmentForEvidence(ctx, s.read, assessmentID, probeEvidence)
	if err != nil {
		return RecordedResult{}, fmt.Errorf("record probe result %s: %w", res.ProbeID, err)
	}
	red := NewRedactor(policy.keepBodies)
	recorded := formatTime(s.now())
	rows := make([]map[string]any, len(exchanges))
	for i, ex := range exchanges {
		rows[i] = exchangeRow(red, assessmentID, res.ProbeID, ex, recorded)
	}

	out := RecordedResult{Exchanges: map[string]string{}}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		// Checked again under the lock: the assessment may have been completed meanwhile.
		if _, err := assessmentForEvidence(ctx, tx, assessmentID, probeEvidence); err != nil {
			return err
		}
		for i, ex := range exchanges {
			seq, err := insertChained(ctx, tx, "exchanges", rows[i], nil)
			if err != nil {
				return err
			}
			out.Exchanges[ex.ID] = FormatID(KindExchange, seq)
		}
		// A run shares some exchanges between probes (the CapabilityStatement is fetched once),
		// and the runner hands each exchange over only with the first result that cites it: a
		// later result's citation is resolved to the evidence row recorded then.
		cited := make([]string, len(res.Exchanges))
		for i, id := range res.Exchanges {
			if evID, ok := out.Exchanges[id]; ok {
				cited[i] = evID
				continue
			}
			var seq int64
			err := tx.QueryRowContext(ctx, `SELECT seq FROM exchanges WHERE assessment_id = ? AND probe_exchange_id = ? ORDER BY seq LIMIT 1`,
				assessmentID, id).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("result cites exchange %q, which was neither passed with it nor recorded earlier in this assessment", id)
			}
			if err != nil {
				return fmt.Errorf("look up cited exchange %q: %w", id, err)
			}
			cited[i] = FormatID(KindExchange, seq)
		}
		seq, err := insertChained(ctx, tx, "probe_results", map[string]any{
			"assessment_id": assessmentID, "probe_id": res.ProbeID, "title": res.Title, "pack": res.Pack,
			"status": string(res.Status), "severity": string(res.Severity),
			"expected": red.RedactText(res.Expected), "observed": red.RedactText(res.Observed),
			"spec_ref": res.SpecRef, "started_at": formatTime(res.StartedAt), "duration_ns": int64(res.Duration),
			"exchange_ids": mustJSON(cited), "recorded_at": recorded,
		}, nil)
		if err != nil {
			return err
		}
		out.ID = FormatID(KindResult, seq)
		return nil
	})
	if err != nil {
		return RecordedResult{}, fmt.Errorf("record probe result %s: %w", res.ProbeID, err)
	}
	return out, nil
}

// exchangeRow is the stored form of one exchange: secrets gone, identifiers redacted.
func exchangeRow(red *Redactor, assessmentID int64, probeID string, ex observed.Exchange, recorded string) map[string]any {
	reqHeaders, removedReq := red.Headers(ex.RequestHeaders)
	respHeaders, removedResp := red.Headers(ex.ResponseHeaders)
	removed := append(removedReq, removedResp...)
	slices.Sort(removed)
	removed = slices.Compact(removed)
	if removed == nil {
		removed = []string{}
	}

	reqBody, reqMode := red.Body(ex.RequestHeaders.Get("Content-Type"), ex.RequestBody)
	respBody, respMode := red.Body(ex.ResponseHeaders.Get("Content-Type"), ex.ResponseBody)
	reqSHA := ""
	if len(ex.RequestBody) > 0 {
		reqSHA = sha256Hex(ex.RequestBody)
	}
	// The probe's digest and size describe everything it read (the body it kept may be capped).
	respSHA, respSize := ex.ResponseSHA256, ex.ResponseSize
	if respSHA == "" && len(ex.ResponseBody) > 0 {
		respSHA = sha256Hex(ex.ResponseBody)
	}
	if respSize == 0 {
		respSize = int64(len(ex.ResponseBody))
	}
	tlsJSON := ""
	if ex.TLS != nil {
		b, _ := json.Marshal(ex.TLS)
		tlsJSON = string(b)
	}
	redactedURL := red.RedactURL(ex.URL)
	errText := ex.Err
	if ex.URL != "" {
		errText = strings.ReplaceAll(errText, ex.URL, redactedURL)
	}
	return map[string]any{
		"assessment_id": assessmentID, "probe_id": probeID, "probe_exchange_id": ex.ID,
		"method": ex.Method, "url": redactedURL,
		"request_headers": headerJSON(reqHeaders), "request_body": reqBody, "request_body_mode": string(reqMode),
		"request_sha256": reqSHA, "request_size": int64(len(ex.RequestBody)),
		"status_code":      int64(ex.StatusCode),
		"response_headers": headerJSON(respHeaders), "response_body": respBody, "response_body_mode": string(respMode),
		"response_sha256": respSHA, "response_size": respSize, "response_truncated": ex.ResponseTruncated,
		"removed_headers": mustJSON(removed), "tls": tlsJSON,
		"started_at": formatTime(ex.StartedAt), "duration_ns": int64(ex.Duration),
		"error": red.RedactText(errText), "recorded_at": recorded,
	}
}

func headerJSON(h http.Header) string {
	if h == nil {
		h = http.Header{}
	}
	return mustJSON(h)
}

// mustJSON marshals values that cannot fail to marshal (maps of strings, string slices).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("evidence: marshal %T: %v", v, err))
	}
	return string(b)
}

// RecordAttestations records the answers imported from one source file in one transaction.
// It is idempotent: items this source (same SHA-256) already recorded for the assessment are
// left alone, so importing the same file twice adds nothing. A changed file adds new rows,
// which supersede the old ones (the latest attestation of an item counts).
func (s *Store) RecordAttestations(ctx context.Context, assessmentID int64, src AttestationSource, atts []Attestation) (ImportResult, error) {
	if !isSHA256Hex(src.SHA256) {
		return ImportResult{}, fmt.Errorf("record attestations from %s: source sha256 %q is not 64 hex digits", src.File, src.SHA256)
	}
	src.SHA256 = strings.ToLower(src.SHA256)
	seen := map[string]bool{}
	for i, a := range atts {
		if err := validateAttestation(a); err != nil {
			return ImportResult{}, fmt.Errorf("record attestations from %s: answer %d: %w", src.File, i+1, err)
		}
		if seen[a.ItemID] {
			return ImportResult{}, fmt.Errorf("record attestations from %s: answer %d: item %s is answered twice", src.File, i+1, a.ItemID)
		}
		seen[a.ItemID] = true
	}

	res := ImportResult{Added: []string{}}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := assessmentForEvidence(ctx, tx, assessmentID, lateEvidence); err != nil {
			return err
		}
		recorded := formatTime(s.now())
		for _, a := range atts {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM attestations
				WHERE assessment_id = ? AND source_sha256 = ? AND item_id = ?`, assessmentID, src.SHA256, a.ItemID).Scan(&exists); err != nil {
				return fmt.Errorf("read attestations: %w", err)
			}
			if exists > 0 {
				res.Unchanged++
				continue
			}
			refs := a.EvidenceRefs
			if refs == nil {
				refs = []string{}
			}
			seq, err := insertChained(ctx, tx, "attestations", map[string]any{
				"assessment_id": assessmentID, "item_id": a.ItemID, "status": string(a.Status), "level": int64(a.Level),
				"provenance": string(a.Provenance), "answered_by": a.AnsweredBy, "answered_at": formatTime(a.AnsweredAt),
				"evidence_refs": mustJSON(refs), "owner": a.Owner, "notes": a.Notes,
				"waiver_reason": a.WaiverReason, "waiver_expiry": formatTime(a.WaiverExpiry),
				"source_file": src.File, "source_sha256": src.SHA256, "recorded_at": recorded,
			}, nil)
			if err != nil {
				return fmt.Errorf("item %s: %w", a.ItemID, err)
			}
			res.Added = append(res.Added, FormatID(KindAttestation, seq))
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("record attestations from %s: %w", src.File, err)
	}
	return res, nil
}

func validateAttestation(a Attestation) error {
	if strings.TrimSpace(a.ItemID) == "" {
		return errors.New("item id is empty")
	}
	switch a.Provenance {
	case SelfAssessed, InspectorVerified:
	default:
		return fmt.Errorf("item %s: provenance %q is not self-assessed or inspector-verified", a.ItemID, a.Provenance)
	}
	switch a.Status {
	case Answered:
		if a.Level < 1 || a.Level > 4 {
			return fmt.Errorf("item %s: an answered item needs a level from 1 to 4, got %d", a.ItemID, a.Level)
		}
	case NotApplicable, NotReviewed, Waived:
		if a.Level != 0 {
			return fmt.Errorf("item %s: a %s item has no level, got %d", a.ItemID, a.Status, a.Level)
		}
	default:
		return fmt.Errorf("item %s: status %q is not answered, not-applicable, not-reviewed or waived", a.ItemID, a.Status)
	}
	if a.Status == Waived {
		if strings.TrimSpace(a.WaiverReason) == "" || a.WaiverExpiry.IsZero() {
			return fmt.Errorf("item %s: a waiver needs a reason and an expiry date", a.ItemID)
		}
	} else if a.WaiverReason != "" || !a.WaiverExpiry.IsZero() {
		return fmt.Errorf("item %s: waiver reason and expiry only apply to waived items", a.ItemID)
	}
	return nil
}

// AttachFile records a file seen as evidence: its name, size and SHA-256, and its bytes when
// in.KeepBytes (up to 64 MiB). Attaching the same content under the same name to the same
// assessment again returns the existing record.
func (s *Store) AttachFile(ctx context.Context, assessmentID int64, in FileInput) (AttachedFile, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return AttachedFile{}, errors.New("attach file: name is empty")
	}
	if in.Content == nil {
		return AttachedFile{}, fmt.Errorf("attach file %s: no content", name)
	}
	h := sha256.New()
	var content []byte
	var size int64
	if in.KeepBytes {
		b, err := io.ReadAll(io.LimitReader(in.Content, maxStoredFile+1))
		if err != nil {
			return AttachedFile{}, fmt.Errorf("attach file %s: read: %w", name, err)
		}
		if len(b) > maxStoredFile {
			return AttachedFile{}, fmt.Errorf("attach file %s: larger than %d MiB, too big to store in the database: attach it without its bytes (hash and size only)", name, maxStoredFile>>20)
		}
		h.Write(b)
		content, size = b, int64(len(b))
	} else {
		n, err := io.Copy(h, in.Content)
		if err != nil {
			return AttachedFile{}, fmt.Errorf("attach file %s: read: %w", name, err)
		}
		size = n
	}
	sum := hex.EncodeToString(h.Sum(nil))

	var seq int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := assessmentForEvidence(ctx, tx, assessmentID, lateEvidence); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT seq FROM files WHERE assessment_id = ? AND sha256 = ? AND name = ?
			AND (content IS NOT NULL) = ? ORDER BY seq LIMIT 1`, assessmentID, sum, name, len(content) > 0).Scan(&seq)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read files: %w", err)
		}
		seq, err = insertChained(ctx, tx, "files", map[string]any{
			"assessment_id": assessmentID, "name": name, "media_type": in.MediaType, "size": size,
			"sha256": sum, "content": content, "note": in.Note, "attached_at": formatTime(s.now()),
		}, nil)
		return err
	})
	if err != nil {
		return AttachedFile{}, fmt.Errorf("attach file %s: %w", name, err)
	}
	return s.File(ctx, FormatID(KindFile, seq))
}

func isSHA256Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}
