package reports

import (
	"context"
	"io"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
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
	LatestRun    *FleetRun `json:"latest_run,omitempty"`
	Endpoints    int       `json:"endpoints"`
	Up           int       `json:"up"`
	Availability float64   `json:"availability"`
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
	WorstOffenders []FleetEndpoint `json:"worst_offenders"`
	All            []FleetEndpoint `json:"endpoints_detail"`
	Changes        []FleetChange   `json:"changes"`
}

// FleetRun is one scan of the fleet.
type FleetRun struct {
	ID              int64     `json:"id"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	Directory       string    `json:"directory"`
	DirectorySHA256 string    `json:"directory_sha256"`
	Endpoints       int       `json:"endpoints"`
	Up              int       `json:"up"`
	Concurrency     int       `json:"concurrency"`
	PerHostRate     float64   `json:"per_host_rate"`
	UserAgent       string    `json:"user_agent"`
	Interrupted     bool      `json:"interrupted,omitempty"`
}

// FleetEndpoint is one endpoint's latest state and running availability, as the fleet report
// shows it.
type FleetEndpoint struct {
	ODS     string            `json:"ods"`
	Name    string            `json:"name"`
	OrgType checklist.OrgType `json:"org_type"`
	Region  string            `json:"region"`
	BaseURL string            `json:"base_url"`
	Kind    string            `json:"kind"`
	// Checks and ChecksUp count every run that reached the endpoint; Availability is their ratio.
	Checks       int     `json:"checks"`
	ChecksUp     int     `json:"checks_up"`
	Availability float64 `json:"availability"`
	LatestRun    int64   `json:"latest_run"`
	// Up, HTTPStatus, LatencyMS, TLS and the CapabilityStatement facts are of the latest run.
	Up              bool       `json:"up"`
	HTTPStatus      int        `json:"http_status,omitempty"`
	LatencyMS       float64    `json:"latency_ms"`
	TLSVersion      string     `json:"tls_version,omitempty"`
	CertificateEnds *time.Time `json:"certificate_ends,omitempty"`
	FHIRVersion     string     `json:"fhir_version,omitempty"`
	Software        string     `json:"software,omitempty"`
	// Level is the conformance level 0–4 and LevelName its name; Secure and Conformant say
	// whether the endpoint reached the secure and the top level.
	Level      int    `json:"level"`
	LevelName  string `json:"level_name"`
	Secure     bool   `json:"secure"`
	Conformant bool   `json:"conformant"`
	// FailedRules names the rules the latest CapabilityStatement broke.
	FailedRules []string `json:"failed_rules,omitempty"`
	// Problem is the error that stopped the check, if any.
	Problem string `json:"problem,omitempty"`
}

// FleetChange is a recorded change of an endpoint's CapabilityStatement.
type FleetChange struct {
	ODS        string        `json:"ods"`
	BaseURL    string        `json:"base_url"`
	RunID      int64         `json:"run_id"`
	ObservedAt time.Time     `json:"observed_at"`
	Changes    []FieldChange `json:"changes"`
}

// FieldChange is one difference between two CapabilityStatements of the same endpoint.
type FieldChange struct {
	// Field names what changed; Kind is added, removed or changed.
	Field  string `json:"field"`
	Kind   string `json:"kind"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
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

// FleetLevelCount counts endpoints at one conformance level.
type FleetLevelCount struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Secure and Conformant say whether the level is at or above the secure level, and the top.
	Secure     bool `json:"secure"`
	Conformant bool `json:"conformant"`
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
