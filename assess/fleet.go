package assess

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/reports"
)

// FleetReport makes the fleet report model from the fleet store's summary: who is up, how
// conformant, who is worst, and what changed.
func FleetReport(meta reports.FleetMeta, s *fleet.Summary) (*reports.Fleet, error) {
	if meta.GeneratedAt.IsZero() {
		return nil, errors.New("build fleet report: GeneratedAt is required (it fixes the report date and file metadata)")
	}
	if s == nil {
		return nil, errors.New("build fleet report: no fleet summary")
	}
	f := &reports.Fleet{
		SchemaVersion: reports.SchemaVersion, GeneratedAt: meta.GeneratedAt, Generator: meta.Generator, Title: meta.Title,
		Endpoints: len(s.Endpoints), All: make([]reports.FleetEndpoint, 0, len(s.Endpoints)), Changes: []reports.FleetChange{},
		History: []reports.FleetRunPoint{}, Regions: []reports.FleetGroup{}, RuleFailures: []reports.FleetRuleCount{},
	}
	if f.Title == "" {
		f.Title = "National FHIR endpoint fleet"
	}
	if n := len(s.Runs); n > 0 {
		r := fleetRun(s.Runs[n-1])
		f.LatestRun = &r
	}
	for _, r := range s.Runs {
		f.History = append(f.History, reports.FleetRunPoint{RunID: r.ID, StartedAt: r.StartedAt, Endpoints: r.Endpoints, Up: r.Up, Availability: r.Availability()})
	}
	for l := fleet.LevelUnreachable; l <= fleet.LevelConformant; l++ {
		f.Levels = append(f.Levels, reports.FleetLevelCount{Level: l, Name: fleet.LevelName(l), Secure: l >= fleet.LevelSecure, Conformant: l == fleet.LevelConformant})
	}
	for _, c := range s.Changes {
		rc := reports.FleetChange{ODS: c.ODS, BaseURL: c.BaseURL, RunID: c.RunID, ObservedAt: c.ObservedAt, Changes: []reports.FieldChange{}}
		for _, ch := range c.Changes {
			rc.Changes = append(rc.Changes, reports.FieldChange{Field: ch.Field, Kind: ch.Kind, Before: ch.Before, After: ch.After})
		}
		f.Changes = append(f.Changes, rc)
	}
	regions := map[string]*reports.FleetGroup{}
	rules := map[string]int{}
	var latencies []float64
	soon := meta.GeneratedAt.Add(30 * 24 * time.Hour)
	for _, e := range s.Endpoints {
		f.All = append(f.All, fleetEndpoint(e))
		o := e.Latest
		if o.Level >= 0 && o.Level < len(f.Levels) {
			f.Levels[o.Level].Count++
		}
		g := regions[e.Region]
		if g == nil {
			g = &reports.FleetGroup{Name: e.Region}
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
	slices.SortFunc(f.Regions, func(a, b reports.FleetGroup) int { return strings.Compare(a.Name, b.Name) })
	for r, n := range rules {
		f.RuleFailures = append(f.RuleFailures, reports.FleetRuleCount{Rule: r, Count: n})
	}
	slices.SortFunc(f.RuleFailures, func(a, b reports.FleetRuleCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Rule, b.Rule))
	})

	worst := slices.Clone(f.All)
	slices.SortStableFunc(worst, func(a, b reports.FleetEndpoint) int {
		return cmp.Or(cmp.Compare(a.Availability, b.Availability), cmp.Compare(a.Level, b.Level),
			cmp.Compare(b.LatencyMS, a.LatencyMS), strings.Compare(a.BaseURL, b.BaseURL))
	})
	n := meta.Worst
	if n <= 0 {
		n = 25
	}
	f.WorstOffenders = []reports.FleetEndpoint{}
	// Only endpoints with something wrong are offenders.
	for _, e := range worst {
		if len(f.WorstOffenders) == n {
			break
		}
		if e.Availability < 1 || !e.Conformant {
			f.WorstOffenders = append(f.WorstOffenders, e)
		}
	}
	return f, nil
}

func fleetRun(r fleet.Run) reports.FleetRun {
	return reports.FleetRun{
		ID: r.ID, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Directory: r.Directory, DirectorySHA256: r.DirectorySHA256,
		Endpoints: r.Endpoints, Up: r.Up, Concurrency: r.Concurrency, PerHostRate: r.PerHostRate, UserAgent: r.UserAgent,
		Interrupted: r.Interrupted,
	}
}

func fleetEndpoint(e fleet.EndpointStatus) reports.FleetEndpoint {
	o := e.Latest
	out := reports.FleetEndpoint{
		ODS: e.ODS, Name: e.Name, OrgType: e.OrgType, Region: e.Region, BaseURL: e.BaseURL, Kind: e.Kind,
		Checks: e.Checks, ChecksUp: e.ChecksUp, Availability: e.Availability, LatestRun: e.LatestRun,
		Up: o.Up, HTTPStatus: o.HTTPStatus, LatencyMS: o.LatencyMS,
		Level: o.Level, LevelName: fleet.LevelName(o.Level), Secure: o.Level >= fleet.LevelSecure, Conformant: o.Level == fleet.LevelConformant,
		FailedRules: e.FailedRules, Problem: cmp.Or(o.Error, o.CapabilityError),
	}
	if o.TLS != nil {
		out.TLSVersion = o.TLS.Version
		if !o.TLS.PeerNotAfter.IsZero() {
			t := o.TLS.PeerNotAfter
			out.CertificateEnds = &t
		}
	}
	if c := o.Capability; c != nil {
		out.FHIRVersion = c.FHIRVersion
		out.Software = strings.TrimSpace(c.Software + " " + c.SoftwareVersion)
	}
	return out
}
