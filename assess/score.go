package assess

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// Scored is an assessment as recorded, with the checklist it used and its score.
type Scored struct {
	Snapshot  *evidence.Snapshot
	Checklist *checklist.Checklist
	Result    scoring.Result
}

// ChecklistFinder finds the checklist an assessment recorded, by id@version.
type ChecklistFinder func(ref string) (*checklist.Checklist, error)

// Score loads an assessment from the store and scores it. The checklist must be the exact text
// the assessment used (same SHA-256): scoring against a different text would misstate results.
func Score(ctx context.Context, store *evidence.Store, assessmentID int64, find ChecklistFinder) (*Scored, error) {
	snap, err := store.Load(ctx, assessmentID)
	if err != nil {
		return nil, err
	}
	a := snap.Assessment
	c, err := FindChecklist(a, find)
	if err != nil {
		return nil, err
	}
	res, err := scoring.Score(ScoringInput(snap, c))
	if err != nil {
		return nil, fmt.Errorf("score assessment %s: %w", a.Ref, err)
	}
	return &Scored{Snapshot: snap, Checklist: c, Result: res}, nil
}

// FindChecklist finds the exact checklist text an assessment used: same id, version and
// SHA-256. Scoring or checking answers against a different text would misstate results.
func FindChecklist(a evidence.Assessment, find ChecklistFinder) (*checklist.Checklist, error) {
	want := a.Checklist()
	c, err := find(want.String())
	if err != nil {
		return nil, fmt.Errorf("assessment %s used checklist %s: %w", a.Ref, want, err)
	}
	if got := c.Reference(); got != want {
		return nil, fmt.Errorf("assessment %s used checklist %s with sha256 %s, but the one found (%s, %s) has sha256 %s: pass the original file with --checklist",
			a.Ref, want, want.SHA256, c.Source, got, got.SHA256)
	}
	return c, nil
}

// ScoringInput turns recorded evidence into what scoring reads. Scores are computed as of the
// end of the assessment, so re-scoring later gives the same answer.
func ScoringInput(snap *evidence.Snapshot, c *checklist.Checklist) scoring.Input {
	a := snap.Assessment
	asOf := a.FinishedAt
	if asOf.IsZero() {
		asOf = a.StartedAt
	}
	in := scoring.Input{Checklist: c, OrgType: a.Org.Type, AsOf: asOf}
	for _, att := range snap.Attestations {
		cl := scoring.Claim{
			ItemID:     att.ItemID,
			Status:     scoring.Status(att.Status),
			Level:      att.Level,
			Provenance: scoring.Provenance(att.Provenance),
		}
		if att.Status == evidence.Waived {
			// Stored expiry is the last day the waiver applies; scoring wants the first day it
			// no longer does.
			cl.Waiver = &scoring.Waiver{Reason: att.WaiverReason, Expires: att.WaiverExpiry.AddDate(0, 0, 1)}
		}
		in.Claims = append(in.Claims, cl)
	}
	results := make([]probes.Result, len(snap.Results))
	for i, r := range snap.Results {
		results[i] = r.Result
	}
	in.Probes = ProbeOutcomes(results)
	return in
}

// ProbeOutcomes converts probe results to what scoring reads.
func ProbeOutcomes(results []probes.Result) []scoring.ProbeOutcome {
	out := make([]scoring.ProbeOutcome, 0, len(results))
	for _, r := range results {
		out = append(out, scoring.ProbeOutcome{ProbeID: r.ProbeID, Status: r.Status, Severity: r.Severity})
	}
	return out
}

// ProbeRows converts probe results to the report's probe rows.
func ProbeRows(results []probes.Result) []reports.ProbeResult {
	out := make([]reports.ProbeResult, 0, len(results))
	for _, pr := range results {
		out = append(out, reports.ProbeResult{
			ProbeID: pr.ProbeID, Title: pr.Title, Pack: pr.Pack, Status: pr.Status, Severity: pr.Severity,
			Expected: pr.Expected, Observed: pr.Observed, SpecRef: pr.SpecRef,
			DurationMS: durationMS(pr.Duration), Exchanges: pr.Exchanges,
		})
	}
	return out
}

