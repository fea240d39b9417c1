-- Key rotation (docs/limits.md, league): an organisation has one active key. A second key for
-- it is only accepted through an explicit rotation, which retires the old key; submissions it
-- signed before its retirement still verify. Every registration and rotation is an event in a
-- hash chain (each event's hash covers the previous one's), so a key slipped in or an event
-- removed shows.
ALTER TABLE league_keys ADD COLUMN retired_at TEXT NOT NULL DEFAULT '';

CREATE TABLE league_key_events (
	seq             INTEGER PRIMARY KEY,
	at              TEXT NOT NULL,
	action          TEXT NOT NULL CHECK (action IN ('register', 'rotate')),
	ods             TEXT NOT NULL,
	key_id          TEXT NOT NULL REFERENCES league_keys(key_id),
	previous_key_id TEXT NOT NULL DEFAULT '',
	reason          TEXT NOT NULL DEFAULT '',
	source          TEXT NOT NULL,
	prev_hash       TEXT NOT NULL,
	hash            TEXT NOT NULL
) STRICT;
