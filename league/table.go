package league

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// Cycles lists the cycles held, oldest first (cycle names sort: "2025-Q4" < "2026-Q1").
func (s *Store) Cycles(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT cycle FROM league_submissions ORDER BY cycle`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Gap is an organisation's claimed-vs-verified gap in one cycle.
type Gap struct {
	// Items counts items with both a claimed and a verified level.
	Items int `json:"items"`
	// OverClaimed counts items claimed above what was verified.
	OverClaimed int `json:"over_claimed"`
	// MeanGap is the mean of claimed − verified levels over Items.
	MeanGap float64 `json:"mean_gap"`
}

// Benchmark is one cycle's league table with what the report needs around it.
type Benchmark struct {
	Cycle         string              `json:"cycle"`
	PreviousCycle string              `json:"previous_cycle,omitempty"`
	Checklist     string              `json:"checklist,omitempty"`
	Table         scoring.LeagueTable `json:"table"`
	// Gaps are keyed by ODS code; only organisations with compared items appear.
	Gaps map[string]Gap `json:"gaps"`
}

// Filter narrows a league table to a cycle (default the latest), an organisation type and a
// region. Ranks and percentiles stay national; type and region only choose the rows shown.
type Filter struct {
	Cycle   string
	OrgType checklist.OrgType
	Region  string
	// Checklist (id@version) chooses the table when a cycle holds submissions scored against
	// several checklists: they are never ranked together.
	Checklist string
}

// Benchmark builds a cycle's league table against the previous cycle.
func (s *Store) Benchmark(ctx context.Context, f Filter) (*Benchmark, error) {
	cycles, err := s.Cycles(ctx)
	if err != nil {
		return nil, fmt.Errorf("read cycles: %w", err)
	}
	if len(cycles) == 0 {
		return nil, fmt.Errorf("no submissions imported into %s: run jigsaw league import first", s.path)
	}
	cycle := f.Cycle
	if cycle == "" {
		cycle = cycles[len(cycles)-1]
	}
	i := slices.Index(cycles, cycle)
	if i < 0 {
		return nil, fmt.Errorf("cycle %q has no submissions; cycles held: %v", cycle, cycles)
	}
	b := &Benchmark{Cycle: cycle, Gaps: map[string]Gap{}}
	entries, checklists, err := s.entries(ctx, cycle, b.Gaps)
	if err != nil {
		return nil, err
	}
	switch {
	case f.Checklist != "":
		if !slices.Contains(checklists, f.Checklist) {
			return nil, fmt.Errorf("cycle %s has no submission scored against checklist %s; checklists held: %v", cycle, f.Checklist, checklists)
		}
		b.Checklist = f.Checklist
	case len(checklists) > 1:
		return nil, fmt.Errorf("cycle %s holds submissions scored against different checklists (%s): they are never ranked together; choose one with --checklist",
			cycle, strings.Join(checklists, ", "))
	case len(checklists) == 1:
		b.Checklist = checklists[0]
	}
	entries = slices.DeleteFunc(entries, func(e scoring.LeagueEntry) bool { return e.Checklist != b.Checklist })
	var previous []scoring.LeagueEntry
	if i > 0 {
		b.PreviousCycle = cycles[i-1]
		if previous, _, err = s.entries(ctx, b.PreviousCycle, nil); err != nil {
			return nil, err
		}
		// Changes are compared within one checklist version only.
		previous = slices.DeleteFunc(previous, func(e scoring.LeagueEntry) bool { return e.Checklist != b.Checklist })
	}
	t, err := scoring.League(entries, previous)
	if err != nil {
		return nil, fmt.Errorf("build league table for cycle %s: %w", cycle, err)
	}
	if f.OrgType != "" || f.Region != "" {
		keep := func(t checklist.OrgType, region string) bool {
			return (f.OrgType == "" || t == f.OrgType) && (f.Region == "" || region == f.Region)
		}
		t.Rows = slices.DeleteFunc(t.Rows, func(r scoring.LeagueRow) bool { return !keep(r.OrgType, r.Region) })
		t.Peers = slices.DeleteFunc(t.Peers, func(p scoring.PeerGroup) bool { return !keep(p.OrgType, p.Region) })
	}
	b.Table = t
	return b, nil
}

// entries reads a cycle's league entries (and, when gaps is not nil, their gaps).
func (s *Store) entries(ctx context.Context, cycle string, gaps map[string]Gap) ([]scoring.LeagueEntry, []string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.ods, s.name, s.org_type, s.region, s.percent, s.rating, s.warning_notice,
			s.checklist, s.gap_items, s.gap_over, s.gap_sum, s.assessment, s.assessed_at, s.completeness, s.status,
			d.domain_id, d.title, d.percent
		FROM league_submissions s LEFT JOIN league_domains d ON d.submission_id = s.id
		WHERE s.cycle = ? ORDER BY s.ods, d.position`, cycle)
	if err != nil {
		return nil, nil, fmt.Errorf("read cycle %s: %w", cycle, err)
	}
	defer rows.Close()
	var out []scoring.LeagueEntry
	var checklists []string
	last := int64(-1)
	for rows.Next() {
		var id int64
		var e scoring.LeagueEntry
		var orgType, rating, cl string
		var percent, dPercent *float64
		var dID, dTitle *string
		var gi, go_, gs int
		var assessedAt string
		if err := rows.Scan(&id, &e.ODS, &e.Name, &orgType, &e.Region, &percent, &rating, &e.WarningNotice, &cl, &gi, &go_, &gs,
			&e.Assessment, &assessedAt, &e.Completeness, &e.Status, &dID, &dTitle, &dPercent); err != nil {
			return nil, nil, err
		}
		if id != last {
			last = id
			e.OrgType, e.Rating, e.Percent, e.Checklist = checklist.OrgType(orgType), scoring.Rating(rating), percent, cl
			if assessedAt != "" {
				if t, err := time.Parse(time.RFC3339, assessedAt); err == nil {
					e.AssessedAt = t
				}
			}
			out = append(out, e)
			if !slices.Contains(checklists, cl) {
				checklists = append(checklists, cl)
			}
			if gaps != nil && gi > 0 {
				gaps[e.ODS] = Gap{Items: gi, OverClaimed: go_, MeanGap: scoring.LeagueScore(float64(gs) / float64(gi))}
			}
		}
		if dID != nil {
			cur := &out[len(out)-1]
			cur.Domains = append(cur.Domains, scoring.DomainPercent{ID: *dID, Title: *dTitle, Percent: *dPercent})
		}
	}
	return out, checklists, rows.Err()
}