// EvidenceRows converts recorded exchanges to the report's evidence digests.
func EvidenceRows(exchanges []evidence.ExchangeSummary) []reports.Evidence {
	out := make([]reports.Evidence, 0, len(exchanges))
	for _, ex := range exchanges {
		out = append(out, reports.Evidence{
			ExchangeID: ex.ID, ProbeID: ex.ProbeID, Method: ex.Method, URL: ex.URL, StatusCode: ex.StatusCode,
			SHA256: ex.ResponseSHA256, Size: ex.ResponseSize, Truncated: ex.ResponseTruncated,
			TLSVersion: ex.TLSVersion, TLSCipher: ex.TLSCipher,
			StartedAt: ex.StartedAt, DurationMS: durationMS(ex.Duration), Error: ex.Error,
		})
	}
	return out
}

// reportTargets names every endpoint the assessment probed, as the report shows them.
func reportTargets(a evidence.Assessment) []reports.Target {
	out := make([]reports.Target, 0, len(a.Targets))
	for _, t := range a.Targets {
		out = append(out, reports.Target{URL: t.URL, FHIRVersion: t.FHIRVersion, Role: targetRole(t.Role)})
	}
	return out
}

func targetRole(role string) string {
	switch role {
	case evidence.TargetFHIR:
		return "FHIR server"
	case evidence.TargetGPConnect:
		return "GP Connect provider"
	}
	return role
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ReportInput gathers what a report is built from.
func ReportInput(s *Scored, generatedAt time.Time, generator string) reports.Input {
	snap := s.Snapshot
	a := snap.Assessment
	in := reports.Input{
		Organisation: reports.Organisation{ODS: a.Org.ODSCode, Name: a.Org.Name, Type: a.Org.Type, Region: a.Org.Region},
		Assessment: reports.AssessmentInfo{
			ID:          a.Ref,
			Cycle:       a.Cycle,
			StartedAt:   a.StartedAt,
			CompletedAt: a.FinishedAt,
			Targets:     reportTargets(a),
		},
		Checklist:       s.Checklist,
		ChecklistSHA256: a.ChecklistSHA256,
		Score:           s.Result,
		GeneratedAt:     generatedAt,
		Generator:       generator,
	}
	results := make([]probes.Result, len(snap.Results))
	for i, r := range snap.Results {
		results[i] = r.Result
	}
	in.Probes = ProbeRows(results)
	in.Evidence = EvidenceRows(snap.Exchanges)
	files := map[string]reports.AttachedFile{}
	for _, f := range snap.Files {
		files[f.ID] = reports.AttachedFile{Name: f.Name, Size: f.Size, SHA256: f.SHA256}
	}
	for _, att := range snap.Attestations {
		ra := reports.Attestation{
			ID:     att.ID,
			ItemID: att.ItemID,
			Who:    att.AnsweredBy,
			Role:   string(att.Provenance),
			When:   att.AnsweredAt,
			What:   describeAttestation(att.Attestation),
		}
		for _, ref := range att.EvidenceRefs {
			if f, ok := files[ref]; ok {
				ra.Files = append(ra.Files, f)
			}
		}
		in.Attestations = append(in.Attestations, ra)
	}
	return in
}

func describeAttestation(att evidence.Attestation) string {
	var b strings.Builder
	switch att.Status {
	case evidence.Answered:
		fmt.Fprintf(&b, "Level %d claimed", att.Level)
	case evidence.Waived:
		fmt.Fprintf(&b, "Waived until %s: %s", att.WaiverExpiry.Format(time.DateOnly), att.WaiverReason)
	default:
		b.WriteString(strings.ReplaceAll(string(att.Status), "-", " "))
	}
	if len(att.EvidenceRefs) > 0 {
		b.WriteString("; evidence: " + strings.Join(att.EvidenceRefs, ", "))
	}
	if att.Notes != "" {
		b.WriteString("; " + att.Notes)
	}
	return b.String()
}
