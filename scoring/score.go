package scoring

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// LevelPercent is the score of an item at level 1–4: level/4 × 100 (see the package comment).
func LevelPercent(level int) float64 { return float64(level) / 4 * 100 }

// BandFor maps an overall percentage to its CQC band, before limiters. The percentage is
// rounded to a whole number first, so 38.4 is Inadequate and 38.5 Requires improvement.
func BandFor(percent float64) Rating {
	p := math.Round(percent)
	switch {
	case p >= 88:
		return Outstanding
	case p >= 63:
		return Good
	case p >= 39:
		return RequiresImprovement
	}
	return Inadequate
}

// Documented thresholds and caps (docs/scoring.md gives the reasons).
const (
	// CompletenessThreshold is the share of applicable items that must be scored for a rating.
	CompletenessThreshold = 0.9
	// UnverifiedCap is the highest level a claim reaches when the probes linked to its item
	// could not test it: "partially achieved", below the 3 that passing probes verify.
	UnverifiedCap = 2
	// SelfReportedCap is the highest level a self-assessed claim citing no document reaches:
	// "exceeds" needs the inspector's observation or documents the trust attests.
	SelfReportedCap = 3
	// NotAssessedLevel is the level an applicable item that was not assessed counts at in the
	// figure: not evidenced is not achieved, so leaving an item out never raises a score.
	NotAssessedLevel = 1
)

// SeriousCheck is one entry of the documented list of serious findings: a failure of the probe
// flags the assessment for Warning Notice consideration and makes the rating Inadequate.
type SeriousCheck struct {
	ProbeID string `json:"probe_id"`
	Finding string `json:"finding"`
}

// SeriousChecks is the documented list of serious findings, in the order reports list them.
// Nothing else flags a Warning Notice: a weaker finding lowers its item and domain.
func SeriousChecks() []SeriousCheck {
	return []SeriousCheck{
		{"security.auth.required", "patient data served without authentication"},
		{"security.auth.invalid-token", "patient data served to a forged bearer token"},
		{"transport.https.enforced", "the FHIR endpoint served over plain HTTP"},
	}
}

func seriousFinding(probeID string) (string, bool) {
	for _, c := range SeriousChecks() {
		if c.ProbeID == probeID {
			return c.Finding, true
		}
	}
	return "", false
}

// Score scores one assessment. It fails only on malformed input, naming the claim or probe
// outcome at fault.
func Score(in Input) (Result, error) {
	if in.Checklist == nil {
		return Result{}, errors.New("score: no checklist given")
	}
	if in.OrgType == "" {
		return Result{}, errors.New("score: organisation type is required (one of " + orgTypeList() + ")")
	}
	if !slices.Contains(checklist.OrgTypes(), in.OrgType) {
		return Result{}, fmt.Errorf("score: unknown organisation type %q (want one of %s)", in.OrgType, orgTypeList())
	}
	claims, err := indexClaims(in)
	if err != nil {
		return Result{}, err
	}
	outcomes, err := indexOutcomes(in.Probes)
	if err != nil {
		return Result{}, err
	}
	unprobed, err := indexUnprobed(in.Unprobed)
	if err != nil {
		return Result{}, err
	}

	res := Result{
		Checklist: in.Checklist.Ref(),
		OrgType:   in.OrgType,
		AsOf:      in.AsOf,
	}
	for _, d := range in.Checklist.Domains {
		var items []ItemResult
		for i := range d.Items {
			it := &d.Items[i]
			ir := scoreItem(it, claims[it.ID], outcomes, unprobed, in)
			ir.DomainID = d.ID
			items = append(items, ir)
		}
		res.Domains = append(res.Domains, scoreDomain(d, items))
		res.Items = append(res.Items, items...)
	}
	res.Completeness = completeness(in.Checklist, res.Items, outcomes, unprobed)
	res.Layers = layers(in.Checklist, res.Items)
	res.Limitations = limitations(res.Items)
	res.WarningNotice = warningNotice(in)

	// The figure counts every applicable item: scored items at their final level, the rest
	// (not assessed, waived) at NotAssessedLevel.
	final := func(ir ItemResult) int { return ir.Final }
	floor := func(ir ItemResult) int { return ir.Floor }
	res.BandRating, res.ProvisionalRating, res.Limiters = NotRated, NotRated, nil
	if p, ok := figure(res.Domains, res.Items, final); ok {
		res.Percent = &p
		res.BandRating = BandFor(p)
		res.ProvisionalRating, res.Limiters = limit(res.BandRating, res.Items, final, res.WarningNotice.Flagged, nil)
	}
	res.NotRatedReasons = notRatedReasons(res, in, outcomes, unprobed, floor)
	res.Rating = res.ProvisionalRating
	if len(res.NotRatedReasons) > 0 {
		res.Rating = NotRated
		res.Provisional = res.Percent != nil
	}
	return res, nil
}

