package validator

import (
	"context"
	"strings"
	"testing"
)

// TestJavaParityRules covers the base-specification rules where Jigsaw follows the HL7 Java
// validator: each case is a resource and the issue it must (or must not) raise.
func TestJavaParityRules(t *testing.T) {
	const div = `"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	composition := func(ref string) string {
		return `{"resourceType": "Composition", "id": "c", ` + div + `, "status": "final", "type": {"text": "t"}, "date": "2020-01-01", "title": "t",
		  "author": [{"reference": "` + ref + `"}]}`
	}
	patient := `{"resourceType": "Patient", "id": "p", ` + div + `}`
	tests := []struct {
		name    string
		version Version
		doc     string
		check   Check    // "" means: no error at all
		sev     Severity // severity of the wanted issue (error when empty)
		msg     string   // substring of the wanted issue's message
	}{
		// Bundle.entry.fullUrl
		{"fullUrl relative", R4, `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "Patient/p", "resource": ` + patient + `}]}`,
			CheckBundle, "", "must be an absolute URL"},
		{"fullUrl RESTful mismatch", R4, `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/fhir/Patient/q", "resource": ` + patient + `}]}`,
			CheckBundle, "", "does not end with the resource's type and id"},
		{"fullUrl not RESTful is not checked", R4, `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/things/123", "resource": ` + patient + `}]}`,
			"", "", ""},
		{"fullUrl urn:uuid", R4, `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "resource": ` + patient + `}]}`,
			"", "", ""},
		{"fullUrl missing in collection", R4, `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ` + patient + `}]}`,
			CheckBundle, "", "must have a fullUrl"},
		{"fullUrl optional in transaction", R4, `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `, "request": {"method": "POST", "url": "Patient"}}]}`,
			"", "", ""},
		{"relative reference in a transaction entry without fullUrl", R4, `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "subject": {"reference": "Patient/p"}}, "request": {"method": "POST", "url": "Observation"}}]}`,
			CheckBundle, "", "relative reference \"Patient/p\""},
		// Bundle.link
		{"self link twice", R4, `{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "http://x.org/Patient"}, {"relation": "self", "url": "http://x.org/Patient?a=b"}]}`,
			CheckBundle, "", `"self" appears more than once`},
		{"first link in a collection", R4, `{"resourceType": "Bundle", "type": "collection", "link": [{"relation": "first", "url": "http://x.org/Patient"}]}`,
			CheckBundle, "", "is for search sets"},
		{"search set paging links once each", R4, `{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "http://x.org/Patient"}, {"relation": "next", "url": "http://x.org/Patient?p=2"}]}`,
			"", "", ""},
		// search sets
		{"search match without id", R4, `{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "http://x.org/Patient"}],
		  "entry": [{"fullUrl": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "resource": {"resourceType": "Patient"}, "search": {"mode": "match"}}]}`,
			CheckBundle, "", "search results must have ids"},
		{"search match of the wrong type", R4, `{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "http://x.org/Patient"}],
		  "entry": [{"fullUrl": "http://x.org/Observation/o", "resource": {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"}}, "search": {"mode": "match"}}]}`,
			CheckBundle, "", "not a match for this search"},
		// documents
		{"STU3 document without a date", STU3, `{"resourceType": "Bundle", "id": "b", "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"}, "type": "document"}`,
			CheckBundle, "", "a document must have a date"},
		{"document reference not in the Bundle", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": ` + composition("Practitioner/nobody") + `}]}`,
			CheckBundle, "", `can't find "Practitioner/nobody" in the Bundle (Composition.author)`},
		{"document resolves relative references against RESTful fullUrls", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": ` + composition("Patient/p") + `},
		            {"fullUrl": "http://x.org/fhir/Patient/p", "resource": ` + patient + `}]}`,
			"", "", ""},
		{"relative reference does not match a urn:uuid entry", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e40", "resource": ` + composition("Patient/p") + `},
		            {"fullUrl": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "resource": ` + patient + `}]}`,
			CheckBundle, "", `can't find "Patient/p"`},
		{"document entry unreachable", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": ` + composition("Patient/p") + `},
		            {"fullUrl": "http://x.org/fhir/Patient/p", "resource": ` + patient + `},
		            {"fullUrl": "http://x.org/fhir/Patient/q", "resource": {"resourceType": "Patient", "id": "q", ` + div + `}}]}`,
			CheckBundle, "", "cannot be reached"},
		{"versioned reference", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": ` + composition("Patient/p/_history/2") + `},
		            {"fullUrl": "http://x.org/fhir/Patient/p", "resource": {"resourceType": "Patient", "id": "p", "meta": {"versionId": "1"}, ` + div + `}}]}`,
			CheckBundle, "", `can't find "Patient/p/_history/2"`},
		{"reference with several matches", R4, `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": ` + composition("Patient/p") + `},
		            {"fullUrl": "http://x.org/fhir/Patient/p", "resource": {"resourceType": "Patient", "id": "p", "meta": {"versionId": "1"}, ` + div + `}},
		            {"fullUrl": "http://x.org/fhir/Patient/p", "resource": {"resourceType": "Patient", "id": "p", "meta": {"versionId": "2"}, ` + div + `}}]}`,
			CheckBundle, "", "matches 2 entries"},
		{"urn:uuid reference not in the Bundle", R4, `{"resourceType": "Bundle", "type": "collection",
		  "entry": [{"fullUrl": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e40", "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "subject": {"reference": "urn:uuid:3f1c3d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"}}}]}`,
			CheckBundle, SeverityWarning, "not found in the Bundle"},
		// invariants on elements defined by contentReference
		{"que-1 on a nested item", R4, `{"resourceType": "Questionnaire", ` + div + `, "status": "active",
		  "item": [{"linkId": "1", "type": "group", "item": [{"linkId": "1.1", "type": "group"}]}]}`,
			CheckInvariant, "", "que-1"},
		{"cmp-1 on a nested section", R4, `{"resourceType": "Composition", ` + div + `, "status": "final", "type": {"text": "t"}, "date": "2020-01-01", "title": "t",
		  "author": [{"display": "a"}], "section": [{"title": "s", "section": [{"title": "empty"}]}]}`,
			CheckInvariant, "", "cmp-1"},
		{"que-12 corrected: two enableWhen need enableBehavior", R4, `{"resourceType": "Questionnaire", ` + div + `, "status": "active",
		  "item": [{"linkId": "1", "type": "boolean"}, {"linkId": "2", "type": "string",
		    "enableWhen": [{"question": "1", "operator": "=", "answerBoolean": true}, {"question": "1", "operator": "exists", "answerBoolean": true}]}]}`,
			CheckInvariant, "", "que-12"},
		// ref-1 in STU3: a contained resource refers to a sibling held by its container
		{"STU3 ref-1 inside a contained resource", STU3, `{"resourceType": "Patient", ` + div + `,
		  "contained": [{"resourceType": "Organization", "id": "o", "name": "O"}, {"resourceType": "Practitioner", "id": "pr", "address": [{"text": "x"}]}],
		  "managingOrganization": {"reference": "#o"}, "generalPractitioner": [{"reference": "#pr"}]}`,
			"", "", ""},
		// per-1 across precisions
		{"per-1 date start after dateTime end", R4, `{"resourceType": "Encounter", ` + div + `, "status": "finished", "class": {"code": "AMB"},
		  "period": {"start": "2023-06-22", "end": "2023-06-21T06:20:00Z"}}`,
			CheckInvariant, "", "per-1"},
		{"per-1 date start on the day of a dateTime end", R4, `{"resourceType": "Encounter", ` + div + `, "status": "finished", "class": {"code": "AMB"},
		  "period": {"start": "2023-06-21", "end": "2023-06-21T06:20:00Z"}}`,
			CheckInvariant, "", "per-1"},
		// Reference.type
		{"Reference.type not an allowed target", R4, `{"resourceType": "Patient", ` + div + `, "managingOrganization": {"type": "Practitioner", "display": "x"}}`,
			CheckReference, "", "Reference.type Practitioner is not allowed"},
		{"Reference.type disagrees with the reference", R4, `{"resourceType": "Patient", ` + div + `, "managingOrganization": {"reference": "Organization/1", "type": "Patient"}}`,
			CheckReference, "", "does not match the type Organization"},
		{"Reference.type agrees", R4, `{"resourceType": "Patient", ` + div + `, "managingOrganization": {"reference": "Organization/1", "type": "Organization"}}`,
			"", "", ""},
		// Attachment.size
		{"Attachment.size differs from the data", R4, `{"resourceType": "Patient", ` + div + `, "photo": [{"contentType": "text/plain", "data": "aGVsbG8=", "size": 6}]}`,
			CheckFormat, "", "Attachment.size is 6 but the data holds 5 bytes"},
		{"Attachment.size matches the data", R4, `{"resourceType": "Patient", ` + div + `, "photo": [{"contentType": "text/plain", "data": "aGVsbG8=", "size": 5}]}`,
			"", "", ""},
		// codes of complete FHIR code systems, whatever the binding
		{"unknown code of a complete FHIR code system", R4, `{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "femail"}]}}`,
			CheckCodeSystem, "", `unknown code "femail"`},
		{"known code of a complete FHIR code system", R4, `{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "female"}]}}`,
			"", "", ""},
		{"code system outside FHIR's own is not checked", R4, `{"resourceType": "Patient", ` + div + `, "meta": {"tag": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "NOSUCHCODE"}]}}`,
			"", "", ""},
		// narrative, encoding, references
		{"unlisted XHTML attribute", R4, `{"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p idref=\"x\">x</p></div>"}}`,
			CheckNarrative, "", `attribute "idref"`},
		{"UTF-8 byte order mark", R4, "\uFEFF" + patient, "", "", ""},
		{"malformed urn:uuid reference", R4, `{"resourceType": "Patient", ` + div + `, "managingOrganization": {"reference": "urn:uuid:not-a-uuid"}}`,
			CheckReference, SeverityWarning, "urn:uuid:not-a-uuid"},
		{"derived SearchParameter changes the type", R4, `{"resourceType": "SearchParameter", "url": "http://x.org/sp", "name": "x", "status": "active",
		  "description": "d", "code": "name", "base": ["Organization"], "type": "token", "expression": "Organization.name",
		  "derivedFrom": "http://hl7.org/fhir/SearchParameter/Organization-name"}`,
			CheckInvariant, "", "differs from the type string"},
		{"derived SearchParameter on another base", R4, `{"resourceType": "SearchParameter", "url": "http://x.org/sp", "name": "x", "status": "active",
		  "description": "d", "code": "name", "base": ["Patient"], "type": "string", "expression": "Patient.name",
		  "derivedFrom": "http://hl7.org/fhir/SearchParameter/Organization-name"}`,
			CheckInvariant, "", "Patient is not a base"},
		{"derived SearchParameter that keeps type and base", R4, `{"resourceType": "SearchParameter", "url": "http://x.org/sp", "name": "x", "status": "active",
		  "description": "d", "code": "name", "base": ["Organization"], "type": "string", "expression": "Organization.name | Organization.alias",
		  "derivedFrom": "http://hl7.org/fhir/SearchParameter/Organization-name"}`,
			"", "", ""},
		{"CapabilityStatement search parameter of the wrong type", R4, `{"resourceType": "CapabilityStatement", ` + div + `, "status": "active", "date": "2020-01-01",
		  "kind": "instance", "implementation": {"description": "x"}, "fhirVersion": "4.0.1", "format": ["json"],
		  "rest": [{"mode": "server", "resource": [{"type": "AllergyIntolerance", "searchParam": [{"name": "clinical-status",
		    "definition": "http://hl7.org/fhir/SearchParameter/AllergyIntolerance-clinical-status", "type": "date"}]}]}]}`,
			CheckInvariant, "", "type mismatch"},
		{"composite SearchParameter without components", R4, `{"resourceType": "SearchParameter", "url": "http://x.org/sp", "name": "x", "status": "active",
		  "description": "d", "code": "x", "base": ["Patient"], "type": "composite", "expression": "Patient"}`,
			CheckInvariant, "", "two or more components"},
	}
	validators := map[Version]*Validator{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validators[tt.version]
			if v == nil {
				var err error
				if v, err = New(tt.version); err != nil {
					t.Fatal(err)
				}
				validators[tt.version] = v
			}
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

// TestWithComments: comments are a syntax error by default and accepted with WithComments
// (Java's allow-comments), with lines still counted through them.
func TestWithComments(t *testing.T) {
	doc := "// a patient\n{\n  /* block\n comment */ \"resourceType\": \"Patient\",\n  \"gender\": \"femail\" // wrong\n}\n"
	strict, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	if is := strict.ValidateResource(context.Background(), []byte(doc)); len(is) == 0 || is[0].Check != CheckSyntax {
		t.Fatalf("want a syntax error without WithComments, got:\n%s", describe(is))
	}
	lenient, err := New(R4, WithComments())
	if err != nil {
		t.Fatal(err)
	}
	is := errorsOnly(lenient.ValidateResource(context.Background(), []byte(doc)))
	if len(is) != 1 || is[0].Check != CheckBinding || is[0].Line != 5 {
		t.Fatalf("want one binding error on line 5, got:\n%s", describe(is))
	}
	if is := lenient.ValidateResource(context.Background(), []byte(`{"resourceType": "Patient" /* open`)); len(is) == 0 || is[0].Check != CheckSyntax {
		t.Fatalf("want a syntax error for an unterminated comment, got:\n%s", describe(is))
	}
}
