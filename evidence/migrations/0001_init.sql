-- Evidence store, schema version 1.
--
-- Evidence tables (assessments, exchanges, probe_results, attestations, files) share one hash
-- chain: every row's primary key is its position in the chain (seq, unique across the five
-- tables), and it stores the SHA-256 of its canonical content, the previous row's chain hash and
-- its own chain hash. The canonical column lists live in chain.go; a migration that adds a column
-- to a chained table must say there how old rows hash.
--
-- All tables are STRICT so a value reads back with the type it was written with, which the
-- canonical hashing relies on. Times are RFC 3339 text in UTC; durations are integer nanoseconds.

CREATE TABLE organisations (
    ods_code   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    org_type   TEXT NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    icb        TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE assessments (
    seq               INTEGER PRIMARY KEY,
    ods_code          TEXT NOT NULL REFERENCES organisations (ods_code),
    org_name          TEXT NOT NULL,
    org_type          TEXT NOT NULL,
    region            TEXT NOT NULL,
    icb               TEXT NOT NULL,
    checklist_id      TEXT NOT NULL,
    checklist_version TEXT NOT NULL,
    checklist_sha256  TEXT NOT NULL,
    target_url        TEXT NOT NULL,
    fhir_version      TEXT NOT NULL,
    cycle             TEXT NOT NULL,
    tool_version      TEXT NOT NULL,
    keep_bodies       INTEGER NOT NULL CHECK (keep_bodies IN (0, 1)),
    test_nhs_numbers  TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    -- status and finished_at are the only mutable columns of any chained table; they are not
    -- part of the canonical content.
    status            TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete')),
    finished_at       TEXT NOT NULL DEFAULT '',
    content_sha256    TEXT NOT NULL,
    prev_hash         TEXT NOT NULL,
    chain_hash        TEXT NOT NULL
) STRICT;
CREATE INDEX assessments_by_org ON assessments (ods_code, seq);

CREATE TABLE exchanges (
    seq                 INTEGER PRIMARY KEY,
    assessment_id       INTEGER NOT NULL REFERENCES assessments (seq),
    probe_id            TEXT NOT NULL,
    probe_exchange_id   TEXT NOT NULL,
    method              TEXT NOT NULL,
    url                 TEXT NOT NULL,
    request_headers     TEXT NOT NULL,
    request_body        BLOB,
    request_body_mode   TEXT NOT NULL CHECK (request_body_mode IN ('none', 'redacted', 'raw', 'hash-only')),
    request_sha256      TEXT NOT NULL,
    request_size        INTEGER NOT NULL,
    status_code         INTEGER NOT NULL,
    response_headers    TEXT NOT NULL,
    response_body       BLOB,
    response_body_mode  TEXT NOT NULL CHECK (response_body_mode IN ('none', 'redacted', 'raw', 'hash-only')),
    response_sha256     TEXT NOT NULL,
    response_size       INTEGER NOT NULL,
    response_truncated  INTEGER NOT NULL CHECK (response_truncated IN (0, 1)),
    removed_headers     TEXT NOT NULL,
    tls                 TEXT NOT NULL,
    started_at          TEXT NOT NULL,
    duration_ns         INTEGER NOT NULL,
    error               TEXT NOT NULL,
    recorded_at         TEXT NOT NULL,
    content_sha256      TEXT NOT NULL,
    prev_hash           TEXT NOT NULL,
    chain_hash          TEXT NOT NULL
) STRICT;
CREATE INDEX exchanges_by_assessment ON exchanges (assessment_id, seq);
CREATE INDEX exchanges_by_probe_exchange ON exchanges (assessment_id, probe_exchange_id);

CREATE TABLE probe_results (
    seq            INTEGER PRIMARY KEY,
    assessment_id  INTEGER NOT NULL REFERENCES assessments (seq),
    probe_id       TEXT NOT NULL,
    title          TEXT NOT NULL,
    pack           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'skip', 'error')),
    severity       TEXT NOT NULL,
    expected       TEXT NOT NULL,
    observed       TEXT NOT NULL,
    spec_ref       TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    duration_ns    INTEGER NOT NULL,
    exchange_ids   TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    chain_hash     TEXT NOT NULL
) STRICT;
CREATE INDEX probe_results_by_assessment ON probe_results (assessment_id, probe_id, seq);

