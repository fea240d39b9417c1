package validator

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidateWithDefinitions validates arbitrary input with a Questionnaire and a Measure
// loaded, so that the QuestionnaireResponse and MeasureReport checks (enableWhen, options,
// units, groups) see hostile trees: they must never panic.
func FuzzValidateWithDefinitions(f *testing.F) {
	const q = `{"resourceType": "Questionnaire", "url": "http://example.org/Questionnaire/q", "status": "active", "item": [
	  {"linkId": "q1", "type": "boolean", "text": "T"},
	  {"linkId": "q2", "type": "string", "required": true, "enableWhen": [{"question": "q1", "operator": "=", "answerBoolean": true}]},
	  {"linkId": "q3", "type": "quantity", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption", "valueCoding": {"system": "http://unitsofmeasure.org", "code": "km"}},
	    {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity", "valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "km"}}]},
	  {"linkId": "q4", "type": "choice", "answerOption": [{"valueCoding": {"system": "http://x", "code": "a"}}, {"valueInteger": 3}]},
	  {"linkId": "q5", "type": "attachment", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/mimeType", "valueCode": "image/png"},
	    {"url": "http://hl7.org/fhir/StructureDefinition/maxSize", "valueDecimal": 3}]},
	  {"linkId": "g", "type": "group", "repeats": true, "item": [{"linkId": "g1", "type": "integer", "enableWhen": [{"question": "q4", "operator": ">=", "answerInteger": 2}]}]}]}`
	const m = `{"resourceType": "Measure", "url": "http://example.org/Measure/m", "status": "active",
	  "scoring": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-scoring", "code": "proportion"}]},
	  "group": [{"code": {"coding": [{"system": "http://x", "code": "g"}]}, "population": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "initial-population"}]}}],
	    "stratifier": [{"code": {"text": "s"}}]}]}`
	dir := f.TempDir()
	var opts []Option
	for name, body := range map[string]string{"q.json": q, "m.json": m} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
		opts = append(opts, WithPackage(p))
	}
	v, err := New(R4, opts...)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"resourceType": "QuestionnaireResponse", "questionnaire": "http://example.org/Questionnaire/q", "status": "completed", "item": [
		  {"linkId": "q1", "text": "T", "answer": [{"valueBoolean": true}]}, {"linkId": "q3", "answer": [{"valueQuantity": {"value": 900, "system": "http://unitsofmeasure.org", "code": "m"}}]},
		  {"linkId": "q4", "answer": [{"valueInteger": 3}]}, {"linkId": "q5", "answer": [{"valueAttachment": {"contentType": "image/png", "data": "aGVsbG8="}}]},
		  {"linkId": "g", "item": [{"linkId": "g1", "answer": [{"valueInteger": 1}]}]}, {"linkId": "q2"}]}`,
		`{"resourceType": "MeasureReport", "measure": "http://example.org/Measure/m", "status": "complete", "type": "summary", "period": {"start": "2020"},
		  "group": [{"code": {"coding": [{"system": "http://x", "code": "g"}]}, "population": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "initial-population"}]}, "count": 1}],
		    "measureScore": {"value": 2}, "stratifier": [{"code": [{"text": "s"}]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v.ValidateResource(context.Background(), data)
	})
}
