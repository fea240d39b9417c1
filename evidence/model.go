package evidence

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/observed"
)

// ErrNotFound is returned (wrapped) when an assessment, exchange or file does not exist.
var ErrNotFound = errors.New("not found")

// Kind is the prefix of an evidence id; the number after it is the row's place in the chain.
type Kind string

// Evidence kinds and their id prefixes.
const (
	KindAssessment  Kind = "AS"
	KindExchange    Kind = "EX"
	KindResult      Kind = "PR"
	KindAttestation Kind = "AT"
	KindFile        Kind = "FI"
)

// FormatID renders an evidence id such as EX-000123. Ids are stable: a row's seq never changes.
func FormatID(k Kind, seq int64) string {
	return fmt.Sprintf("%s-%06d", k, seq)
}

// ParseID splits an evidence id such as "EX-000123" into its kind and seq.
func ParseID(id string) (Kind, int64, error) {
	prefix, num, ok := strings.Cut(strings.TrimSpace(id), "-")
	if !ok {
		return "", 0, fmt.Errorf("evidence id %q: want PREFIX-NUMBER such as EX-000123", id)
	}
	k := Kind(strings.ToUpper(prefix))
	switch k {
	case KindAssessment, KindExchange, KindResult, KindAttestation, KindFile:
	default:
		return "", 0, fmt.Errorf("evidence id %q: unknown prefix %q (want AS, EX, PR, AT or FI)", id, prefix)
	}
	seq, err := strconv.ParseInt(num, 10, 64)
	if err != nil || seq < 1 {
		return "", 0, fmt.Errorf("evidence id %q: %q is not a positive number", id, num)
	}
	return k, seq, nil
}

// ParseAssessmentID accepts an assessment id as printed (AS-000012) or its bare number (12).
func ParseAssessmentID(s string) (int64, error) {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
		return n, nil
	}
	k, seq, err := ParseID(s)
	if err != nil {
		return 0, fmt.Errorf("assessment id: %w", err)
	}
	if k != KindAssessment {
		return 0, fmt.Errorf("assessment id %q: this is a %s id, not an assessment (AS-...)", s, k)
	}
	return seq, nil
}

// Organisation is a care organisation, keyed by its ODS code.
type Organisation struct {
	ODSCode string            `json:"ods"`
	Name    string            `json:"name"`
	Type    checklist.OrgType `json:"type"`
	Region  string            `json:"region,omitempty"`
	ICB     string            `json:"icb,omitempty"`
}

// AssessmentStatus says whether an assessment ran to the end.
type AssessmentStatus string

// Assessment statuses. An assessment is running until it is marked complete or incomplete;
// an incomplete one can be resumed; a complete one is closed to new evidence.
const (
	Running    AssessmentStatus = "running"
	Complete   AssessmentStatus = "complete"
	Incomplete AssessmentStatus = "incomplete"
)

// NewAssessment is what CreateAssessment needs.
type NewAssessment struct {
	ODSCode          string
	ChecklistID      string
	ChecklistVersion string
	ChecklistSHA256  string
	TargetURL        string
	FHIRVersion      string
	// Targets are every endpoint the assessment probes; when empty, TargetURL and FHIRVersion
	// are the only one.
	Targets []Target
	// Cycle labels the inspection period, for example "2026-Q3".
	Cycle       string
	ToolVersion string
	// KeepBodies stores HTTP bodies as received instead of redacted of patient identifiers.
	// Secrets (tokens, passwords, cookies) are removed either way.
	KeepBodies bool
	// TestNHSNumbers are the test patients the probes used. Unless KeepBodies they are stored
	// masked ("999****018"), like every other NHS number in the evidence.
	TestNHSNumbers []string
	// StartedAt defaults to now.
	StartedAt time.Time
}

// Target is one endpoint an assessment probes.
type Target struct {
	// Role says what the endpoint is to the organisation: TargetFHIR or TargetGPConnect.
	Role        string `json:"role"`
	URL         string `json:"url"`
	FHIRVersion string `json:"fhir_version"`
}

