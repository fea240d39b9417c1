package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// The small part of the FHIR JSON model the probes read. Servers under test are not trusted:
// every parser here takes arbitrary bytes and returns an error, never panics.

// Coding is a code in a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a concept given as codings and/or text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a business identifier (NHS number, ODS code...).
type Identifier struct {
	Extension []Extension      `json:"extension,omitempty"`
	System    string           `json:"system,omitempty"`
	Value     string           `json:"value,omitempty"`
	Type      *CodeableConcept `json:"type,omitempty"`
}

// Reference points at another resource, by URL and/or by identifier.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// ResourceMeta is resource metadata.
type ResourceMeta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

// Resource is the envelope every FHIR resource shares.
type Resource struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *ResourceMeta `json:"meta,omitempty"`
}

// Patient is the part of a Patient resource the probes read.
type Patient struct {
	Resource
	Identifier           []Identifier `json:"identifier,omitempty"`
	ManagingOrganization *Reference   `json:"managingOrganization,omitempty"`
	GeneralPractitioner  []Reference  `json:"generalPractitioner,omitempty"`
}

// NHSNumber returns the value of the first identifier in the NHS number system, or "".
func (p *Patient) NHSNumber() string {
	for _, id := range p.Identifier {
		if id.System == SystemNHSNumber {
			return id.Value
		}
	}
	return ""
}

// SystemNHSNumber is the identifier system for NHS numbers (UK Core, GP Connect).
const SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"

// CapabilityStatement is the part of a CapabilityStatement the probes read (R4 and STU3).
type CapabilityStatement struct {
	Resource
	Status      string           `json:"status,omitempty"`
	Kind        string           `json:"kind,omitempty"`
	FHIRVersion string           `json:"fhirVersion,omitempty"`
	Format      []string         `json:"format,omitempty"`
	Software    *CapabilityAbout `json:"software,omitempty"`
	Rest        []CapabilityRest `json:"rest,omitempty"`
	// Profile lists system-wide profiles (STU3 Reference objects, R4 canonicals: kept raw).
	Profile []json.RawMessage `json:"profile,omitempty"`
}

// CapabilityAbout names the software.
type CapabilityAbout struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// CapabilityRest is one rest[] entry.
type CapabilityRest struct {
	Mode     string               `json:"mode,omitempty"`
	Security *CapabilitySecurity  `json:"security,omitempty"`
	Resource []CapabilityResource `json:"resource,omitempty"`
}

// CapabilitySecurity is rest.security: the security services the server declares.
type CapabilitySecurity struct {
	Service     []CodeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

// DeclaresSMART reports whether rest.security.service names SMART-on-FHIR (code SMART-on-FHIR
// of restful-security-service, R4 or STU3 system, or a service whose text names SMART).
func (r *CapabilityRest) DeclaresSMART() bool {
	if r == nil || r.Security == nil {
		return false
	}
	for _, svc := range r.Security.Service {
		for _, c := range svc.Coding {
			if strings.EqualFold(c.Code, "SMART-on-FHIR") {
				return true
			}
		}
		if strings.Contains(strings.ToUpper(svc.Text), "SMART") {
			return true
		}
	}
	return false
}

// SecurityServices lists the declared security services for an observation.
func (r *CapabilityRest) SecurityServices() []string {
	if r == nil || r.Security == nil {
		return nil
	}
	var out []string
	for _, svc := range r.Security.Service {
		for _, c := range svc.Coding {
			out = append(out, c.Code)
		}
		if len(svc.Coding) == 0 && svc.Text != "" {
			out = append(out, svc.Text)
		}
	}
	return out
}

// CapabilityResource is one rest[].resource[] entry.
type CapabilityResource struct {
	Type string `json:"type,omitempty"`
	// Profile is a canonical string in R4 and a Reference object in STU3.
	Profile          json.RawMessage `json:"profile,omitempty"`
	SupportedProfile []string        `json:"supportedProfile,omitempty"`
	Interaction      []struct {
		Code string `json:"code,omitempty"`
	} `json:"interaction,omitempty"`
	SearchParam []struct {
		Name string `json:"name,omitempty"`
		Type string `json:"type,omitempty"`
	} `json:"searchParam,omitempty"`
}

// Profiles returns the resource's base profile and supported profiles as URLs.
func (r CapabilityResource) Profiles() []string {
	out := append([]string(nil), r.SupportedProfile...)
	if p := canonicalOrReference(r.Profile); p != "" {
		out = append(out, p)
	}
	return out
}

// HasInteraction reports whether the resource declares the interaction code.
func (r CapabilityResource) HasInteraction(code string) bool {
	for _, i := range r.Interaction {
		if i.Code == code {
			return true
		}
	}
	return false
}

// HasSearchParam reports whether the resource declares the search parameter.
func (r CapabilityResource) HasSearchParam(name string) bool {
	for _, p := range r.SearchParam {
		if p.Name == name {
			return true
		}
	}
	return false
}

// ServerRest returns the rest entry with mode "server", or nil.
func (c *CapabilityStatement) ServerRest() *CapabilityRest {
	for i := range c.Rest {
		if c.Rest[i].Mode == "server" {
			return &c.Rest[i]
		}
	}
	return nil
}

// ResourceDecl returns the server's declaration for a resource type, or nil.
func (c *CapabilityStatement) ResourceDecl(resourceType string) *CapabilityResource {
	rest := c.ServerRest()
	if rest == nil {
		return nil
	}
	for i := range rest.Resource {
		if rest.Resource[i].Type == resourceType {
			return &rest.Resource[i]
		}
	}
	return nil
}

// AllProfiles lists every profile URL the statement names (system-wide and per resource).
func (c *CapabilityStatement) AllProfiles() []string {
	var out []string
	for _, p := range c.Profile {
		if u := canonicalOrReference(p); u != "" {
			out = append(out, u)
		}
	}
	for _, rest := range c.Rest {
		for _, r := range rest.Resource {
			out = append(out, r.Profiles()...)
		}
	}
	return out
}

func canonicalOrReference(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var ref Reference
	if json.Unmarshal(raw, &ref) == nil {
		return ref.Reference
	}
	return ""
}

// Bundle is a search result or other collection of resources.
type Bundle struct {
	Resource
	Type  string        `json:"type,omitempty"`
	Total *int          `json:"total,omitempty"`
	Link  []BundleLink  `json:"link,omitempty"`
	Entry []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a paging or self link.
type BundleLink struct {
	Relation string `json:"relation,omitempty"`
	URL      string `json:"url,omitempty"`
}

// BundleEntry is one entry; the resource is kept raw for the caller to decode.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *struct {
		Mode string `json:"mode,omitempty"`
	} `json:"search,omitempty"`
}

