// Package cliout defines the JSON documents the jigsaw command prints with -o json: one Go
// type per command, so schemas/registry can publish a JSON Schema for each (`jigsaw schema
// cli-…`) and a test can check every command's output against it. Field names are snake_case;
// an organisation code is always "ods".
package cliout

import (
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/validator"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// AnswersImport is `jigsaw answers import -o json`.
type AnswersImport struct {
	File       string                  `json:"file"`
	Assessment string                  `json:"assessment"`
	Answers    int                     `json:"answers"`
	Added      []string                `json:"added"`
	Unchanged  int                     `json:"unchanged"`
	Files      []evidence.AttachedFile `json:"files"`
}

// Assess is `jigsaw assess -o json`.
type Assess struct {
	// Rating is the printed rating: Outstanding, Good, Requires improvement, Inadequate or Not rated.
	Rating string `json:"rating"`
	// Completeness is the share of applicable items assessed, 0–1.
	Completeness float64 `json:"completeness"`
	// Status is "complete" or "incomplete" (docs/scoring.md).
	Status string `json:"status"`
	// Percent is the overall figure; Provisional when the assessment is not rated.
	Percent         *float64               `json:"percent,omitempty"`
	Provisional     bool                   `json:"provisional"`
	NotRatedReasons []string               `json:"not_rated_reasons,omitempty"`
	Limitations     []string               `json:"limitations,omitempty"`
	Inspector       string                 `json:"inspector,omitempty"`
	Role            string                 `json:"role,omitempty"`
	Assessment      evidence.Assessment    `json:"assessment"`
	Database        string                 `json:"database"`
	Ran             int                    `json:"probes_run"`
	Resumed         int                    `json:"probes_already_recorded"`
	Probes          map[probes.Status]int  `json:"probe_counts"`
	Imported        *evidence.ImportResult `json:"answers_imported,omitempty"`
	Incomplete      []string               `json:"incomplete,omitempty"`
	Score           scoring.Result         `json:"score"`
}

// ChecklistShow is `jigsaw checklist show -o json`: a checklist's content plus the reference
// and file hash an assessment records.
type ChecklistShow struct {
	Ref    string `json:"ref"`
	SHA256 string `json:"sha256"`
	Source string `json:"source"`
	*checklist.Checklist
}

// ChecklistItem is `jigsaw checklist show --item ID -o json`.
type ChecklistItem struct {
	Ref    string          `json:"ref"`
	SHA256 string          `json:"sha256"`
	Domain DomainRef       `json:"domain"`
	Item   *checklist.Item `json:"item"`
}

// DomainRef names the domain an item belongs to.
type DomainRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ChecklistValidate is `jigsaw checklist validate -o json`.
type ChecklistValidate struct {
	File    string          `json:"file"`
	Valid   bool            `json:"valid"`
	Ref     string          `json:"ref,omitempty"`
	SHA256  string          `json:"sha256,omitempty"`
	Domains int             `json:"domains,omitempty"`
	Items   int             `json:"items,omitempty"`
	Errors  []yamldoc.Error `json:"errors,omitempty"`
}

// DemoOrg is one organisation of the demo's summary.
type DemoOrg struct {
	Profile       string                 `json:"profile"`
	ODS           string                 `json:"ods"`
	Name          string                 `json:"name"`
	Assessment    string                 `json:"assessment"`
	Status        string                 `json:"status"`
	Percent       *float64               `json:"percent,omitempty"`
	Rating        scoring.Rating         `json:"rating"`
	WarningNotice bool                   `json:"warning_notice"`
	Probes        map[verdict.Status]int `json:"probes"`
	// Rank is 0 for a not-rated organisation: it is never ranked.
	Rank         int      `json:"rank"`
	Completeness float64  `json:"completeness"`
	Provisional  bool     `json:"provisional"`
	Files        []string `json:"files"`
}

// Demo is `jigsaw demo -o json`.
type Demo struct {
	OutDir        string    `json:"out_dir"`
	Database      string    `json:"database"`
	Checklist     string    `json:"checklist"`
	Organisations []DemoOrg `json:"organisations"`
	LeagueFiles   []string  `json:"league_files"`
	Seconds       float64   `json:"seconds"`
}

// Export is `jigsaw export -o json`.
type Export struct {
	File         string             `json:"file"`
	Assessment   string             `json:"assessment"`
	Organisation string             `json:"organisation"`
	Checklist    string             `json:"checklist"`
	ChainHead    evidence.ChainHead `json:"chain_head"`
	KeyID        string             `json:"key_id"`
	Bytes        int                `json:"bytes"`
}

// FleetScan is `jigsaw fleet scan -o json`.
type FleetScan struct {
	RunID        int64               `json:"run_id"`
	Endpoints    int                 `json:"endpoints"`
	Up           int                 `json:"up"`
	Seconds      float64             `json:"seconds"`
	Levels       map[string]int      `json:"levels"`
	Observations []fleet.Observation `json:"observations"`
}

// KeysGenerate is `jigsaw keys generate -o json`.
type KeysGenerate struct {
	PrivateKey string `json:"private_key"`
	PublicKey  string `json:"public_key"`
	KeyID      string `json:"key_id"`
}

// Probe is `jigsaw probe -o json`.
type Probe struct {
	RunID      string         `json:"run_id"`
	Target     probes.Target  `json:"target"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Summary    map[string]int `json:"summary"`
	// Causes groups the probes that could not test by root cause, with the remedy.
	Causes []probes.CauseSummary `json:"causes,omitempty"`
	// Warnings are set-up problems seen across the run (every data request refused...).
	Warnings  []string          `json:"warnings,omitempty"`
	Results   []probes.Result   `json:"results"`
	Exchanges []probes.Exchange `json:"exchanges"`
}

// ProbeListing is one row of `jigsaw probe --list -o json`.
type ProbeListing struct {
	ID          string          `json:"id"`
	Pack        string          `json:"pack"`
	Severity    probes.Severity `json:"severity"`
	Title       string          `json:"title"`
	SpecRef     string          `json:"spec_ref"`
	Description string          `json:"description"`
}

// Sandbox is `jigsaw sandbox -o json`.
type Sandbox struct {
	Profile       string            `json:"profile"`
	Organisation  SandboxOrg        `json:"organisation"`
	BaseURL       string            `json:"base_url"`
	Endpoints     []SandboxEndpoint `json:"endpoints"`
	CAFile        string            `json:"ca_file"`
	Token         string            `json:"token"`
	TestNHSNumber string            `json:"test_nhs_number"`
	Defects       []SandboxDefect   `json:"defects"`
	// GPConnectDefects are the GP Connect provider's defects (with --gpconnect).
	GPConnectDefects []SandboxDefect `json:"gpconnect_defects,omitempty"`
	// ClientCertFile and ClientKeyFile are the client certificate the GP Connect provider
	// requires (--cert/--key when probing it), with --gpconnect.
	ClientCertFile string `json:"client_cert_file,omitempty"`
	ClientKeyFile  string `json:"client_key_file,omitempty"`
}

// SandboxOrg is the organisation a sandbox plays. (The sandbox's own types stay in cmd's
// reach only: no package but cmd may import the sandbox.)
type SandboxOrg struct {
	ODS  string `json:"ods"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// SandboxEndpoint is one FHIR endpoint a sandbox serves.
type SandboxEndpoint struct {
	Name        string `json:"name"`
	FHIRVersion string `json:"fhir_version"`
	URL         string `json:"url"`
}

// SandboxDefect is one deliberate defect of a sandbox profile and the probe that finds it.
type SandboxDefect struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	ProbeID     string `json:"probe_id"`
}

// SchemaSummary is one row of `jigsaw schema -o json`.
type SchemaSummary struct {
	Name  string `json:"name"`
	File  string `json:"file"`
	Title string `json:"title"`
	ID    string `json:"id"`
}

// Terminology is `jigsaw terminology -o json`.
type Terminology struct {
	Files       []string            `json:"files"`
	FHIRVersion string              `json:"fhir_version"`
	Profile     terminology.Profile `json:"profile"`
	// Structural totals from the same pass, kept apart from the terminology findings.
	Structure validator.Summary `json:"structure"`
}

// ValidateFile is `jigsaw validate -o json` for a file holding several resources (NDJSON, or
// concatenated JSON). A file holding one resource prints its OperationOutcome instead.
type ValidateFile struct {
	File      string             `json:"file"`
	Summary   validator.Summary  `json:"summary"`
	Outcomes  []ValidateResource `json:"outcomes"` // resources with issues, in input order
	Truncated bool               `json:"truncated,omitempty"`
}

// ValidateResource is one resource with issues in a ValidateFile.
type ValidateResource struct {
	Index        int                        `json:"index"`
	ResourceType string                     `json:"resource_type,omitempty"`
	ID           string                     `json:"id,omitempty"`
	Line         int                        `json:"line"`
	Outcome      validator.OperationOutcome `json:"outcome"`
}

// Verify is `jigsaw verify --db FILE -o json`.
type Verify struct {
	Database string `json:"database"`
	OK       bool   `json:"ok"`
	// Integrity lists what SQLite's integrity_check found; empty when the file is sound.
	Integrity []string              `json:"integrity"`
	Chain     evidence.VerifyReport `json:"chain"`
}

// Files is what a command that writes files prints with -o json (report, league table, fleet
// report, checklist template): a one-line summary and the files written.
type Files struct {
	// Summary is the line the table form prints first.
	Summary string   `json:"summary"`
	Files   []string `json:"files"`
}

// Report is `jigsaw report -o json`.
type Report struct {
	Assessment   string         `json:"assessment"`
	Organisation string         `json:"organisation"`
	ODS          string         `json:"ods"`
	Checklist    string         `json:"checklist"`
	Percent      *float64       `json:"percent,omitempty"`
	Rating       scoring.Rating `json:"rating"`
	Files        []string       `json:"files"`
}

// LeagueTable is `jigsaw league table -o json`.
type LeagueTable struct {
	Cycle string `json:"cycle"`
	// Checklist is the one checklist reference the table ranks (id@version).
	Checklist      string  `json:"checklist"`
	Organisations  int     `json:"organisations"`
	RatedNational  int     `json:"rated_nationally"`
	NationalMedian float64 `json:"national_median"`
	// MedianWithheld says why the national median is not given (peer group too small).
	MedianWithheld string   `json:"median_withheld,omitempty"`
	Files          []string `json:"files"`
}

// FleetReport is `jigsaw fleet report -o json`.
type FleetReport struct {
	Endpoints    int      `json:"endpoints"`
	Up           int      `json:"up"`
	Availability float64  `json:"availability"`
	Runs         int      `json:"runs"`
	Files        []string `json:"files"`
}

// Template is `jigsaw checklist template -o json`.
type Template struct {
	File      string `json:"file"`
	Checklist string `json:"checklist"`
	SHA256    string `json:"sha256"`
	Items     int    `json:"items"`
}

// Version is `jigsaw version -o json`: what the binary knows about its own build, from the Go
// build information.
type Version struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
}