// Target roles.
const (
	TargetFHIR      = "fhir"
	TargetGPConnect = "gpconnect"
)

// Assessment is one run of a checklist against one organisation.
type Assessment struct {
	ID  int64  `json:"-"`
	Ref string `json:"id"`
	// Org is the organisation as it was when the assessment started.
	Org              Organisation `json:"organisation"`
	ChecklistID      string       `json:"checklist_id"`
	ChecklistVersion string       `json:"checklist_version"`
	ChecklistSHA256  string       `json:"checklist_sha256"`
	TargetURL        string       `json:"target_url"`
	FHIRVersion      string       `json:"fhir_version"`
	// Targets are every endpoint the assessment probed, the FHIR target first. Assessments
	// recorded before targets were stored list their TargetURL alone.
	Targets        []Target         `json:"targets,omitempty"`
	Cycle          string           `json:"cycle,omitempty"`
	ToolVersion    string           `json:"tool_version"`
	KeepBodies     bool             `json:"keep_bodies"`
	TestNHSNumbers []string         `json:"test_nhs_numbers,omitempty"`
	Status         AssessmentStatus `json:"status"`
	StartedAt      time.Time        `json:"started_at"`
	FinishedAt     time.Time        `json:"finished_at,omitzero"`
}

// ChecklistRef is the id@version of the checklist the assessment ran.
func (a Assessment) ChecklistRef() string { return a.Checklist().String() }

// Checklist names the exact checklist text the assessment used.
func (a Assessment) Checklist() checklist.Ref {
	return checklist.Ref{ID: a.ChecklistID, Version: a.ChecklistVersion, SHA256: a.ChecklistSHA256}
}

// AssessmentSummary is one line of ListAssessments.
type AssessmentSummary struct {
	Assessment
	Results      int `json:"results"`
	Attestations int `json:"attestations"`
	Exchanges    int `json:"exchanges"`
	Files        int `json:"files"`
}

// StoredResult is a probe result as recorded. Its Exchanges are evidence ids (EX-...).
type StoredResult struct {
	ID string `json:"id"`
	observed.Result
	RecordedAt time.Time `json:"recorded_at"`
}

// RecordedResult says where a probe result and its exchanges were stored.
type RecordedResult struct {
	ID string `json:"id"`
	// Exchanges maps each probe exchange id to its evidence id.
	Exchanges map[string]string `json:"exchanges"`
}

// AttestationStatus is the state of an answer to a checklist item.
type AttestationStatus string

// Attestation statuses. Only answered items carry a level; the others are reported, never
// scored as a pass.
const (
	Answered      AttestationStatus = "answered"
	NotApplicable AttestationStatus = "not-applicable"
	NotReviewed   AttestationStatus = "not-reviewed"
	Waived        AttestationStatus = "waived"
)

// Provenance says who stands behind an answer.
type Provenance string

// Provenances of attestations. (Probe results are probe-verified by nature.)
const (
	SelfAssessed      Provenance = "self-assessed"
	InspectorVerified Provenance = "inspector-verified"
)

// Attestation is an answer to one checklist item, with who gave it and what was seen.
type Attestation struct {
	ItemID     string            `json:"item_id"`
	Status     AttestationStatus `json:"status"`
	Level      int               `json:"level,omitempty"`
	Provenance Provenance        `json:"provenance"`
	AnsweredBy string            `json:"answered_by"`
	AnsweredAt time.Time         `json:"answered_at"`
	// EvidenceRefs name what supports the answer: evidence ids (FI-000004, EX-000017) or
	// documents seen ("DSA v3 signed 2026-01-12").
	EvidenceRefs []string  `json:"evidence_refs,omitempty"`
	Owner        string    `json:"owner,omitempty"`
	Notes        string    `json:"notes,omitempty"`
	WaiverReason string    `json:"waiver_reason,omitempty"`
	WaiverExpiry time.Time `json:"waiver_expiry,omitzero"`
}