// LinkURL returns the URL of the link with the relation, or "".
func (b *Bundle) LinkURL(relation string) string {
	for _, l := range b.Link {
		if l.Relation == relation {
			return l.URL
		}
	}
	return ""
}

// Matches returns the raw resources of the given type that are search matches (entries
// without a search mode count as matches: some servers leave it out).
func (b *Bundle) Matches(resourceType string) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range b.Entry {
		if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
			continue
		}
		if resourceType != "" && ResourceTypeOf(e.Resource) != resourceType {
			continue
		}
		out = append(out, e.Resource)
	}
	return out
}

// OperationOutcome reports errors and warnings.
type OperationOutcome struct {
	Resource
	Issue []OperationOutcomeIssue `json:"issue,omitempty"`
}

// OperationOutcomeIssue is one issue.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity,omitempty"`
	Code        string           `json:"code,omitempty"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

// ErrNotJSON says a body is not a JSON object.
var ErrNotJSON = errors.New("body is not a JSON object")

// ResourceTypeOf returns the resourceType of a JSON resource, or "" when it has none.
func ResourceTypeOf(raw []byte) string {
	var r struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	return r.ResourceType
}

// DecodeResource decodes body into v and checks its resourceType is want.
func DecodeResource(body []byte, want string, v any) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return fmt.Errorf("empty body, expected a %s", want)
	}
	if t[0] != '{' {
		return fmt.Errorf("%w (starts %q), expected a %s", ErrNotJSON, snippet(t, 24), want)
	}
	if err := json.Unmarshal(t, v); err != nil {
		return fmt.Errorf("decode %s: %w", want, err)
	}
	if got := ResourceTypeOf(t); got != want {
		if got == "" {
			return fmt.Errorf("JSON has no resourceType, expected %s", want)
		}
		return fmt.Errorf("resourceType is %s, expected %s", got, want)
	}
	return nil
}

// ParseCapabilityStatement decodes a CapabilityStatement.
func ParseCapabilityStatement(body []byte) (*CapabilityStatement, error) {
	var cs CapabilityStatement
	if err := DecodeResource(body, "CapabilityStatement", &cs); err != nil {
		return nil, err
	}
	return &cs, nil
}

// ParseBundle decodes a Bundle.
func ParseBundle(body []byte) (*Bundle, error) {
	var b Bundle
	if err := DecodeResource(body, "Bundle", &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// ParseOperationOutcome decodes an OperationOutcome.
func ParseOperationOutcome(body []byte) (*OperationOutcome, error) {
	var oo OperationOutcome
	if err := DecodeResource(body, "OperationOutcome", &oo); err != nil {
		return nil, err
	}
	return &oo, nil
}

// ParsePatient decodes a Patient.
func ParsePatient(body []byte) (*Patient, error) {
	var p Patient
	if err := DecodeResource(body, "Patient", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// MediaType returns the lower-case media type of a Content-Type value without parameters, and
// the charset parameter if any.
func MediaType(contentType string) (mediaType, charset string) {
	if contentType == "" {
		return "", ""
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		return strings.ToLower(strings.TrimSpace(mt)), ""
	}
	return mt, strings.ToLower(params["charset"])
}

// isJSONMedia reports whether a Content-Type names a JSON media type (FHIR or plain).
func isJSONMedia(contentType string) bool {
	mt, _ := MediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/json+fhir"
}

// IsFHIRJSON reports whether a media type is a FHIR JSON media type for the version.
func IsFHIRJSON(mediaType, fhirVersion string) bool {
	if mediaType == "application/fhir+json" {
		return true
	}
	return fhirVersion == STU3 && mediaType == "application/json+fhir"
}

// snippet returns at most n bytes of b for messages, with control characters made visible.
func snippet(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// Clip makes server-supplied text safe for an observation: control characters dropped,
// invalid UTF-8 replaced and the length capped at n runes.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	count := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		if count == n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}

// Extension is an extension with the value types probes read.
type Extension struct {
	URL                  string           `json:"url,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
}
