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
