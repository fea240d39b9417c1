package validator

import (
	"context"
	"strings"
	"testing"
)

// TestProfileParityRules covers rules of profile and extension validation where Jigsaw follows
// the HL7 Java validator: each case loads definitions (loose files), validates a resource,
// optionally against a profile, and names the issue it must (or must not) raise.
func TestProfileParityRules(t *testing.T) {
	const div = `"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	const dar = `{"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}`
	bundleProfile := func(profileURL string) string {
		return `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/bundle-slices", "name": "BundleSlices",
		  "status": "active", "kind": "resource", "abstract": false, "type": "Bundle", "derivation": "constraint",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Bundle",
		  "differential": {"element": [
		    {"id": "Bundle.entry", "path": "Bundle.entry", "slicing": {"discriminator": [{"type": "profile", "path": "resource"}], "rules": "open"}},
		    {"id": "Bundle.entry:patient", "path": "Bundle.entry", "sliceName": "patient", "min": 1, "max": "1"},
		    {"id": "Bundle.entry:patient.resource", "path": "Bundle.entry.resource", "type": [{"code": "Patient", "profile": ["` + profileURL + `"]}]}]}}`
	}
	twoObservationSlices := map[string]string{"b.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/obs-slices", "name": "ObsSlices",
		  "status": "active", "kind": "resource", "abstract": false, "type": "Bundle", "derivation": "constraint",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Bundle",
		  "differential": {"element": [
		    {"id": "Bundle.entry", "path": "Bundle.entry", "slicing": {"discriminator": [{"type": "profile", "path": "resource"}], "rules": "open"}},
		    {"id": "Bundle.entry:hr", "path": "Bundle.entry", "sliceName": "hr", "min": 0, "max": "1"},
		    {"id": "Bundle.entry:hr.resource", "path": "Bundle.entry.resource", "type": [{"code": "Observation", "profile": ["http://hl7.org/fhir/StructureDefinition/heartrate"]}]},
		    {"id": "Bundle.entry:bp", "path": "Bundle.entry", "sliceName": "bp", "min": 0, "max": "1"},
		    {"id": "Bundle.entry:bp.resource", "path": "Bundle.entry.resource", "type": [{"code": "Observation", "profile": ["http://hl7.org/fhir/StructureDefinition/bp"]}]}]}}`}
	bundleOf := func(res string) string {
		return `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "urn:uuid:b7b795c0-9343-41b4-910b-361c93d5497c", "resource": ` + res + `}]}`
	}
	containedProfiles := map[string]string{
		"outer.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/outer", "name": "Outer",
		  "status": "active", "kind": "resource", "abstract": false, "type": "Observation", "derivation": "constraint",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
		  "differential": {"element": [{"id": "Observation.contained", "path": "Observation.contained",
		    "type": [{"code": "Resource", "profile": ["http://example.org/StructureDefinition/named-patient"]}]}]}}`,
		"inner.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/named-patient", "name": "NamedPatient",
		  "status": "active", "kind": "resource", "abstract": false, "type": "Patient", "derivation": "constraint",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
		  "differential": {"element": [{"id": "Patient.name", "path": "Patient.name", "min": 1}]}}`,
	}
	paramsProfile := func(profiles string) map[string]string {
		return map[string]string{
			"params.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/params", "name": "Params",
			  "status": "active", "kind": "resource", "abstract": false, "type": "Parameters", "derivation": "constraint",
			  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Parameters",
			  "differential": {"element": [{"id": "Parameters.parameter.resource", "path": "Parameters.parameter.resource",
			    "type": [{"code": "Resource", "profile": [` + profiles + `]}]}]}}`,
			"named.json": containedProfiles["inner.json"],
			"born.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/born-patient", "name": "BornPatient",
			  "status": "active", "kind": "resource", "abstract": false, "type": "Patient", "derivation": "constraint",
			  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
			  "differential": {"element": [{"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1}]}}`,
		}
	}
	additional := func(purpose string) map[string]string {
		return map[string]string{
			"p.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/obs-additional", "name": "ObsAdditional",
			  "status": "active", "kind": "resource", "abstract": false, "type": "Observation", "derivation": "constraint",
			  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
			  "differential": {"element": [{"id": "Observation.code", "path": "Observation.code",
			    "binding": {"strength": "example", "valueSet": "http://hl7.org/fhir/ValueSet/observation-codes", "extension": [
			      {"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional", "extension": [
			        {"url": "purpose", "valueCode": "` + purpose + `"}, {"url": "valueSet", "valueCanonical": "http://example.org/ValueSet/colours"}]}]}}]}}`,
			"vs.json": `{"resourceType": "ValueSet", "url": "http://example.org/ValueSet/colours", "status": "active",
			  "compose": {"include": [{"system": "http://example.org/CodeSystem/colours", "concept": [{"code": "red"}, {"code": "blue"}]}]}}`,
		}
	}
	obsCode := func(code string) string {
		return `{"resourceType": "Observation", ` + div + `, "status": "final", "code": {"coding": [{"system": "http://example.org/CodeSystem/colours", "code": "` + code + `"}]}}`
	}
	paramsWith := func(patient string) string {
		return `{"resourceType": "Parameters", "parameter": [{"name": "p", "resource": ` + patient + `}]}`
	}
	observationWith := func(patient string) string {
		return `{"resourceType": "Observation", ` + div + `, "contained": [` + patient + `], "status": "final", "code": {"text": "x"}, "subject": {"reference": "#p"}}`
	}
	identifierSlices := func(systemA, systemB string) map[string]string {
		return map[string]string{"p.json": `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/id-slices", "name": "IdSlices",
		  "status": "active", "kind": "resource", "abstract": false, "type": "Patient", "derivation": "constraint",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
		  "differential": {"element": [
		    {"id": "Patient.identifier", "path": "Patient.identifier", "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
		    {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a"},
		    {"id": "Patient.identifier:a.system", "path": "Patient.identifier.system", "fixedUri": "` + systemA + `"},
		    {"id": "Patient.identifier:b", "path": "Patient.identifier", "sliceName": "b"},
		    {"id": "Patient.identifier:b.system", "path": "Patient.identifier.system", "fixedUri": "` + systemB + `"}]}}`}
	}
	tests := []struct {
		name    string
		files   map[string]string
		profile string
		doc     string
		check   Check    // "" means: no error at all
		sev     Severity // severity of the wanted issue (error when empty)
		msg     string   // substring of the wanted issue's message
	}{
		{"unknown extension in an example domain is a warning", nil, "",
			`{"resourceType": "Patient", ` + div + `, "extension": [{"url": "http://example.org/fhir/StructureDefinition/test", "valueBoolean": true}]}`,
			CheckExtension, SeverityWarning, "is an example"},
		{"unknown extension in an example domain is not an error", nil, "",
			`{"resourceType": "Patient", ` + div + `, "extension": [{"url": "https://fhir.acme.com/StructureDefinition/test", "valueBoolean": true}]}`,
			"", "", ""},
		{"unknown extension elsewhere is an error", nil, "",
			`{"resourceType": "Patient", ` + div + `, "extension": [{"url": "http://example.com/fhir/StructureDefinition/test", "valueBoolean": true}]}`,
			CheckExtension, "", "could not be found"},
		{"example.org only as a path segment is not an example domain", nil, "",
			`{"resourceType": "Patient", ` + div + `, "extension": [{"url": "http://x.net/example.org/StructureDefinition/test", "valueBoolean": true}]}`,
			CheckExtension, "", "could not be found"},
		{"profile discriminator naming a profile not loaded: matched by the slice's type", map[string]string{"b.json": bundleProfile("http://example.org/StructureDefinition/not-loaded")},
			"http://example.org/StructureDefinition/bundle-slices", bundleOf(`{"resourceType": "Patient", ` + div + `}`), "", "", ""},
		{"profile discriminator naming a profile not loaded: another type does not match", map[string]string{"b.json": bundleProfile("http://example.org/StructureDefinition/not-loaded")},
			"http://example.org/StructureDefinition/bundle-slices", bundleOf(`{"resourceType": "Practitioner", ` + div + `}`), CheckCardinality, "", "Bundle.entry:patient: minimum required = 1"},
		{"contained resource against the profile its element gives", containedProfiles, "http://example.org/StructureDefinition/outer",
			observationWith(`{"resourceType": "Patient", "id": "p"}`), CheckCardinality, "", "Patient.name: minimum required = 1"},
		{"contained resource that meets the profile its element gives", containedProfiles, "http://example.org/StructureDefinition/outer",
			observationWith(`{"resourceType": "Patient", "id": "p", "name": [{"text": "x"}]}`), "", "", ""},
		{"an item matching two slices", identifierSlices("urn:x:a", "urn:x:a"), "http://example.org/StructureDefinition/id-slices",
			`{"resourceType": "Patient", ` + div + `, "identifier": [{"system": "urn:x:a", "value": "1"}]}`, CheckSlicing, "", "matches more than one slice of Patient.identifier: a, b"},
		{"slices told apart", identifierSlices("urn:x:a", "urn:x:b"), "http://example.org/StructureDefinition/id-slices",
			`{"resourceType": "Patient", ` + div + `, "identifier": [{"system": "urn:x:a", "value": "1"}, {"system": "urn:x:b", "value": "1"}]}`, "", "", ""},
		{"uri naming an invalid UUID", nil, "",
			`{"resourceType": "ValueSet", ` + div + `, "url": "urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a", "status": "active"}`, CheckFormat, "", "a uuid must look like"},
		{"uri naming an upper-case UUID", nil, "",
			`{"resourceType": "ValueSet", ` + div + `, "url": "urn:uuid:6A2EE390-978E-42C6-8F88-C17DFF3BD8A0", "status": "active"}`, CheckFormat, "", "lower-case"},
		{"uri naming an invalid OID", nil, "",
			`{"resourceType": "ValueSet", ` + div + `, "url": "urn:oid:1.02", "status": "active"}`, CheckFormat, "", "leading zero"},
		{"uri naming a valid UUID", nil, "",
			`{"resourceType": "ValueSet", ` + div + `, "url": "urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a0", "status": "active"}`, "", "", ""},
		{"reference with whitespace", nil, "",
			`{"resourceType": "Patient", ` + div + `, "managingOrganization": {"reference": "ht tps://example.org/Organization/1"}}`, CheckReference, "", "cannot contain whitespace"},
		{"reference of another form is only a warning", nil, "",
			`{"resourceType": "Patient", ` + div + `, "managingOrganization": {"reference": "ftp://example.org/x"}}`, CheckReference, SeverityWarning, "is not of the form"},
		{"textLink htmlid not in the narrative", nil, "",
			`{"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><span id=\"n1\">x</span></div>",
			  "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/textLink", "extension": [{"url": "htmlid", "valueString": "n2"}, {"url": "data", "valueUri": "#n2"}]}]}}`,
			CheckNarrative, "", `htmlid "n2" is not the id`},
		{"textLink htmlid in the narrative, stated before it", nil, "",
			`{"resourceType": "Patient", "text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/textLink", "extension": [{"url": "htmlid", "valueString": "n1"}, {"url": "data", "valueUri": "#n1"}]}],
			  "status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><span id='n1'>x</span></div>"}, "name": [{"id": "n1", "text": "x"}]}`,
			"", "", ""},
		{"Coding with its code system's display, case and spacing aside", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "female", "display": " FEMALE "}]}}`, "", "", ""},
		{"Coding with a wrong display", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "female", "display": "Male"}]}}`,
			CheckCodeSystem, "", `Wrong Display Name "Male"`},
		{"Coding with a version is not checked for display", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/administrative-gender", "version": "4.0.1", "code": "female", "display": "Male"}]}}`, "", "", ""},
		{"Coding answer of a QuestionnaireResponse with a wrong display", map[string]string{"q.json": `{"resourceType": "Questionnaire", "url": "http://example.org/Questionnaire/q", "status": "active",
			  "item": [{"linkId": "q1", "type": "choice", "answerValueSet": "http://hl7.org/fhir/ValueSet/item-type"}]}`}, "",
			`{"resourceType": "QuestionnaireResponse", ` + div + `, "questionnaire": "http://example.org/Questionnaire/q", "status": "completed",
			  "item": [{"linkId": "q1", "answer": [{"valueCoding": {"system": "http://hl7.org/fhir/item-type", "code": "string", "display": "Australia"}}]}]}`,
			CheckCodeSystem, "", `Wrong Display Name "Australia"`},
		{"Coding.system that is a local name", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "Location1", "code": "x"}]}}`, CheckCodeSystem, "", "must be an absolute reference"},
		{"Coding.system that is a value set", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/ValueSet/measure-type", "code": "process"}]}}`, CheckCodeSystem, "", "is a value set, not a code system"},
		{"Coding.system that is a URN", nil, "",
			`{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "urn:oid:1.2.3", "code": "x"}]}}`, "", "", ""},
		{"entries matched by type alone are not said to match two profile slices", twoObservationSlices, "http://example.org/StructureDefinition/obs-slices",
			bundleOf(`{"resourceType": "Observation", ` + div + `, "status": "final", "code": {"text": "x"}}`), "", "", ""},
		{"required code given only a data-absent-reason", nil, "",
			`{"resourceType": "Patient", ` + div + `, "_gender": ` + dar + `}`, CheckBinding, "", "no code provided, and a code is required"},
		{"required code whose companion comes first", nil, "",
			`{"resourceType": "Patient", ` + div + `, "_gender": ` + dar + `, "gender": "unknown"}`, "", "", ""},
		{"required code in a contained resource, value after the container's companion", nil, "",
			`{"resourceType": "Observation", ` + div + `, "_status": ` + dar + `, "contained": [{"resourceType": "Patient", "id": "p", "gender": "male"}], "status": "final", "code": {"text": "x"}, "subject": {"reference": "#p"}}`, "", "", ""},
		{"required code given by a cross-version extension", nil, "",
			`{"resourceType": "Patient", ` + div + `, "_gender": {"extension": [{"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Patient.gender", "valueCode": "other"}]}}`, "", "", ""},
		{"element without a binding given only a data-absent-reason", nil, "",
			`{"resourceType": "Patient", ` + div + `, "_birthDate": ` + dar + `}`, "", "", ""},
		{"resource in a Parameters against the profile its element gives", paramsProfile(`"http://example.org/StructureDefinition/named-patient"`),
			"http://example.org/StructureDefinition/params", paramsWith(`{"resourceType": "Patient", "id": "p"}`), CheckCardinality, "", "Patient.name: minimum required = 1"},
		{"resource in a Parameters meeting one of two profiles", paramsProfile(`"http://example.org/StructureDefinition/named-patient", "http://example.org/StructureDefinition/born-patient"`),
			"http://example.org/StructureDefinition/params", paramsWith(`{"resourceType": "Patient", "id": "p", "birthDate": "2000-01-01"}`), "", "", ""},
		{"resource in a Parameters meeting neither of two profiles", paramsProfile(`"http://example.org/StructureDefinition/named-patient", "http://example.org/StructureDefinition/born-patient"`),
			"http://example.org/StructureDefinition/params", paramsWith(`{"resourceType": "Patient", "id": "p"}`), CheckProfile, "", "conforms to none of the profiles"},
		{"resource in a Parameters where one of the profiles is not loaded", paramsProfile(`"http://example.org/StructureDefinition/named-patient", "http://example.org/StructureDefinition/not-loaded"`),
			"http://example.org/StructureDefinition/params", paramsWith(`{"resourceType": "Patient", "id": "p"}`), "", "", ""},
		{"code in a required additional binding", additional("required"), "http://example.org/StructureDefinition/obs-additional", obsCode("red"), "", "", ""},
		{"code outside a required additional binding", additional("required"), "http://example.org/StructureDefinition/obs-additional", obsCode("green"),
			CheckBinding, "", "is not in the value set http://example.org/ValueSet/colours"},
		{"code outside an extensible additional binding", additional("extensible"), "http://example.org/StructureDefinition/obs-additional", obsCode("green"),
			CheckBinding, SeverityWarning, "is not in the value set http://example.org/ValueSet/colours"},
		{"code outside a preferred additional binding", additional("preferred"), "http://example.org/StructureDefinition/obs-additional", obsCode("green"), "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.profile != "" {
				opts = append(opts, WithProfile(tt.profile))
			}
			v := validatorWithFiles(t, tt.files, opts...)
			issues := v.ValidateResource(context.Background(), []byte(tt.doc))
			if tt.check == "" {
				if errs := errorsOnly(issues); len(errs) != 0 {
					t.Fatalf("want no error, got:\n%s", describe(errs))
				}
				return
			}
			sev := tt.sev
			if sev == "" {
				sev = SeverityError
			}
			for _, is := range issues {
				if is.Check == tt.check && is.Severity == sev && strings.Contains(is.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("want %s %s containing %q, got:\n%s", sev, tt.check, tt.msg, describe(issues))
		})
	}
}
