package validator

import (
	"context"
	"strings"
	"testing"
)

// TestCanonicalTypes: with WithCanonicalTypes a canonical naming a known resource of a type
// its element's targetProfile does not allow is an error; unknown URLs and elements without a
// targetProfile are not reported, and nothing is without the option.
func TestCanonicalTypes(t *testing.T) {
	qr := func(q string) string {
		return `{"resourceType": "QuestionnaireResponse", "id": "r", "questionnaire": "` + q + `", "status": "in-progress"}`
	}
	vs := func(include string) string {
		return `{"resourceType": "ValueSet", "id": "v", "url": "http://example.org/ValueSet/v", "status": "draft", "compose": {"include": [` + include + `]}}`
	}
	tests := []struct {
		name   string
		doc    string
		option bool
		want   []string // substrings of the canonical type errors, in order
	}{
		{"questionnaire naming a ValueSet", qr("http://hl7.org/fhir/ValueSet/example-extensional"), true,
			[]string{"Canonical URL 'http://hl7.org/fhir/ValueSet/example-extensional' refers to a resource that has the wrong type. Found ValueSet expecting one of [Questionnaire]"}},
		{"the same without the option", qr("http://hl7.org/fhir/ValueSet/example-extensional"), false, nil},
		{"a version does not hide the resource", qr("http://hl7.org/fhir/ValueSet/example-extensional|4.0.1"), true,
			[]string{"'http://hl7.org/fhir/ValueSet/example-extensional|4.0.1' refers to a resource that has the wrong type. Found ValueSet"}},
		{"questionnaire naming a Questionnaire", qr("https://example.com/base/Questionnaire/UKCore-Questionnaire-EOLPlan-Example"), true, nil},
		{"value set including a Questionnaire", vs(`{"valueSet": ["https://example.com/base/Questionnaire/UKCore-Questionnaire-EOLPlan-Example"]}`), true,
			[]string{"Found Questionnaire expecting one of [ValueSet]"}},
		{"an unknown URL is not reported", qr("http://example.org/Questionnaire/q"), true, nil},
		{"a value set a binding names but no package holds is unknown",
			qr("http://hl7.org/fhir/StructureDefinition/ConditionRelationship"), true, nil},
		{"a contained reference is not resolved here", qr("#q1"), true, nil},
		{"value set including a value set", vs(`{"valueSet": ["http://hl7.org/fhir/ValueSet/administrative-gender"]}`), true, nil},
		{"value set including a StructureDefinition", vs(`{"valueSet": ["http://hl7.org/fhir/StructureDefinition/Patient"]}`), true,
			[]string{"Found StructureDefinition expecting one of [ValueSet]"}},
		{"value set including a CodeSystem", vs(`{"valueSet": ["http://hl7.org/fhir/administrative-gender"]}`), true,
			[]string{"Found CodeSystem expecting one of [ValueSet]"}},
		{"meta.profile naming a StructureDefinition", `{"resourceType": "Patient", "id": "p", "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}}`, true, nil},
		{"meta.profile naming a ValueSet", `{"resourceType": "Patient", "id": "p", "meta": {"profile": ["http://hl7.org/fhir/ValueSet/administrative-gender"]}}`, true,
			[]string{"Found ValueSet expecting one of [StructureDefinition]"}},
		{"a canonical without targetProfile allows any resource", `{"resourceType": "Patient", "id": "p", "extension": [{"url": "http://example.org/x", "valueCanonical": "http://hl7.org/fhir/ValueSet/administrative-gender"}]}`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.option {
				opts = append(opts, WithCanonicalTypes())
			}
			v, err := New(R4, opts...)
			if err != nil {
				t.Fatal(err)
			}
			all := v.ValidateResource(context.Background(), []byte(tt.doc))
			var got []Issue
			for _, is := range all {
				if is.Severity == SeverityError && strings.Contains(is.Message, "refers to a resource that has the wrong type") {
					got = append(got, is)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("want %d canonical type errors %q, got:\n%s", len(tt.want), tt.want, describe(all))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) || got[i].Check != CheckReference || got[i].Line == 0 {
					t.Errorf("error %d: want %q, got:\n%s", i, w, describe(got[i:i+1]))
				}
			}
		})
	}
}