CREATE TABLE attestations (
    seq            INTEGER PRIMARY KEY,
    assessment_id  INTEGER NOT NULL REFERENCES assessments (seq),
    item_id        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('answered', 'not-applicable', 'not-reviewed', 'waived')),
    level          INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    provenance     TEXT NOT NULL CHECK (provenance IN ('self-assessed', 'inspector-verified')),
    answered_by    TEXT NOT NULL,
    answered_at    TEXT NOT NULL,
    evidence_refs  TEXT NOT NULL,
    owner          TEXT NOT NULL,
    notes          TEXT NOT NULL,
    waiver_reason  TEXT NOT NULL,
    waiver_expiry  TEXT NOT NULL,
    source_file    TEXT NOT NULL,
    source_sha256  TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    chain_hash     TEXT NOT NULL
) STRICT;
CREATE INDEX attestations_by_item ON attestations (assessment_id, item_id, seq);
-- Importing the same answers file twice adds nothing.
CREATE UNIQUE INDEX attestations_once_per_source
    ON attestations (assessment_id, source_sha256, item_id) WHERE source_sha256 <> '';

CREATE TABLE files (
    seq            INTEGER PRIMARY KEY,
    assessment_id  INTEGER NOT NULL REFERENCES assessments (seq),
    name           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    content        BLOB,
    note           TEXT NOT NULL,
    attached_at    TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    chain_hash     TEXT NOT NULL
) STRICT;
CREATE INDEX files_by_assessment ON files (assessment_id, sha256);

-- Append-only: evidence rows can be neither changed nor removed.
CREATE TRIGGER exchanges_append_only_update BEFORE UPDATE ON exchanges
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: exchanges rows cannot be updated'); END;
CREATE TRIGGER exchanges_append_only_delete BEFORE DELETE ON exchanges
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: exchanges rows cannot be deleted'); END;

CREATE TRIGGER probe_results_append_only_update BEFORE UPDATE ON probe_results
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: probe_results rows cannot be updated'); END;
CREATE TRIGGER probe_results_append_only_delete BEFORE DELETE ON probe_results
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: probe_results rows cannot be deleted'); END;

CREATE TRIGGER attestations_append_only_update BEFORE UPDATE ON attestations
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: attestations rows cannot be updated'); END;
CREATE TRIGGER attestations_append_only_delete BEFORE DELETE ON attestations
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: attestations rows cannot be deleted'); END;

CREATE TRIGGER files_append_only_update BEFORE UPDATE ON files
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: files rows cannot be updated'); END;
CREATE TRIGGER files_append_only_delete BEFORE DELETE ON files
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: files rows cannot be deleted'); END;

-- An assessment may only move its status (never away from complete) and finished_at.
CREATE TRIGGER assessments_append_only_update BEFORE UPDATE ON assessments
WHEN OLD.status = 'complete'
  OR NEW.seq IS NOT OLD.seq OR NEW.ods_code IS NOT OLD.ods_code OR NEW.org_name IS NOT OLD.org_name
  OR NEW.org_type IS NOT OLD.org_type OR NEW.region IS NOT OLD.region OR NEW.icb IS NOT OLD.icb
  OR NEW.checklist_id IS NOT OLD.checklist_id OR NEW.checklist_version IS NOT OLD.checklist_version
  OR NEW.checklist_sha256 IS NOT OLD.checklist_sha256 OR NEW.target_url IS NOT OLD.target_url
  OR NEW.fhir_version IS NOT OLD.fhir_version OR NEW.cycle IS NOT OLD.cycle
  OR NEW.tool_version IS NOT OLD.tool_version OR NEW.keep_bodies IS NOT OLD.keep_bodies
  OR NEW.test_nhs_numbers IS NOT OLD.test_nhs_numbers OR NEW.started_at IS NOT OLD.started_at
  OR NEW.content_sha256 IS NOT OLD.content_sha256 OR NEW.prev_hash IS NOT OLD.prev_hash
  OR NEW.chain_hash IS NOT OLD.chain_hash
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: only the status of an unfinished assessment can change'); END;
CREATE TRIGGER assessments_append_only_delete BEFORE DELETE ON assessments
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: assessments rows cannot be deleted'); END;
