-- Public keys the central team trusts. A key bound to an ODS code signs only that
-- organisation's submissions; an unbound key (an inspectorate's) may sign any.
CREATE TABLE league_keys (
	key_id     TEXT PRIMARY KEY,
	public_key TEXT NOT NULL,
	ods        TEXT NOT NULL DEFAULT '',
	source     TEXT NOT NULL,
	added_at   TEXT NOT NULL
) STRICT;

-- One verified submission per organisation per cycle.
CREATE TABLE league_submissions (
	id             INTEGER PRIMARY KEY,
	file_sha256    TEXT NOT NULL UNIQUE,
	payload_sha256 TEXT NOT NULL,
	ods            TEXT NOT NULL,
	name           TEXT NOT NULL,
	org_type       TEXT NOT NULL,
	region         TEXT NOT NULL,
	cycle          TEXT NOT NULL,
	assessment     TEXT NOT NULL,
	checklist      TEXT NOT NULL,
	exported_at    TEXT NOT NULL,
	key_id         TEXT NOT NULL REFERENCES league_keys(key_id),
	percent        REAL,
	rating         TEXT NOT NULL,
	warning_notice INTEGER NOT NULL,
	-- Claimed-vs-verified: items where both exist, how many were over-claimed, the summed gap.
	gap_items      INTEGER NOT NULL,
	gap_over       INTEGER NOT NULL,
	gap_sum        INTEGER NOT NULL,
	source         TEXT NOT NULL,
	imported_at    TEXT NOT NULL,
	UNIQUE (ods, cycle)
) STRICT;
CREATE INDEX league_submissions_cycle ON league_submissions(cycle);

CREATE TABLE league_domains (
	submission_id INTEGER NOT NULL REFERENCES league_submissions(id),
	position      INTEGER NOT NULL,
	domain_id     TEXT NOT NULL,
	title         TEXT NOT NULL,
	percent       REAL NOT NULL,
	PRIMARY KEY (submission_id, domain_id)
) STRICT, WITHOUT ROWID;
