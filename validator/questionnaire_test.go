package validator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validatorWithFiles returns an R4 validator with loose definition files (Questionnaires,
// profiles, value sets) loaded as packages.
func validatorWithFiles(t *testing.T, files map[string]string, opts ...Option) *Validator {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithPackage(p))
	}
	v, err := New(R4, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestQuestionnaireResponseRules checks a QuestionnaireResponse against its Questionnaire:
// each row gives the Questionnaire's item, the response's item, and the error expected (""
// when none).
func TestQuestionnaireResponseRules(t *testing.T) {
	const ucum = `"system": "http://unitsofmeasure.org"`
	unitOptions := `"extension": [
	  {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {` + ucum + `, "code": "km"}},
	  {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {` + ucum + `, "code": "m"}}]`
	unitVS := `"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitValueSet", "valueCanonical": "%s"}]`
	refTypes := `"extension": [
	  {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource", "valueCode": "Patient"},
	  {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource", "valueCode": "Practitioner"}]`
	limits := `"extension": [
	  {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity", "valueQuantity": {"value": 5, ` + ucum + `, "code": "km"}},
	  {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity", "valueQuantity": {"value": 10, ` + ucum + `, "code": "km"}}]`
	mimeTypes := `"extension": [
	  {"url": "http://hl7.org/fhir/StructureDefinition/mimeType", "valueCode": "image/jpeg"},
	  {"url": "http://hl7.org/fhir/StructureDefinition/mimeType", "valueCode": "image/png"}]`
	maxSize := `"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxSize", "valueDecimal": 5}]`
	enableQ := `{"linkId": "q1", "type": "boolean"}, {"linkId": "q2", "type": "string", "required": true,
	  "enableWhen": [{"question": "q1", "operator": "=", "answerBoolean": true}]}`
	enableAny := `{"linkId": "q1", "type": "integer"}, {"linkId": "q2", "type": "string", "required": true, "enableBehavior": "any",
	  "enableWhen": [{"question": "q1", "operator": ">", "answerInteger": 5}, {"question": "q3", "operator": "exists", "answerBoolean": true}]}`
	cases := []struct {
		name, qItem, rItem, want string
	}{
		{"answer to an abstract question item", `{"linkId": "q1", "type": "question"}`,
			`{"linkId": "q1", "answer": [{"valueString": "x"}]}`, "Items of type question should not have answers"},
		{"abstract question item left unanswered", `{"linkId": "q1", "type": "question"}`,
			`{"linkId": "q1"}`, ""},
		{"unit among the unit options", `{"linkId": "q1", "type": "quantity", ` + unitOptions + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "km"}}]}`, ""},
		{"unit not among the unit options", `{"linkId": "q1", "type": "quantity", ` + unitOptions + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "kg"}}]}`, "is not one of the units the questionnaire allows"},
		{"unit without a code, with unit options", `{"linkId": "q1", "type": "quantity", ` + unitOptions + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, "unit": "km"}}]}`, "is not one of the units the questionnaire allows"},
		{"unit in a complete unit value set", `{"linkId": "q1", "type": "quantity", ` + strings.Replace(unitVS, "%s", "http://hl7.org/fhir/ValueSet/age-units", 1) + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "a"}}]}`, ""},
		{"unit not in a complete unit value set", `{"linkId": "q1", "type": "quantity", ` + strings.Replace(unitVS, "%s", "http://hl7.org/fhir/ValueSet/age-units", 1) + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "km"}}]}`, "is not in the unit value set"},
		{"unit from a system the unit value set does not draw on", `{"linkId": "q1", "type": "quantity", ` + strings.Replace(unitVS, "%s", "http://hl7.org/fhir/ValueSet/jurisdiction", 1) + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "km"}}]}`, "is not in the unit value set"},
		{"reference to one of several allowed resource types", `{"linkId": "q1", "type": "reference", ` + refTypes + `}`,
			`{"linkId": "q1", "answer": [{"valueReference": {"reference": "Practitioner/1"}}]}`, ""},
		{"reference to a resource type not allowed", `{"linkId": "q1", "type": "reference", ` + refTypes + `}`,
			`{"linkId": "q1", "answer": [{"valueReference": {"reference": "Organization/1"}}]}`, "The reference is to a Organization, but the questionnaire allows Patient, Practitioner"},
		{"string answer that is a code of the item's value set", `{"linkId": "q1", "type": "string", "answerValueSet": "http://hl7.org/fhir/ValueSet/administrative-gender"}`,
			`{"linkId": "q1", "answer": [{"valueString": "female"}]}`, ""},
		{"string answer that is not a code of the item's value set", `{"linkId": "q1", "type": "string", "answerValueSet": "http://hl7.org/fhir/ValueSet/administrative-gender"}`,
			`{"linkId": "q1", "answer": [{"valueString": "Female person"}]}`, "is not in the list of allowed values"},
		{"open-choice string answer outside the value set", `{"linkId": "q1", "type": "open-choice", "answerValueSet": "http://hl7.org/fhir/ValueSet/administrative-gender"}`,
			`{"linkId": "q1", "answer": [{"valueString": "Female person"}]}`, ""},
		{"quantity within limits given in other units", `{"linkId": "q1", "type": "quantity", ` + limits + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 7000, ` + ucum + `, "code": "m"}}]}`, ""},
		{"quantity below a limit given in other units", `{"linkId": "q1", "type": "quantity", ` + limits + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 4000, ` + ucum + `, "code": "m"}}]}`, "outside the allowed min"},
		{"quantity in units that cannot be converted", `{"linkId": "q1", "type": "quantity", "extension": [
			  {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity", "valueQuantity": {"value": 10, ` + ucum + `, "code": "km"}}]}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 5, ` + ucum + `, "code": "kg"}}]}`, "cannot be compared"},
		{"required item left unanswered", `{"linkId": "q1", "type": "string", "required": true}, {"linkId": "q2", "type": "string"}`,
			`{"linkId": "q2", "answer": [{"valueString": "x"}]}`, "No response answer found for required item 'q1'"},
		{"required item left unanswered while in progress (a warning)", `{"linkId": "q1", "type": "string", "required": true}, {"linkId": "q2", "type": "string"}`,
			`{"linkId": "q2", "answer": [{"valueString": "x"}]}`, ""},
		{"response item repeating the item's text", `{"linkId": "q1", "type": "string", "text": "Your name?"}`,
			`{"linkId": "q1", "text": "Your name?", "answer": [{"valueString": "x"}]}`, ""},
		{"response item with other text", `{"linkId": "q1", "type": "string", "text": "Your name?"}`,
			`{"linkId": "q1", "text": "Name", "answer": [{"valueString": "x"}]}`, "If text exists, it must match the questionnaire definition for linkId q1"},
		{"items in the questionnaire's order", `{"linkId": "q1", "type": "string"}, {"linkId": "q2", "type": "string"}`,
			`{"linkId": "q1", "answer": [{"valueString": "x"}]}, {"linkId": "q2", "answer": [{"valueString": "y"}]}`, ""},
		{"items out of the questionnaire's order", `{"linkId": "q1", "type": "string"}, {"linkId": "q2", "type": "string"}`,
			`{"linkId": "q2", "answer": [{"valueString": "y"}]}, {"linkId": "q1", "answer": [{"valueString": "x"}]}`, "items are out of order"},
		{"a non-repeating item answered in two response items", `{"linkId": "q1", "type": "group", "item": [{"linkId": "q1.1", "type": "string"}]}`,
			`{"linkId": "q1", "item": [{"linkId": "q1.1", "answer": [{"valueString": "x"}]}]}, {"linkId": "q1", "item": [{"linkId": "q1.1", "answer": [{"valueString": "y"}]}]}`,
			"Only one response item with linkId 'q1'"},
		{"a repeating group in two response items", `{"linkId": "q1", "type": "group", "repeats": true, "item": [{"linkId": "q1.1", "type": "string"}]}`,
			`{"linkId": "q1", "item": [{"linkId": "q1.1", "answer": [{"valueString": "x"}]}]}, {"linkId": "q1", "item": [{"linkId": "q1.1", "answer": [{"valueString": "y"}]}]}`, ""},
		{"attachment whose type starts with an allowed mime type", `{"linkId": "q1", "type": "attachment", ` + mimeTypes + `}`,
			`{"linkId": "q1", "answer": [{"valueAttachment": {"contentType": "image/png; charset=x", "data": "aGVsbG8="}}]}`, ""},
		{"attachment of a type not allowed", `{"linkId": "q1", "type": "attachment", ` + mimeTypes + `}`,
			`{"linkId": "q1", "answer": [{"valueAttachment": {"contentType": "text/plain", "data": "aGVsbG8="}}]}`, "The mime type text/plain is not valid"},
		{"attachment without a type where types are limited", `{"linkId": "q1", "type": "attachment", ` + mimeTypes + `}`,
			`{"linkId": "q1", "answer": [{"valueAttachment": {"url": "http://example.org/a"}}]}`, "has no contentType"},
		{"attachment below the size limit", `{"linkId": "q1", "type": "attachment", ` + maxSize + `}`,
			`{"linkId": "q1", "answer": [{"valueAttachment": {"contentType": "text/plain", "data": "aGVsbA=="}}]}`, ""},
		{"attachment at the size limit", `{"linkId": "q1", "type": "attachment", ` + maxSize + `}`,
			`{"linkId": "q1", "answer": [{"valueAttachment": {"contentType": "text/plain", "data": "aGVsbG8="}}]}`, "too large"},
		{"enabled required item left unanswered", enableQ,
			`{"linkId": "q1", "answer": [{"valueBoolean": true}]}`, "No response answer found for required item 'q2'"},
		{"disabled required item left unanswered", enableQ, `{"linkId": "q1", "answer": [{"valueBoolean": false}]}`, ""},
		{"disabled item answered", enableQ,
			`{"linkId": "q1", "answer": [{"valueBoolean": false}]}, {"linkId": "q2", "answer": [{"valueString": "x"}]}`, "even though it is not enabled (item id = 'q2')"},
		{"enabled by any condition: a number above the limit", enableAny,
			`{"linkId": "q1", "answer": [{"valueInteger": 7}]}`, "No response answer found for required item 'q2'"},
		{"enabled by no condition", enableAny, `{"linkId": "q1", "answer": [{"valueInteger": 3}]}`, ""},
		{"unit value set not loaded: not checked", `{"linkId": "q1", "type": "quantity", ` + strings.Replace(unitVS, "%s", "http://example.org/ValueSet/none", 1) + `}`,
			`{"linkId": "q1", "answer": [{"valueQuantity": {"value": 1, ` + ucum + `, "code": "km"}}]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := `{"resourceType": "Questionnaire", "url": "http://example.org/Questionnaire/q", "status": "active", "item": [` + c.qItem + `]}`
			v := validatorWithFiles(t, map[string]string{"q.json": q})
			status := "completed"
			if strings.Contains(c.name, "while in progress") {
				status = "in-progress"
			}
			qr := `{"resourceType": "QuestionnaireResponse", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
			  "questionnaire": "http://example.org/Questionnaire/q", "status": "` + status + `", "item": [` + c.rItem + `]}`
			got := errorsOnly(v.ValidateResource(context.Background(), []byte(qr)))
			if c.want == "" {
				if len(got) > 0 {
					t.Fatalf("want no error, got %s", describe(got))
				}
				return
			}
			if len(got) != 1 || got[0].Check != CheckQuestionnaire || !strings.Contains(got[0].Message, c.want) {
				t.Fatalf("want one questionnaire error %q, got %s", c.want, describe(got))
			}
		})
	}
}
