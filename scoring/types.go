package scoring

import (
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Status is where an item stands. Only Answered items are scored.
type Status string

// Item statuses. Statuses outside the 1–4 scale are reported, never scored as a pass.
const (
	Answered      Status = "answered"
	NotApplicable Status = "not-applicable"
	NotReviewed   Status = "not-reviewed"
	Waived        Status = "waived"
	Errored       Status = "error"
)

func (s Status) valid() bool {
	switch s {
	case Answered, NotApplicable, NotReviewed, Waived, Errored:
		return true
	}
	return false
}

// Provenance says who or what stands behind a level.
type Provenance string

// Provenances, weakest first.
const (
	SelfAssessed      Provenance = "self-assessed"
	InspectorVerified Provenance = "inspector-verified"
	ProbeVerified     Provenance = "probe-verified"
)

// Waiver defers an item with a recorded reason until it expires.
type Waiver struct {
	Reason string `json:"reason"`
	// Expires is the first day the waiver no longer applies.
	Expires time.Time `json:"expires" jsonschema:"format=date-time"`
}

// Claim is the answer recorded for one item: by the organisation (self-assessed) or by an
// inspector (inspector-verified).
type Claim struct {
	ItemID string `json:"item_id"`
	Status Status `json:"status" jsonschema:"enum=answered,enum=not-applicable,enum=not-reviewed,enum=waived,enum=error"`
	// Level is 1–4 for an answered claim and ignored otherwise.
	Level int `json:"level,omitempty" jsonschema:"minimum=0,maximum=4"`
	// Provenance defaults to self-assessed; probe-verified is reserved for scoring.
	Provenance Provenance `json:"provenance,omitempty" jsonschema:"enum=self-assessed,enum=inspector-verified"`
	// Waiver is required when Status is waived.
	Waiver *Waiver `json:"waiver,omitempty"`
}

// ProbeOutcome is what scoring needs of one probe result, in the verdict vocabulary. Only pass,
// fail and warn are judgements; info, skip, not-applicable and error are never counted as a
// pass or a fail.
type ProbeOutcome struct {
	ProbeID  string           `json:"probe_id"`
	Status   verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error"`
	Severity verdict.Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
}

// Probe statuses and severities, in the verdict vocabulary.
const (
	probePass          = verdict.Pass
	probeFail          = verdict.Fail
	probeWarn          = verdict.Warn
	probeInfo          = verdict.Info
	probeSkip          = verdict.Skip
	probeNotApplicable = verdict.NotApplicable
	probeError         = verdict.Error

	sevCritical = verdict.Critical
	sevHigh     = verdict.High
	sevMedium   = verdict.Medium
	sevLow      = verdict.Low
	sevInfo     = verdict.Informational
)

// NotRun is a ProbeCheck's status when a linked probe has no result in the run. It is not a
// verdict: the probe was never asked.
const NotRun verdict.Status = "not-run"

// Input is everything one assessment is scored from.
type Input struct {
	Checklist *checklist.Checklist
	OrgType   checklist.OrgType
	// AsOf is the day the assessment is scored for; waivers expiring on or before it no longer apply.
	AsOf   time.Time
	Claims []Claim
	Probes []ProbeOutcome
}

// Result is the scored assessment.
type Result struct {
	Checklist string            `json:"checklist" jsonschema:"description=Checklist id@version"`
	OrgType   checklist.OrgType `json:"org_type"`
	AsOf      time.Time         `json:"as_of"`
	// Percent is the overall score; absent when nothing was answered.
	Percent *float64 `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	// BandRating is the rating the percentage alone gives; Rating is after limiters.
	BandRating    Rating         `json:"band_rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	Rating        Rating         `json:"rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	Limiters      []string       `json:"limiters,omitempty" jsonschema:"description=Why the rating is below the band its percentage gives"`
	WarningNotice WarningNotice  `json:"warning_notice"`
	Completeness  Completeness   `json:"completeness"`
	Domains       []DomainResult `json:"domains"`
	// Layers score the items tagged with each interoperability layer, so a report can show an
	// organisation strong technically but weak organisationally. Untagged items are left out.
	Layers []LayerResult `json:"layers"`
	Items  []ItemResult  `json:"items"`
}

// LayerResult is the weighted mean score of the answered items of one interoperability layer.
type LayerResult struct {
	Layer checklist.Layer `json:"layer" jsonschema:"enum=foundational,enum=structural,enum=semantic,enum=organisational"`
	// Percent is absent when no item of the layer was answered.
	Percent *float64 `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	Items   int      `json:"items"`
	Scored  int      `json:"scored"`
}

// WarningNotice flags an assessment whose critical failures a regulator should consider for a
// Warning Notice. Jigsaw flags; it does not issue notices.
type WarningNotice struct {
	Flagged bool `json:"flagged"`
	// Section is the Health and Social Care Act 2008 section that would apply: "29A" for NHS
	// trusts and foundation trusts, "29" for other registered providers, "" when neither.
	Section string   `json:"section,omitempty" jsonschema:"enum=,enum=29,enum=29A"`
	Reasons []string `json:"reasons,omitempty"`
}

// Completeness counts items by status.
type Completeness struct {
	Items         int `json:"items"`
	Applicable    int `json:"applicable"`
	Scored        int `json:"scored"`
	NotApplicable int `json:"not_applicable"`
	NotReviewed   int `json:"not_reviewed"`
	Waived        int `json:"waived"`
	Errored       int `json:"errored"`
	// Share is Scored / Applicable, 0..1 (0 when nothing is applicable).
	Share      float64 `json:"share" jsonschema:"minimum=0,maximum=1"`
	Incomplete bool    `json:"incomplete"`
	// Missing are the applicable items neither scored nor waived.
	Missing          []string `json:"missing,omitempty"`
	MissingMandatory []string `json:"missing_mandatory,omitempty"`
}

// DomainResult is one domain's score and gated maturity level.
type DomainResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Percent is absent when no item in the domain was answered.
	Percent *float64 `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	// ClaimedPercent is what the domain would score if every claim were accepted as made; the
	// difference from Percent is how much of the claimed maturity the evidence did not support.
	ClaimedPercent *float64 `json:"claimed_percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	// Level is the gated maturity level 1–5, or 0 when nothing was answered.
	Level int `json:"level" jsonschema:"minimum=0,maximum=5"`
	// LevelReason says what stops the next level ("" at level 5).
	LevelReason string `json:"level_reason,omitempty"`
	Items       int    `json:"items"`
	Applicable  int    `json:"applicable"`
	Scored      int    `json:"scored"`
}

// ItemResult is one item's claimed, verified and final level and how they were reached.
// Levels are 1–4; 0 means "none".
type ItemResult struct {
	ItemID   string `json:"item_id"`
	DomainID string `json:"domain_id"`
	Status   Status `json:"status" jsonschema:"enum=answered,enum=not-applicable,enum=not-reviewed,enum=waived,enum=error"`
	Claimed  int    `json:"claimed,omitempty" jsonschema:"minimum=0,maximum=4"`
	Verified int    `json:"verified,omitempty" jsonschema:"minimum=0,maximum=4"`
	Final    int    `json:"final,omitempty" jsonschema:"minimum=0,maximum=4"`
	// Gap is Claimed − Verified when both exist; positive means over-claimed.
	Gap             *int       `json:"gap,omitempty"`
	ClaimProvenance Provenance `json:"claim_provenance,omitempty"`
	// Provenance stands behind the final level.
	Provenance Provenance `json:"provenance,omitempty"`
	// Unverified marks a probe-linked item none of whose probes gave a pass, fail or warn.
	Unverified bool     `json:"unverified,omitempty"`
	Mandatory  bool     `json:"mandatory,omitempty"`
	Critical   bool     `json:"critical,omitempty"`
	Weight     int      `json:"weight"`
	Percent    *float64 `json:"percent,omitempty"`
	// Probes are the outcomes of the item's linked probes, in the checklist's order.
	Probes  []ProbeCheck `json:"probes,omitempty"`
	Waiver  *Waiver      `json:"waiver,omitempty"`
	Reasons []string     `json:"reasons,omitempty"`
}

// ProbeCheck is one linked probe's outcome as it bore on an item.
type ProbeCheck struct {
	ProbeID  string           `json:"probe_id"`
	Status   verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error,enum=not-run"`
	Severity verdict.Severity `json:"severity,omitempty"`
	// Counted is false for info, skip, not-applicable, error and not-run: they never count as a
	// pass or a fail.
	Counted bool `json:"counted"`
}

// Rating is a CQC-style overall rating.
type Rating string

// Ratings, best first.
const (
	Outstanding         Rating = "outstanding"
	Good                Rating = "good"
	RequiresImprovement Rating = "requires-improvement"
	Inadequate          Rating = "inadequate"
	NotRated            Rating = "not-rated"
)

// Ratings lists the ratings best first, then not-rated.
func Ratings() []Rating {
	return []Rating{Outstanding, Good, RequiresImprovement, Inadequate, NotRated}
}

// Label is the rating as printed in reports.
func (r Rating) Label() string {
	switch r {
	case Outstanding:
		return "Outstanding"
	case Good:
		return "Good"
	case RequiresImprovement:
		return "Requires improvement"
	case Inadequate:
		return "Inadequate"
	case NotRated:
		return "Not rated"
	}
	return string(r)
}

// rank orders ratings: higher is better; not-rated and unknown values are 0.
func (r Rating) rank() int {
	switch r {
	case Outstanding:
		return 4
	case Good:
		return 3
	case RequiresImprovement:
		return 2
	case Inadequate:
		return 1
	}
	return 0
}

func (r Rating) valid() bool { return r.rank() > 0 || r == NotRated }
