// Package submission writes, reads and verifies signed submissions: the self-contained file a
// trust or an inspector hands to the central team. A submission carries an assessment's
// scores, answers, probe results, the digests of every HTTP exchange and attached file, the
// canonical content of each of its evidence rows with the chain links that tie them to the
// chain head, and an Ed25519 signature over the canonical encoding of all of it.
//
// The file is one JSON document written in its RFC 8785 (JCS) canonical form followed by a
// newline, so any changed byte either breaks the JSON, leaves it non-canonical, or changes the
// signed payload: Verify detects each. docs/evidence.md says how to check a file by hand.
package submission

import (
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// Format identifies the submission format and its version.
const Format = "jigsaw-submission/1"

// Algorithm is the only signature algorithm of format 1.
const Algorithm = "ed25519"

// Submission is a signed submission as read from a file.
type Submission struct {
	Format    string    `json:"format" jsonschema:"enum=jigsaw-submission/1"`
	Payload   Payload   `json:"payload"`
	Signature Signature `json:"signature"`

	// Source names the file the submission was read from.
	Source string `json:"-"`
	// raw is the file's bytes as read; Verify checks them, not a re-encoding.
	raw []byte
}

// Signature signs the canonical encoding of the payload.
type Signature struct {
	Algorithm string `json:"algorithm" jsonschema:"enum=ed25519"`
	// PublicKey is the signer's Ed25519 public key, base64 (standard, padded) of its 32 bytes.
	PublicKey string `json:"public_key" jsonschema:"pattern=^[A-Za-z0-9+/]{43}=$"`
	// KeyID is the first 16 hex digits of the SHA-256 of the public key's 32 bytes.
	KeyID string `json:"key_id" jsonschema:"pattern=^[0-9a-f]{16}$"`
	// PayloadSHA256 is the hex SHA-256 of the canonical payload (what is signed).
	PayloadSHA256 string `json:"payload_sha256" jsonschema:"pattern=^[0-9a-f]{64}$"`
	// Value is the Ed25519 signature of the canonical payload, base64 (standard, padded).
	Value string `json:"value" jsonschema:"pattern=^[A-Za-z0-9+/]{86}==$"`
}

// Payload is everything the signature covers.
type Payload struct {
	ExportedAt   time.Time      `json:"exported_at"`
	ToolVersion  string         `json:"tool_version" jsonschema:"minLength=1"`
	Organisation Organisation   `json:"organisation"`
	Assessment   Assessment     `json:"assessment"`
	Checklist    Checklist      `json:"checklist"`
	Score        scoring.Result `json:"score"`
	// Answers are the latest attestation of each item.
	Answers []evidence.StoredAttestation `json:"answers"`
	// Results are the latest result of each probe.
	Results []evidence.StoredResult `json:"results"`
	// Exchanges are the digests of every HTTP exchange (bodies are never exported).
	Exchanges []evidence.ExchangeSummary `json:"exchanges"`
	// Files are the digests of every attached file (bytes are never exported).
	Files []evidence.AttachedFile `json:"files"`
	// Evidence ties the above to the database's hash chain.
	Evidence Evidence `json:"evidence"`
}

// Organisation is the organisation assessed, as recorded when the assessment started.
type Organisation struct {
	ODS    string `json:"ods" jsonschema:"pattern=^[A-Z0-9]{3\\,6}$"`
	Name   string `json:"name" jsonschema:"minLength=1"`
	Type   string `json:"type" jsonschema:"minLength=1"`
	Region string `json:"region,omitempty"`
	ICB    string `json:"icb,omitempty"`
}

// Assessment describes the assessment exported.
type Assessment struct {
	ID          string    `json:"id" jsonschema:"pattern=^AS-[0-9]{6\\,}$"`
	Cycle       string    `json:"cycle,omitempty"`
	Status      string    `json:"status" jsonschema:"enum=running,enum=complete,enum=incomplete"`
	TargetURL   string    `json:"target_url"`
	FHIRVersion string    `json:"fhir_version"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
}

// Checklist names the exact checklist text the assessment used.
type Checklist struct {
	ID      string `json:"id" jsonschema:"minLength=1"`
	Version string `json:"version" jsonschema:"minLength=1"`
	SHA256  string `json:"sha256" jsonschema:"pattern=^[0-9a-f]{64}$"`
}

// Evidence is the chain proof: the canonical content of each of the assessment's evidence
// rows, the content digest of every row in the database up to the head, and the head.
// Recomputing the chain from Links must give Head, and each row's SHA-256 must be its link.
type Evidence struct {
	Head  evidence.ChainHead     `json:"chain_head"`
	Links []evidence.ChainLink   `json:"links"`
	Rows  []evidence.ExportedRow `json:"rows"`
}

// Ref is the checklist's id@version.
func (c Checklist) Ref() string { return checklist.Ref{ID: c.ID, Version: c.Version}.String() }
