package terminology

import (
	"sort"
	"strings"
)

// Category groups code systems the way an inspector reads a dataset's coding.
type Category string

// Categories of code system.
const (
	CatSNOMED   Category = "snomed-ct"
	CatLOINC    Category = "loinc"
	CatDMD      Category = "dm+d"
	CatICD10    Category = "icd-10"
	CatRead     Category = "read"      // Read v2 and CTV3, retired in the NHS
	CatFHIR     Category = "fhir"      // HL7 FHIR and terminology.hl7.org code systems
	CatNHS      Category = "nhs"       // UK Core and NHS England code systems
	CatLocal    Category = "local"     // anything else: local or unknown systems
	CatNoSystem Category = "no-system" // a code without a system
)

// Classify puts a code system URI in a category.
func Classify(system string) Category {
	switch system {
	case "":
		return CatNoSystem
	case SystemSNOMED:
		return CatSNOMED
	case SystemLOINC:
		return CatLOINC
	case SystemDMD, "http://dmd.nhs.uk":
		return CatDMD
	case SystemICD10, SystemICD10UK:
		return CatICD10
	case SystemReadV2, SystemCTV3:
		return CatRead
	}
	switch {
	case strings.HasPrefix(system, "http://hl7.org/fhir/sid/icd-10"):
		return CatICD10
	case strings.HasPrefix(system, "http://terminology.hl7.org/"), strings.HasPrefix(system, "http://hl7.org/fhir/"),
		system == "http://unitsofmeasure.org", strings.HasPrefix(system, "urn:ietf:bcp:"):
		return CatFHIR
	case strings.HasPrefix(system, "https://fhir.hl7.org.uk/"), strings.HasPrefix(system, "https://fhir.nhs.uk/"),
		strings.HasPrefix(system, "http://fhir.nhs.net/"), strings.HasPrefix(system, "https://fhir.nhs.uk"):
		return CatNHS
	}
	return CatLocal
}

// Coding is one coded value found in a resource.
type Coding struct {
	System  string
	Code    string
	Display string
}

// Finding is a terminology problem: an identifier or code whose check digit or format is wrong.
// Findings are kept apart from structural validation errors.
type Finding struct {
	Kind         string `json:"kind"` // snomed-invalid, snomed-not-concept, loinc-invalid, nhs-number-invalid, ods-invalid
	ResourceType string `json:"resource_type"`
	Expression   string `json:"expression"`
	System       string `json:"system,omitempty"`
	Value        string `json:"value"`
	Message      string `json:"message"`
}

// SystemUse counts the codings of one code system.
type SystemUse struct {
	System   string   `json:"system"`
	Category Category `json:"category"`
	Codings  int      `json:"codings"`
	Invalid  int      `json:"invalid"` // failed a check digit or format check (SNOMED CT, LOINC)
}

// IdentifierCheck counts identifiers of one kind and how many are well formed.
type IdentifierCheck struct {
	Total   int `json:"total"`
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
}

// Profile is the terminology profile of a dataset.
type Profile struct {
	Resources        int            `json:"resources"`
	ResourceTypes    map[string]int `json:"resource_types"`
	CodeableConcepts int            `json:"codeable_concepts"`
	Coded            int            `json:"coded"`     // CodeableConcepts with at least one coding
	TextOnly         int            `json:"text_only"` // CodeableConcepts with text and no coding
	Empty            int            `json:"empty"`     // CodeableConcepts with neither
	Codings          int            `json:"codings"`   // all codings, inside CodeableConcepts or not
	// Coverage ratios over CodeableConcepts (0..1): coded at all, with a SNOMED CT coding, with a
	// national code system (SNOMED CT, LOINC, dm+d, ICD-10), with only local codes.
	CodedRatio     float64 `json:"coded_ratio"`
	SNOMEDRatio    float64 `json:"snomed_ratio"`
	NationalRatio  float64 `json:"national_ratio"`
	LocalOnlyRatio float64 `json:"local_only_ratio"`
	// ByCategory counts codings by category of code system.
	ByCategory map[Category]int `json:"by_category"`
	Systems    []SystemUse      `json:"systems"`
	NHSNumbers IdentifierCheck  `json:"nhs_numbers"`
	ODSCodes   IdentifierCheck  `json:"ods_codes"`
	Findings   []Finding        `json:"findings"`
	// FindingsDropped counts findings beyond the kept ones (MaxFindings).
	FindingsDropped int `json:"findings_dropped,omitempty"`
}

// MaxFindings bounds the findings kept in a profile; counts stay exact.
const MaxFindings = 500

// Analyzer builds a Profile from the codings and identifiers of a stream of resources. It is
// not safe for concurrent use.
type Analyzer struct {
	p         Profile
	systems   map[string]*SystemUse
	withSCT   int
	national  int
	localOnly int
}

// NewAnalyzer returns an empty analyzer.
func NewAnalyzer() *Analyzer {
	return &Analyzer{
		p:       Profile{ResourceTypes: map[string]int{}, ByCategory: map[Category]int{}, Findings: []Finding{}},
		systems: map[string]*SystemUse{},
	}
}

// AddResource counts one resource.
func (a *Analyzer) AddResource(resourceType string) {
	a.p.Resources++
	a.p.ResourceTypes[resourceType]++
}