// figure is the overall percentage: the plain mean of the domains' weighted means, counting
// every applicable, unwaived item at level(it) when scored and at NotAssessedLevel when not.
// It reports false when no domain has such an item.
func figure(domains []DomainResult, items []ItemResult, level func(ItemResult) int) (float64, bool) {
	var sum float64
	n := 0
	for _, d := range domains {
		var s, w float64
		for _, ir := range items {
			if ir.DomainID != d.ID {
				continue
			}
			l, ok := figureLevel(ir, level)
			if !ok {
				continue
			}
			s += float64(ir.Weight) * LevelPercent(l)
			w += float64(ir.Weight)
		}
		if w > 0 {
			sum += s / w
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// figureLevel is the level an item counts at in the figure, and whether it counts at all.
func figureLevel(ir ItemResult, level func(ItemResult) int) (int, bool) {
	switch ir.Status {
	case Answered:
		return level(ir), true
	case NotReviewed, Errored, Waived:
		// A waiver records that the item is not met yet, with a plan: it counts as not
		// achieved, so waiving an item never scores better than answering it at 1.
		return NotAssessedLevel, true
	}
	return 0, false // not applicable
}

// limit applies the limiters to a band: a mandatory or critical item at level 1 caps the rating
// at Requires improvement; a serious finding (flagged) makes it Inadequate, as does, when
// worstCase is set, a serious-finding probe that could not test.
func limit(band Rating, items []ItemResult, level func(ItemResult) int, flagged bool, untestedSerious []string) (Rating, []string) {
	r := band
	var why []string
	var mandatory, critical, waived []string
	for _, ir := range items {
		if ir.Status == Waived && ir.Mandatory {
			waived = append(waived, ir.ItemID)
		}
		if ir.Status != Answered || level(ir) != 1 {
			continue
		}
		if ir.Mandatory {
			mandatory = append(mandatory, ir.ItemID)
		} else if ir.Critical {
			critical = append(critical, ir.ItemID)
		}
	}
	if len(mandatory) > 0 && r.rank() > RequiresImprovement.rank() {
		why = append(why, fmt.Sprintf("mandatory %s at level 1: rating capped at Requires improvement", plural("item", mandatory)))
		r = RequiresImprovement
	}
	if len(waived) > 0 && r.rank() > RequiresImprovement.rank() {
		why = append(why, fmt.Sprintf("mandatory %s waived (not met yet): rating capped at Requires improvement", plural("item", waived)))
		r = RequiresImprovement
	}
	if len(critical) > 0 && r.rank() > RequiresImprovement.rank() {
		why = append(why, fmt.Sprintf("critical %s at level 1: rating capped at Requires improvement", plural("item", critical)))
		r = RequiresImprovement
	}
	if flagged && r != Inadequate {
		why = append(why, "serious finding (see Warning Notice): rating Inadequate")
		r = Inadequate
	}
	if len(untestedSerious) > 0 && r != Inadequate {
		why = append(why, fmt.Sprintf("serious-finding %s could not test", plural("check", untestedSerious)))
		r = Inadequate
	}
	return r, why
}

// notRatedReasons says why the evidence does not support a rating: too little assessed, a
// mandatory item not assessed, or a rating that would differ if what could not be tested
// turned out at its worst.
func notRatedReasons(res Result, in Input, outcomes map[string][]ProbeOutcome, unprobed map[string]Unprobed, floor func(ItemResult) int) []string {
	c := res.Completeness
	var why []string
	if res.Percent == nil {
		return []string{"nothing applicable was assessed"}
	}
	if c.Share < CompletenessThreshold {
		why = append(why, fmt.Sprintf("only %d of %d applicable items were assessed (%.0f %%); a rating needs at least %.0f %%",
			c.Scored, c.Applicable, c.Share*100, CompletenessThreshold*100))
	}
	if len(c.MissingMandatory) > 0 {
		why = append(why, fmt.Sprintf("mandatory %s not assessed", plural("item", c.MissingMandatory)))
	}
	if len(why) > 0 {
		return why
	}
	// Robustness: the rating must not depend on evidence the assessment could not obtain.
	untestedSerious := untestedSeriousChecks(in.Checklist, outcomes, unprobed)
	p, _ := figure(res.Domains, res.Items, floor)
	worst, _ := limit(BandFor(p), res.Items, floor, res.WarningNotice.Flagged, untestedSerious)
	if worst != res.ProvisionalRating {
		var open []string
		for _, ir := range res.Items {
			if ir.Status == Answered && ir.Floor < ir.Final {
				open = append(open, ir.ItemID)
			}
		}
		msg := fmt.Sprintf("the rating depends on evidence the assessment could not obtain: %s as the evidence stands, %s if",
			res.ProvisionalRating.Label(), worst.Label())
		switch {
		case len(open) > 0 && len(untestedSerious) > 0:
			msg += fmt.Sprintf(" %s were not achieved and %s failed", plural("item", open), plural("serious-finding check", untestedSerious))
		case len(open) > 0:
			msg += fmt.Sprintf(" %s were not achieved", plural("item", open))
		default:
			msg += fmt.Sprintf(" %s failed", plural("serious-finding check", untestedSerious))
		}
		why = append(why, msg)
	}
	return why
}

// untestedSeriousChecks lists the serious-finding probes the checklist links that gave no
// judgement on the endpoint they need. Serious checks apply whatever the state of the items
// linking them: exposing patient data is never "not applicable".
func untestedSeriousChecks(cl *checklist.Checklist, outcomes map[string][]ProbeOutcome, unprobed map[string]Unprobed) []string {
	var out []string
	for _, id := range linkedSerious(cl) {
		judged := false
		for _, o := range outcomes[id] {
			if judgement(o.Status) {
				judged = true
			}
		}
		if _, gone := unprobed[id]; gone || !judged {
			out = append(out, id)
		}
	}
	return out
}

// linkedSerious lists the serious-finding probes that some item of the checklist links.
func linkedSerious(cl *checklist.Checklist) []string {
	var out []string
	for _, c := range SeriousChecks() {
		for _, d := range cl.Domains {
			for _, it := range d.Items {
				if slices.Contains(it.Probes, c.ProbeID) && !slices.Contains(out, c.ProbeID) {
					out = append(out, c.ProbeID)
				}
			}
		}
	}
	return out
}

func warningNotice(in Input) WarningNotice {
	itemsOf := map[string][]string{}
	for _, d := range in.Checklist.Domains {
		for _, it := range d.Items {
			for _, p := range it.Probes {
				itemsOf[p] = append(itemsOf[p], it.ID)
			}
		}
	}
	var wn WarningNotice
	seen := map[string]bool{}
	linked := linkedSerious(in.Checklist)
	for _, o := range in.Probes {
		finding, serious := seriousFinding(o.ProbeID)
		if !serious || !slices.Contains(linked, o.ProbeID) || o.Status != probeFail || seen[o.ProbeID] {
			continue
		}
		seen[o.ProbeID] = true
		sf := SeriousFinding{ProbeID: o.ProbeID, Finding: finding, EvidenceID: o.EvidenceID, Items: itemsOf[o.ProbeID]}
		wn.Findings = append(wn.Findings, sf)
		reason := finding + " (probe " + o.ProbeID
		if o.EvidenceID != "" {
			reason += ", evidence " + o.EvidenceID
		}
		wn.Reasons = append(wn.Reasons, reason+")")
	}
	if len(wn.Findings) > 0 {
		wn.Flagged = true
		wn.Section = warningSection(in.OrgType)
	}
	return wn
}

// limitations lists what the assessment could not examine, item by item.
func limitations(items []ItemResult) []string {
	var out []string
	reasons := map[string][]string{} // reason → probes
	var order []string
	for _, ir := range items {
		if ir.Status == NotApplicable || ir.Status == Waived {
			continue
		}
		for _, pc := range ir.Probes {
			if pc.Status != NotProbed {
				continue
			}
			if _, ok := reasons[pc.Reason]; !ok {
				order = append(order, pc.Reason)
			}
			if !slices.Contains(reasons[pc.Reason], ir.ItemID) {
				reasons[pc.Reason] = append(reasons[pc.Reason], ir.ItemID)
			}
		}
	}
	for _, r := range order {
		out = append(out, fmt.Sprintf("%s: %s unverified", r, plural("item", reasons[r])))
	}
	var untested []string
	for _, ir := range items {
		if ir.Status == NotApplicable || ir.Status == Waived || !ir.Unverified {
			continue
		}
		noPoint := false
		for _, pc := range ir.Probes {
			if pc.Status == NotProbed {
				noPoint = true
			}
		}
		if !noPoint {
			untested = append(untested, ir.ItemID)
		}
	}
	if len(untested) > 0 {
		out = append(out, fmt.Sprintf("no linked probe could give a judgement (skipped, not applicable, could not test or not run): %s unverified", plural("item", untested)))
	}
	return out
}

func orgTypeList() string {
	var s []string
	for _, t := range checklist.OrgTypes() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

func indexClaims(in Input) (map[string]*Claim, error) {
	known := map[string]bool{}
	for _, d := range in.Checklist.Domains {
		for _, it := range d.Items {
			known[it.ID] = true
		}
	}
	claims := make(map[string]*Claim, len(in.Claims))
	for i := range in.Claims {
		c := &in.Claims[i]
		where := fmt.Sprintf("claim %d (item %q)", i+1, c.ItemID)
		if !known[c.ItemID] {
			return nil, fmt.Errorf("%s: no such item in checklist %s", where, in.Checklist.Ref())
		}
		if claims[c.ItemID] != nil {
			return nil, fmt.Errorf("%s: item already has a claim; give one claim per item", where)
		}
		if !c.Status.valid() {
			return nil, fmt.Errorf("%s: status %q is not one of answered, not-applicable, not-reviewed, waived, error", where, c.Status)
		}
		switch c.Provenance {
		case "", SelfAssessed, InspectorVerified:
		case ProbeVerified:
			return nil, fmt.Errorf("%s: provenance probe-verified is set by scoring from probe results; a claim is self-assessed or inspector-verified", where)
		default:
			return nil, fmt.Errorf("%s: provenance %q is not self-assessed or inspector-verified", where, c.Provenance)
		}
		if c.Status == Answered && (c.Level < 1 || c.Level > 4) {
			return nil, fmt.Errorf("%s: answered claim needs a level 1-4, got %d", where, c.Level)
		}
		if c.Status == Waived {
			switch {
			case c.Waiver == nil:
				return nil, fmt.Errorf("%s: waived claim needs a waiver with a reason and an expiry date", where)
			case strings.TrimSpace(c.Waiver.Reason) == "":
				return nil, fmt.Errorf("%s: waiver needs a reason", where)
			case c.Waiver.Expires.IsZero():
				return nil, fmt.Errorf("%s: waiver needs an expiry date", where)
			case in.AsOf.IsZero():
				return nil, fmt.Errorf("%s: a waiver is only judged against the assessment date; set AsOf", where)
			}
		}
		claims[c.ItemID] = c
	}
	return claims, nil
}

func indexOutcomes(outs []ProbeOutcome) (map[string][]ProbeOutcome, error) {
	idx := map[string][]ProbeOutcome{}
	for i, o := range outs {
		where := fmt.Sprintf("probe outcome %d (%q)", i+1, o.ProbeID)
		if o.ProbeID == "" {
			return nil, fmt.Errorf("%s: probe id is empty", where)
		}
		if !o.Status.Valid() {
			return nil, fmt.Errorf("%s: status %q is not one of pass, fail, warn, info, skip, not-applicable, error", where, o.Status)
		}
		if !o.Severity.Valid() {
			return nil, fmt.Errorf("%s: severity %q is not one of critical, high, medium, low, info", where, o.Severity)
		}
		idx[o.ProbeID] = append(idx[o.ProbeID], o)
	}
	return idx, nil
}

func indexUnprobed(us []Unprobed) (map[string]Unprobed, error) {
	idx := map[string]Unprobed{}
	for i, u := range us {
		where := fmt.Sprintf("unprobed %d (%q)", i+1, u.ProbeID)
		switch {
		case u.ProbeID == "":
			return nil, fmt.Errorf("%s: probe id is empty", where)
		case strings.TrimSpace(u.Reason) == "":
			return nil, fmt.Errorf("%s: say why the probe was not pointed at the endpoint it needs", where)
		case u.Severity != "" && !u.Severity.Valid():
			return nil, fmt.Errorf("%s: severity %q is not one of critical, high, medium, low, info", where, u.Severity)
		}
		idx[u.ProbeID] = u
	}
	return idx, nil
}

// judgement reports whether a probe status is a judgement (pass, fail or warn).
func judgement(status verdict.Status) bool { return status.Judged() }

// probeVerdict is what an item's linked probes say.
type probeVerdict struct {
	checks   []ProbeCheck
	decisive bool // at least one pass, fail or warn
	allPass  bool // every decisive outcome passed
	allError bool // something ran and every outcome was an error
	cap      int  // verified level when not allPass: 1, 2 or 3
	// worstUntested is the lowest level a probe whose evidence is missing (could not test, not
	// run, not probed) could have capped the item at, had it failed: 4 when none is missing.
	worstUntested int
	// worstUnprobed is the same for the probes not pointed at their endpoint only: the level
	// the item counts at most, since a missing endpoint is a gap in the evidence, not a pass.
	worstUnprobed int
	reasons       []string
}

func judgeProbes(it *checklist.Item, outcomes map[string][]ProbeOutcome, unprobed map[string]Unprobed) probeVerdict {
	v := probeVerdict{allPass: true, cap: 3, worstUntested: 4, worstUnprobed: 4}
	ran, errs := 0, 0
	for _, id := range it.Probes {
		if u, ok := unprobed[id]; ok {
			v.checks = append(v.checks, ProbeCheck{ProbeID: id, Status: NotProbed, Severity: u.Severity, Reason: u.Reason})
			v.reasons = append(v.reasons, fmt.Sprintf("probe %s was not probed (%s): not counted", id, u.Reason))
			v.worstUntested = min(v.worstUntested, untestedCap(u.Severity))
			v.worstUnprobed = min(v.worstUnprobed, untestedCap(u.Severity))
			continue
		}
		outs := outcomes[id]
		if len(outs) == 0 {
			v.checks = append(v.checks, ProbeCheck{ProbeID: id, Status: NotRun})
			v.reasons = append(v.reasons, fmt.Sprintf("probe %s was not run: not counted", id))
			v.worstUntested = 1
			continue
		}
		for _, o := range outs {
			ran++
			c := ProbeCheck{ProbeID: id, Status: o.Status, Severity: o.Severity}
			switch o.Status {
			case probeInfo:
				// Informational by design (a MAY): reported, neither a pass nor a fail.
			case probeSkip, probeNotApplicable, probeError:
				if o.Status == probeError {
					// Could not test: evidence missing, so the worst it could have shown
					// stays possible. A skip or not-applicable is the probe's own finding
					// that its test does not apply here, not missing evidence.
					errs++
					v.worstUntested = min(v.worstUntested, untestedCap(o.Severity))
				}
				v.reasons = append(v.reasons, fmt.Sprintf("probe %s: %s, not counted", id, o.Status))
			case probePass:
				c.Counted, v.decisive = true, true
			case probeFail, probeWarn:
				c.Counted, v.decisive, v.allPass = true, true, false
				lvl := capFor(o.Status, o.Severity)
				v.reasons = append(v.reasons, fmt.Sprintf("probe %s: %s (%s) caps the level at %d", id, o.Status, o.Severity, lvl))
				v.cap = min(v.cap, lvl)
			}
			v.checks = append(v.checks, c)
		}
	}
	v.allError = ran > 0 && errs == ran
	return v
}

// untestedCap is the level a probe that gave no judgement would have capped its item at had it
// failed; 1 when its severity is unknown.
func untestedCap(severity verdict.Severity) int {
	if severity == "" {
		return 1
	}
	return capFor(probeFail, severity)
}

// capFor is the highest level an item can be verified at after one failed or warned probe.
func capFor(status verdict.Status, severity verdict.Severity) int {
	if status == probeWarn {
		return 3
	}
	switch severity {
	case sevCritical, sevHigh:
		return 1
	case sevMedium, sevLow:
		return 2
	}
	return 3
}

// claimStrength is the evidence strength of a claim on its own, and the highest level it reaches.
func claimStrength(c *Claim, prov Provenance) (EvidenceStrength, int) {
	switch {
	case prov == InspectorVerified:
		return ObservedByInspector, 4
	case c.Documents > 0:
		return AttestedByTrust, 4
	}
	return SelfReported, SelfReportedCap
}

func scoreItem(it *checklist.Item, claim *Claim, outcomes map[string][]ProbeOutcome, unprobed map[string]Unprobed, in Input) ItemResult {
	ir := ItemResult{
		ItemID:    it.ID,
		Mandatory: it.MandatoryForType(in.OrgType),
		Critical:  it.Critical,
		Weight:    max(it.Weight, 1),
	}
	pv := judgeProbes(it, outcomes, unprobed)
	ir.Probes = pv.checks

	claimErrored := false
	if claim != nil {
		switch claim.Status {
		case NotApplicable:
			ir.Status = NotApplicable
			ir.Reasons = append(ir.Reasons, "marked not applicable")
			if pv.decisive {
				ir.Reasons = append(ir.Reasons, "probe results are reported but not scored")
			}
			return ir
		case Waived:
			w := *claim.Waiver
			if in.AsOf.Before(w.Expires) {
				ir.Status, ir.Waiver = Waived, &w
				ir.Reasons = append(ir.Reasons, fmt.Sprintf("waived until %s: %s", w.Expires.Format("2006-01-02"), w.Reason))
				return ir
			}
			ir.Waiver = &w
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("waiver expired on %s: counts as not reviewed", w.Expires.Format("2006-01-02")))
			claim = nil
		case NotReviewed:
			claim = nil
		case Errored:
			ir.Reasons = append(ir.Reasons, "the answer could not be recorded (error)")
			claimErrored = true
			claim = nil
		}
	}
	linked := len(it.Probes) > 0

	if claim == nil {
		if !pv.decisive {
			ir.Status = NotReviewed
			if claimErrored || pv.allError {
				ir.Status = Errored
			}
			ir.Unverified = linked
			if !claimErrored && len(ir.Reasons) == 0 {
				ir.Reasons = append(ir.Reasons, fmt.Sprintf("no answer recorded: counts as level %d in the figure", NotAssessedLevel))
			}
			ir.Reasons = append(ir.Reasons, pv.reasons...)
			return ir
		}
		ir.Status = Answered
		ir.Verified = pv.cap
		ir.Final = min(ir.Verified, pv.worstUnprobed)
		ir.Provenance = ProbeVerified
		ir.Evidence = VerifiedByProbe
		// Probes test the technical part of an item; with no answer for the rest, the
		// evidence leaves level 1 possible.
		ir.Floor = 1
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("no claim: scored from probes alone at level %d; with no answer for the rest of the item the evidence leaves level 1 possible", ir.Final))
		ir.Reasons = append(ir.Reasons, pv.reasons...)
		p := LevelPercent(ir.Final)
		ir.Percent = &p
		return ir
	}

	ir.Status = Answered
	ir.Claimed = claim.Level
	ir.ClaimProvenance = claim.Provenance
	if ir.ClaimProvenance == "" {
		ir.ClaimProvenance = SelfAssessed
	}
	strength, claimCap := claimStrength(claim, ir.ClaimProvenance)
	capNote := func() {
		if ir.Claimed > claimCap && ir.Final == claimCap {
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("level %d rests on the trust's word alone (no document cited, not observed by the inspector): counted at %d", ir.Claimed, claimCap))
		}
	}
	switch {
	case pv.decisive:
		if pv.allPass {
			// Passing probes confirm the technical part and do not contradict any claim.
			ir.Verified = max(3, ir.Claimed)
		} else {
			ir.Verified = pv.cap
		}
		ir.Final = min(ir.Claimed, ir.Verified, claimCap, pv.worstUnprobed)
		gap := ir.Claimed - ir.Verified
		ir.Gap = &gap
		ir.OverClaimed = gap > 0
		ir.Provenance = ProbeVerified
		ir.Evidence = VerifiedByProbe
		switch {
		case gap > 0:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), probes contradict it and verify %d: capped at %d (over-claimed)", ir.Claimed, ir.ClaimProvenance, ir.Verified, ir.Final))
		case gap < 0:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), probes verify %d: the claim stands", ir.Claimed, ir.ClaimProvenance, ir.Verified))
		default:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), confirmed by probes", ir.Claimed, ir.ClaimProvenance))
		}
		capNote()
		ir.Floor = min(ir.Final, pv.worstUntested)
	case linked:
		ir.Final = min(ir.Claimed, UnverifiedCap, claimCap, pv.worstUnprobed)
		ir.Provenance = ir.ClaimProvenance
		ir.Evidence = strength
		ir.Unverified = true
		ir.Floor = min(ir.Final, pv.worstUntested)
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s); no linked probe could give a judgement, so the claim is unverified and counted at most at %d", ir.Claimed, ir.ClaimProvenance, UnverifiedCap))
	default:
		ir.Final = min(ir.Claimed, claimCap)
		ir.Provenance = ir.ClaimProvenance
		ir.Evidence = strength
		ir.Floor = ir.Final
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s)", ir.Claimed, ir.ClaimProvenance))
		capNote()
	}
	if pv.worstUnprobed < 4 && ir.Final == pv.worstUnprobed {
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("a linked probe was not pointed at the endpoint it needs: the item counts at most at %d, as if that probe had failed", pv.worstUnprobed))
	}
	ir.Reasons = append(ir.Reasons, pv.reasons...)
	p := LevelPercent(ir.Final)
	ir.Percent = &p
	return ir
}

