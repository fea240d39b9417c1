// Package reports builds one report model from an assessment's checklist, scores, probe results
// and evidence, and renders that same model as PDF, XLSX and JSON. The league table has its own
// model and the same three renderers. Files are written atomically.
package reports

import (
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// SchemaVersion is the version of the report and league JSON shapes. Bump it when a field
// changes meaning or goes away.
const SchemaVersion = "1"

// Report is everything an assessment report shows. Every renderer reads only this.
type Report struct {
	SchemaVersion string `json:"schema_version"`
	// GeneratedAt is printed in the report and stamped into the files' metadata, so the same
	// model always renders the same bytes.
	GeneratedAt     time.Time        `json:"generated_at"`
	Generator       string           `json:"generator,omitempty" jsonschema:"description=Tool and version that produced the report"`
	Organisation    Organisation     `json:"organisation"`
	Assessment      AssessmentInfo   `json:"assessment"`
	Checklist       ChecklistInfo    `json:"checklist"`
	Summary         Summary          `json:"summary"`
	Domains         []Domain         `json:"domains"`
	Layers          []LayerScore     `json:"layers" jsonschema:"description=Scores by interoperability layer (HIMSS): foundational\\, structural\\, semantic\\, organisational"`
	Items           []Item           `json:"items"`
	Findings        []Finding        `json:"findings"`
	Gaps            []Gap            `json:"gaps" jsonschema:"description=Items with both a claimed and a verified level, largest over-claim first"`
	Recommendations []Recommendation `json:"recommendations"`
	Probes          []ProbeResult    `json:"probes"`
	Evidence        []Evidence       `json:"evidence"`
	Attestations    []Attestation    `json:"attestations"`
}

// Organisation is the organisation assessed.
type Organisation struct {
	ODS    string            `json:"ods" jsonschema:"description=ODS code"`
	Name   string            `json:"name"`
	Type   checklist.OrgType `json:"type" jsonschema:"enum=acute-trust,enum=mental-health-trust,enum=community-trust,enum=ambulance-trust,enum=gp-practice,enum=icb,enum=social-care-provider"`
	Region string            `json:"region,omitempty"`
}

// AssessmentInfo describes the assessment run.
type AssessmentInfo struct {
	ID          string    `json:"id"`
	Cycle       string    `json:"cycle,omitempty" jsonschema:"description=Benchmark cycle, for example 2026-Q1"`
	Assessor    string    `json:"assessor,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	CompletedAt time.Time `json:"completed_at"`
	Targets     []Target  `json:"targets,omitempty"`
}

// Target is one endpoint probed.
type Target struct {
	URL         string `json:"url"`
	FHIRVersion string `json:"fhir_version,omitempty"`
	// Role says what the endpoint is to the organisation, for example "GP Connect provider".
	Role string `json:"role,omitempty"`
}

// Label is how a report heads the target's line: its role, or "Endpoint".
func (t Target) Label() string {
	if t.Role == "" {
		return "Endpoint"
	}
	return t.Role
}

// Text is the target's URL and FHIR version.
func (t Target) Text() string { return strings.TrimSpace(t.URL + " " + t.FHIRVersion) }

// ChecklistInfo names the exact checklist text assessed.
type ChecklistInfo struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Title   string `json:"title"`
	SHA256  string `json:"sha256,omitempty" jsonschema:"description=SHA-256 of the checklist file assessed"`
}

// Ref is id@version.
func (c ChecklistInfo) Ref() string { return checklist.Ref{ID: c.ID, Version: c.Version}.String() }

// Summary is the headline.
type Summary struct {
	Rating      scoring.Rating `json:"rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	RatingLabel string         `json:"rating_label"`
	BandRating  scoring.Rating `json:"band_rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	// Percent is the overall score; absent when not rated.
	Percent       *float64              `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	Limiters      []string              `json:"limiters,omitempty"`
	WarningNotice scoring.WarningNotice `json:"warning_notice"`
	Completeness  scoring.Completeness  `json:"completeness"`
	Probes        ProbeCounts           `json:"probes"`
	// OverClaims counts items whose claim is above what probes verify.
	OverClaims int `json:"over_claims"`
	// Unverified counts probe-linked items that rest on the claim alone.
	Unverified int `json:"unverified"`
}

// ProbeCounts counts probe results by status.
type ProbeCounts struct {
	Total int `json:"total"`
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	// Info and NotApplicable are observations and capabilities not claimed: never a pass.
	Info          int `json:"info,omitempty"`
	Skip          int `json:"skip"`
	NotApplicable int `json:"not_applicable,omitempty"`
	Error         int `json:"error"`
}

// Domain is one domain's result.
type Domain struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Percent *float64 `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	// ClaimedPercent is the score the domain would have if every claim were accepted as made;
	// OverClaim is ClaimedPercent − Percent in percentage points.
	ClaimedPercent *float64 `json:"claimed_percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	OverClaim      *float64 `json:"over_claim,omitempty"`
	Level          int      `json:"level" jsonschema:"minimum=0,maximum=5"`
	LevelReason    string   `json:"level_reason,omitempty"`
	Items          int      `json:"items"`
	Applicable     int      `json:"applicable"`
	Scored         int      `json:"scored"`
}