func (a *Analyzer) finding(f Finding) {
	if len(a.p.Findings) >= MaxFindings {
		a.p.FindingsDropped++
		return
	}
	a.p.Findings = append(a.p.Findings, f)
}

// AddCoding records one coding found at expression in a resource.
func (a *Analyzer) AddCoding(resourceType, expression string, c Coding) {
	a.p.Codings++
	cat := Classify(c.System)
	a.p.ByCategory[cat]++
	su := a.systems[c.System]
	if su == nil {
		su = &SystemUse{System: c.System, Category: cat}
		a.systems[c.System] = su
	}
	su.Codings++
	if c.Code == "" {
		return
	}
	switch cat {
	case CatSNOMED, CatDMD:
		kind, ok := ParseSCTID(c.Code)
		switch {
		case !ok && cat == CatSNOMED && strings.ContainsAny(c.Code, ":=|{}()"):
			// A post-coordinated expression, not an identifier: not checked here.
		case !ok:
			su.Invalid++
			a.finding(Finding{Kind: "snomed-invalid", ResourceType: resourceType, Expression: expression, System: c.System, Value: c.Code,
				Message: "not a valid SNOMED CT identifier (length, partition or Verhoeff check digit)"})
		case kind != SCTConcept:
			su.Invalid++
			a.finding(Finding{Kind: "snomed-not-concept", ResourceType: resourceType, Expression: expression, System: c.System, Value: c.Code,
				Message: "a SNOMED CT " + string(kind) + " identifier where a concept is expected"})
		}
	case CatLOINC:
		if !LOINCValid(c.Code) && !strings.HasPrefix(c.Code, "LA") && !strings.HasPrefix(c.Code, "LP") && !strings.HasPrefix(c.Code, "LL") {
			su.Invalid++
			a.finding(Finding{Kind: "loinc-invalid", ResourceType: resourceType, Expression: expression, System: c.System, Value: c.Code,
				Message: "not a valid LOINC code (NNNNN-C with a mod 10 check digit)"})
		}
	}
}

// AddCodeableConcept records a CodeableConcept and its codings.
func (a *Analyzer) AddCodeableConcept(resourceType, expression string, codings []Coding, text string) {
	a.p.CodeableConcepts++
	switch {
	case len(codings) == 0 && strings.TrimSpace(text) != "":
		a.p.TextOnly++
	case len(codings) == 0:
		a.p.Empty++
	default:
		a.p.Coded++
	}
	sct, national, local := false, false, len(codings) > 0
	for _, c := range codings {
		a.AddCoding(resourceType, expression+".coding", c)
		switch Classify(c.System) {
		case CatSNOMED:
			sct, national = true, true
			local = false
		case CatLOINC, CatDMD, CatICD10:
			national = true
			local = false
		case CatFHIR, CatNHS, CatRead:
			local = false
		}
	}
	if sct {
		a.withSCT++
	}
	if national {
		a.national++
	}
	if local {
		a.localOnly++
	}
}

// AddIdentifier records an identifier, checking NHS numbers and ODS codes.
func (a *Analyzer) AddIdentifier(resourceType, expression, system, value string) {
	switch system {
	case SystemNHSNumber:
		a.p.NHSNumbers.Total++
		if NHSNumberValid(value) {
			a.p.NHSNumbers.Valid++
		} else {
			a.p.NHSNumbers.Invalid++
			a.finding(Finding{Kind: "nhs-number-invalid", ResourceType: resourceType, Expression: expression, System: system, Value: redactNHSNumber(value),
				Message: "not a valid NHS number (ten digits with a modulus 11 check digit)"})
		}
	case SystemODSOrg, SystemODSSite:
		a.p.ODSCodes.Total++
		if ODSCodeValid(value) {
			a.p.ODSCodes.Valid++
		} else {
			a.p.ODSCodes.Invalid++
			a.finding(Finding{Kind: "ods-invalid", ResourceType: resourceType, Expression: expression, System: system, Value: value,
				Message: "not the shape of an ODS code (3 to 6 upper-case letters and digits)"})
		}
	}
}

// redactNHSNumber keeps only the last three characters of a patient identifier in findings.
func redactNHSNumber(v string) string {
	if len(v) <= 3 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", len(v)-3) + v[len(v)-3:]
}

// Profile returns the profile so far.
func (a *Analyzer) Profile() Profile {
	p := a.p
	p.Systems = make([]SystemUse, 0, len(a.systems))
	for _, s := range a.systems {
		p.Systems = append(p.Systems, *s)
	}
	sort.Slice(p.Systems, func(i, j int) bool {
		if p.Systems[i].Codings != p.Systems[j].Codings {
			return p.Systems[i].Codings > p.Systems[j].Codings
		}
		return p.Systems[i].System < p.Systems[j].System
	})
	if p.CodeableConcepts > 0 {
		n := float64(p.CodeableConcepts)
		p.CodedRatio = float64(p.Coded) / n
		p.SNOMEDRatio = float64(a.withSCT) / n
		p.NationalRatio = float64(a.national) / n
		p.LocalOnlyRatio = float64(a.localOnly) / n
	}
	p.Findings = append([]Finding(nil), p.Findings...)
	return p
}