func scoreDomain(d checklist.Domain, items []ItemResult) DomainResult {
	dr := DomainResult{ID: d.ID, Title: d.Title, Items: len(items)}
	var sum, claimedSum, weights float64
	for _, ir := range items {
		if ir.Status != NotApplicable {
			dr.Applicable++
		}
		if ir.Status == Answered {
			dr.Scored++
		}
		l, ok := figureLevel(ir, func(ir ItemResult) int { return ir.Final })
		if !ok {
			continue
		}
		sum += float64(ir.Weight) * LevelPercent(l)
		weights += float64(ir.Weight)
		// What the domain would score if every claim were taken as made; items nobody
		// claimed count at the level the evidence gave them.
		claimed := l
		if ir.Claimed > 0 {
			claimed = ir.Claimed
		}
		claimedSum += float64(ir.Weight) * LevelPercent(claimed)
	}
	if weights > 0 {
		p, cp := sum/weights, claimedSum/weights
		dr.Percent, dr.ClaimedPercent = &p, &cp
	}
	if dr.Scored == 0 {
		dr.LevelReason = "no item answered"
		return dr
	}
	dr.Level, dr.LevelReason = domainLevel(items)
	return dr
}

// domainLevel applies the gates in order and stops at the first one not met.
func domainLevel(items []ItemResult) (int, string) {
	gates := []func() string{
		// level 2
		func() string {
			for _, ir := range items {
				if ir.Status == Answered && ir.Final < 2 {
					return fmt.Sprintf("level 2 needs no item at level 1: %s is at level 1", ir.ItemID)
				}
			}
			return ""
		},
		// level 3
		func() string {
			for _, ir := range items {
				if !ir.Mandatory || ir.Status == NotApplicable {
					continue
				}
				if ir.Status != Answered {
					return fmt.Sprintf("level 3 needs every mandatory item achieved: %s is %s", ir.ItemID, ir.Status)
				}
				if ir.Final < 3 {
					return fmt.Sprintf("level 3 needs every mandatory item achieved: %s is at level %d", ir.ItemID, ir.Final)
				}
			}
			return ""
		},
		// level 4
		func() string {
			for _, ir := range items {
				if ir.Status == Answered && ir.Final < 3 {
					return fmt.Sprintf("level 4 needs every item achieved: %s is at level %d", ir.ItemID, ir.Final)
				}
				if ir.Status == NotReviewed || ir.Status == Errored {
					return fmt.Sprintf("level 4 needs every applicable item assessed: %s is %s", ir.ItemID, ir.Status)
				}
			}
			return ""
		},
		// level 5
		func() string {
			for _, ir := range items {
				if ir.Status == Answered && ir.Final < 4 {
					return fmt.Sprintf("level 5 needs every item at level 4: %s is at level %d", ir.ItemID, ir.Final)
				}
				if ir.Status == Waived {
					return fmt.Sprintf("level 5 needs no waived item: %s is waived", ir.ItemID)
				}
			}
			return ""
		},
	}
	level := 1
	for _, gate := range gates {
		if why := gate(); why != "" {
			return level, why
		}
		level++
	}
	return level, ""
}

