-- Probe results speak the whole verdict vocabulary: info (an observation against a MAY) and
-- not-applicable (the server does not claim the capability) join pass, fail, warn, skip and
-- error. SQLite cannot widen a CHECK in place, so the table is rebuilt; rows, hashes and
-- sequence numbers are copied unchanged.
CREATE TABLE probe_results_new (
    seq            INTEGER PRIMARY KEY,
    assessment_id  INTEGER NOT NULL REFERENCES assessments (seq),
    probe_id       TEXT NOT NULL,
    title          TEXT NOT NULL,
    pack           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'info', 'skip', 'not-applicable', 'error')),
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
INSERT INTO probe_results_new SELECT * FROM probe_results;
DROP TABLE probe_results;
ALTER TABLE probe_results_new RENAME TO probe_results;
CREATE INDEX probe_results_by_assessment ON probe_results (assessment_id, probe_id, seq);
CREATE TRIGGER probe_results_append_only_update BEFORE UPDATE ON probe_results
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: probe_results rows cannot be updated'); END;
CREATE TRIGGER probe_results_append_only_delete BEFORE DELETE ON probe_results
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: probe_results rows cannot be deleted'); END;
