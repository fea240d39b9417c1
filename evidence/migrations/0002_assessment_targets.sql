-- Every endpoint an assessment probed (the FHIR server and, say, the GP Connect provider), as a
-- JSON array of {role, url, fhir_version}. Hashed into the chain only when set, so rows written
-- before this column existed keep their hashes ('' is "not recorded": target_url alone).
ALTER TABLE assessments ADD COLUMN targets TEXT NOT NULL DEFAULT '';

DROP TRIGGER assessments_append_only_update;
CREATE TRIGGER assessments_append_only_update BEFORE UPDATE ON assessments
WHEN OLD.status = 'complete'
  OR NEW.seq IS NOT OLD.seq OR NEW.ods_code IS NOT OLD.ods_code OR NEW.org_name IS NOT OLD.org_name
  OR NEW.org_type IS NOT OLD.org_type OR NEW.region IS NOT OLD.region OR NEW.icb IS NOT OLD.icb
  OR NEW.checklist_id IS NOT OLD.checklist_id OR NEW.checklist_version IS NOT OLD.checklist_version
  OR NEW.checklist_sha256 IS NOT OLD.checklist_sha256 OR NEW.target_url IS NOT OLD.target_url
  OR NEW.fhir_version IS NOT OLD.fhir_version OR NEW.cycle IS NOT OLD.cycle
  OR NEW.tool_version IS NOT OLD.tool_version OR NEW.keep_bodies IS NOT OLD.keep_bodies
  OR NEW.test_nhs_numbers IS NOT OLD.test_nhs_numbers OR NEW.started_at IS NOT OLD.started_at
  OR NEW.targets IS NOT OLD.targets
  OR NEW.content_sha256 IS NOT OLD.content_sha256 OR NEW.prev_hash IS NOT OLD.prev_hash
  OR NEW.chain_hash IS NOT OLD.chain_hash
BEGIN SELECT RAISE(ABORT, 'evidence is append-only: only the status of an unfinished assessment can change'); END;