func completeness(cl *checklist.Checklist, items []ItemResult, outcomes map[string][]ProbeOutcome, unprobed map[string]Unprobed) Completeness {
	c := Completeness{Items: len(items), Threshold: CompletenessThreshold}
	for _, ir := range items {
		switch ir.Status {
		case Answered:
			c.Scored++
			if ir.Unverified {
				c.Unverified = append(c.Unverified, ir.ItemID)
			}
		case NotApplicable:
			c.NotApplicable++
			continue
		case NotReviewed:
			c.NotReviewed++
		case Waived:
			c.Waived++
			if ir.Mandatory {
				c.WaivedMandatory = append(c.WaivedMandatory, ir.ItemID)
			}
		case Errored:
			c.Errored++
		}
		c.Applicable++
		if ir.Status == NotReviewed || ir.Status == Errored {
			c.Missing = append(c.Missing, ir.ItemID)
			if ir.Mandatory {
				c.MissingMandatory = append(c.MissingMandatory, ir.ItemID)
			}
		}
	}
	if c.Applicable > 0 {
		c.Share = float64(c.Scored) / float64(c.Applicable)
	}
	// Probes of applicable items that gave no result on the endpoint they need.
	applicable := map[string]bool{}
	for _, ir := range items {
		applicable[ir.ItemID] = ir.Status != NotApplicable && ir.Status != Waived
	}
	seen := map[string]bool{}
	for _, d := range cl.Domains {
		for _, it := range d.Items {
			if !applicable[it.ID] {
				continue
			}
			for _, id := range it.Probes {
				if seen[id] {
					continue
				}
				seen[id] = true
				_, gone := unprobed[id]
				outs := outcomes[id]
				errored := len(outs) > 0
				for _, o := range outs {
					if o.Status != probeError {
						errored = false
					}
				}
				if gone || len(outs) == 0 || errored {
					c.Untested = append(c.Untested, id)
				}
			}
		}
	}
	slices.Sort(c.Untested)
	c.Incomplete = c.Applicable == 0 || len(c.Missing) > 0 || len(c.Untested) > 0
	c.Status = CompleteWord
	if c.Incomplete {
		c.Status = IncompleteWord
	}
	return c
}