// LayerScore is the score of the items tagged with one interoperability layer.
type LayerScore struct {
	Layer   checklist.Layer `json:"layer" jsonschema:"enum=foundational,enum=structural,enum=semantic,enum=organisational"`
	Title   string          `json:"title"`
	Percent *float64        `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	Items   int             `json:"items"`
	Scored  int             `json:"scored"`
}

// LayerTitle is a layer as printed.
func LayerTitle(l checklist.Layer) string {
	switch l {
	case checklist.Foundational:
		return "Foundational (connectivity and transport)"
	case checklist.Structural:
		return "Structural (formats and APIs)"
	case checklist.Semantic:
		return "Semantic (shared codes and meaning)"
	case checklist.Organisational:
		return "Organisational (governance, policy, workflow)"
	}
	return string(l)
}

// Item is one checklist item's result. Levels are 1–4; 0 means none.
type Item struct {
	ID              string                `json:"id"`
	DomainID        string                `json:"domain_id"`
	Title           string                `json:"title"`
	Layer           checklist.Layer       `json:"layer,omitempty" jsonschema:"enum=,enum=foundational,enum=structural,enum=semantic,enum=organisational"`
	Status          scoring.Status        `json:"status" jsonschema:"enum=answered,enum=not-applicable,enum=not-reviewed,enum=waived,enum=error"`
	Claimed         int                   `json:"claimed,omitempty" jsonschema:"minimum=0,maximum=4"`
	Verified        int                   `json:"verified,omitempty" jsonschema:"minimum=0,maximum=4"`
	Final           int                   `json:"final,omitempty" jsonschema:"minimum=0,maximum=4"`
	Gap             *int                  `json:"gap,omitempty"`
	ClaimProvenance scoring.Provenance    `json:"claim_provenance,omitempty"`
	Provenance      scoring.Provenance    `json:"provenance,omitempty"`
	Unverified      bool                  `json:"unverified,omitempty"`
	Mandatory       bool                  `json:"mandatory,omitempty"`
	Critical        bool                  `json:"critical,omitempty"`
	Weight          int                   `json:"weight"`
	Percent         *float64              `json:"percent,omitempty"`
	Statement       string                `json:"statement,omitempty" jsonschema:"description=Achievement statement of the final level"`
	Probes          []scoring.ProbeCheck  `json:"probes,omitempty"`
	Waiver          *scoring.Waiver       `json:"waiver,omitempty"`
	Reasons         []string              `json:"reasons,omitempty"`
	References      []checklist.Reference `json:"references,omitempty"`
}

// Finding is a probe that failed or warned.
type Finding struct {
	ProbeID  string           `json:"probe_id"`
	Title    string           `json:"title"`
	Status   verdict.Status   `json:"status" jsonschema:"enum=fail,enum=warn"`
	Severity verdict.Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
	Expected string           `json:"expected"`
	Observed string           `json:"observed"`
	SpecRef  string           `json:"spec_ref,omitempty"`
	// Exchanges are the evidence ids of the HTTP exchanges behind the finding.
	Exchanges []string `json:"exchanges,omitempty"`
	// Items are the checklist items the probe evidences.
	Items []string `json:"items,omitempty"`
}

// Gap compares what was claimed with what probes verified for one item.
type Gap struct {
	ItemID          string             `json:"item_id"`
	Title           string             `json:"title"`
	Claimed         int                `json:"claimed"`
	Verified        int                `json:"verified"`
	Final           int                `json:"final"`
	Gap             int                `json:"gap" jsonschema:"description=Claimed minus verified; positive is an over-claim"`
	ClaimProvenance scoring.Provenance `json:"claim_provenance"`
}

// Recommendation is the next step for an item not yet achieved.
type Recommendation struct {
	Priority     int    `json:"priority" jsonschema:"minimum=1"`
	ItemID       string `json:"item_id"`
	Title        string `json:"title"`
	CurrentLevel int    `json:"current_level"`
	TargetLevel  int    `json:"target_level"`
	// Statement is the achievement statement of the target level: what "better" looks like.
	Statement    string   `json:"statement"`
	Mandatory    bool     `json:"mandatory,omitempty"`
	Critical     bool     `json:"critical,omitempty"`
	FailedProbes []string `json:"failed_probes,omitempty"`
}

// ProbeResult is one probe's result row.
type ProbeResult struct {
	ProbeID    string           `json:"probe_id"`
	Title      string           `json:"title"`
	Pack       string           `json:"pack"`
	Status     verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error"`
	Severity   verdict.Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
	Expected   string           `json:"expected"`
	Observed   string           `json:"observed"`
	SpecRef    string           `json:"spec_ref,omitempty"`
	DurationMS float64          `json:"duration_ms"`
	Exchanges  []string         `json:"exchanges,omitempty"`
}

