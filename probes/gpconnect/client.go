// Package gpconnect is the GP Connect (STU3, 1.x) probe pack and the consumer client it uses:
// the unsigned JWT with every claim the specification names, the Spine Secure Proxy headers,
// the GP Connect media type and mutual TLS (through the target's client certificate).
package gpconnect

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// MediaType is what a GP Connect consumer sends and accepts (no space before charset).
const MediaType = "application/fhir+json;charset=utf-8"

// Interaction ids (Ssp-InteractionID) of the 1.x STU3 interactions the pack makes.
const (
	urnPrefix                      = "urn:nhs:names:services:gpconnect:"
	InteractionMetadata            = urnPrefix + "fhir:rest:read:metadata-1"
	InteractionStructuredMetadata  = urnPrefix + "structured:fhir:rest:read:metadata-1"
	InteractionReadPatient         = urnPrefix + "fhir:rest:read:patient-1"
	InteractionSearchPatient       = urnPrefix + "fhir:rest:search:patient-1"
	InteractionReadPractitioner    = urnPrefix + "fhir:rest:read:practitioner-1"
	InteractionSearchPractitioner  = urnPrefix + "fhir:rest:search:practitioner-1"
	InteractionReadOrganization    = urnPrefix + "fhir:rest:read:organization-1"
	InteractionSearchOrganization  = urnPrefix + "fhir:rest:search:organization-1"
	InteractionReadLocation        = urnPrefix + "fhir:rest:read:location-1"
	InteractionSearchSlots         = urnPrefix + "fhir:rest:search:slot-1"
	InteractionCreateAppointment   = urnPrefix + "fhir:rest:create:appointment-1"
	InteractionUpdateAppointment   = urnPrefix + "fhir:rest:update:appointment-1"
	InteractionCancelAppointment   = urnPrefix + "fhir:rest:cancel:appointment-1"
	InteractionReadAppointment     = urnPrefix + "fhir:rest:read:appointment-1"
	InteractionPatientAppointments = urnPrefix + "fhir:rest:search:patient_appointments-1"
	InteractionStructuredRecord    = urnPrefix + "fhir:operation:gpc.getstructuredrecord-1"
)

// JWT scopes (requested_scope).
const (
	ScopePatientRead  = "patient/*.read"
	ScopePatientWrite = "patient/*.write"
	ScopeOrgRead      = "organization/*.read"
)

// Identifier systems.
const (
	SystemODS       = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemSDSUser   = "https://fhir.nhs.uk/Id/sds-user-id"
	SystemSDSRole   = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	SystemSpineCode = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"
)

// Defaults from the official provider test suite's configuration ([T App.config], gpconnect.md §12).
const (
	DefaultConsumerASID           = "200000000359"
	DefaultProviderASID           = "918999198738"
	DefaultRequestingODS          = "GPCA0001"
	DefaultRequestingPractitioner = "GCASDS0001"
	DefaultProviderODS            = "B82617"
	DefaultProviderPractitioner   = "G13579135"
	// TokenLifetime is the only lifetime the specification allows: exp = iat + 300.
	TokenLifetime = 300 * time.Second
)

// Settings returns the target's GP Connect settings with defaults filled in.
func Settings(t probes.Target) probes.GPConnectSettings {
	var g probes.GPConnectSettings
	if t.GPConnect != nil {
		g = *t.GPConnect
	}
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	def(&g.ConsumerASID, DefaultConsumerASID)
	def(&g.ProviderASID, DefaultProviderASID)
	def(&g.RequestingODS, DefaultRequestingODS)
	def(&g.RequestingPractitioner, DefaultRequestingPractitioner)
	def(&g.ProviderODS, DefaultProviderODS)
	def(&g.ProviderPractitioner, DefaultProviderPractitioner)
	g.StructuredURL = strings.TrimRight(g.StructuredURL, "/")
	return g
}

