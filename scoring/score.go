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

	res := Result{
		Checklist: in.Checklist.Ref(),
		OrgType:   in.OrgType,
		AsOf:      in.AsOf,
	}
	var domainSum float64
	var domainsScored int
	for _, d := range in.Checklist.Domains {
		var items []ItemResult
		for i := range d.Items {
			it := &d.Items[i]
			ir := scoreItem(it, claims[it.ID], outcomes, in)
			ir.DomainID = d.ID
			items = append(items, ir)
		}
		dr := scoreDomain(d, items)
		if dr.Percent != nil {
			domainSum += *dr.Percent
			domainsScored++
		}
		res.Domains = append(res.Domains, dr)
		res.Items = append(res.Items, items...)
	}
	res.Completeness = completeness(res.Items)
	res.Layers = layers(in.Checklist, res.Items)

	res.BandRating = NotRated
	if domainsScored > 0 {
		p := domainSum / float64(domainsScored)
		res.Percent = &p
		res.BandRating = BandFor(p)
	}
	res.Rating = res.BandRating
	applyLimiters(&res, in)
	return res, nil
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

// probeVerdict is what an item's linked probes say.
type probeVerdict struct {
	checks   []ProbeCheck
	decisive bool // at least one pass, fail or warn
	allPass  bool // every decisive outcome passed
	allError bool // something ran and every outcome was an error
	cap      int  // verified level when not allPass: 1, 2 or 3
	reasons  []string
}

func judgeProbes(it *checklist.Item, outcomes map[string][]ProbeOutcome) probeVerdict {
	v := probeVerdict{allPass: true, cap: 3}
	ran, errs := 0, 0
	for _, id := range it.Probes {
		outs := outcomes[id]
		if len(outs) == 0 {
			v.checks = append(v.checks, ProbeCheck{ProbeID: id, Status: NotRun})
			v.reasons = append(v.reasons, fmt.Sprintf("probe %s was not run: not counted", id))
			continue
		}
		for _, o := range outs {
			ran++
			c := ProbeCheck{ProbeID: id, Status: o.Status, Severity: o.Severity}
			switch o.Status {
			case probeInfo, probeSkip, probeNotApplicable, probeError:
				if o.Status == probeError {
					errs++
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

func scoreItem(it *checklist.Item, claim *Claim, outcomes map[string][]ProbeOutcome, in Input) ItemResult {
	ir := ItemResult{
		ItemID:    it.ID,
		Mandatory: it.MandatoryForType(in.OrgType),
		Critical:  it.Critical,
		Weight:    max(it.Weight, 1),
	}
	pv := judgeProbes(it, outcomes)
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
				ir.Reasons = append(ir.Reasons, "no answer recorded")
			}
			ir.Reasons = append(ir.Reasons, pv.reasons...)
			return ir
		}
		ir.Status = Answered
		ir.Verified = verifiedLevel(pv, 0, "")
		ir.Final = ir.Verified
		ir.Provenance = ProbeVerified
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("no claim: scored from probes alone at level %d", ir.Final))
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
	switch {
	case pv.decisive:
		ir.Verified = verifiedLevel(pv, claim.Level, ir.ClaimProvenance)
		ir.Final = min(ir.Claimed, ir.Verified)
		gap := ir.Claimed - ir.Verified
		ir.Gap = &gap
		ir.Provenance = ProbeVerified
		switch {
		case gap > 0:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), probes verify %d: capped at %d", ir.Claimed, ir.ClaimProvenance, ir.Verified, ir.Final))
			if pv.allPass && ir.Claimed == 4 {
				ir.Reasons = append(ir.Reasons, "level 4 needs an inspector-verified claim; probes alone confirm level 3")
			}
		case gap < 0:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), probes verify %d: the claim stands", ir.Claimed, ir.ClaimProvenance, ir.Verified))
		default:
			ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s), confirmed by probes", ir.Claimed, ir.ClaimProvenance))
		}
	case linked:
		ir.Final = ir.Claimed
		ir.Provenance = ir.ClaimProvenance
		ir.Unverified = true
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s); no probe gave a pass, fail or warn, so the level rests on the claim (unverified)", ir.Claimed, ir.ClaimProvenance))
	default:
		ir.Final = ir.Claimed
		ir.Provenance = ir.ClaimProvenance
		ir.Reasons = append(ir.Reasons, fmt.Sprintf("claimed %d (%s)", ir.Claimed, ir.ClaimProvenance))
	}
	ir.Reasons = append(ir.Reasons, pv.reasons...)
	p := LevelPercent(ir.Final)
	ir.Percent = &p
	return ir
}

func verifiedLevel(pv probeVerdict, claimed int, prov Provenance) int {
	if !pv.allPass {
		return pv.cap
	}
	if claimed == 4 && prov == InspectorVerified {
		return 4
	}
	return 3
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
			sum += float64(ir.Weight) * *ir.Percent
			weights += float64(ir.Weight)
			// What the domain would score if every claim were taken as made; items nobody
			// claimed count at the level the evidence gave them.
			claimed := ir.Final
			if ir.Claimed > 0 {
				claimed = ir.Claimed
			}
			claimedSum += float64(ir.Weight) * LevelPercent(claimed)
		}
	}
	if dr.Scored == 0 {
		dr.LevelReason = "no item answered"
		return dr
	}
	p, cp := sum/weights, claimedSum/weights
	dr.Percent, dr.ClaimedPercent = &p, &cp
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

func completeness(items []ItemResult) Completeness {
	c := Completeness{Items: len(items)}
	for _, ir := range items {
		switch ir.Status {
		case Answered:
			c.Scored++
		case NotApplicable:
			c.NotApplicable++
			continue
		case NotReviewed:
			c.NotReviewed++
		case Waived:
			c.Waived++
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
	c.Incomplete = c.Applicable == 0 || len(c.Missing) > 0
	return c
}

func applyLimiters(res *Result, in Input) {
	var notAchieved []string
	for _, ir := range res.Items {
		if ir.Status == Answered && ir.Mandatory && ir.Final == 1 {
			notAchieved = append(notAchieved, ir.ItemID)
		}
	}
	if len(notAchieved) > 0 && res.Rating.rank() > RequiresImprovement.rank() {
		res.Limiters = append(res.Limiters, fmt.Sprintf("mandatory %s at level 1: rating capped at Requires improvement", plural("item", notAchieved)))
		res.Rating = RequiresImprovement
	}

	var critical []string
	seen := map[string]bool{}
	for _, o := range in.Probes {
		if o.Status == probeFail && o.Severity == sevCritical && !seen[o.ProbeID] {
			seen[o.ProbeID] = true
			critical = append(critical, fmt.Sprintf("critical probe %s failed", o.ProbeID))
		}
	}
	for _, ir := range res.Items {
		if ir.Status == Answered && ir.Critical && ir.Final == 1 {
			critical = append(critical, fmt.Sprintf("critical item %s is at level 1", ir.ItemID))
		}
	}
	if len(critical) == 0 {
		return
	}
	if res.Rating != Inadequate {
		res.Limiters = append(res.Limiters, "critical failure: rating Inadequate")
		res.Rating = Inadequate
	}
	res.WarningNotice = WarningNotice{Flagged: true, Section: warningSection(in.OrgType), Reasons: critical}
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
				sum += float64(ir.Weight) * *ir.Percent
				weights += float64(ir.Weight)
			}
		}
		if lr.Scored > 0 {
			p := sum / weights
			lr.Percent = &p
		}
		out = append(out, lr)
	}
	return out
}
