package reports

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/fleet"
)

// Fleet is the national endpoint fleet model that fleet.pdf, fleet.xlsx and fleet.json are
// rendered from: who is up, how conformant, who is worst, and what changed.
type Fleet struct {
	SchemaVersion string    `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Generator     string    `json:"generator,omitempty"`
	Title         string    `json:"title"`
	// LatestRun is the most recent scan; the counts below describe each endpoint's latest
	// observation.
	LatestRun    *fleet.Run `json:"latest_run,omitempty"`
	Endpoints    int        `json:"endpoints"`
	Up           int        `json:"up"`
	Availability float64    `json:"availability"`
	// MedianLatencyMS is over endpoints that answered.
	MedianLatencyMS float64 `json:"median_latency_ms"`
	// CertificatesExpiring counts endpoints whose certificate ends within 30 days of GeneratedAt.
	CertificatesExpiring int               `json:"certificates_expiring"`
	Levels               []FleetLevelCount `json:"levels"`
	Regions              []FleetGroup      `json:"regions"`
	RuleFailures         []FleetRuleCount  `json:"rule_failures"`
	// History is availability per run, oldest first.
	History []FleetRunPoint `json:"history"`
	// WorstOffenders are the least available, least conformant, slowest endpoints first.
	WorstOffenders []fleet.EndpointStatus   `json:"worst_offenders"`
	All            []fleet.EndpointStatus   `json:"endpoints_detail"`
	Changes        []fleet.CapabilityChange `json:"changes"`
}

// FleetLevelCount counts endpoints at one conformance level.
type FleetLevelCount struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// FleetGroup summarises the endpoints of one region.
type FleetGroup struct {
	Name         string  `json:"name"`
	Endpoints    int     `json:"endpoints"`
	Up           int     `json:"up"`
	Conformant   int     `json:"conformant"`
	Availability float64 `json:"availability"`
}

// FleetRuleCount counts endpoints breaking one rule in their latest observation.
type FleetRuleCount struct {
	Rule  string `json:"rule"`
	Count int    `json:"count"`
}

// FleetRunPoint is one run's availability.
type FleetRunPoint struct {
	RunID        int64     `json:"run_id"`
	StartedAt    time.Time `json:"started_at"`
	Endpoints    int       `json:"endpoints"`
	Up           int       `json:"up"`
	Availability float64   `json:"availability"`
}

// FleetMeta describes a fleet report.
type FleetMeta struct {
	Title     string
	Generator string
	// GeneratedAt is required: it is printed and fixes the files' metadata.
	GeneratedAt time.Time
	// Worst is how many worst offenders to list (default 25).
	Worst int
}

// BuildFleet makes the fleet report model from the store's summary.
func BuildFleet(meta FleetMeta, s *fleet.Summary) (*Fleet, error) {
	if meta.GeneratedAt.IsZero() {
		return nil, errors.New("build fleet report: GeneratedAt is required (it fixes the report date and file metadata)")
	}
	if s == nil {
		return nil, errors.New("build fleet report: no fleet summary")
	}
	f := &Fleet{
		SchemaVersion: SchemaVersion, GeneratedAt: meta.GeneratedAt, Generator: meta.Generator, Title: meta.Title,
		Endpoints: len(s.Endpoints), All: s.Endpoints, Changes: s.Changes,
		History: []FleetRunPoint{}, Regions: []FleetGroup{}, RuleFailures: []FleetRuleCount{},
	}
	if f.Title == "" {
		f.Title = "National FHIR endpoint fleet"
	}
	if n := len(s.Runs); n > 0 {
		r := s.Runs[n-1]
		f.LatestRun = &r
	}
	for _, r := range s.Runs {
		f.History = append(f.History, FleetRunPoint{RunID: r.ID, StartedAt: r.StartedAt, Endpoints: r.Endpoints, Up: r.Up, Availability: r.Availability()})
	}
	for l := fleet.LevelUnreachable; l <= fleet.LevelConformant; l++ {
		f.Levels = append(f.Levels, FleetLevelCount{Level: l, Name: fleet.LevelName(l)})
	}
	regions := map[string]*FleetGroup{}
	rules := map[string]int{}
	var latencies []float64
	soon := meta.GeneratedAt.Add(30 * 24 * time.Hour)
	for _, e := range s.Endpoints {
		o := e.Latest
		if o.Level >= 0 && o.Level < len(f.Levels) {
			f.Levels[o.Level].Count++
		}
		g := regions[e.Region]
		if g == nil {
			g = &FleetGroup{Name: e.Region}
			regions[e.Region] = g
		}
		g.Endpoints++
		if o.Up {
			f.Up++
			g.Up++
			latencies = append(latencies, o.LatencyMS)
		}
		if o.Level == fleet.LevelConformant {
			g.Conformant++
		}
		for _, r := range e.FailedRules {
			rules[r]++
		}
		if o.TLS != nil && !o.TLS.PeerNotAfter.IsZero() && o.TLS.PeerNotAfter.Before(soon) {
			f.CertificatesExpiring++
		}
	}
	if f.Endpoints > 0 {
		f.Availability = float64(f.Up) / float64(f.Endpoints)
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		f.MedianLatencyMS = latencies[len(latencies)/2]
	}
	for _, g := range regions {
		if g.Endpoints > 0 {
			g.Availability = float64(g.Up) / float64(g.Endpoints)
		}
		f.Regions = append(f.Regions, *g)
	}
	slices.SortFunc(f.Regions, func(a, b FleetGroup) int { return strings.Compare(a.Name, b.Name) })
	for r, n := range rules {
		f.RuleFailures = append(f.RuleFailures, FleetRuleCount{Rule: r, Count: n})
	}
	slices.SortFunc(f.RuleFailures, func(a, b FleetRuleCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Rule, b.Rule))
	})

	worst := slices.Clone(s.Endpoints)
	slices.SortStableFunc(worst, func(a, b fleet.EndpointStatus) int {
		return cmp.Or(cmp.Compare(a.Availability, b.Availability), cmp.Compare(a.Latest.Level, b.Latest.Level),
			cmp.Compare(b.Latest.LatencyMS, a.Latest.LatencyMS), strings.Compare(a.BaseURL, b.BaseURL))
	})
	n := meta.Worst
	if n <= 0 {
		n = 25
	}
	// Only endpoints with something wrong are offenders.
	for _, e := range worst {
		if len(f.WorstOffenders) == n {
			break
		}
		if e.Availability < 1 || e.Latest.Level < fleet.LevelConformant {
			f.WorstOffenders = append(f.WorstOffenders, e)
		}
	}
	if f.WorstOffenders == nil {
		f.WorstOffenders = []fleet.EndpointStatus{}
	}
	return f, nil
}

// RenderFleetJSON writes the fleet model as indented JSON.
func RenderFleetJSON(w io.Writer, f *Fleet) error { return writeJSON(w, f) }

// WriteFleet writes the fleet report in each format to dir/fleet.<format>.
func WriteFleet(ctx context.Context, dir string, f *Fleet, formats []Format) ([]string, error) {
	return writeAll(ctx, dir, "fleet", formats, map[Format]func(io.Writer) error{
		PDF:  func(w io.Writer) error { return RenderFleetPDF(w, f) },
		XLSX: func(w io.Writer) error { return RenderFleetXLSX(w, f) },
		JSON: func(w io.Writer) error { return RenderFleetJSON(w, f) },
	})
}

func percentOf(ratio float64) string { return num(ratio*100) + "%" }
