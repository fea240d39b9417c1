package sandbox

import (
	"bytes"
	"encoding/json"
)

// The FHIR R4 data types and resources the sandbox serves, as plain structs. Field order follows
// the specification's element order, because the JSON is converted to XML in that order and FHIR
// XML is order-sensitive.

type meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type extension struct {
	URL                  string           `json:"url"`
	Extension            []extension      `json:"extension,omitempty"`
	ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueURI             string           `json:"valueUri,omitempty"`
}

type identifier struct {
	Extension []extension `json:"extension,omitempty"`
	Use       string      `json:"use,omitempty"`
	System    string      `json:"system,omitempty"`
	Value     string      `json:"value,omitempty"`
}

type humanName struct {
	Use    string   `json:"use,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
}

type contactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"`
}

type address struct {
	Use        string   `json:"use,omitempty"`
	Type       string   `json:"type,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

type reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type quantity struct {
	Value  json.Number `json:"value"`
	Unit   string      `json:"unit,omitempty"`
	System string      `json:"system,omitempty"`
	Code   string      `json:"code,omitempty"`
}

type patientResource struct {
	ResourceType         string         `json:"resourceType"`
	ID                   string         `json:"id"`
	Meta                 *meta          `json:"meta,omitempty"`
	Identifier           []identifier   `json:"identifier,omitempty"`
	Active               bool           `json:"active"`
	Name                 []humanName    `json:"name,omitempty"`
	Telecom              []contactPoint `json:"telecom,omitempty"`
	Gender               string         `json:"gender,omitempty"`
	BirthDate            string         `json:"birthDate,omitempty"`
	Address              []address      `json:"address,omitempty"`
	GeneralPractitioner  []reference    `json:"generalPractitioner,omitempty"`
	ManagingOrganization *reference     `json:"managingOrganization,omitempty"`
}

type organizationResource struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Meta         *meta             `json:"meta,omitempty"`
	Identifier   []identifier      `json:"identifier,omitempty"`
	Active       bool              `json:"active"`
	Type         []codeableConcept `json:"type,omitempty"`
	Name         string            `json:"name,omitempty"`
	Telecom      []contactPoint    `json:"telecom,omitempty"`
	Address      []address         `json:"address,omitempty"`
	PartOf       *reference        `json:"partOf,omitempty"`
}

type conditionResource struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id"`
	Meta               *meta             `json:"meta,omitempty"`
	ClinicalStatus     *codeableConcept  `json:"clinicalStatus,omitempty"`
	VerificationStatus *codeableConcept  `json:"verificationStatus,omitempty"`
	Category           []codeableConcept `json:"category,omitempty"`
	Code               *codeableConcept  `json:"code,omitempty"`
	Subject            reference         `json:"subject"`
	OnsetDateTime      string            `json:"onsetDateTime,omitempty"`
	RecordedDate       string            `json:"recordedDate,omitempty"`
}

type observationComponent struct {
	Code          codeableConcept `json:"code"`
	ValueQuantity *quantity       `json:"valueQuantity,omitempty"`
}

type observationResource struct {
	ResourceType      string                 `json:"resourceType"`
	ID                string                 `json:"id"`
	Meta              *meta                  `json:"meta,omitempty"`
	Status            string                 `json:"status"`
	Category          []codeableConcept      `json:"category,omitempty"`
	Code              codeableConcept        `json:"code"`
	Subject           reference              `json:"subject"`
	EffectiveDateTime string                 `json:"effectiveDateTime,omitempty"`
	Performer         []reference            `json:"performer,omitempty"`
	ValueQuantity     *quantity              `json:"valueQuantity,omitempty"`
	Component         []observationComponent `json:"component,omitempty"`
}

type allergyReaction struct {
	Manifestation []codeableConcept `json:"manifestation"`
	Severity      string            `json:"severity,omitempty"`
}

type allergyResource struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id"`
	Meta               *meta             `json:"meta,omitempty"`
	ClinicalStatus     *codeableConcept  `json:"clinicalStatus,omitempty"`
	VerificationStatus *codeableConcept  `json:"verificationStatus,omitempty"`
	Type               string            `json:"type,omitempty"`
	Category           []string          `json:"category,omitempty"`
	Criticality        string            `json:"criticality,omitempty"`
	Code               *codeableConcept  `json:"code,omitempty"`
	Patient            reference         `json:"patient"`
	RecordedDate       string            `json:"recordedDate,omitempty"`
	Reaction           []allergyReaction `json:"reaction,omitempty"`
}

type dosage struct {
	Text string `json:"text,omitempty"`
}

type medicationStatementResource struct {
	ResourceType              string          `json:"resourceType"`
	ID                        string          `json:"id"`
	Meta                      *meta           `json:"meta,omitempty"`
	Status                    string          `json:"status"`
	MedicationCodeableConcept codeableConcept `json:"medicationCodeableConcept"`
	Subject                   reference       `json:"subject"`
	EffectivePeriod           *period         `json:"effectivePeriod,omitempty"`
	DateAsserted              string          `json:"dateAsserted,omitempty"`
	Dosage                    []dosage        `json:"dosage,omitempty"`
}

type operationOutcomeIssue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *codeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

type operationOutcome struct {
	ResourceType string                  `json:"resourceType"`
	Issue        []operationOutcomeIssue `json:"issue"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleSearch struct {
	Mode string `json:"mode"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource"`
	Search   *bundleSearch   `json:"search,omitempty"`
}

type bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *meta         `json:"meta,omitempty"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

// marshalJSON is json.Marshal without HTML escaping: URLs keep their '&' and '<' stays '<'.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