// Position is an organisation's place in one cycle.
type Position struct {
	Cycle         string            `json:"cycle"`
	PreviousCycle string            `json:"previous_cycle,omitempty"`
	Row           scoring.LeagueRow `json:"row"`
	// Rated counts the rated organisations nationally.
	Rated          int                          `json:"rated"`
	NationalMedian float64                      `json:"national_median"`
	PeerMedian     float64                      `json:"peer_median"`
	Gap            *Gap                         `json:"gap,omitempty"`
	DomainMedians  []scoring.DomainDistribution `json:"domain_medians,omitempty"`
}

// History is an organisation's benchmark position in every cycle it submitted to.
type History struct {
	ODS       string            `json:"ods"`
	Name      string            `json:"name"`
	OrgType   checklist.OrgType `json:"org_type"`
	Region    string            `json:"region"`
	Positions []Position        `json:"positions"`
}

// Show builds one organisation's history across cycles.
func (s *Store) Show(ctx context.Context, ods string) (*History, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT cycle FROM league_submissions WHERE ods = ? ORDER BY cycle`, ods)
	if err != nil {
		return nil, err
	}
	var cycles []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		cycles = append(cycles, c)
	}
	rows.Close()
	if len(cycles) == 0 {
		return nil, fmt.Errorf("no submission from %s in %s", ods, s.path)
	}
	h := &History{ODS: ods}
	for _, c := range cycles {
		b, err := s.Benchmark(ctx, Filter{Cycle: c})
		if err != nil {
			return nil, err
		}
		for _, r := range b.Table.Rows {
			if r.ODS != ods {
				continue
			}
			h.Name, h.OrgType, h.Region = r.Name, r.OrgType, r.Region
			p := Position{Cycle: c, PreviousCycle: b.PreviousCycle, Row: r, Rated: b.Table.National.Count,
				NationalMedian: b.Table.National.Median, DomainMedians: b.Table.Domains}
			for _, pg := range b.Table.Peers {
				if pg.Key == r.PeerGroup {
					p.PeerMedian = pg.Distribution.Median
				}
			}
			if g, ok := b.Gaps[ods]; ok {
				p.Gap = &g
			}
			h.Positions = append(h.Positions, p)
		}
	}
	return h, nil
}
