package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

// LeagueEntry is one organisation's scored assessment as the league table needs it.
type LeagueEntry struct {
	ODS     string            `json:"ods"`
	Name    string            `json:"name"`
	OrgType checklist.OrgType `json:"org_type"`
	Region  string            `json:"region"`
	// Percent is the overall score; provisional when Rating is not-rated (never ranked).
	Percent       *float64        `json:"percent,omitempty" jsonschema:"minimum=0,maximum=100"`
	Rating        Rating          `json:"rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	WarningNotice bool            `json:"warning_notice,omitempty"`
	Domains       []DomainPercent `json:"domains,omitempty"`
	// Assessment is the assessment's evidence id; AssessedAt when its fieldwork started.
	Assessment string    `json:"assessment,omitempty"`
	AssessedAt time.Time `json:"assessed_at,omitzero"`
	// Completeness is the share of applicable items assessed (0–1); Status is complete or
	// incomplete.
	Completeness float64 `json:"completeness" jsonschema:"minimum=0,maximum=1"`
	Status       string  `json:"status,omitempty" jsonschema:"enum=,enum=complete,enum=incomplete"`
	// Checklist is the checklist id@version scored against: one table ranks one checklist.
	Checklist string `json:"checklist,omitempty"`
}

// MinGroupForStatistics is the fewest rated organisations a group (national, or one peer
// group) needs before a league gives its median, quartiles, mean, percentiles or quartile
// positions. With fewer, a "median" or "top quartile" describes one or two organisations and
// misleads (an organisation alone in its group would be "quartile 4 (top)" whatever its score);
// the table says the statistics are withheld instead. Ranks are still given.
const MinGroupForStatistics = 5

// IsRated reports whether an entry takes part in ranks and statistics.
func (e LeagueEntry) IsRated() bool { return e.Rating != NotRated && e.Percent != nil }

// DomainPercent is one domain's score for one organisation.
type DomainPercent struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Percent float64 `json:"percent" jsonschema:"minimum=0,maximum=100"`
}

// EntryFromResult makes the league entry for a scored assessment.
func EntryFromResult(ods, name, region string, r Result) LeagueEntry {
	e := LeagueEntry{
		ODS: ods, Name: name, OrgType: r.OrgType, Region: region,
		Rating: r.Rating, WarningNotice: r.WarningNotice.Flagged,
		Completeness: r.Completeness.Share, Status: r.Completeness.Status, Checklist: r.Checklist,
	}
	if r.Percent != nil {
		p := *r.Percent
		e.Percent = &p
	}
	for _, d := range r.Domains {
		if d.Percent != nil {
			e.Domains = append(e.Domains, DomainPercent{ID: d.ID, Title: d.Title, Percent: *d.Percent})
		}
	}
	return e
}

// LeagueTable ranks organisations nationally and within peer groups.
type LeagueTable struct {
	// Rows are ranked rows, best first, then unrated rows by name.
	Rows     []LeagueRow          `json:"rows"`
	National Distribution         `json:"national"`
	Ratings  []RatingCount        `json:"ratings"`
	Domains  []DomainDistribution `json:"domains"`
	Peers    []PeerGroup          `json:"peers"`
	// HasHistory is true when a previous cycle was given; rows then carry Change.
	HasHistory bool `json:"has_history"`
}

// LeagueRow is one organisation's place in the table.
type LeagueRow struct {
	ODS     string            `json:"ods"`
	Name    string            `json:"name"`
	OrgType checklist.OrgType `json:"org_type"`
	Region  string            `json:"region"`
	// Percent is the league score (overall percentage to one decimal place); absent when not rated.
	Percent *float64 `json:"percent,omitempty"`
	// ProvisionalPercent is a not-rated organisation's provisional figure: shown, never ranked.
	ProvisionalPercent *float64 `json:"provisional_percent,omitempty"`
	Rating             Rating   `json:"rating" jsonschema:"enum=outstanding,enum=good,enum=requires-improvement,enum=inadequate,enum=not-rated"`
	WarningNotice      bool     `json:"warning_notice,omitempty"`
	// Rank is the national competition rank (ties share it); 0 when not rated.
	Rank int `json:"rank"`
	// Percentile is the national percentile rank 0–100; absent when not rated.
	Percentile *float64 `json:"percentile,omitempty"`
	// Quartile is the national quartile, 1 (bottom) to 4 (top); 0 when not rated.
	Quartile int `json:"quartile" jsonschema:"minimum=0,maximum=4"`
	// PeerGroup is "org-type / region".
	PeerGroup string `json:"peer_group"`
	// PeerRank, PeerSize, PeerPercentile and PeerQuartile count only rated organisations.
	PeerRank       int             `json:"peer_rank"`
	PeerSize       int             `json:"peer_size"`
	PeerPercentile *float64        `json:"peer_percentile,omitempty"`
	PeerQuartile   int             `json:"peer_quartile" jsonschema:"minimum=0,maximum=4"`
	Domains        []DomainPercent `json:"domains,omitempty"`
	Change         *Change         `json:"change,omitempty"`
	// Assessment, AssessedAt, Completeness, Status and Checklist are carried from the entry so
	// every league output says which assessment, when, and how complete it was.
	Assessment   string    `json:"assessment,omitempty"`
	AssessedAt   time.Time `json:"assessed_at,omitzero"`
	Completeness float64   `json:"completeness"`
	Status       string    `json:"status,omitempty"`
	Checklist    string    `json:"checklist,omitempty"`
}

// Change compares a row with the same organisation (by ODS code) in the previous cycle.
type Change struct {
	PreviousPercent *float64 `json:"previous_percent,omitempty"`
	PreviousRating  Rating   `json:"previous_rating"`
	PreviousRank    int      `json:"previous_rank"`
	// DeltaPercent is this cycle's score minus the previous one, in percentage points.
	DeltaPercent *float64 `json:"delta_percent,omitempty"`
	// RankChange is previous rank minus this rank: positive means the organisation moved up.
	RankChange int            `json:"rank_change"`
	Domains    []DomainChange `json:"domains,omitempty"`
}

// DomainChange is one domain's movement since the previous cycle.
type DomainChange struct {
	ID       string  `json:"id"`
	Previous float64 `json:"previous"`
	Delta    float64 `json:"delta"`
}

// Distribution summarises the scores of a group. With fewer than MinGroupForStatistics
// scores, Q1, Median, Q3 and Mean are left out (zero) and Withheld says why.
type Distribution struct {
	Count    int     `json:"count"`
	Min      float64 `json:"min"`
	Q1       float64 `json:"q1,omitempty"`
	Median   float64 `json:"median,omitempty"`
	Q3       float64 `json:"q3,omitempty"`
	Max      float64 `json:"max"`
	Mean     float64 `json:"mean,omitempty"`
	Withheld string  `json:"withheld,omitempty"`
}

// DomainDistribution is the distribution of one domain's scores.
type DomainDistribution struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Distribution `json:"distribution"`
}

// RatingCount counts organisations with a rating.
type RatingCount struct {
	Rating Rating `json:"rating"`
	Count  int    `json:"count"`
}

// PeerGroup summarises one organisation type in one region.
type PeerGroup struct {
	Key          string               `json:"key"`
	OrgType      checklist.OrgType    `json:"org_type"`
	Region       string               `json:"region"`
	Size         int                  `json:"size"`
	Distribution Distribution         `json:"distribution"`
	Domains      []DomainDistribution `json:"domains"`
}

// LeagueScore rounds an overall percentage to the one decimal place league tables print and
// rank on, so that equal printed scores share a rank.
func LeagueScore(percent float64) float64 { return math.Round(percent*10) / 10 }

// League builds the league table for one cycle. previous is the prior cycle's entries (nil
// when there is none); organisations are matched by ODS code.
func League(entries, previous []LeagueEntry) (LeagueTable, error) {
	if err := checkEntries("entry", entries); err != nil {
		return LeagueTable{}, err
	}
	if err := checkEntries("previous entry", previous); err != nil {
		return LeagueTable{}, err
	}

	if err := oneChecklist(entries, previous); err != nil {
		return LeagueTable{}, err
	}

	t := LeagueTable{HasHistory: previous != nil}
	rows := make([]LeagueRow, len(entries))
	var scores []float64
	for i, e := range entries {
		rows[i] = LeagueRow{
			ODS: e.ODS, Name: e.Name, OrgType: e.OrgType, Region: e.Region,
			Rating: e.Rating, WarningNotice: e.WarningNotice,
			PeerGroup:  peerKey(e.OrgType, e.Region),
			Domains:    roundDomains(e.Domains),
			Assessment: e.Assessment, AssessedAt: e.AssessedAt, Completeness: e.Completeness,
			Status: e.Status, Checklist: e.Checklist,
		}
		if e.Percent == nil {
			continue
		}
		s := LeagueScore(*e.Percent)
		if !e.IsRated() {
			// Not rated: listed apart with its provisional figure, never ranked.
			rows[i].ProvisionalPercent = &s
			continue
		}
		rows[i].Percent = &s
		scores = append(scores, s)
	}

	nationalStats := len(scores) >= MinGroupForStatistics
	for i := range rows {
		if rows[i].Percent == nil {
			continue
		}
		s := *rows[i].Percent
		rows[i].Rank = rankOf(s, scores)
		if nationalStats {
			pr := percentileRank(s, scores)
			rows[i].Percentile = &pr
			rows[i].Quartile = quartileOf(s, scores)
		}
	}
	t.National = distribution(scores)

	// Peer groups in first-appearance order, then sorted by key for a stable report.
	peerScores := map[string][]float64{}
	peerRows := map[string][]int{}
	var keys []string
	for i, r := range rows {
		if _, ok := peerRows[r.PeerGroup]; !ok {
			keys = append(keys, r.PeerGroup)
		}
		peerRows[r.PeerGroup] = append(peerRows[r.PeerGroup], i)
		if r.Percent != nil {
			peerScores[r.PeerGroup] = append(peerScores[r.PeerGroup], *r.Percent)
		}
	}
	slices.Sort(keys)
	domainOrder := domainOrder(entries)
	for _, k := range keys {
		ps := peerScores[k]
		var members []LeagueEntry
		for _, i := range peerRows[k] {
			members = append(members, entries[i])
			r := &rows[i]
			r.PeerSize = len(ps)
			if r.Percent == nil {
				continue
			}
			r.PeerRank = rankOf(*r.Percent, ps)
			if len(ps) >= MinGroupForStatistics {
				pr := percentileRank(*r.Percent, ps)
				r.PeerPercentile = &pr
				r.PeerQuartile = quartileOf(*r.Percent, ps)
			}
		}
		first := entries[peerRows[k][0]]
		t.Peers = append(t.Peers, PeerGroup{
			Key: k, OrgType: first.OrgType, Region: first.Region, Size: len(ps),
			Distribution: distribution(ps),
			Domains:      domainDistributions(domainOrder, members),
		})
	}
	t.Domains = domainDistributions(domainOrder, entries)

	for _, rt := range Ratings() {
		n := 0
		for _, r := range rows {
			if r.Rating == rt {
				n++
			}
		}
		t.Ratings = append(t.Ratings, RatingCount{Rating: rt, Count: n})
	}

	if previous != nil {
		addChanges(rows, previous)
	}

	slices.SortStableFunc(rows, func(a, b LeagueRow) int {
		if (a.Rank == 0) != (b.Rank == 0) {
			if a.Rank == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), strings.Compare(a.Name, b.Name), strings.Compare(a.ODS, b.ODS))
	})
	t.Rows = rows
	return t, nil
}

func checkEntries(what string, entries []LeagueEntry) error {
	seen := map[string]int{}
	for i, e := range entries {
		where := fmt.Sprintf("league %s %d (ODS %q)", what, i+1, e.ODS)
		if strings.TrimSpace(e.ODS) == "" {
			return fmt.Errorf("%s: ODS code is empty", where)
		}
		if j, dup := seen[e.ODS]; dup {
			return fmt.Errorf("%s: ODS code already used by %s %d; give one entry per organisation", where, what, j)
		}
		seen[e.ODS] = i + 1
		if e.Percent != nil && (*e.Percent < 0 || *e.Percent > 100 || math.IsNaN(*e.Percent)) {
			return fmt.Errorf("%s: percent %v is outside 0-100", where, *e.Percent)
		}
		if !e.Rating.valid() {
			return fmt.Errorf("%s: rating %q is not one of outstanding, good, requires-improvement, inadequate, not-rated", where, e.Rating)
		}
		for _, d := range e.Domains {
			if d.Percent < 0 || d.Percent > 100 || math.IsNaN(d.Percent) {
				return fmt.Errorf("%s: domain %s percent %v is outside 0-100", where, d.ID, d.Percent)
			}
		}
	}
	return nil
}

func peerKey(t checklist.OrgType, region string) string { return string(t) + " / " + region }

func roundDomains(ds []DomainPercent) []DomainPercent {
	out := make([]DomainPercent, 0, len(ds))
	for _, d := range ds {
		d.Percent = LeagueScore(d.Percent)
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// rankOf is the competition rank of s among scores (higher is better).
func rankOf(s float64, scores []float64) int {
	r := 1
	for _, o := range scores {
		if o > s {
			r++
		}
	}
	return r
}

// percentileRank is (below + ½·equal) / n × 100.
func percentileRank(s float64, scores []float64) float64 {
	var below, equal float64
	for _, o := range scores {
		switch {
		case o < s:
			below++
		case o == s:
			equal++
		}
	}
	return LeagueScore((below + equal/2) / float64(len(scores)) * 100)
}

// quartileOf places s against the group's cut points: 4 at or above Q3, 3 at or above the
// median, 2 at or above Q1, else 1.
func quartileOf(s float64, scores []float64) int {
	d := distribution(scores)
	switch {
	case s >= d.Q3:
		return 4
	case s >= d.Median:
		return 3
	case s >= d.Q1:
		return 2
	}
	return 1
}

func distribution(scores []float64) Distribution {
	if len(scores) == 0 {
		return Distribution{Withheld: withheldNote(0)}
	}
	s := slices.Clone(scores)
	slices.Sort(s)
	if len(s) < MinGroupForStatistics {
		return Distribution{Count: len(s), Min: s[0], Max: s[len(s)-1], Withheld: withheldNote(len(s))}
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	return Distribution{
		Count: len(s), Min: s[0], Max: s[len(s)-1],
		Q1: quantile(s, 0.25), Median: quantile(s, 0.5), Q3: quantile(s, 0.75),
		Mean: LeagueScore(sum / float64(len(s))),
	}
}

// quantile interpolates linearly between order statistics of sorted (Excel QUARTILE.INC).
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	v := sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
	return math.Round(v*100) / 100
}

type domainRef struct{ id, title string }

func domainOrder(entries []LeagueEntry) []domainRef {
	var order []domainRef
	seen := map[string]bool{}
	for _, e := range entries {
		for _, d := range e.Domains {
			if !seen[d.ID] {
				seen[d.ID] = true
				order = append(order, domainRef{d.ID, d.Title})
			}
		}
	}
	return order
}

func domainDistributions(order []domainRef, entries []LeagueEntry) []DomainDistribution {
	out := make([]DomainDistribution, 0, len(order))
	for _, d := range order {
		var scores []float64
		for _, e := range entries {
			if !e.IsRated() {
				continue
			}
			for _, dp := range e.Domains {
				if dp.ID == d.id {
					scores = append(scores, LeagueScore(dp.Percent))
				}
			}
		}
		out = append(out, DomainDistribution{ID: d.id, Title: d.title, Distribution: distribution(scores)})
	}
	return out
}

func addChanges(rows []LeagueRow, previous []LeagueEntry) {
	var prevScores []float64
	for _, p := range previous {
		if p.IsRated() {
			prevScores = append(prevScores, LeagueScore(*p.Percent))
		}
	}
	byODS := map[string]LeagueEntry{}
	for _, p := range previous {
		byODS[p.ODS] = p
	}
	for i := range rows {
		r := &rows[i]
		p, ok := byODS[r.ODS]
		if !ok {
			continue
		}
		c := &Change{PreviousRating: p.Rating}
		if p.IsRated() {
			ps := LeagueScore(*p.Percent)
			c.PreviousPercent = &ps
			c.PreviousRank = rankOf(ps, prevScores)
			if r.Percent != nil {
				d := LeagueScore(*r.Percent - ps)
				c.DeltaPercent = &d
				c.RankChange = c.PreviousRank - r.Rank
			}
		}
		for _, d := range r.Domains {
			for _, pd := range p.Domains {
				if pd.ID == d.ID {
					prev := LeagueScore(pd.Percent)
					c.Domains = append(c.Domains, DomainChange{ID: d.ID, Previous: prev, Delta: LeagueScore(d.Percent - prev)})
				}
			}
		}
		r.Change = c
	}
}

// withheldNote says why a group's statistics are left out.
func withheldNote(n int) string {
	return fmt.Sprintf("%d rated %s: median, quartiles, mean and percentiles are given only for groups of %d or more",
		n, map[bool]string{true: "organisation", false: "organisations"}[n == 1], MinGroupForStatistics)
}

// oneChecklist refuses entries scored against different checklists: their scores measure
// different things and are never ranked together.
func oneChecklist(entries, previous []LeagueEntry) error {
	refs := map[string]int{}
	for _, e := range entries {
		if e.Checklist != "" {
			refs[e.Checklist]++
		}
	}
	if len(refs) > 1 {
		var parts []string
		for _, r := range slices.Sorted(func(yield func(string) bool) {
			for k := range refs {
				if !yield(k) {
					return
				}
			}
		}) {
			parts = append(parts, fmt.Sprintf("%s (%d)", r, refs[r]))
		}
		return fmt.Errorf("entries were scored against different checklists: %s; a league table ranks one checklist version at a time", strings.Join(parts, ", "))
	}
	for _, p := range previous {
		for r := range refs {
			if p.Checklist != "" && p.Checklist != r {
				return fmt.Errorf("previous entry %s was scored against %s, this cycle against %s: changes are only compared within one checklist version", p.ODS, p.Checklist, r)
			}
		}
	}
	return nil
}
