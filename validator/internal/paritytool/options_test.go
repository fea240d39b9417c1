package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator"
)

// TestCaseOptions: the manifest options Jigsaw has are passed to the validator, with their
// values (security-checks true, the validateReference policies that check canonical types).
func TestCaseOptions(t *testing.T) {
	const htmlName = `{"resourceType": "Patient", "id": "p", "name": [{"text": "Standard <script>x</script>"}]}`
	const qrValueSet = `{"resourceType": "QuestionnaireResponse", "id": "r", "status": "in-progress", "questionnaire": "http://hl7.org/fhir/ValueSet/example-extensional"}`
	tests := []struct {
		name     string
		manifest string
		doc      string
		want     validator.Check // the check the option turns on ("" when none)
	}{
		{"security checks on", `{"security-checks": true}`, htmlName, validator.CheckSecurity},
		{"security checks off", `{"security-checks": false}`, htmlName, ""},
		{"no options", `{}`, htmlName, ""},
		{"CHECK_EXISTS_AND_TYPE", `{"validateReference": "CHECK_EXISTS_AND_TYPE"}`, qrValueSet, validator.CheckReference},
		{"CHECK_TYPE_IF_EXISTS", `{"validateReference": "CHECK_TYPE_IF_EXISTS"}`, qrValueSet, validator.CheckReference},
		{"IGNORE", `{"validateReference": "IGNORE"}`, qrValueSet, ""},
		{"CHECK_EXISTS checks no type", `{"validateReference": "CHECK_EXISTS"}`, qrValueSet, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := &testCase{}
			if err := json.Unmarshal([]byte(tt.manifest), &tc.raw); err != nil {
				t.Fatal(err)
			}
			v, err := validator.New(validator.R4, caseOptions(tc)...)
			if err != nil {
				t.Fatal(err)
			}
			var got []validator.Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(tt.doc)) {
				if is.Severity == validator.SeverityError {
					got = append(got, is)
				}
			}
			if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || got[0].Check != tt.want) {
				t.Errorf("want one %q error (none when empty), got %+v", tt.want, got)
			}
		})
	}
}