// Claims builds the JWT claims of a 1.x request ([S jwt]): audience the provider's base,
// exp exactly iat + 300, reason directcare, and minimal Device, Organization and
// Practitioner resources naming the consumer. The result is a fresh map the caller may change.
func Claims(g probes.GPConnectSettings, audience, scope string, now time.Time) jwt.MapClaims {
	iat := now.Unix()
	return jwt.MapClaims{
		"iss":                "https://jigsaw.inspection.invalid/",
		"sub":                g.RequestingPractitioner,
		"aud":                audience,
		"exp":                iat + int64(TokenLifetime/time.Second),
		"iat":                iat,
		"reason_for_request": "directcare",
		"requested_scope":    scope,
		"requesting_device": map[string]any{
			"resourceType": "Device",
			"identifier":   []any{map[string]any{"system": "https://jigsaw.inspection.invalid/device", "value": "jigsaw"}},
			"model":        "Jigsaw interoperability inspection",
			"version":      "1",
		},
		"requesting_organization": map[string]any{
			"resourceType": "Organization",
			"name":         "Jigsaw inspection",
			"identifier":   []any{map[string]any{"system": SystemODS, "value": g.RequestingODS}},
		},
		"requesting_practitioner": map[string]any{
			"resourceType": "Practitioner",
			"id":           g.RequestingPractitioner,
			"identifier": []any{
				map[string]any{"system": SystemSDSUser, "value": g.RequestingPractitioner},
				map[string]any{"system": SystemSDSRole, "value": "UNK"},
			},
			"name": []any{map[string]any{"family": "Inspector", "given": []any{"Jigsaw"}, "prefix": []any{"Mx"}}},
		},
	}
}

// Token encodes claims as the unsecured JWT GP Connect uses: header {"alg":"none","typ":"JWT"},
// base64url parts, empty signature (so the token ends with ".").
func Token(claims jwt.MapClaims) (string, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		return "", fmt.Errorf("encode GP Connect JWT: %w", err)
	}
	return tok, nil
}

// Call is one GP Connect request. Zero values give a well-formed request; the negative
// probes break one thing at a time.
type Call struct {
	Method string
	// URL is absolute or relative to the Foundations base.
	URL         string
	Interaction string
	Scope       string
	Body        []byte
	// Audience overrides the JWT aud (default: the target's base URL).
	Audience string
	// Claims, if set, edits the claims before encoding (delete one, skew the times...).
	Claims func(jwt.MapClaims)
	// RawToken replaces the encoded JWT entirely (e.g. raw JSON, not base64url).
	RawToken string
	// Omit lists headers to leave out; Set overrides header values after the defaults.
	Omit []string
	Set  map[string]string
	// Now is the token's creation time (default time.Now()).
	Now time.Time
}

// Sent is a finished call: the response and the trace id it carried.
type Sent struct {
	*probes.Response
	TraceID string
}

// Do sends a GP Connect request through the session (so it is recorded as evidence). The
// error is non-nil only when no response arrived.
func Do(ctx context.Context, s *probes.Session, c Call) (*Sent, error) {
	g := Settings(s.Target)
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	aud := c.Audience
	if aud == "" {
		aud = s.Target.BaseURL
	}
	token := c.RawToken
	if token == "" {
		claims := Claims(g, aud, c.Scope, c.Now)
		if c.Claims != nil {
			c.Claims(claims)
		}
		var err error
		if token, err = Token(claims); err != nil {
			return nil, err
		}
	}
	trace := NewTraceID()
	h := http.Header{}
	h.Set("Ssp-TraceID", trace)
	h.Set("Ssp-From", g.ConsumerASID)
	h.Set("Ssp-To", g.ProviderASID)
	h.Set("Ssp-InteractionID", c.Interaction)
	h.Set("Authorization", "Bearer "+token)
	h.Set("Accept", MediaType)
	if c.Body != nil {
		h.Set("Content-Type", MediaType)
	}
	for k, v := range c.Set {
		h.Set(k, v)
	}
	for _, k := range c.Omit {
		h.Del(k)
	}
	// Without an Authorization header the engine must not add the target's bearer token.
	noAuth := h.Get("Authorization") == ""
	resp, err := s.Do(ctx, probes.Request{Method: c.Method, URL: c.URL, Header: h, Body: c.Body, NoAuth: noAuth})
	if err != nil {
		return nil, err
	}
	return &Sent{Response: resp, TraceID: trace}, nil
}

// NewTraceID is a random version 4 UUID for Ssp-TraceID.
func NewTraceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
