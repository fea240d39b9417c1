-- Endpoints ever listed in a directory. The directory's latest values win.
CREATE TABLE fleet_endpoints (
	id          INTEGER PRIMARY KEY,
	base_url    TEXT NOT NULL UNIQUE,
	ods         TEXT NOT NULL,
	name        TEXT NOT NULL,
	org_type    TEXT NOT NULL,
	region      TEXT NOT NULL,
	kind        TEXT NOT NULL,
	first_seen  TEXT NOT NULL,
	last_seen   TEXT NOT NULL,
	-- The last CapabilityStatement summary seen, so a change is found without a scan.
	last_summary_sha256 TEXT,
	-- Running availability (Lantern's http_200_count / http_all_count).
	checks      INTEGER NOT NULL DEFAULT 0,
	checks_up   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX fleet_endpoints_ods ON fleet_endpoints(ods);

CREATE TABLE fleet_runs (
	id               INTEGER PRIMARY KEY,
	started_at       TEXT NOT NULL,
	finished_at      TEXT NOT NULL,
	directory        TEXT NOT NULL,
	directory_sha256 TEXT NOT NULL,
	endpoints        INTEGER NOT NULL,
	up               INTEGER NOT NULL,
	concurrency      INTEGER NOT NULL,
	per_host_rate    REAL NOT NULL,
	user_agent       TEXT NOT NULL,
	interrupted      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One CapabilityStatement body per distinct content, shared by runs and endpoints.
CREATE TABLE fleet_capabilities (
	sha256         TEXT PRIMARY KEY,
	summary_sha256 TEXT NOT NULL,
	summary_json   TEXT NOT NULL,
	raw            BLOB NOT NULL
) STRICT;

CREATE TABLE fleet_observations (
	run_id            INTEGER NOT NULL REFERENCES fleet_runs(id),
	endpoint_id       INTEGER NOT NULL REFERENCES fleet_endpoints(id),
	started_at        TEXT NOT NULL,
	up                INTEGER NOT NULL,
	http_status       INTEGER NOT NULL,
	latency_ms        REAL NOT NULL,
	attempts          INTEGER NOT NULL,
	error             TEXT NOT NULL,
	content_type      TEXT NOT NULL,
	tls_json          TEXT,
	capability_sha256 TEXT REFERENCES fleet_capabilities(sha256),
	capability_error  TEXT NOT NULL,
	rules_json        TEXT NOT NULL,
	level             INTEGER NOT NULL,
	PRIMARY KEY (run_id, endpoint_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fleet_observations_endpoint ON fleet_observations(endpoint_id, run_id);

-- A row only when the CapabilityStatement summary differs from the one seen before
-- (the Lantern history model: significant changes only).
CREATE TABLE fleet_capability_changes (
	id              INTEGER PRIMARY KEY,
	endpoint_id     INTEGER NOT NULL REFERENCES fleet_endpoints(id),
	run_id          INTEGER NOT NULL REFERENCES fleet_runs(id),
	observed_at     TEXT NOT NULL,
	before_summary  TEXT,
	after_summary   TEXT NOT NULL,
	changes_json    TEXT NOT NULL
) STRICT;
CREATE INDEX fleet_capability_changes_endpoint ON fleet_capability_changes(endpoint_id, run_id);
