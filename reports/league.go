package reports

import (
	"errors"
	"io"
	"slices"
	"time"

	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// League is the national league table model that league.pdf, league.xlsx and league.json are
// rendered from.
type League struct {
	SchemaVersion string    `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Generator     string    `json:"generator,omitempty"`
	Title         string    `json:"title"`
	Cycle         string    `json:"cycle,omitempty"`
	PreviousCycle string    `json:"previous_cycle,omitempty"`
	Checklist     string    `json:"checklist,omitempty" jsonschema:"description=Checklist id@version the cycle was assessed against"`
	// Domains lists the domains scored, in checklist order.
	Domains []DomainRef `json:"domains"`
	// Regions lists the regions present, sorted.
	Regions []string `json:"regions"`
	// Rows are ranked best first; unrated organisations come last.
	Rows        []scoring.LeagueRow          `json:"rows"`
	National    scoring.Distribution         `json:"national"`
	Ratings     []scoring.RatingCount        `json:"ratings"`
	DomainStats []scoring.DomainDistribution `json:"domain_stats"`
	Peers       []scoring.PeerGroup          `json:"peers"`
	HasHistory  bool                         `json:"has_history"`
	// WarningNotices counts organisations flagged for Warning Notice consideration.
	WarningNotices int `json:"warning_notices"`
}

// DomainRef names a domain.
type DomainRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// LeagueMeta describes a league table run.
type LeagueMeta struct {
	Title         string
	Cycle         string
	PreviousCycle string
	Checklist     string
	Generator     string
	// GeneratedAt is required: it is printed and fixes the files' metadata.
	GeneratedAt time.Time
}

// BuildLeague wraps a scored league table with its metadata.
func BuildLeague(meta LeagueMeta, t scoring.LeagueTable) (*League, error) {
	if meta.GeneratedAt.IsZero() {
		return nil, errors.New("build league: GeneratedAt is required (it fixes the report date and file metadata)")
	}
	l := &League{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   meta.GeneratedAt,
		Generator:     meta.Generator,
		Title:         meta.Title,
		Cycle:         meta.Cycle,
		PreviousCycle: meta.PreviousCycle,
		Checklist:     meta.Checklist,
		Rows:          t.Rows,
		National:      t.National,
		Ratings:       t.Ratings,
		DomainStats:   t.Domains,
		Peers:         t.Peers,
		HasHistory:    t.HasHistory,
		Domains:       []DomainRef{},
		Regions:       []string{},
	}
	if l.Title == "" {
		l.Title = "Interoperability maturity league table"
	}
	if l.Rows == nil {
		l.Rows = []scoring.LeagueRow{}
	}
	for _, d := range t.Domains {
		l.Domains = append(l.Domains, DomainRef{ID: d.ID, Title: d.Title})
	}
	for _, r := range t.Rows {
		if !slices.Contains(l.Regions, r.Region) {
			l.Regions = append(l.Regions, r.Region)
		}
		if r.WarningNotice {
			l.WarningNotices++
		}
	}
	slices.Sort(l.Regions)
	return l, nil
}

// RenderLeagueJSON writes the league model as indented JSON.
func RenderLeagueJSON(w io.Writer, l *League) error { return writeJSON(w, l) }

// domainPercent finds a row's score for one domain.
func domainPercent(r scoring.LeagueRow, id string) *float64 {
	for _, d := range r.Domains {
		if d.ID == id {
			p := d.Percent
			return &p
		}
	}
	return nil
}
