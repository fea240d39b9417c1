package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Input is what a report is built from, already in the report's own types: assess turns the
// evidence store's records into these rows, and Build derives the findings, gaps and
// recommendations from them and the score.
type Input struct {
	Organisation Organisation
	Assessment   AssessmentInfo
	Checklist    *checklist.Checklist
	// ChecklistSHA256 is the hash of the checklist file the assessment recorded; when empty the
	// checklist's own SHA256 (set by the loader) is used.
	ChecklistSHA256 string
	Score           scoring.Result
	// Probes are the probe result rows.
	Probes []ProbeResult
	// Evidence are the digests of the recorded HTTP exchanges.
	Evidence     []Evidence
	Attestations []Attestation
	// Owners are the owners the trust named per item in its answers.
	Owners map[string]string
	// GeneratedAt is required: it is printed and fixes the files' metadata.
	GeneratedAt time.Time
	Generator   string
}

// Build assembles the report model. It checks that the score belongs to the checklist given.
func Build(in Input) (*Report, error) {
	if in.Checklist == nil {
		return nil, errors.New("build report: no checklist given")
	}
	if in.GeneratedAt.IsZero() {
		return nil, errors.New("build report: GeneratedAt is required (it fixes the report date and file metadata)")
	}
	if in.Score.Checklist != in.Checklist.Ref() {
		return nil, fmt.Errorf("build report: score is for checklist %q but the checklist given is %s", in.Score.Checklist, in.Checklist.Ref())
	}
	items := map[string]*checklist.Item{}
	for di := range in.Checklist.Domains {
		for ii := range in.Checklist.Domains[di].Items {
			it := &in.Checklist.Domains[di].Items[ii]
			items[it.ID] = it
		}
	}

	r := &Report{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   in.GeneratedAt,
		Generator:     in.Generator,
		Organisation:  in.Organisation,
		Assessment:    in.Assessment,
		Checklist: ChecklistInfo{
			ID: in.Checklist.ID, Version: in.Checklist.Version, Title: in.Checklist.Title,
			SHA256: cmp.Or(in.ChecklistSHA256, in.Checklist.SHA256),
		},
		Summary: Summary{
			Rating:            in.Score.Rating,
			RatingLabel:       in.Score.Rating.Label(),
			BandRating:        in.Score.BandRating,
			ProvisionalRating: in.Score.ProvisionalRating,
			Percent:           in.Score.Percent,
			Provisional:       in.Score.Provisional,
			NotRatedReasons:   in.Score.NotRatedReasons,
			Status:            in.Score.Completeness.Status,
			IncompleteReasons: in.Score.Completeness.Reasons(),
			Limitations:       in.Score.Limitations,
			Limiters:          in.Score.Limiters,
			WarningNotice:     in.Score.WarningNotice,
			Completeness:      in.Score.Completeness,
		},
		Findings:        []Finding{},
		Gaps:            []Gap{},
		Recommendations: []Recommendation{},
		Probes:          []ProbeResult{},
		Evidence:        []Evidence{},
		Attestations:    slices.Clone(in.Attestations),
	}
	if r.Attestations == nil {
		r.Attestations = []Attestation{}
	}

	for _, d := range in.Score.Domains {
		dom := Domain{
			ID: d.ID, Title: d.Title, Percent: d.Percent, ClaimedPercent: d.ClaimedPercent, Level: d.Level,
			LevelReason: d.LevelReason, Items: d.Items, Applicable: d.Applicable, Scored: d.Scored,
			Finding: domainFinding(d, in.Score.Items, items),
		}
		if d.Percent != nil && d.ClaimedPercent != nil {
			over := *d.ClaimedPercent - *d.Percent
			dom.OverClaim = &over
		}
		r.Domains = append(r.Domains, dom)
	}

	r.Layers = []LayerScore{}
	for _, l := range in.Score.Layers {
		r.Layers = append(r.Layers, LayerScore{Layer: l.Layer, Title: LayerTitle(l.Layer), Percent: l.Percent, Items: l.Items, Scored: l.Scored})
	}

	for _, ir := range in.Score.Items {
		it := items[ir.ItemID]
		if it == nil {
			return nil, fmt.Errorf("build report: scored item %s is not in checklist %s", ir.ItemID, in.Checklist.Ref())
		}
		item := Item{
			ID: ir.ItemID, DomainID: ir.DomainID, Title: it.Title, Layer: it.Layer, Status: ir.Status,
			Claimed: ir.Claimed, Verified: ir.Verified, Final: ir.Final, Gap: ir.Gap,
			ClaimProvenance: ir.ClaimProvenance, Provenance: ir.Provenance, Unverified: ir.Unverified,
			OverClaimed: ir.OverClaimed, Evidence: ir.Evidence,
			Mandatory: ir.Mandatory, Critical: ir.Critical, Weight: ir.Weight, Percent: ir.Percent,
			Statement: it.Levels.Statement(ir.Final), Probes: ir.Probes, Waiver: ir.Waiver,
			Reasons: ir.Reasons, References: it.References,
		}
		r.Items = append(r.Items, item)
		if ir.Unverified && ir.Status == scoring.Answered {
			r.Summary.Unverified++
		}
		if ir.Gap != nil {
			r.Gaps = append(r.Gaps, Gap{
				ItemID: ir.ItemID, Title: it.Title, Claimed: ir.Claimed, Verified: ir.Verified, Final: ir.Final,
				Gap: *ir.Gap, ClaimProvenance: ir.ClaimProvenance,
			})
			if ir.OverClaimed {
				r.Summary.OverClaims++
			}
		}
		if ir.Status == scoring.Answered && ir.Final < 3 {
			rec := Recommendation{
				ItemID: ir.ItemID, Title: it.Title, CurrentLevel: ir.Final, TargetLevel: ir.Final + 1,
				Statement: it.Levels.Statement(ir.Final + 1), Mandatory: ir.Mandatory, Critical: ir.Critical,
				Owner: in.Owners[ir.ItemID], PriorityLabel: priorityLabel(ir),
			}
			if ir.Waiver != nil {
				rec.TargetDate = ir.Waiver.Expires.AddDate(0, 0, -1).Format(time.DateOnly)
			}
			for _, pc := range ir.Probes {
				if pc.Status == verdict.Fail || pc.Status == verdict.Warn {
					rec.FailedProbes = append(rec.FailedProbes, pc.ProbeID)
				}
			}
			r.Recommendations = append(r.Recommendations, rec)
		}
	}
	slices.SortStableFunc(r.Gaps, func(a, b Gap) int {
		return cmp.Or(cmp.Compare(b.Gap, a.Gap), strings.Compare(a.ItemID, b.ItemID))
	})
	slices.SortStableFunc(r.Recommendations, func(a, b Recommendation) int {
		return cmp.Or(
			boolFirst(a.Critical, b.Critical),
			boolFirst(a.Mandatory, b.Mandatory),
			cmp.Compare(a.CurrentLevel, b.CurrentLevel),
			cmp.Compare(itemWeight(items, b.ItemID), itemWeight(items, a.ItemID)),
			strings.Compare(a.ItemID, b.ItemID),
		)
	})
	for i := range r.Recommendations {
		r.Recommendations[i].Priority = i + 1
	}

	linkedItems := map[string][]string{}
	for _, d := range in.Checklist.Domains {
		for _, it := range d.Items {
			for _, p := range it.Probes {
				linkedItems[p] = append(linkedItems[p], it.ID)
			}
		}
	}
	for _, pr := range in.Probes {
		r.Probes = append(r.Probes, pr)
		r.Summary.Probes.add(pr.Status)
		if pr.Status == verdict.Fail || pr.Status == verdict.Warn {
			r.Findings = append(r.Findings, Finding{
				ProbeID: pr.ProbeID, Title: pr.Title, Status: pr.Status, Severity: pr.Severity,
				Expected: pr.Expected, Observed: pr.Observed, SpecRef: pr.SpecRef,
				ResultID: pr.ID, Exchanges: pr.Exchanges, Items: linkedItems[pr.ProbeID],
			})
		}
	}
	slices.SortStableFunc(r.Probes, func(a, b ProbeResult) int { return strings.Compare(a.ProbeID, b.ProbeID) })
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			boolFirst(a.Status == verdict.Fail, b.Status == verdict.Fail),
			strings.Compare(a.ProbeID, b.ProbeID),
		)
	})

	// The appendix is sorted by evidence id, so a reader can find any id cited in the report.
	r.Evidence = append(r.Evidence, in.Evidence...)
	slices.SortStableFunc(r.Evidence, func(a, b Evidence) int { return compareIDs(a.ExchangeID, b.ExchangeID) })
	slices.SortStableFunc(r.Attestations, func(a, b Attestation) int { return compareIDs(a.ID, b.ID) })
	return r, nil
}

