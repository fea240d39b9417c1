package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
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
			Rating:        in.Score.Rating,
			RatingLabel:   in.Score.Rating.Label(),
			BandRating:    in.Score.BandRating,
			Percent:       in.Score.Percent,
			Limiters:      in.Score.Limiters,
			WarningNotice: in.Score.WarningNotice,
			Completeness:  in.Score.Completeness,
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
			if *ir.Gap > 0 {
				r.Summary.OverClaims++
			}
		}
		if ir.Status == scoring.Answered && ir.Final < 3 {
			rec := Recommendation{
				ItemID: ir.ItemID, Title: it.Title, CurrentLevel: ir.Final, TargetLevel: ir.Final + 1,
				Statement: it.Levels.Statement(ir.Final + 1), Mandatory: ir.Mandatory, Critical: ir.Critical,
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
				Exchanges: pr.Exchanges, Items: linkedItems[pr.ProbeID],
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

	r.Evidence = append(r.Evidence, in.Evidence...)
	slices.SortStableFunc(r.Evidence, func(a, b Evidence) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), strings.Compare(a.ExchangeID, b.ExchangeID))
	})
	slices.SortStableFunc(r.Attestations, func(a, b Attestation) int {
		return cmp.Or(a.When.Compare(b.When), strings.Compare(a.ID, b.ID))
	})
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