// AttestationSource is the answers file the attestations came from.
type AttestationSource struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// StoredAttestation is an attestation as recorded.
type StoredAttestation struct {
	ID string `json:"id"`
	Attestation
	Source     AttestationSource `json:"source"`
	RecordedAt time.Time         `json:"recorded_at"`
}

// ImportResult says what RecordAttestations did.
type ImportResult struct {
	// Added are the ids of the new attestation rows.
	Added []string `json:"added"`
	// Unchanged counts items this source had already recorded.
	Unchanged int `json:"unchanged"`
}

// BodyMode says how an HTTP body was stored.
type BodyMode string

// Body storage modes.
const (
	BodyNone     BodyMode = "none"      // there was no body
	BodyRedacted BodyMode = "redacted"  // JSON with direct patient identifiers and secrets replaced
	BodyRaw      BodyMode = "raw"       // as received (KeepBodies), secrets still removed
	BodyHashOnly BodyMode = "hash-only" // not JSON: only its SHA-256 and size are kept
)

// ExchangeSummary is the short form of an HTTP exchange that reports list.
type ExchangeSummary struct {
	ID             string        `json:"id"`
	ProbeID        string        `json:"probe_id"`
	Method         string        `json:"method"`
	URL            string        `json:"url"`
	StatusCode     int           `json:"status_code"`
	ResponseSHA256 string        `json:"response_sha256"`
	ResponseSize   int64         `json:"response_size"`
	StartedAt      time.Time     `json:"started_at"`
	Duration       time.Duration `json:"duration_ns"`
	Error          string        `json:"error,omitempty"`
	// ResponseTruncated says the body was cut at the read limit: ResponseSHA256 and
	// ResponseSize describe only what was read.
	ResponseTruncated bool `json:"response_truncated,omitempty"`
	// TLSVersion and TLSCipher are what the connection negotiated; empty over plain HTTP or
	// when no connection was made.
	TLSVersion string `json:"tls_version,omitempty"`
	TLSCipher  string `json:"tls_cipher,omitempty"`
}

// StoredExchange is an HTTP exchange as recorded, with whatever body was kept.
type StoredExchange struct {
	ExchangeSummary
	ProbeExchangeID  string             `json:"probe_exchange_id"`
	RequestHeaders   http.Header        `json:"request_headers,omitempty"`
	RequestBody      []byte             `json:"request_body,omitempty"`
	RequestBodyMode  BodyMode           `json:"request_body_mode"`
	RequestSHA256    string             `json:"request_sha256,omitempty"`
	RequestSize      int64              `json:"request_size"`
	ResponseHeaders  http.Header        `json:"response_headers,omitempty"`
	ResponseBody     []byte             `json:"response_body,omitempty"`
	ResponseBodyMode BodyMode           `json:"response_body_mode"`
	RemovedHeaders   []string           `json:"removed_headers,omitempty"`
	TLS              *observed.TLSFacts `json:"tls,omitempty"`
	RecordedAt       time.Time          `json:"recorded_at"`
}

// FileInput is a file to attach as evidence.
type FileInput struct {
	Name      string
	MediaType string
	Note      string
	Content   io.Reader
	// KeepBytes stores the content itself; otherwise only its name, size and SHA-256.
	KeepBytes bool
}

// AttachedFile is a file recorded as evidence.
type AttachedFile struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type,omitempty"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	HasContent bool      `json:"has_content"`
	Note       string    `json:"note,omitempty"`
	AttachedAt time.Time `json:"attached_at"`
}

// Snapshot is everything recorded for one assessment, read in one consistent snapshot, for
// scoring and reporting.
type Snapshot struct {
	Assessment Assessment `json:"assessment"`
	// Results holds the latest result of each probe, ordered by probe id.
	Results []StoredResult `json:"results"`
	// Attestations holds the latest attestation of each item, ordered by item id.
	Attestations []StoredAttestation `json:"attestations"`
	Exchanges    []ExchangeSummary   `json:"exchanges"`
	Files        []AttachedFile      `json:"files"`
	// Head is the chain head when the snapshot was read.
	Head ChainHead `json:"chain_head"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func timeNowUTC() time.Time { return time.Now().UTC() }
