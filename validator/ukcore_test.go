package validator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

const ukCoreBase = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"

// UK Core profile validation: a valid and an invalid resource of each kind the issue names,
// validated against the UK Core 2.0.0 profile it declares (snapshots generated from the
// package's differentials). Each invalid one asserts check, severity, expression, line and
// column of every error.

const ukPatientValid = `{
  "resourceType": "Patient",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Jo Smith</div>"},
  "extension": [
    {
      "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
      "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "code": "A"}]}
    }
  ],
  "identifier": [
    {
      "extension": [
        {
          "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
          "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01"}]}
        }
      ],
      "system": "https://fhir.nhs.uk/Id/nhs-number",
      "value": "9000000009"
    }
  ],
  "name": [{"family": "Smith", "given": ["Jo"]}],
  "gender": "female",
  "birthDate": "1980-02-28"
}`

const ukPatientInvalid = `{
  "resourceType": "Patient",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Jo Smith</div>"},
  "extension": [
    {
      "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
      "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "code": "A"}]}
    },
    {
      "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
      "valueString": "A"
    }
  ],
  "identifier": [
    {
      "extension": [
        {
          "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
          "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "99"}]}
        }
      ],
      "system": "https://fhir.nhs.uk/Id/nhs-number",
      "value": "9000000008"
    },
    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}
  ],
  "name": [{"family": "Smith", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "Jones"}]}],
  "gender": "female"
}`

const ukObservationValid = `{
  "resourceType": "Observation",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Body weight 70 kg</div>"},
  "status": "final",
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "27113001", "display": "Body weight"}]},
  "subject": {"reference": "Patient/123"},
  "effectiveDateTime": "2024-01-02T10:00:00Z",
  "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
}`

const ukObservationInvalid = `{
  "resourceType": "Observation",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Body weight 70 kg</div>"},
  "extension": [
    {
      "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.triggeredBy",
      "extension": [{"url": "observation", "valueReference": {"reference": "Observation/1"}}]
    }
  ],
  "status": "final",
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "27113001", "display": "Body weight"}]},
  "subject": {"reference": "Patient/123"},
  "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
}`

const ukMedicationRequestValid = `{
  "resourceType": "MedicationRequest",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Paracetamol</div>"},
  "status": "active",
  "intent": "order",
  "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "39720311000001101", "display": "Paracetamol 500mg tablets"}]},
  "subject": {"reference": "Patient/123"},
  "substitution": {"allowedBoolean": true}
}`

const ukMedicationRequestInvalid = `{
  "resourceType": "MedicationRequest",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Paracetamol</div>"},
  "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation", "valueString": "x"}],
  "status": "active",
  "intent": "order",
  "category": [{"coding": [{"system": "http://example.org/local", "code": "x"}]}],
  "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "39720311000001101", "display": "Paracetamol 500mg tablets"}]},
  "subject": {"reference": "Patient/123"}
}`

const ukConditionValid = `{
  "resourceType": "Condition",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Condition"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Asthma</div>"},
  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}]},
  "subject": {"reference": "Patient/123"}
}`

const ukConditionInvalid = `{
  "resourceType": "Condition",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Condition"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Asthma</div>"},
  "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ConditionEpisode", "valueCode": "first"}],
  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
  "code": {
    "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ConditionEpisode", "valueCodeableConcept": {"text": "first"}}],
    "coding": [{"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}]
  },
  "subject": {"reference": "Patient/123"}
}`

const ukAllergyValid = `{
  "resourceType": "AllergyIntolerance",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Penicillin allergy</div>"},
  "clinicalStatus": {
    "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AllergyIntoleranceEnd", "extension": [{"url": "endDate", "valueDateTime": "2020-01-01"}]}],
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "resolved"}]
  },
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91936005", "display": "Allergy to penicillin"}]},
  "patient": {"reference": "Patient/123"}
}`

const ukAllergyInvalid = `{
  "resourceType": "AllergyIntolerance",
  "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Penicillin allergy</div>"},
  "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AllergyIntoleranceEnd", "extension": [{"url": "endDate", "valueDateTime": "2020-01-01"}]}],
  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "resolved"}]},
  "patient": {"reference": "Patient/123"}
}`

type wantIssue struct {
	check     Check
	sev       Severity
	expr      string
	line, col int
	msg       string
}

