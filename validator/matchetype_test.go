package validator

import (
	"context"
	"strings"
	"testing"
)

// TestMatchetype: placeholders are accepted only in matchetype mode, and a resource declaring
// itself a matchetype is an error outside it.
func TestMatchetype(t *testing.T) {
	const div = `"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	const decl = `"extension": [{"url": "http://hl7.org/fhir/tools/StructureDefinition/matchetype", "valueBoolean": true}]`
	tests := []struct {
		name       string
		matchetype bool
		doc        string
		want       []string // substrings of the errors, in order
	}{
		{"placeholder in matchetype mode", true, `{"resourceType": "Patient", ` + div + `, ` + decl + `, "birthDate": "$date$", "id": "$id$"}`, nil},
		{"placeholder outside matchetype mode", false, `{"resourceType": "Patient", ` + div + `, "birthDate": "$date$"}`,
			[]string{`"$date$" is not a valid date`}},
		{"matchetype declared outside matchetype mode", false, `{"resourceType": "Patient", ` + div + `, ` + decl + `}`,
			[]string{"this resource is a matchetype"}},
		{"matchetype extension on an element is not a declaration", false, `{"resourceType": "Patient", ` + div + `, "name": [{"text": "x", ` + decl + `}]}`, nil},
		{"ordinary values are still checked in matchetype mode", true, `{"resourceType": "Patient", ` + div + `, "birthDate": "1999-02-30"}`,
			[]string{`"1999-02-30" is not a valid date`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.matchetype {
				opts = append(opts, WithMatchetype())
			}
			v, err := New(R4, opts...)
			if err != nil {
				t.Fatal(err)
			}
			got := errorsOnly(v.ValidateResource(context.Background(), []byte(tt.doc)))
			if len(got) != len(tt.want) {
				t.Fatalf("want %d errors %q, got:\n%s", len(tt.want), tt.want, describe(got))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("error %d: want %q, got %q", i, w, got[i].Message)
				}
			}
		})
	}
}
