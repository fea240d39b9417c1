-- Re-scoring on import (docs/scoring.md, League): each submission's checklist SHA-256, its
-- completeness and status, and when its fieldwork started are kept so every league output can
-- say which assessment, when and how complete. Rows imported before this migration keep empty
-- values and are re-read as they were.
ALTER TABLE league_submissions ADD COLUMN checklist_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE league_submissions ADD COLUMN completeness REAL NOT NULL DEFAULT 0;
ALTER TABLE league_submissions ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE league_submissions ADD COLUMN assessed_at TEXT NOT NULL DEFAULT '';