// Evidence is the digest of one recorded HTTP exchange.
type Evidence struct {
	ExchangeID string    `json:"exchange_id"`
	ProbeID    string    `json:"probe_id"`
	Method     string    `json:"method"`
	URL        string    `json:"url"`
	StatusCode int       `json:"status_code,omitempty"`
	SHA256     string    `json:"sha256,omitempty" jsonschema:"description=SHA-256 of the response body as read"`
	Size       int64     `json:"size"`
	Truncated  bool      `json:"truncated,omitempty"`
	TLSVersion string    `json:"tls_version,omitempty"`
	TLSCipher  string    `json:"tls_cipher,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
}

// Attestation records what a person saw or said, with any files attached.
type Attestation struct {
	ID     string         `json:"id"`
	ItemID string         `json:"item_id,omitempty"`
	Who    string         `json:"who"`
	Role   string         `json:"role,omitempty"`
	When   time.Time      `json:"when"`
	What   string         `json:"what"`
	Files  []AttachedFile `json:"files,omitempty"`
}

// AttachedFile is a document seen during the assessment.
type AttachedFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// OrgTypeLabel is an organisation type as printed.
func OrgTypeLabel(t checklist.OrgType) string {
	switch t {
	case checklist.AcuteTrust:
		return "Acute trust"
	case checklist.MentalHealthTrust:
		return "Mental health trust"
	case checklist.CommunityTrust:
		return "Community trust"
	case checklist.AmbulanceTrust:
		return "Ambulance trust"
	case checklist.GPPractice:
		return "GP practice"
	case checklist.ICB:
		return "Integrated care board"
	case checklist.SocialCareProvider:
		return "Social care provider"
	}
	return string(t)
}