// warningSection is the Health and Social Care Act 2008 section a Warning Notice would be
// issued under: 29A for NHS trusts and foundation trusts, 29 for other registered providers.
// ICBs commission rather than provide regulated activities, so neither applies.
func warningSection(t checklist.OrgType) string {
	switch t {
	case checklist.AcuteTrust, checklist.MentalHealthTrust, checklist.CommunityTrust, checklist.AmbulanceTrust:
		return "29A"
	case checklist.GPPractice, checklist.SocialCareProvider:
		return "29"
	}
	return ""
}

// plural names one or more ids: "item A" or "items A, B".
func plural(noun string, ids []string) string {
	if len(ids) == 1 {
		return noun + " " + ids[0]
	}
	return noun + "s " + strings.Join(ids, ", ")
}

// layers scores each interoperability layer over the items tagged with it, in layer order.
func layers(cl *checklist.Checklist, items []ItemResult) []LayerResult {
	layerOf := map[string]checklist.Layer{}
	for _, d := range cl.Domains {
		for _, it := range d.Items {
			layerOf[it.ID] = it.Layer
		}
	}
	out := make([]LayerResult, 0, len(checklist.Layers()))
	for _, l := range checklist.Layers() {
		lr := LayerResult{Layer: l}
		var sum, weights float64
		for _, ir := range items {
			if layerOf[ir.ItemID] != l {
				continue
			}
			lr.Items++
			if ir.Status == Answered {
				lr.Scored++
			}
			if lvl, ok := figureLevel(ir, func(ir ItemResult) int { return ir.Final }); ok {
				sum += float64(ir.Weight) * LevelPercent(lvl)
				weights += float64(ir.Weight)
			}
		}
		if weights > 0 {
			p := sum / weights
			lr.Percent = &p
		}
		out = append(out, lr)
	}
	return out
}