func (c *ProbeCounts) add(s verdict.Status) {
	c.Total++
	switch s {
	case verdict.Pass:
		c.Pass++
	case verdict.Fail:
		c.Fail++
	case verdict.Warn:
		c.Warn++
	case verdict.Info:
		c.Info++
	case verdict.Skip:
		c.Skip++
	case verdict.NotApplicable:
		c.NotApplicable++
	case verdict.Error:
		c.Error++
	}
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

func itemWeight(items map[string]*checklist.Item, id string) int {
	if it := items[id]; it != nil {
		return it.Weight
	}
	return 0
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// compareIDs orders evidence ids ("EX-000123") by kind, then number, then text.
func compareIDs(a, b string) int {
	ak, an, _ := strings.Cut(a, "-")
	bk, bn, _ := strings.Cut(b, "-")
	return cmp.Or(strings.Compare(ak, bk), cmp.Compare(len(an), len(bn)), strings.Compare(an, bn))
}

// priorityLabel ranks a recommendation: High for a critical or mandatory item or a claim a
// probe contradicted, Medium for an item at level 1 or 2 otherwise (every recommendation is),
// Low never arises from scoring today but is kept for hand-added ones.
func priorityLabel(ir scoring.ItemResult) string {
	switch {
	case ir.Critical || ir.Mandatory || ir.OverClaimed || ir.Final == 1:
		return "High"
	case ir.Final == 2:
		return "Medium"
	}
	return "Low"
}

// domainFinding says what a domain's result means, in words a trust board understands.
func domainFinding(d scoring.DomainResult, all []scoring.ItemResult, items map[string]*checklist.Item) string {
	var achieved, partial, notAchieved, notAssessed, waived, checked int
	var contradicted, weakest []string
	worst := 5
	for _, ir := range all {
		if ir.DomainID != d.ID {
			continue
		}
		switch ir.Status {
		case scoring.Answered:
			switch {
			case ir.Final >= 3:
				achieved++
			case ir.Final == 2:
				partial++
			default:
				notAchieved++
			}
			if ir.Evidence == scoring.VerifiedByProbe {
				checked++
			}
			if ir.OverClaimed {
				contradicted = append(contradicted, ir.ItemID)
			}
			if ir.Final < worst {
				worst, weakest = ir.Final, nil
			}
			if ir.Final == worst && ir.Final < 3 {
				title := ir.ItemID
				if it := items[ir.ItemID]; it != nil {
					title += " (" + it.Title + ")"
				}
				weakest = append(weakest, title)
			}
		case scoring.NotReviewed, scoring.Errored:
			notAssessed++
		case scoring.Waived:
			waived++
		}
	}
	if d.Applicable == 0 {
		return "No item in this domain applies to this organisation."
	}
	var b strings.Builder
	if d.Percent != nil {
		fmt.Fprintf(&b, "%s (%.1f%%). ", bandWords(scoring.BandFor(*d.Percent)), *d.Percent)
	}
	fmt.Fprintf(&b, "Of %d applicable %s, %s achieved", d.Applicable, plural(d.Applicable, "item", "items"), count(achieved))
	if partial > 0 {
		fmt.Fprintf(&b, ", %s partially achieved", count(partial))
	}
	if notAchieved > 0 {
		fmt.Fprintf(&b, ", %s not achieved", count(notAchieved))
	}
	if notAssessed > 0 {
		fmt.Fprintf(&b, ", %s not assessed (counted as not achieved)", count(notAssessed))
	}
	if waived > 0 {
		fmt.Fprintf(&b, ", %s waived", count(waived))
	}
	b.WriteString(". ")
	if checked > 0 {
		fmt.Fprintf(&b, "Jigsaw's probes tested %s", count(checked))
		if len(contradicted) > 0 {
			fmt.Fprintf(&b, " and found the organisation's own rating too high on %s (%s)", count(len(contradicted)), strings.Join(contradicted, ", "))
		} else {
			b.WriteString(" and did not contradict the organisation's own ratings")
		}
		b.WriteString(". ")
	}
	if len(weakest) > 0 && worst < 3 {
		fmt.Fprintf(&b, "Weakest: %s, at level %d.", strings.Join(weakest, "; "), worst)
	}
	return strings.TrimSpace(b.String())
}

// bandWords are CQC's words for the quality of what a score band describes.
func bandWords(r scoring.Rating) string {
	switch r {
	case scoring.Outstanding:
		return "Exceptional standard"
	case scoring.Good:
		return "Good standard"
	case scoring.RequiresImprovement:
		return "Some shortfalls"
	}
	return "Significant shortfalls"
}

func count(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
