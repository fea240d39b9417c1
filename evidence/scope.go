package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// ScopeFileName is the name of the evidence file that records who ran an assessment and what it
// was pointed at. It is a chained evidence row like any other, so the chain (and a signed
// export) vouches for the inspector, the role and the endpoints.
const ScopeFileName = "jigsaw-scope.json"

// Scope is what an inspector declares at the start of an assessment: who, in what role, and
// which endpoints the probes were pointed at.
type Scope struct {
	Inspector string `json:"inspector"`
	Role      string `json:"role"`
	// Endpoints are the endpoints the assessment probed, in the order given.
	Endpoints []Endpoint `json:"endpoints"`
	// NotProbed are the probe packs the checklist links that had no endpoint to run against,
	// with why.
	NotProbed []PackNotProbed `json:"not_probed,omitempty"`
	Tool      string          `json:"tool"`
}

// Endpoint is one endpoint an assessment probed and the packs that ran against it.
type Endpoint struct {
	// Kind is "fhir" (the FHIR endpoint, --target) or "gpconnect" (the GP Connect provider).
	Kind        string   `json:"kind"`
	URL         string   `json:"url"`
	FHIRVersion string   `json:"fhir_version,omitempty"`
	Packs       []string `json:"packs"`
}

// PackNotProbed is a probe pack with no endpoint to run against.
type PackNotProbed struct {
	Pack   string `json:"pack"`
	Reason string `json:"reason"`
}

// Endpoint kinds.
const (
	FHIREndpoint      = "fhir"
	GPConnectEndpoint = "gpconnect"
)

// RecordScope attaches the scope to the assessment as a chained file unless the latest one
// recorded is the same.
func (s *Store) RecordScope(ctx context.Context, assessmentID int64, sc Scope) error {
	prev, err := s.loadScope(ctx, assessmentID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("encode assessment scope: %w", err)
	}
	if prev != nil {
		if old, err := json.Marshal(prev); err == nil && bytes.Equal(old, body) {
			return nil
		}
	}
	_, err = s.AttachFile(ctx, assessmentID, FileInput{
		Name: ScopeFileName, MediaType: "application/json", KeepBytes: true,
		Note:    "Inspector, role and endpoints declared for the assessment",
		Content: bytes.NewReader(body),
	})
	if err != nil {
		return fmt.Errorf("record assessment scope: %w", err)
	}
	return nil
}

// LoadScope reads the latest scope recorded for the assessment; nil when none was (assessments
// recorded before scopes were).
func (s *Store) LoadScope(ctx context.Context, snap *Snapshot) (*Scope, error) {
	latest := LatestScopeFile(snap.Files)
	if latest == nil {
		return nil, nil
	}
	body, err := s.FileContent(ctx, latest.ID)
	if err != nil {
		return nil, fmt.Errorf("read assessment scope %s: %w", latest.ID, err)
	}
	return ParseScope(latest.ID, body)
}

// ParseScope decodes a recorded scope; id names the evidence row in errors.
func ParseScope(id string, body []byte) (*Scope, error) {
	var sc Scope
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("assessment scope %s is not valid: %w", id, err)
	}
	return &sc, nil
}

func (s *Store) loadScope(ctx context.Context, assessmentID int64) (*Scope, error) {
	snap, err := s.Load(ctx, assessmentID)
	if err != nil {
		return nil, err
	}
	return s.LoadScope(ctx, snap)
}

// LatestScopeFile is the latest scope file among an assessment's files (nil when none).
func LatestScopeFile(files []AttachedFile) *AttachedFile {
	var latest *AttachedFile
	for i := range files {
		f := &files[i]
		if f.Name == ScopeFileName && f.HasContent && (latest == nil || compareRowIDs(f.ID, latest.ID) > 0) {
			latest = f
		}
	}
	return latest
}

func compareRowIDs(a, b string) int {
	_, sa, errA := ParseID(a)
	_, sb, errB := ParseID(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	switch {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// Unprobed lists the recorded results whose pack the scope says had no endpoint: they ran
// against an endpoint that could not answer them, so scoring treats them as not probed.
func (sc *Scope) Unprobed(results []StoredResult) []scoring.Unprobed {
	if sc == nil {
		return nil
	}
	var out []scoring.Unprobed
	for _, r := range results {
		for _, np := range sc.NotProbed {
			if r.Pack == np.Pack && !r.Status.Judged() {
				out = append(out, scoring.Unprobed{ProbeID: r.ProbeID, Severity: r.Severity, Reason: np.Reason})
			}
		}
	}
	return out
}

// PackList names the packs probed on an endpoint, for reports.
func (e Endpoint) PackList() string { return strings.Join(e.Packs, ", ") }

// ScoringInput turns recorded evidence into what scoring reads: the one conversion used when
// an assessment is scored, reported, exported and re-scored by the league. Scores are computed
// as of the end of the assessment, so re-scoring later gives the same answer. Results of a pack
// the scope says had no endpoint are passed as not probed, not as outcomes.
func ScoringInput(a Assessment, atts []StoredAttestation, results []StoredResult, scope *Scope, c *checklist.Checklist) scoring.Input {
	asOf := a.FinishedAt
	if asOf.IsZero() {
		asOf = a.StartedAt
	}
	in := scoring.Input{Checklist: c, OrgType: a.Org.Type, AsOf: asOf}
	for _, att := range atts {
		cl := scoring.Claim{
			ItemID:     att.ItemID,
			Status:     scoring.Status(att.Status),
			Level:      att.Level,
			Provenance: scoring.Provenance(att.Provenance),
			Documents:  len(att.EvidenceRefs),
		}
		if att.Status == Waived {
			// Stored expiry is the last day the waiver applies; scoring wants the first day it
			// no longer does.
			cl.Waiver = &scoring.Waiver{Reason: att.WaiverReason, Expires: att.WaiverExpiry.AddDate(0, 0, 1)}
		}
		in.Claims = append(in.Claims, cl)
	}
	in.Unprobed = scope.Unprobed(results)
	unprobed := map[string]bool{}
	for _, u := range in.Unprobed {
		unprobed[u.ProbeID] = true
	}
	for _, r := range results {
		if !unprobed[r.ProbeID] {
			in.Probes = append(in.Probes, scoring.ProbeOutcome{ProbeID: r.ProbeID, Status: r.Status, Severity: r.Severity, EvidenceID: r.ID})
		}
	}
	return in
}
