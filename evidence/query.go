package evidence

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/observed"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func organisation(ctx context.Context, q queryer, ods string) (Organisation, error) {
	var o Organisation
	var typ string
	err := q.QueryRowContext(ctx, `SELECT ods_code, name, org_type, region, icb FROM organisations WHERE ods_code = ?`, ods).
		Scan(&o.ODSCode, &o.Name, &typ, &o.Region, &o.ICB)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("organisation %s: %w (record it first)", ods, ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read organisation %s: %w", ods, err)
	}
	o.Type = checklist.OrgType(typ)
	return o, nil
}

// Organisation returns the organisation with the given ODS code as currently recorded.
func (s *Store) Organisation(ctx context.Context, ods string) (Organisation, error) {
	return organisation(ctx, s.read, ods)
}

func assessmentStatus(ctx context.Context, q queryer, id int64) (AssessmentStatus, error) {
	var status string
	err := q.QueryRowContext(ctx, `SELECT status FROM assessments WHERE seq = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("assessment %s: %w", FormatID(KindAssessment, id), ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read assessment %s: %w", FormatID(KindAssessment, id), err)
	}
	return AssessmentStatus(status), nil
}

const assessmentColumns = `a.seq, a.ods_code, a.org_name, a.org_type, a.region, a.icb, a.checklist_id,
	a.checklist_version, a.checklist_sha256, a.target_url, a.fhir_version, a.cycle, a.tool_version,
	a.keep_bodies, a.test_nhs_numbers, a.started_at, a.status, a.finished_at, a.targets`

func scanAssessment(sc scanner, extra ...any) (Assessment, error) {
	var a Assessment
	var orgType, testJSON, started, status, finished, targets string
	dest := append([]any{&a.ID, &a.Org.ODSCode, &a.Org.Name, &orgType, &a.Org.Region, &a.Org.ICB, &a.ChecklistID,
		&a.ChecklistVersion, &a.ChecklistSHA256, &a.TargetURL, &a.FHIRVersion, &a.Cycle, &a.ToolVersion,
		&a.KeepBodies, &testJSON, &started, &status, &finished, &targets}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return a, err
	}
	a.Ref = FormatID(KindAssessment, a.ID)
	a.Org.Type = checklist.OrgType(orgType)
	a.Status = AssessmentStatus(status)
	var err error
	if a.StartedAt, err = parseTime(started); err != nil {
		return a, fmt.Errorf("assessment %s: started_at: %w", a.Ref, err)
	}
	if a.FinishedAt, err = parseTime(finished); err != nil {
		return a, fmt.Errorf("assessment %s: finished_at: %w", a.Ref, err)
	}
	if err := json.Unmarshal([]byte(testJSON), &a.TestNHSNumbers); err != nil {
		return a, fmt.Errorf("assessment %s: test_nhs_numbers: %w", a.Ref, err)
	}
	if targets == "" {
		a.Targets = []Target{{Role: TargetFHIR, URL: a.TargetURL, FHIRVersion: a.FHIRVersion}}
	} else if err := json.Unmarshal([]byte(targets), &a.Targets); err != nil {
		return a, fmt.Errorf("assessment %s: targets: %w", a.Ref, err)
	}
	return a, nil
}

func assessment(ctx context.Context, q queryer, id int64) (Assessment, error) {
	a, err := scanAssessment(q.QueryRowContext(ctx, `SELECT `+assessmentColumns+` FROM assessments a WHERE a.seq = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("assessment %s: %w", FormatID(KindAssessment, id), ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read assessment %s: %w", FormatID(KindAssessment, id), err)
	}
	return a, nil
}

// Assessment returns one assessment.
func (s *Store) Assessment(ctx context.Context, id int64) (Assessment, error) {
	return assessment(ctx, s.read, id)
}

// LatestAssessment returns the most recently started assessment of an organisation.
func (s *Store) LatestAssessment(ctx context.Context, ods string) (Assessment, error) {
	list, err := s.ListAssessments(ctx, AssessmentFilter{ODSCode: ods, Limit: 1})
	if err != nil {
		return Assessment{}, err
	}
	if len(list) == 0 {
		return Assessment{}, fmt.Errorf("assessment of %s: %w", ods, ErrNotFound)
	}
	return list[0].Assessment, nil
}

// AssessmentFilter narrows ListAssessments.
type AssessmentFilter struct {
	// ODSCode keeps one organisation's assessments; empty keeps all.
	ODSCode string
	// LatestPerOrg keeps only the newest assessment of each organisation.
	LatestPerOrg bool
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// ListAssessments returns assessments newest first, with how much evidence each holds
// (results and attestations counted once per probe and item).
func (s *Store) ListAssessments(ctx context.Context, f AssessmentFilter) ([]AssessmentSummary, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+assessmentColumns+`,
		(SELECT count(DISTINCT probe_id) FROM probe_results r WHERE r.assessment_id = a.seq),
		(SELECT count(DISTINCT item_id) FROM attestations t WHERE t.assessment_id = a.seq),
		(SELECT count(*) FROM exchanges e WHERE e.assessment_id = a.seq),
		(SELECT count(*) FROM files f WHERE f.assessment_id = a.seq)
		FROM assessments a
		WHERE (?1 = '' OR a.ods_code = ?1)
		  AND (?2 = 0 OR a.seq = (SELECT max(b.seq) FROM assessments b WHERE b.ods_code = a.ods_code))
		ORDER BY a.seq DESC LIMIT ?3`, f.ODSCode, f.LatestPerOrg, limit)
	if err != nil {
		return nil, fmt.Errorf("list assessments: %w", err)
	}
	defer rows.Close()
	out := []AssessmentSummary{}
	for rows.Next() {
		var sum AssessmentSummary
		a, err := scanAssessment(rows, &sum.Results, &sum.Attestations, &sum.Exchanges, &sum.Files)
		if err != nil {
			return nil, fmt.Errorf("list assessments: %w", err)
		}
		sum.Assessment = a
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list assessments: %w", err)
	}
	return out, nil
}

// ResultsFor returns the latest recorded result of each probe in an assessment, ordered by
// probe id, so that a resumed run can skip probes already done.
func (s *Store) ResultsFor(ctx context.Context, assessmentID int64) ([]StoredResult, error) {
	return results(ctx, s.read, assessmentID)
}

func results(ctx context.Context, q queryer, assessmentID int64) ([]StoredResult, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, probe_id, title, pack, status, severity, expected, observed,
			spec_ref, started_at, duration_ns, exchange_ids, recorded_at
		FROM probe_results r
		WHERE assessment_id = ?
		  AND seq = (SELECT max(seq) FROM probe_results l WHERE l.assessment_id = r.assessment_id AND l.probe_id = r.probe_id)
		ORDER BY probe_id`, assessmentID)
	if err != nil {
		return nil, fmt.Errorf("read probe results: %w", err)
	}
	defer rows.Close()
	out := []StoredResult{}
	for rows.Next() {
		var r StoredResult
		var seq, duration int64
		var status, severity, started, exchangeIDs, recorded string
		if err := rows.Scan(&seq, &r.ProbeID, &r.Title, &r.Pack, &status, &severity, &r.Expected, &r.Observed,
			&r.SpecRef, &started, &duration, &exchangeIDs, &recorded); err != nil {
			return nil, fmt.Errorf("read probe results: %w", err)
		}
		r.ID = FormatID(KindResult, seq)
		r.Status, r.Severity, r.Duration = verdict.Status(status), verdict.Severity(severity), time.Duration(duration)
		if err := json.Unmarshal([]byte(exchangeIDs), &r.Exchanges); err != nil {
			return nil, fmt.Errorf("probe result %s: exchange_ids: %w", r.ID, err)
		}
		if r.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("probe result %s: started_at: %w", r.ID, err)
		}
		if r.RecordedAt, err = parseTime(recorded); err != nil {
			return nil, fmt.Errorf("probe result %s: recorded_at: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Attestations returns the latest attestation of each item in an assessment, by item id.
func (s *Store) Attestations(ctx context.Context, assessmentID int64) ([]StoredAttestation, error) {
	return attestations(ctx, s.read, assessmentID)
}

func attestations(ctx context.Context, q queryer, assessmentID int64) ([]StoredAttestation, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, item_id, status, level, provenance, answered_by, answered_at,
			evidence_refs, owner, notes, waiver_reason, waiver_expiry, source_file, source_sha256, recorded_at
		FROM attestations t
		WHERE assessment_id = ?
		  AND seq = (SELECT max(seq) FROM attestations l WHERE l.assessment_id = t.assessment_id AND l.item_id = t.item_id)
		ORDER BY item_id`, assessmentID)
	if err != nil {
		return nil, fmt.Errorf("read attestations: %w", err)
	}
	defer rows.Close()
	out := []StoredAttestation{}
	for rows.Next() {
		var a StoredAttestation
		var seq int64
		var status, provenance, answered, refs, expiry, recorded string
		if err := rows.Scan(&seq, &a.ItemID, &status, &a.Level, &provenance, &a.AnsweredBy, &answered, &refs,
			&a.Owner, &a.Notes, &a.WaiverReason, &expiry, &a.Source.File, &a.Source.SHA256, &recorded); err != nil {
			return nil, fmt.Errorf("read attestations: %w", err)
		}
		a.ID = FormatID(KindAttestation, seq)
		a.Status, a.Provenance = AttestationStatus(status), Provenance(provenance)
		if err := json.Unmarshal([]byte(refs), &a.EvidenceRefs); err != nil {
			return nil, fmt.Errorf("attestation %s: evidence_refs: %w", a.ID, err)
		}
		for field, t := range map[string]struct {
			text string
			dst  *time.Time
		}{"answered_at": {answered, &a.AnsweredAt}, "waiver_expiry": {expiry, &a.WaiverExpiry}, "recorded_at": {recorded, &a.RecordedAt}} {
			if *t.dst, err = parseTime(t.text); err != nil {
				return nil, fmt.Errorf("attestation %s: %s: %w", a.ID, field, err)
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const exchangeSummaryColumns = `seq, probe_id, method, url, status_code, response_sha256, response_size, started_at, duration_ns, error,
	response_truncated,
	CASE WHEN json_valid(tls) THEN coalesce(json_extract(tls, '$.version'), '') ELSE '' END,
	CASE WHEN json_valid(tls) THEN coalesce(json_extract(tls, '$.cipher_suite'), '') ELSE '' END`

func scanExchangeSummary(sc scanner, extra ...any) (ExchangeSummary, error) {
	var e ExchangeSummary
	var seq, duration int64
	var started string
	dest := append([]any{&seq, &e.ProbeID, &e.Method, &e.URL, &e.StatusCode, &e.ResponseSHA256, &e.ResponseSize,
		&started, &duration, &e.Error, &e.ResponseTruncated, &e.TLSVersion, &e.TLSCipher}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return e, err
	}
	e.ID = FormatID(KindExchange, seq)
	e.Duration = time.Duration(duration)
	var err error
	if e.StartedAt, err = parseTime(started); err != nil {
		return e, fmt.Errorf("exchange %s: started_at: %w", e.ID, err)
	}
	return e, nil
}

func exchangeSummaries(ctx context.Context, q queryer, assessmentID int64) ([]ExchangeSummary, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+exchangeSummaryColumns+` FROM exchanges WHERE assessment_id = ? ORDER BY seq`, assessmentID)
	if err != nil {
		return nil, fmt.Errorf("read exchanges: %w", err)
	}
	defer rows.Close()
	out := []ExchangeSummary{}
	for rows.Next() {
		e, err := scanExchangeSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("read exchanges: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Exchange returns one exchange in full (headers, kept bodies, TLS facts) by evidence id.
func (s *Store) Exchange(ctx context.Context, id string) (StoredExchange, error) {
	kind, seq, err := ParseID(id)
	if err != nil {
		return StoredExchange{}, err
	}
	if kind != KindExchange {
		return StoredExchange{}, fmt.Errorf("evidence id %s is not an exchange (EX-...)", id)
	}
	var e StoredExchange
	var reqHeaders, respHeaders, removed, tlsJSON, recorded, reqMode, respMode string
	e.ExchangeSummary, err = scanExchangeSummary(s.read.QueryRowContext(ctx, `SELECT `+exchangeSummaryColumns+`,
			probe_exchange_id, request_headers, request_body, request_body_mode, request_sha256, request_size,
			response_headers, response_body, response_body_mode, removed_headers, tls, recorded_at
		FROM exchanges WHERE seq = ?`, seq),
		&e.ProbeExchangeID, &reqHeaders, &e.RequestBody, &reqMode, &e.RequestSHA256, &e.RequestSize,
		&respHeaders, &e.ResponseBody, &respMode, &removed, &tlsJSON, &recorded)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("exchange %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read exchange %s: %w", id, err)
	}
	e.RequestBodyMode, e.ResponseBodyMode = BodyMode(reqMode), BodyMode(respMode)
	for field, p := range map[string]struct {
		text string
		dst  any
	}{"request_headers": {reqHeaders, &e.RequestHeaders}, "response_headers": {respHeaders, &e.ResponseHeaders}, "removed_headers": {removed, &e.RemovedHeaders}} {
		if err := json.Unmarshal([]byte(p.text), p.dst); err != nil {
			return e, fmt.Errorf("exchange %s: %s: %w", id, field, err)
		}
	}
	if len(e.RequestHeaders) == 0 {
		e.RequestHeaders = nil
	}
	if len(e.ResponseHeaders) == 0 {
		e.ResponseHeaders = nil
	}
	if tlsJSON != "" {
		e.TLS = &observed.TLSFacts{}
		if err := json.Unmarshal([]byte(tlsJSON), e.TLS); err != nil {
			return e, fmt.Errorf("exchange %s: tls: %w", id, err)
		}
	}
	if e.RecordedAt, err = parseTime(recorded); err != nil {
		return e, fmt.Errorf("exchange %s: recorded_at: %w", id, err)
	}
	return e, nil
}

const fileColumns = `seq, name, media_type, size, sha256, content IS NOT NULL, note, attached_at`

func scanFile(sc scanner) (AttachedFile, error) {
	var f AttachedFile
	var seq int64
	var attached string
	if err := sc.Scan(&seq, &f.Name, &f.MediaType, &f.Size, &f.SHA256, &f.HasContent, &f.Note, &attached); err != nil {
		return f, err
	}
	f.ID = FormatID(KindFile, seq)
	var err error
	if f.AttachedAt, err = parseTime(attached); err != nil {
		return f, fmt.Errorf("file %s: attached_at: %w", f.ID, err)
	}
	return f, nil
}

func files(ctx context.Context, q queryer, assessmentID int64) ([]AttachedFile, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+fileColumns+` FROM files WHERE assessment_id = ? ORDER BY seq`, assessmentID)
	if err != nil {
		return nil, fmt.Errorf("read files: %w", err)
	}
	defer rows.Close()
	out := []AttachedFile{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("read files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func fileSeq(id string) (int64, error) {
	kind, seq, err := ParseID(id)
	if err != nil {
		return 0, err
	}
	if kind != KindFile {
		return 0, fmt.Errorf("evidence id %s is not a file (FI-...)", id)
	}
	return seq, nil
}

// File returns an attached file's record by evidence id.
func (s *Store) File(ctx context.Context, id string) (AttachedFile, error) {
	seq, err := fileSeq(id)
	if err != nil {
		return AttachedFile{}, err
	}
	f, err := scanFile(s.read.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM files WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("file %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("read file %s: %w", id, err)
	}
	return f, nil
}

// FileContent returns the bytes of an attached file, if they were kept.
func (s *Store) FileContent(ctx context.Context, id string) ([]byte, error) {
	seq, err := fileSeq(id)
	if err != nil {
		return nil, err
	}
	var content []byte
	err = s.read.QueryRowContext(ctx, `SELECT content FROM files WHERE seq = ?`, seq).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("file %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read file %s: %w", id, err)
	}
	if content == nil {
		return nil, fmt.Errorf("file %s: only its hash and size were recorded, not its bytes", id)
	}
	return content, nil
}

// Load reads everything recorded for an assessment in one consistent snapshot: the
// assessment, the latest result per probe, the latest attestation per item, a summary of
// every exchange, the attached files and the chain head.
func (s *Store) Load(ctx context.Context, assessmentID int64) (*Snapshot, error) {
	snap := &Snapshot{}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if snap.Assessment, err = assessment(ctx, tx, assessmentID); err != nil {
			return err
		}
		if snap.Results, err = results(ctx, tx, assessmentID); err != nil {
			return err
		}
		if snap.Attestations, err = attestations(ctx, tx, assessmentID); err != nil {
			return err
		}
		if snap.Exchanges, err = exchangeSummaries(ctx, tx, assessmentID); err != nil {
			return err
		}
		if snap.Files, err = files(ctx, tx, assessmentID); err != nil {
			return err
		}
		snap.Head, err = chainHead(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load assessment %s from %s: %w", FormatID(KindAssessment, assessmentID), s.path, err)
	}
	return snap, nil
}

// IntegrityCheck runs SQLite's own consistency check over the file and returns the problems
// it found (none when the file is sound).
func (s *Store) IntegrityCheck(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("integrity check of %s: %w", s.path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("integrity check of %s: %w", s.path, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrity check of %s: %w", s.path, err)
	}
	return problems, nil
}