func TestUKCoreProfiles(t *testing.T) {
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want []wantIssue
	}{
		{"Patient valid", ukPatientValid, nil},
		{"Patient invalid", ukPatientInvalid, []wantIssue{
			{CheckCardinality, SeverityError, "Patient.extension[1]", 10, 5, "Patient.extension:ethnicCategory: max allowed = 1, but found 2"},
			{CheckProfileType, SeverityError, "Patient.extension[1].value.ofType(string)", 12, 22, "type string is not allowed here; allowed: CodeableConcept"},
			{CheckBinding, SeverityError, "Patient.identifier[0].extension[0].value.ofType(CodeableConcept)", 20, 35, "UKCore-NHSNumberVerificationStatusEngland|99 is not in the value set https://fhir.hl7.org.uk/ValueSet/UKCore-NHSNumberVerificationStatus"},
			{CheckIdentifier, SeverityError, "Patient.identifier[0].value", 24, 16, `NHS number "…008" is not valid`},
			{CheckCardinality, SeverityError, "Patient.identifier[1]", 26, 5, "Patient.identifier:nhsNumber: max allowed = 1, but found 2"},
			{CheckExtension, SeverityError, "Patient.name[0].extension[0]", 28, 46, "patient-mothersMaidenName is not allowed to be used here (this element is HumanName, Patient.name); allowed: element:Patient"},
		}},
		{"Observation valid", ukObservationValid, nil},
		{"Observation invalid", ukObservationInvalid, []wantIssue{
			{CheckCardinality, SeverityError, "Observation.extension[0].extension", 6, 5, "Extension.extension: minimum required = 2, but only found 1"},
			{CheckCardinality, SeverityError, "Observation.extension[0].extension", 6, 5, "Extension.extension:type: minimum required = 1, but only found 0"},
		}},
		{"MedicationRequest valid", ukMedicationRequestValid, nil},
		{"MedicationRequest invalid", ukMedicationRequestInvalid, []wantIssue{
			{CheckCardinality, SeverityError, "MedicationRequest.substitution", 1, 1, "MedicationRequest.substitution: minimum required = 1, but only found 0"},
			{CheckCardinality, SeverityError, "MedicationRequest.extension[0].value.ofType(string)", 5, 132, "Extension.value[x]: max allowed = 0, but found 1"},
		}},
		{"Condition valid", ukConditionValid, nil},
		{"Condition invalid", ukConditionInvalid, []wantIssue{
			{CheckProfileType, SeverityError, "Condition.extension[0].value.ofType(code)", 5, 119, "type code is not allowed here; allowed: CodeableConcept"},
			{CheckExtension, SeverityError, "Condition.code.extension[0]", 8, 19, "Extension-UKCore-ConditionEpisode is not allowed to be used here (this element is CodeableConcept, Condition.code); allowed: element:Condition"},
		}},
		{"AllergyIntolerance valid", ukAllergyValid, nil},
		{"AllergyIntolerance invalid", ukAllergyInvalid, []wantIssue{
			{CheckCardinality, SeverityError, "AllergyIntolerance.code", 1, 1, "AllergyIntolerance.code: minimum required = 1, but only found 0"},
			{CheckExtension, SeverityError, "AllergyIntolerance.extension[0]", 5, 17, "Extension-UKCore-AllergyIntoleranceEnd is not allowed to be used here (this element is AllergyIntolerance, AllergyIntolerance); allowed: element:AllergyIntolerance.clinicalStatus"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issues := v.ValidateResource(context.Background(), []byte(tc.doc))
			got := errorsOnly(issues)
			profiled := false
			for _, is := range issues {
				if is.Check == CheckProfile && strings.Contains(is.Message, "validated against declared profile "+ukCoreBase) {
					profiled = true
				}
			}
			if !profiled {
				t.Errorf("the declared UK Core profile was not applied: %+v", issues)
			}
			if len(got) != len(tc.want) {
				for _, is := range got {
					t.Logf("got %s %s %d:%d %s", is.Check, is.Expression, is.Line, is.Column, is.Message)
				}
				t.Fatalf("got %d errors, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Check != w.check || g.Severity != w.sev || g.Expression != w.expr || g.Line != w.line || g.Column != w.col || !strings.Contains(g.Message, w.msg) {
					t.Errorf("issue %d:\n got  %s %s %s %d:%d %s\n want %s %s %s %d:%d ...%s...", i,
						g.Check, g.Severity, g.Expression, g.Line, g.Column, g.Message, w.check, w.sev, w.expr, w.line, w.col, w.msg)
				}
			}
		})
	}
}

