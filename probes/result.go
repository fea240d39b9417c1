// Package probes is the probe engine: the target under test, a recording HTTP client, the
// Probe interface, a registry and a runner. Probe packs live in sub-packages. A probe returns
// a Result and the HTTP exchanges it made; it never touches the database.
package probes

import (
	"github.com/nhs-jigsaw/jigsaw/observed"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Status is the outcome of one probe, in Jigsaw's one verdict vocabulary. Error means "could
// not test" and is never a pass or a fail.
type Status = verdict.Status

// Probe outcomes, spelled by the verdict package.
const (
	Pass          = verdict.Pass
	Fail          = verdict.Fail
	Warn          = verdict.Warn
	InfoOnly      = verdict.Info
	Skip          = verdict.Skip
	NotApplicable = verdict.NotApplicable
	Error         = verdict.Error
)

// Severity says how much a failure matters to an inspector.
type Severity = verdict.Severity

// Severities, most serious first. Critical failures (patient data without authentication, say)
// make the overall rating Inadequate.
const (
	Critical = verdict.Critical
	High     = verdict.High
	Medium   = verdict.Medium
	Low      = verdict.Low
	Info     = verdict.Informational
)

// Result, Exchange and TLSFacts are what a probe captures; they live in package observed so the
// evidence store and the packages that read it need not link the probe engine.
type (
	Result   = observed.Result
	Exchange = observed.Exchange
	TLSFacts = observed.TLSFacts
)

// Target is the endpoint under test. The token is a secret: it never leaves the process.
type Target struct {
	BaseURL     string `json:"base_url"`
	FHIRVersion string `json:"fhir_version" jsonschema:"enum=R4,enum=STU3"`
	Token       string `json:"-"`
	// AllowTokenOverHTTP lets the token go to a plain-http target (a lab only); without it the
	// client never sends the token except over https.
	AllowTokenOverHTTP bool   `json:"-"`
	CAFile             string `json:"ca_file,omitempty"`
	ClientCert         string `json:"client_cert,omitempty"`
	ClientKey          string `json:"-"`
	Insecure           bool   `json:"insecure,omitempty"`
	// TestNHSNumber is the test patient probes look up; empty means the pack's default test patient.
	TestNHSNumber string `json:"test_nhs_number,omitempty"`
	// GPConnect holds the GP Connect consumer settings; nil unless the target is probed as a
	// GP Connect provider (--profile gpconnect).
	GPConnect *GPConnectSettings `json:"gpconnect,omitempty"`
}

// GPConnectSettings are what a GP Connect consumer sends and may touch: Spine ASIDs, the
// requesting organisation and practitioner (JWT claims), the provider's Access Record
// Structured base, and the only patient and slots writes may use.
type GPConnectSettings struct {
	// StructuredURL is the Access Record Structured base (a separate FHIR server); empty skips
	// the structured-record probes.
	StructuredURL string `json:"structured_url,omitempty"`
	ConsumerASID  string `json:"consumer_asid"`
	ProviderASID  string `json:"provider_asid"`
	// ProviderODS is the provider organisation's ODS code (Organization search).
	ProviderODS string `json:"provider_ods,omitempty"`
	// ProviderPractitioner is an SDS user id the provider knows (Practitioner search).
	ProviderPractitioner string `json:"provider_practitioner,omitempty"`
	// RequestingODS and RequestingPractitioner identify the consumer in the JWT.
	RequestingODS          string `json:"requesting_ods"`
	RequestingPractitioner string `json:"requesting_practitioner"`
	// AllowWrites permits appointment booking, amendment and cancellation, only for
	// WritePatient in WriteSlots.
	AllowWrites  bool     `json:"allow_writes,omitempty"`
	WritePatient string   `json:"write_patient,omitempty"`
	WriteSlots   []string `json:"write_slots,omitempty"`
}
