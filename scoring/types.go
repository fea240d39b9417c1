package scoring

import (
	"fmt"
	"strings"
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
	// Documents counts the evidence documents the answer cites. A self-assessed claim citing
	// at least one is attested by the trust; one citing none is self-reported only.
	Documents int `json:"documents,omitempty" jsonschema:"minimum=0"`
}

// ProbeOutcome is what scoring needs of one probe result, in the verdict vocabulary. Only pass,
// fail and warn are judgements; info, skip, not-applicable and error are never counted as a
// pass or a fail.
type ProbeOutcome struct {
	ProbeID  string           `json:"probe_id"`
	Status   verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error"`
	Severity verdict.Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
	// EvidenceID is the evidence row of the result (PR-…), cited by serious findings.
	EvidenceID string `json:"evidence_id,omitempty"`
}

// Unprobed is a probe the checklist links that the assessment did not point at the endpoint it
// needs (for example no GP Connect provider was given). Its items are unverified and the
// reason is listed among the assessment's limitations.
type Unprobed struct {
	ProbeID string `json:"probe_id"`
	// Severity is the probe's declared severity: what a failure would have weighed.
	Severity verdict.Severity `json:"severity,omitempty"`
	Reason   string           `json:"reason"`
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

// NotProbed is a ProbeCheck's status when the assessment did not point the probe at the
// endpoint it needs (Input.Unprobed). It is not a verdict either.
const NotProbed verdict.Status = "not-probed"

// Input is everything one assessment is scored from.
type Input struct {
	Checklist *checklist.Checklist
	OrgType   checklist.OrgType
	// AsOf is the day the assessment is scored for; waivers expiring on or before it no longer apply.
	AsOf   time.Time
	Claims []Claim
	Probes []ProbeOutcome
	// Unprobed are linked probes the assessment did not point at the endpoint they need.
	Unprobed []Unprobed
}

// Result is the scored assessment.
type Result struct {
	Checklist string            `json:"checklist" jsonschema:"description=Checklist id@version"`
	OrgType   checklist.OrgType `json:"org_type"`
	AsOf      time.Time         `json:"as_of"`
	// Percent is the overall score; absent when nothing applicable was assessed. When the
	// assessment is not rated it is provisional.
	Percent *float64 `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	// Provisional is true when Percent is shown without a rating (Rating is not-rated).
	Provisional bool `json:"provisional"`
	// BandRating is the rating the percentage alone gives; ProvisionalRating is after
	// limiters; Rating is ProvisionalRating when the evidence supports a rating, else not-rated.
	BandRating        Rating `json:"band_rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	ProvisionalRating Rating `json:"provisional_rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	Rating            Rating `json:"rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	// NotRatedReasons say why no rating is given (empty when rated).
	NotRatedReasons []string `json:"not_rated_reasons,omitempty"`
	Limiters        []string `json:"limiters,omitempty" jsonschema:"description=Why the rating is below the band its percentage gives"`
	// Limitations are what the assessment could not examine (unprobed endpoints, probes that
	// could not test): the report's limitations section lists them.
	Limitations   []string       `json:"limitations,omitempty"`
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
	// Findings are the serious findings behind the flag, each with its evidence.
	Findings []SeriousFinding `json:"findings,omitempty"`
}

// SeriousFinding is one failed probe on the documented list of serious findings.
type SeriousFinding struct {
	ProbeID string `json:"probe_id"`
	Finding string `json:"finding"`
	// EvidenceID is the failing result's evidence row, when the caller gave it.
	EvidenceID string   `json:"evidence_id,omitempty"`
	Items      []string `json:"items,omitempty"`
}

// Completeness counts items by status and gives the one meaning of complete and incomplete.
type Completeness struct {
	// Status is "complete" when every applicable item was assessed (scored or waived) and every
	// probe those items link gave a result on the endpoint it needs (none not run, in error or
	// not probed); otherwise "incomplete".
	Status        string `json:"status" jsonschema:"enum=complete,enum=incomplete"`
	Items         int    `json:"items"`
	Applicable    int    `json:"applicable"`
	Scored        int    `json:"scored"`
	NotApplicable int    `json:"not_applicable"`
	NotReviewed   int    `json:"not_reviewed"`
	Waived        int    `json:"waived"`
	Errored       int    `json:"errored"`
	// Share is Scored / Applicable, 0..1 (0 when nothing is applicable).
	Share float64 `json:"share" jsonschema:"minimum=0,maximum=1"`
	// Threshold is the share a rating needs (CompletenessThreshold).
	Threshold  float64 `json:"threshold" jsonschema:"minimum=0,maximum=1"`
	Incomplete bool    `json:"incomplete"`
	// Missing are the applicable items neither scored nor waived.
	Missing          []string `json:"missing,omitempty"`
	MissingMandatory []string `json:"missing_mandatory,omitempty"`
	// WaivedMandatory are mandatory items waived: they count as not achieved and cap the
	// rating at Requires improvement.
	WaivedMandatory []string `json:"waived_mandatory,omitempty"`
	// Unverified are scored items whose level rests on a claim the probes could not test.
	Unverified []string `json:"unverified,omitempty"`
	// Untested are linked probes of applicable items that gave no result on the endpoint they
	// need: not run, could not test (error) or not probed.
	Untested []string `json:"untested,omitempty"`
}

// Completeness words.
const (
	CompleteWord   = "complete"
	IncompleteWord = "incomplete"
)

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
	// Evidence is the strength of what stands behind the final level.
	Evidence EvidenceStrength `json:"evidence,omitempty" jsonschema:"enum=verified-by-probe,enum=observed-by-inspector,enum=attested-by-trust,enum=self-reported"`
	// Unverified marks a probe-linked item none of whose probes gave a pass, fail or warn.
	Unverified bool `json:"unverified,omitempty"`
	// OverClaimed is true only when probes contradict the claim (Gap > 0).
	OverClaimed bool `json:"over_claimed,omitempty"`
	// Floor is the lowest level the evidence leaves possible: Final when every linked probe
	// judged, lower when a probe could not test or no answer covers the rest of the item.
	Floor     int      `json:"floor,omitempty" jsonschema:"minimum=0,maximum=4"`
	Mandatory bool     `json:"mandatory,omitempty"`
	Critical  bool     `json:"critical,omitempty"`
	Weight    int      `json:"weight"`
	Percent   *float64 `json:"percent,omitempty"`
	// Probes are the outcomes of the item's linked probes, in the checklist's order.
	Probes  []ProbeCheck `json:"probes,omitempty"`
	Waiver  *Waiver      `json:"waiver,omitempty"`
	Reasons []string     `json:"reasons,omitempty"`
}

// EvidenceStrength says what stands behind an item's level, strongest first.
type EvidenceStrength string

// Evidence strengths, strongest first.
const (
	VerifiedByProbe     EvidenceStrength = "verified-by-probe"
	ObservedByInspector EvidenceStrength = "observed-by-inspector"
	AttestedByTrust     EvidenceStrength = "attested-by-trust"
	SelfReported        EvidenceStrength = "self-reported"
)

// Label is the strength as printed in reports.
func (s EvidenceStrength) Label() string {
	switch s {
	case VerifiedByProbe:
		return "Verified by probe"
	case ObservedByInspector:
		return "Observed by inspector"
	case AttestedByTrust:
		return "Attested by trust"
	case SelfReported:
		return "Self-reported only"
	}
	return string(s)
}

// ProbeCheck is one linked probe's outcome as it bore on an item.
type ProbeCheck struct {
	ProbeID  string           `json:"probe_id"`
	Status   verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error,enum=not-run,enum=not-probed"`
	Severity verdict.Severity `json:"severity,omitempty"`
	// Counted is true only for pass, fail and warn: nothing else counts as a pass or a fail.
	Counted bool `json:"counted"`
	// Reason says why an uncounted probe gave no judgement, when known (not-probed).
	Reason string `json:"reason,omitempty"`
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

// Rank orders ratings for comparison: Outstanding 4 … Inadequate 1; not-rated and unknown 0.
func (r Rating) Rank() int { return r.rank() }

// Reasons says, in words, why the assessment is incomplete (nil when complete). Every output
// that says "incomplete" gives these reasons.
func (c Completeness) Reasons() []string {
	if !c.Incomplete {
		return nil
	}
	var out []string
	if c.Applicable == 0 {
		out = append(out, "no item applies to this organisation")
	}
	if len(c.Missing) > 0 {
		out = append(out, fmt.Sprintf("%d applicable %s not assessed: %s", len(c.Missing), noun(len(c.Missing), "item", "items"), strings.Join(c.Missing, ", ")))
	}
	if len(c.Untested) > 0 {
		out = append(out, fmt.Sprintf("%d linked %s gave no result on the endpoint %s: %s", len(c.Untested),
			noun(len(c.Untested), "probe", "probes"), noun(len(c.Untested), "it needs", "they need"), strings.Join(c.Untested, ", ")))
	}
	return out
}

func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
