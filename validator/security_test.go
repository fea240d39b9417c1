package validator

import (
	"context"
	"strings"
	"testing"
)

// TestContainsHTMLTags pins the Java validator's notion of "looks like an HTML tag", quirks
// included.
func TestContainsHTMLTags(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"", false},
		{"Standard Name", false},
		{"Standard <script>somescript</script>", true},
		{"<b>bold</b>", true},
		{`<a href="x">link</a>`, true},
		{"<img\tsrc=x> and <", true},
		{"<h1>title</h1>", true},
		{"<my_tag2>x<", true},
		{"<a> b <", true},
		{"<a <b> <", true},             // the first "<" has no ">" before the next; the second does
		{"if a<b then c>d<e", true},    // "b then c": a word, then whitespace and anything
		{"x<br>", false},               // no "<" after it: not counted, as in Java
		{"<br> only", false},           // likewise
		{"a < b and c > d <", false},   // the text after "<" starts with a space
		{"</b> closing only <", false}, // a closing tag does not match on its own
		{"<3 you <", false},            // the text must start with a letter
		{"<1a> <", false},              // likewise
		{"<a-b> <", false},             // a hyphen is not a word character
		{"<ab <", false},               // no ">" before the next "<"
		{"<é> <", false},               // letters are ASCII only
		{"x <> y <", false},            // empty text
	}
	for _, tt := range tests {
		if got := containsHTMLTags([]byte(tt.s)); got != tt.want {
			t.Errorf("containsHTMLTags(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// TestSecurityChecks: with WithSecurityChecks, HTML-like text in any primitive but the
// narrative is an error where it is; without it nothing is reported.
func TestSecurityChecks(t *testing.T) {
	const div = `"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Some <b>bold</b> text</p></div>"}`
	patient := func(members string) string {
		return `{"resourceType": "Patient", "id": "p", ` + div + members + `}`
	}
	tests := []struct {
		name     string
		doc      string
		security bool
		want     []string // expressions of the security errors, in order
	}{
		{"string with a script tag", patient(`, "name": [{"text": "Standard <script>somescript</script>"}]`), true,
			[]string{"Patient.name[0].text"}},
		{"the same without the option", patient(`, "name": [{"text": "Standard <script>somescript</script>"}]`), false, nil},
		{"plain strings", patient(`, "name": [{"text": "Standard Name", "family": "a < b > c"}]`), true, nil},
		{"narrative XHTML is exempt", patient(``), true, nil},
		{"markdown is checked too", `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, ` + div +
			`, "note": [{"text": "see <b>this</b>"}]}`, true, []string{"Observation.note[0].text"}},
		{"uri", patient(`, "identifier": [{"system": "http://example.org/<a>x</a>", "value": "1"}]`), true,
			[]string{"Patient.identifier[0].system"}},
		{"extension value", patient(`, "extension": [{"url": "http://example.org/x", "valueString": "<i>x</i>"}]`), true,
			[]string{"Patient.extension[0].value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.security {
				opts = append(opts, WithSecurityChecks())
			}
			v, err := New(R4, opts...)
			if err != nil {
				t.Fatal(err)
			}
			all := v.ValidateResource(context.Background(), []byte(tt.doc))
			var got []Issue
			for _, is := range all {
				if is.Check == CheckSecurity {
					got = append(got, is)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("want security errors at %q, got:\n%s", tt.want, describe(all))
			}
			for i, w := range tt.want {
				is := got[i]
				if is.Severity != SeverityError || !strings.HasPrefix(is.Expression, w) || is.Line == 0 ||
					!strings.Contains(is.Message, "looks like embedded HTML tags") {
					t.Errorf("issue %d: want an error at %s, got:\n%s", i, w, describe([]Issue{is}))
				}
			}
		})
	}
}
