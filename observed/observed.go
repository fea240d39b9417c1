// Package observed holds what a probe captures: its result row and the HTTP exchanges behind it,
// with the TLS facts of each connection. The evidence store records these, so they live apart
// from the probe engine: reading evidence never links the code that probes a server.
//
// It imports only the verdict vocabulary.
package observed

import (
	"net/http"
	"time"

	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Result is one rule row: what was expected, what was observed, and the spec clause.
type Result struct {
	ProbeID   string           `json:"probe_id"`
	Title     string           `json:"title"`
	Pack      string           `json:"pack"`
	Status    verdict.Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error"`
	Severity  verdict.Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
	Expected  string           `json:"expected"`
	Observed  string           `json:"observed"`
	SpecRef   string           `json:"spec_ref" jsonschema:"description=Specification clause or URL the expectation comes from"`
	StartedAt time.Time        `json:"started_at"`
	Duration  time.Duration    `json:"duration_ns" jsonschema:"description=Wall time in nanoseconds"`
	// Exchanges are the ids of the HTTP exchanges that evidence this result.
	Exchanges []string `json:"exchanges,omitempty"`
	// Cause says why a probe could not test (status error): a classified root cause with the
	// inspector's remedy. Empty for every other status.
	Cause *verdict.Cause `json:"cause,omitempty"`
	// DependsOn names the probe whose root finding answers this one (a not-applicable or
	// skipped dependant): one root cause is reported once, its dependants point at it.
	DependsOn string `json:"depends_on,omitempty"`
}

// Exchange is one recorded HTTP request and response, with secrets removed. It is evidence.
type Exchange struct {
	ID              string      `json:"id"`
	ProbeID         string      `json:"probe_id"`
	Method          string      `json:"method"`
	URL             string      `json:"url"`
	RequestHeaders  http.Header `json:"request_headers,omitempty"`
	RequestBody     []byte      `json:"request_body,omitempty"`
	StatusCode      int         `json:"status_code,omitempty"`
	ResponseHeaders http.Header `json:"response_headers,omitempty"`
	// ResponseBody is capped; ResponseSHA256 and ResponseSize describe what was actually read.
	ResponseBody      []byte        `json:"response_body,omitempty"`
	ResponseSHA256    string        `json:"response_sha256,omitempty"`
	ResponseSize      int64         `json:"response_size"`
	ResponseTruncated bool          `json:"response_truncated,omitempty"`
	TLS               *TLSFacts     `json:"tls,omitempty"`
	StartedAt         time.Time     `json:"started_at"`
	Duration          time.Duration `json:"duration_ns"`
	// Err is the transport error, if the exchange did not complete.
	Err string `json:"error,omitempty"`
}

// TLSFacts are what the TLS handshake showed.
type TLSFacts struct {
	Version       string    `json:"version"`
	CipherSuite   string    `json:"cipher_suite"`
	ALPN          string    `json:"alpn,omitempty"`
	PeerSubject   string    `json:"peer_subject,omitempty"`
	PeerIssuer    string    `json:"peer_issuer,omitempty"`
	PeerDNSNames  []string  `json:"peer_dns_names,omitempty"`
	PeerNotBefore time.Time `json:"peer_not_before,omitempty"`
	PeerNotAfter  time.Time `json:"peer_not_after,omitempty"`
	Verified      bool      `json:"verified"`
	VerifyError   string    `json:"verify_error,omitempty"`
}
