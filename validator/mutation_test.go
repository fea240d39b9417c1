package validator

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A valid R4 Patient that the mutations start from.
const basePatient = `{
  "resourceType": "Patient",
  "id": "base",
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Jo Smith</div>"},
  "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
  "active": true,
  "name": [{"use": "official", "family": "Smith", "given": ["Jo"]}],
  "gender": "female",
  "birthDate": "1980-02-28",
  "managingOrganization": {"reference": "Organization/RR8"},
  "contact": [{"name": {"text": "Sam"}, "period": {"start": "2020-01-01", "end": "2021-01-01"}}]
}`

// TestMutations injects one defect of each kind into a valid resource and asserts the exact
// issue: check, severity, expression and position.
func TestMutations(t *testing.T) {
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	if is := errorsOnly(v.ValidateResource(context.Background(), []byte(basePatient))); len(is) != 0 {
		t.Fatalf("base resource is not valid: %+v", is)
	}
	tests := []struct {
		name, from, to string
		check          Check
		expr           string
		line           int
		msg            string
	}{
		{"unknown element", `"active": true,`, `"active": true, "nickname": "JJ",`, CheckUnknown, "Patient.nickname", 6, `unknown property "nickname"`},
		{"wrong JSON type", `"active": true`, `"active": "true"`, CheckJSONType, "Patient.active", 6, "must be a JSON boolean"},
		{"array for single", `"gender": "female"`, `"gender": ["female"]`, CheckJSONType, "Patient.gender", 8, "allows one value"},
		{"object for array", `"name": [{"use": "official", "family": "Smith", "given": ["Jo"]}]`, `"name": {"family": "Smith"}`, CheckJSONType, "Patient.name", 7, "must be an array"},
		{"date format", `"1980-02-28"`, `"1980-02-30"`, CheckFormat, "Patient.birthDate", 9, "not a valid date"},
		{"id format", `"id": "base"`, `"id": "base_1"`, CheckFormat, "Patient.id", 3, "not a valid id"},
		{"cardinality max", `"gender": "female"`, `"gender": "female", "multipleBirthBoolean": true, "multipleBirthInteger": 2`, CheckChoice, "Patient.multipleBirth", 8, "only one form of multipleBirth[x]"},
		{"cardinality min", `{"name": {"text": "Sam"}, "period"`, `{"name": {"text": "Sam"}, "relationship": [{"text": "x"}], "period"`, "", "", 0, ""},
		{"required binding", `"female"`, `"femail"`, CheckBinding, "Patient.gender", 8, "administrative-gender"},
		{"extension without value", `"active": true,`, `"active": true, "extension": [{"url": "http://example.org/x"}],`, CheckExtension, "Patient.extension[0]", 6, "value or nested extensions"},
		{"extension without url", `"active": true,`, `"active": true, "extension": [{"valueString": "x"}],`, CheckCardinality, "Patient.extension[0].url", 6, "Extension.url is required"},
		{"reference target", `"Organization/RR8"`, `"Observation/RR8"`, CheckReference, "Patient.managingOrganization.reference", 10, "reference to Observation is not allowed"},
		{"reference type unknown", `"Organization/RR8"`, `"Organisation/RR8"`, CheckReference, "Patient.managingOrganization.reference", 10, "not a resource type"},
		{"contained unreferenced", `"active": true,`, `"active": true, "contained": [{"resourceType": "Organization", "id": "o1", "name": "X"}],`, CheckContained, "Patient", 1, "dom-3"},
		{"companion misaligned", `"given": ["Jo"]`, `"given": ["Jo"], "_given": [null, {"id": "x"}]`, CheckCompanion, "Patient.name[0].given", 7, "the arrays must line up"},
		{"companion on complex", `"active": true,`, `"active": true, "_name": {"id": "x"},`, CheckCompanion, "Patient._name", 6, "not a primitive element"},
		{"empty string", `"family": "Smith"`, `"family": ""`, CheckEmpty, "Patient.name[0].family", 7, "empty string"},
		{"empty object", `"name": {"text": "Sam"}`, `"name": {}`, CheckEmpty, "Patient.contact[0].name", 11, "empty object"},
		{"invariant per-1", `"end": "2021-01-01"`, `"end": "2019-01-01"`, CheckInvariant, "Patient.contact[0].period", 11, "per-1"},
		{"duplicate property", `"gender": "female"`, `"gender": "female", "gender": "male"`, CheckDuplicate, "Patient.gender", 8, "more than once"},
		{"resourceType unknown", `"resourceType": "Patient"`, `"resourceType": "Patiant"`, CheckResourceType, "", 1, `unknown resourceType "Patiant"`},
		{"narrative script", `Jo Smith</div>`, `Jo <script>x</script></div>`, CheckNarrative, "Patient.text.div", 4, "<script> is not allowed"},
		{"JSON syntax", `"active": true,`, `"active": true,,`, CheckSyntax, "", 6, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(basePatient, tt.from) {
				t.Fatalf("mutation anchor %q not found", tt.from)
			}
			doc := strings.Replace(basePatient, tt.from, tt.to, 1)
			got := errorsOnly(v.ValidateResource(context.Background(), []byte(doc)))
			if tt.check == "" { // a mutation that must stay valid
				if len(got) != 0 {
					t.Fatalf("unexpected errors: %+v", got)
				}
				return
			}
			for _, is := range got {
				if is.Check == tt.check && is.Expression == tt.expr && is.Line == tt.line && strings.Contains(is.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("want %s at %s line %d (%q); got:\n%s", tt.check, tt.expr, tt.line, tt.msg, describe(got))
		})
	}
}

func errorsOnly(is []Issue) []Issue {
	var out []Issue
	for _, i := range is {
		if i.Severity == SeverityError || i.Severity == SeverityFatal {
			out = append(out, i)
		}
	}
	return out
}

func describe(is []Issue) string {
	var b strings.Builder
	for _, i := range is {
		fmt.Fprintf(&b, "  %d:%d %s %s %s: %s\n", i.Line, i.Column, i.Severity, i.Check, i.Expression, i.Message)
	}
	return b.String()
}

// TestBundleEntries checks that every entry of a Bundle is validated, with expressions that
// locate the entry, and that a resourceType given after other properties is found.
func TestBundleEntries(t *testing.T) {
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"type": "collection", "resourceType": "Bundle", "entry": [
 {"fullUrl": "urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000001", "resource": {"resourceType": "Patient", "gender": "female"}},
 {"fullUrl": "urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000002", "resource": {"birthDate": "2020-13-01", "resourceType": "Patient"}},
 {"fullUrl": "urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000003", "resource": {"resourceType": "Observation", "code": {"text": "x"}}},
 {"resource": {"resourceType": "Patient", "id": "p1"}, "fullUrl": "https://example.org/fhir/Patient/p2"},
 {"fullUrl": "https://example.org/fhir/Patient/p3", "resource": {"resourceType": "Patient", "id": "p3"}}
]}`
	got := errorsOnly(v.ValidateResource(context.Background(), []byte(doc)))
	want := []struct {
		check Check
		expr  string
		line  int
	}{
		{CheckFormat, "Bundle.entry[1].resource.birthDate", 3},
		{CheckCardinality, "Bundle.entry[2].resource.status", 4},
		{CheckBundle, "Bundle.entry[3].fullUrl", 5},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		if got[i].Check != w.check || got[i].Expression != w.expr || got[i].Line != w.line {
			t.Errorf("error %d: got %s %s line %d, want %s %s line %d", i, got[i].Check, got[i].Expression, got[i].Line, w.check, w.expr, w.line)
		}
	}
}

// TestSTU3 checks that STU3 definitions apply: an R4-only element is unknown in STU3.
func TestSTU3(t *testing.T) {
	v, err := New(STU3)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/1"},"valueQuantity":{"value":1},"comment":"n","focus":[{"reference":"Patient/1"}]}`
	got := errorsOnly(v.ValidateResource(context.Background(), []byte(doc)))
	if len(got) != 1 || got[0].Check != CheckUnknown || got[0].Expression != "Observation.focus" {
		t.Fatalf("got:\n%s", describe(got))
	}
}
