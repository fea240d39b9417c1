// Package evidence is the evidence store: one SQLite database (github.com/mattn/go-sqlite3,
// WAL) that is the single source of truth for an assessment. It holds organisations,
// assessments, probe results, the HTTP exchanges behind them, attestations and attached
// files.
//
// # Tamper evidence
//
// Evidence rows (assessments, exchanges, probe results, attestations, files) are append-only:
// triggers abort any UPDATE or DELETE on them (an assessment may only change its status). They
// also form one hash chain per database. Every row's primary key is its seq, its place in the
// chain, shared by all five tables; ids shown to people are the seq with a kind prefix
// (AS-000001, EX-000002, PR-000003, AT-000004, FI-000005). Each row stores
//
//	content_sha256 = SHA-256(canonical content)
//	prev_hash      = chain_hash of the row with seq-1 (64 zeros for seq 1)
//	chain_hash     = SHA-256(bytes(prev_hash) || bytes(content_sha256))
//
// where hashes are lower-case hex and the canonical content is a JSON object holding
// "_table" (the table name) and the row's canonical columns (see chainedTables), keys in
// ascending order, no whitespace, strings escaped as RFC 8785 does, integers in decimal and
// BLOBs as {"len":N,"sha256":"..."} so that a chain can be checked without the bytes.
// VerifyChain recomputes all of it. The chain head (seq and chain_hash of the last row) is
// what an export carries and signs: with it, truncation or wholesale rewriting shows too.
//
// # Patient data minimisation
//
// Before anything is stored, a Redactor removes secrets (Authorization, Cookie and similar
// headers, tokens in URLs and JSON) and, unless the assessment opted in to keeping bodies,
// direct patient identifiers: names, addresses, telecom values, birth dates, photos,
// narratives and NHS numbers other than known test patients. Bodies that are not JSON are kept
// as hash and size only.
//
// # Concurrency and durability
//
// Writers take the database lock up front (BEGIN IMMEDIATE) and hold it for milliseconds;
// another process writing the same file waits on SQLite's busy timeout. Each probe result is
// committed with its exchanges in one transaction, so an interrupted run loses nothing it
// had recorded and leaves nothing half written. The writer connection runs with
// synchronous=FULL so a recorded row survives a power cut, not only a crash.
package evidence
