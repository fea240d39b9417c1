package fleet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Store keeps fleet runs in the central database.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the central database at path and brings the fleet tables
// up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open fleet store: no database path given (use --db)")
	}
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open fleet store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Run describes one scan.
type Run struct {
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

// Availability is Up / Endpoints (0 with no endpoints).
func (r Run) Availability() float64 {
	if r.Endpoints == 0 {
		return 0
	}
	return float64(r.Up) / float64(r.Endpoints)
}

const timeFormat = time.RFC3339Nano

// RecordRun stores a scan: the directory's endpoints, every observation, the running
// availability counts and a change row for each endpoint whose CapabilityStatement summary
// differs from the last one seen. It is one transaction: a run is stored whole or not at all.
// Observations for endpoints the scan never reached (an interrupted run) have a zero
// StartedAt and are not stored.
func (s *Store) RecordRun(ctx context.Context, run Run, endpoints []Endpoint, obs []Observation) (int64, error) {
	if len(endpoints) != len(obs) {
		return 0, fmt.Errorf("record fleet run: %d endpoints but %d observations", len(endpoints), len(obs))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record fleet run: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	run.Up = 0
	for _, o := range obs {
		if o.Up {
			run.Up++
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO fleet_runs (started_at, finished_at, directory, directory_sha256, endpoints, up, concurrency, per_host_rate, user_agent, interrupted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.StartedAt.UTC().Format(timeFormat), run.FinishedAt.UTC().Format(timeFormat), run.Directory, run.DirectorySHA256,
		len(endpoints), run.Up, run.Concurrency, run.PerHostRate, run.UserAgent, run.Interrupted)
	if err != nil {
		return 0, fmt.Errorf("record fleet run: %w", err)
	}
	runID, _ := res.LastInsertId()
	now := run.StartedAt.UTC().Format(timeFormat)

	upsert, err := tx.PrepareContext(ctx, `INSERT INTO fleet_endpoints (base_url, ods, name, org_type, region, kind, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (base_url) DO UPDATE SET ods = excluded.ods, name = excluded.name, org_type = excluded.org_type,
			region = excluded.region, kind = excluded.kind, last_seen = excluded.last_seen
		RETURNING id, last_summary_sha256`)
	if err != nil {
		return 0, err
	}
	defer upsert.Close()
	putCap, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO fleet_capabilities (sha256, summary_sha256, summary_json, raw) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer putCap.Close()
	putObs, err := tx.PrepareContext(ctx, `INSERT INTO fleet_observations (run_id, endpoint_id, started_at, up, http_status, latency_ms, attempts,
		error, content_type, tls_json, capability_sha256, capability_error, rules_json, level) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer putObs.Close()
	count, err := tx.PrepareContext(ctx, `UPDATE fleet_endpoints SET checks = checks + 1, checks_up = checks_up + ?,
		last_summary_sha256 = coalesce(?, last_summary_sha256) WHERE id = ?`)
	if err != nil {
		return 0, err
	}
	defer count.Close()

	for i, ep := range endpoints {
		o := obs[i]
		if o.StartedAt.IsZero() {
			continue
		}
		var id int64
		var lastSummary sql.NullString
		if err := upsert.QueryRowContext(ctx, ep.BaseURL, ep.ODS, ep.Name, string(ep.OrgType), ep.Region, ep.Kind, now, now).Scan(&id, &lastSummary); err != nil {
			return 0, fmt.Errorf("record endpoint %s: %w", ep.BaseURL, err)
		}
		var tlsJSON, capSHA, summarySHA any
		if o.TLS != nil {
			b, _ := json.Marshal(o.TLS)
			tlsJSON = string(b)
		}
		if o.Capability != nil {
			summary, _ := json.Marshal(o.Capability)
			sum := o.Capability.SHA256()
			if _, err := putCap.ExecContext(ctx, o.CapabilitySHA256, sum, string(summary), o.raw); err != nil {
				return 0, fmt.Errorf("record CapabilityStatement of %s: %w", ep.BaseURL, err)
			}
			capSHA, summarySHA = o.CapabilitySHA256, sum
			if !lastSummary.Valid || lastSummary.String != sum {
				if err := recordChange(ctx, tx, id, runID, now, lastSummary, sum, o.Capability); err != nil {
					return 0, fmt.Errorf("record CapabilityStatement change of %s: %w", ep.BaseURL, err)
				}
			}
		}
		rules, _ := json.Marshal(o.Rules)
		if _, err := putObs.ExecContext(ctx, runID, id, o.StartedAt.UTC().Format(timeFormat), o.Up, o.HTTPStatus, o.LatencyMS, o.Attempts,
			o.Error, o.ContentType, tlsJSON, capSHA, o.CapabilityError, string(rules), o.Level); err != nil {
			return 0, fmt.Errorf("record observation of %s: %w", ep.BaseURL, err)
		}
		up := 0
		if o.Up {
			up = 1
		}
		if _, err := count.ExecContext(ctx, up, summarySHA, id); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record fleet run: commit: %w", err)
	}
	return runID, nil
}

func recordChange(ctx context.Context, tx *sql.Tx, endpointID, runID int64, at string, before sql.NullString, after string, now *Capability) error {
	var prev *Capability
	var beforeArg any
	if before.Valid {
		beforeArg = before.String
		var js string
		err := tx.QueryRowContext(ctx, `SELECT summary_json FROM fleet_capabilities WHERE summary_sha256 = ? LIMIT 1`, before.String).Scan(&js)
		if err != nil {
			return err
		}
		prev = &Capability{}
		if err := json.Unmarshal([]byte(js), prev); err != nil {
			return err
		}
	}
	changes := Diff(prev, now)
	if prev == nil {
		// First sighting: recorded so the history starts somewhere, listing what was declared.
		changes = []Change{{Field: "capability", Kind: "first seen", After: fmt.Sprintf("%s %s, %d resources", now.FHIRVersion, now.Software, len(now.Resources))}}
	}
	b, _ := json.Marshal(changes)
	_, err := tx.ExecContext(ctx, `INSERT INTO fleet_capability_changes (endpoint_id, run_id, observed_at, before_summary, after_summary, changes_json)
		VALUES (?, ?, ?, ?, ?, ?)`, endpointID, runID, at, beforeArg, after, string(b))
	return err
}

// EndpointStatus is one endpoint's latest state and its history.
type EndpointStatus struct {
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
	// Latest is the endpoint's observation in the latest run that reached it.
	LatestRun int64       `json:"latest_run"`
	Latest    Observation `json:"latest"`
	// FailedRules names the rules the latest CapabilityStatement broke.
	FailedRules []string `json:"failed_rules,omitempty"`
}

// CapabilityChange is a recorded change of an endpoint's CapabilityStatement.
type CapabilityChange struct {
	ODS        string    `json:"ods"`
	BaseURL    string    `json:"base_url"`
	RunID      int64     `json:"run_id"`
	ObservedAt time.Time `json:"observed_at"`
	Changes    []Change  `json:"changes"`
}

// Summary is the fleet's state: every run (availability over time), each endpoint's latest
// observation and running availability, and the CapabilityStatement changes.
type Summary struct {
	Runs      []Run              `json:"runs"`
	Endpoints []EndpointStatus   `json:"endpoints"`
	Changes   []CapabilityChange `json:"changes"`
}

// Summary reads the fleet's state. Changes are limited to the latest maxChanges (0: all);
// first sightings are left out of them.
func (s *Store) Summary(ctx context.Context, maxChanges int) (*Summary, error) {
	out := &Summary{Runs: []Run{}, Endpoints: []EndpointStatus{}, Changes: []CapabilityChange{}}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read fleet: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only

	rows, err := tx.QueryContext(ctx, `SELECT id, started_at, finished_at, directory, directory_sha256, endpoints, up, concurrency, per_host_rate, user_agent, interrupted
		FROM fleet_runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read fleet runs: %w", err)
	}
	for rows.Next() {
		var r Run
		var started, finished string
		if err := rows.Scan(&r.ID, &started, &finished, &r.Directory, &r.DirectorySHA256, &r.Endpoints, &r.Up, &r.Concurrency, &r.PerHostRate, &r.UserAgent, &r.Interrupted); err != nil {
			rows.Close()
			return nil, err
		}
		r.StartedAt, _ = time.Parse(timeFormat, started)
		r.FinishedAt, _ = time.Parse(timeFormat, finished)
		out.Runs = append(out.Runs, r)
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `SELECT e.ods, e.name, e.org_type, e.region, e.base_url, e.kind, e.checks, e.checks_up,
			o.run_id, o.started_at, o.up, o.http_status, o.latency_ms, o.attempts, o.error, o.content_type, o.tls_json,
			o.capability_sha256, c.summary_json, o.capability_error, o.rules_json, o.level
		FROM fleet_endpoints e
		JOIN fleet_observations o ON o.endpoint_id = e.id
			AND o.run_id = (SELECT max(run_id) FROM fleet_observations WHERE endpoint_id = e.id)
		LEFT JOIN fleet_capabilities c ON c.sha256 = o.capability_sha256
		ORDER BY e.ods, e.base_url`)
	if err != nil {
		return nil, fmt.Errorf("read fleet endpoints: %w", err)
	}
	for rows.Next() {
		var e EndpointStatus
		var orgType, started string
		var tlsJSON, capSHA, summary sql.NullString
		var rules string
		o := &e.Latest
		if err := rows.Scan(&e.ODS, &e.Name, &orgType, &e.Region, &e.BaseURL, &e.Kind, &e.Checks, &e.ChecksUp,
			&e.LatestRun, &started, &o.Up, &o.HTTPStatus, &o.LatencyMS, &o.Attempts, &o.Error, &o.ContentType, &tlsJSON,
			&capSHA, &summary, &o.CapabilityError, &rules, &o.Level); err != nil {
			rows.Close()
			return nil, err
		}
		e.OrgType = checklist.OrgType(orgType)
		o.ODS, o.BaseURL, o.Kind = e.ODS, e.BaseURL, e.Kind
		o.StartedAt, _ = time.Parse(timeFormat, started)
		if e.Checks > 0 {
			e.Availability = float64(e.ChecksUp) / float64(e.Checks)
		}
		if tlsJSON.Valid {
			o.TLS = &probes.TLSFacts{}
			if err := json.Unmarshal([]byte(tlsJSON.String), o.TLS); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read TLS facts of %s: %w", e.BaseURL, err)
			}
		}
		o.CapabilitySHA256 = capSHA.String
		if summary.Valid {
			o.Capability = &Capability{}
			if err := json.Unmarshal([]byte(summary.String), o.Capability); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read CapabilityStatement summary of %s: %w", e.BaseURL, err)
			}
		}
		if err := json.Unmarshal([]byte(rules), &o.Rules); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read rules of %s: %w", e.BaseURL, err)
		}
		for _, r := range o.Rules {
			if r.Status != verdict.Pass {
				e.FailedRules = append(e.FailedRules, r.RuleID)
			}
		}
		out.Endpoints = append(out.Endpoints, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	q := `SELECT e.ods, e.base_url, ch.run_id, ch.observed_at, ch.changes_json FROM fleet_capability_changes ch
		JOIN fleet_endpoints e ON e.id = ch.endpoint_id WHERE ch.before_summary IS NOT NULL ORDER BY ch.id DESC`
	if maxChanges > 0 {
		q += fmt.Sprintf(" LIMIT %d", maxChanges)
	}
	rows, err = tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read CapabilityStatement changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CapabilityChange
		var at, js string
		if err := rows.Scan(&c.ODS, &c.BaseURL, &c.RunID, &at, &js); err != nil {
			return nil, err
		}
		c.ObservedAt, _ = time.Parse(timeFormat, at)
		if err := json.Unmarshal([]byte(js), &c.Changes); err != nil {
			return nil, err
		}
		out.Changes = append(out.Changes, c)
	}
	return out, rows.Err()
}