// TestUKCoreBindingsAndMustSupport: extensible bindings warn, must-support is reported as
// information and never an error, and codes that need a terminology server are said to be
// unchecked.
func TestUKCoreBindingsAndMustSupport(t *testing.T) {
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	issues := v.ValidateResource(context.Background(), []byte(ukMedicationRequestInvalid))
	var warned, ms bool
	for _, is := range issues {
		if is.Check == CheckBinding && is.Severity == SeverityWarning && is.Line == 8 && strings.Contains(is.Message, "UKCore-MedicationRequestCategory") {
			warned = true
		}
		if is.Check == CheckProfile && is.Severity == SeverityInformation && strings.Contains(is.Message, "must-support elements absent") {
			ms = true
		}
	}
	if !warned {
		t.Errorf("extensible binding outside the value set not warned: %+v", issues)
	}
	if !ms {
		t.Errorf("absent must-support elements not reported: %+v", issues)
	}
}

// TestProfileOnCommandLine: WithProfile applies a profile the resource does not declare, and a
// resource of another type is told so.
func TestProfileOnCommandLine(t *testing.T) {
	v, err := New(R4, WithProfile(ukCoreBase+"AllergyIntolerance"))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(ukAllergyInvalid, `"meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"]},`, "", 1)
	got := errorsOnly(v.ValidateResource(context.Background(), []byte(doc)))
	found := false
	for _, is := range got {
		if is.Check == CheckCardinality && strings.Contains(is.Message, "AllergyIntolerance.code: minimum required = 1") {
			found = true
		}
	}
	if !found {
		t.Errorf("--profile not applied: %+v", got)
	}
	got = errorsOnly(v.ValidateResource(context.Background(), []byte(ukConditionValid)))
	if len(got) != 1 || got[0].Check != CheckProfile || !strings.Contains(got[0].Message, "is for AllergyIntolerance, but the resource is a Condition") {
		t.Errorf("type mismatch not reported: %+v", got)
	}
	if _, err := New(R4, WithProfile("http://example.org/StructureDefinition/nothing")); err == nil {
		t.Error("an unknown profile was accepted")
	}
}

// TestUKCoreExamplesAgainstProfiles validates every example of the UK Core 2.0.0 package against
// the UK Core profile of its resource type (most examples do not declare it). None may have an
// error except the defects listed in knownExampleErrors.
func TestUKCoreExamplesAgainstProfiles(t *testing.T) {
	data := readGz(t, "testdata/ukcore-examples.ndjson.gz")
	validators := map[string]*Validator{}
	var mu sync.Mutex
	get := func(typ string) *Validator {
		mu.Lock()
		defer mu.Unlock()
		if v, ok := validators[typ]; ok {
			return v
		}
		v, err := New(R4, WithProfile(ukCoreBase+typ))
		if err != nil {
			v = nil // no UK Core profile for this type
		}
		validators[typ] = v
		return v
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	n, profiled := 0, 0
	for sc.Scan() {
		line := sc.Bytes()
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			t.Fatal(err)
		}
		n++
		v := get(head.ResourceType)
		if v == nil {
			continue
		}
		profiled++
		_, err := v.ValidateStream(context.Background(), bytes.NewReader(line), func(r Result) error {
			for _, is := range r.Issues {
				if is.Severity != SeverityError && is.Severity != SeverityFatal {
					continue
				}
				key := r.ResourceType + "/" + r.ID + " " + string(is.Check)
				if _, ok := knownExampleErrors[key]; ok {
					continue
				}
				t.Errorf("%s line %d: %s %s: %s", key, is.Line, is.Check, is.Expression, is.Message)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 200 || profiled < 190 {
		t.Errorf("only %d examples, %d validated against a UK Core profile", n, profiled)
	}
}

// BenchmarkUKCorePatient measures the cost of profile validation: the same Patient without and
// with its declared UK Core profile.
func BenchmarkUKCorePatient(b *testing.B) {
	v, err := New(R4, WithWorkers(1))
	if err != nil {
		b.Fatal(err)
	}
	declared := []byte(ukPatientValid)
	none := []byte(strings.Replace(ukPatientValid, `"meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},`, "", 1))
	for _, bc := range []struct {
		name string
		doc  []byte
	}{{"no-profile", none}, {"UKCore-Patient", declared}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.doc)))
			for i := 0; i < b.N; i++ {
				v.ValidateResource(context.Background(), bc.doc)
			}
		})
	}
}
