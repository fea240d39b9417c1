package evidence

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

func TestRedactJSON(t *testing.T) {
	cases := []struct {
		name string
		keep bool
		in   string
		want string
	}{
		{
			name: "patient direct identifiers",
			in: `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},` +
				`{"system":"https://trust.example/mrn","value":"MRN-0042"}],"name":[{"use":"official","family":"Smith","given":["Jane","Ann"],"prefix":["Mrs"],"text":"Mrs Jane Smith"}],` +
				`"telecom":[{"system":"phone","value":"020 7946 0000","use":"home"}],"gender":"female","birthDate":"1970-01-31",` +
				`"address":[{"use":"home","line":["1 High Street","Flat 2"],"city":"Leeds","district":"West Yorkshire","postalCode":"LS1 1AA","country":"GBR"}],` +
				`"photo":[{"contentType":"image/png","data":"iVBORw0KGgo="}],"generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"B82617"}}]}`,
			want: `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"[REDACTED]"},` +
				`{"system":"https://trust.example/mrn","value":"[REDACTED]"}],"name":[{"use":"official","family":"[REDACTED]","given":["[REDACTED]","[REDACTED]"],"prefix":["[REDACTED]"],"text":"[REDACTED]"}],` +
				`"telecom":[{"system":"phone","value":"[REDACTED]","use":"home"}],"gender":"female","birthDate":"[REDACTED]",` +
				`"address":[{"use":"home","line":["[REDACTED]","[REDACTED]"],"city":"[REDACTED]","district":"[REDACTED]","postalCode":"[REDACTED]","country":"GBR"}],` +
				`"photo":[{"contentType":"image/png","data":"[REDACTED]"}],"generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"B82617"}}]}`,
		},
		{
			name: "a test patient's NHS number goes like any other",
			in:   `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}`,
			want: `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"[REDACTED]"}]}`,
		},
		{
			name: "NHS number identifier outside a patient (GP Connect Parameters, old system URI)",
			in: `{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},` +
				`{"name":"legacy","valueIdentifier":{"system":"http://fhir.nhs.net/Id/nhs-number","value":"1234567890"}}]}`,
			want: `{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"[REDACTED]"}},` +
				`{"name":"legacy","valueIdentifier":{"system":"http://fhir.nhs.net/Id/nhs-number","value":"[REDACTED]"}}]}`,
		},
		{
			name: "organisation names and codes stay",
			in:   `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RX1"}],"name":"Leeds Teaching Hospitals","telecom":[{"system":"phone","value":"0113 000 0000"}]}`,
			want: `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RX1"}],"name":"Leeds Teaching Hospitals","telecom":[{"system":"phone","value":"[REDACTED]"}]}`,
		},
		{
			name: "patient references lose their display, others keep it",
			in:   `{"resourceType":"Condition","subject":{"reference":"Patient/p1","display":"Jane Smith"},"asserter":{"reference":"https://x.example/fhir/RelatedPerson/r1","display":"John Smith"},"recorder":{"reference":"Organization/o1","display":"Leeds GP"}}`,
			want: `{"resourceType":"Condition","subject":{"reference":"Patient/p1","display":"[REDACTED]"},"asserter":{"reference":"https://x.example/fhir/RelatedPerson/r1","display":"[REDACTED]"},"recorder":{"reference":"Organization/o1","display":"Leeds GP"}}`,
		},
		{
			name: "narrative, contained resources and bundle entries",
			in: `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane Smith</div>"},` +
				`"contained":[{"resourceType":"Patient","birthDate":"1970-01-31"}]}}]}`,
			want: `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">[REDACTED]</div>"},` +
				`"contained":[{"resourceType":"Patient","birthDate":"[REDACTED]"}]}}]}`,
		},
		{
			name: "NHS numbers in free text go, codes that look like them stay",
			in: `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"No patient with NHS number 943 476 5919 (or 9434765919)",` +
				`"details":{"coding":[{"system":"http://snomed.info/sct","code":"9434765919"}]}}]}`,
			want: `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"No patient with NHS number [REDACTED] (or [REDACTED])",` +
				`"details":{"coding":[{"system":"http://snomed.info/sct","code":"9434765919"}]}}]}`,
		},
		{
			name: "search links carry NHS numbers",
			in:   `{"resourceType":"Bundle","link":[{"relation":"self","url":"https://x.example/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}]}`,
			want: `{"resourceType":"Bundle","link":[{"relation":"self","url":"https://x.example/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[REDACTED]"}]}`,
		},
		{
			name: "token endpoint answer",
			in:   `{"access_token":"eyJhbGciOi.payload.sig","token_type":"Bearer","expires_in":300,"refresh_token":"r1"}`,
			want: `{"access_token":"[REDACTED]","token_type":"Bearer","expires_in":300,"refresh_token":"[REDACTED]"}`,
		},
		{
			name: "keep bodies keeps identifiers but not secrets",
			keep: true,
			in:   `{"resourceType":"Patient","name":[{"family":"Smith"}],"birthDate":"1970-01-31","extension":[{"url":"x","valueString":"Bearer abcdefghijklmnop"}],"access_token":"t"}`,
			want: `{"resourceType":"Patient","name":[{"family":"Smith"}],"birthDate":"1970-01-31","extension":[{"url":"x","valueString":"Bearer [REDACTED]"}],"access_token":"[REDACTED]"}`,
		},
		{
			name: "numbers, literals, escapes and member order survive",
			in:   `{"z":1.50e3,"a":[true,false,null],"s":"<tag> & \"quote\" \u00e9 \u2028","name":{"family":"X"}}`,
			want: `{"z":1.50e3,"a":[true,false,null],"s":"<tag> & \"quote\" é ` + "\u2028" + `","name":{"family":"[REDACTED]"}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewRedactor(c.keep)
			got, err := r.RedactJSON([]byte(c.in))
			if err != nil {
				t.Fatalf("RedactJSON: %v", err)
			}
			if string(got) != c.want {
				t.Errorf("RedactJSON\n got %s\nwant %s", got, c.want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestRedactJSONKeepsUntouchedBodiesByteForByte(t *testing.T) {
	in := []byte("{\n  \"resourceType\": \"CapabilityStatement\",\n  \"fhirVersion\": \"4.0.1\"\n}\n")
	got, err := NewRedactor(false).RedactJSON(in)
	if err != nil || !bytes.Equal(got, in) {
		t.Errorf("RedactJSON of a body with nothing to redact = %q, %v; want it unchanged", got, err)
	}
}

func TestRedactJSONRejectsWhatIsNotOneJSONValue(t *testing.T) {
	for name, in := range map[string]string{
		"xml":        `<Patient xmlns="http://hl7.org/fhir"/>`,
		"truncated":  `{"resourceType":"Patient","name":[{"fam`,
		"two values": `{} {}`,
		"trailing":   `{"a":1} x`,
		"too deep":   strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2),
		"empty":      ``,
		"duplicate":  `{"name":"x","name":"y"}`,
	} {
		if _, err := NewRedactor(false).RedactJSON([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewRedactor(false).RedactJSON([]byte(strings.Repeat("[", maxJSONDepth+2))); err == nil || !strings.Contains(err.Error(), "nests deeper than") {
		t.Errorf("deep nesting error = %v", err)
	}
}

func TestRedactorBody(t *testing.T) {
	cases := []struct {
		name        string
		keep        bool
		contentType string
		in          string
		wantMode    BodyMode
		want        string
	}{
		{"empty", false, "", "", BodyNone, ""},
		{"json", false, "application/fhir+json", `{"birthDate":"1970-01-01"}`, BodyRedacted, `{"birthDate":"[REDACTED]"}`},
		{"xml is hash only", false, "application/fhir+xml", `<Patient/>`, BodyHashOnly, ""},
		{"html is hash only", false, "text/html", `<html>Jane Smith</html>`, BodyHashOnly, ""},
		{"keep: json raw", true, "application/json", `{"birthDate":"1970-01-01"}`, BodyRaw, `{"birthDate":"1970-01-01"}`},
		{"keep: xml raw", true, "application/fhir+xml", `<Patient/>`, BodyRaw, `<Patient/>`},
		{"keep: form secrets", true, "application/x-www-form-urlencoded; charset=utf-8",
			"grant_type=client_credentials&client_assertion=eyJ.x.y&client_secret=s3&scope=system%2F*.read",
			BodyRaw, "grant_type=client_credentials&client_assertion=REDACTED&client_secret=REDACTED&scope=system%2F*.read"},
	}
	for _, c := range cases {
		got, mode := NewRedactor(c.keep).Body(c.contentType, []byte(c.in))
		if mode != c.wantMode || string(got) != c.want {
			t.Errorf("%s: Body = %q (%s), want %q (%s)", c.name, got, mode, c.want, c.wantMode)
		}
	}
}

func TestRedactText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"NHS number 9434765919 not found", "NHS number [REDACTED] not found"},
		{"943 476 5919 and 943-476-5919", "[REDACTED] and [REDACTED]"},
		{"9434765918 fails its check digit", "9434765918 fails its check digit"},
		{"part of 19434765919 or 94347659190", "part of 19434765919 or 94347659190"},
		{"mixed 943 476-5919 separators", "mixed 943 476-5919 separators"},
		{"Patient/9434765919/_history/1", "Patient/[REDACTED]/_history/1"},
		{"test patient 9990000018 goes too", "test patient [REDACTED] goes too"},
		{"Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Authorization: Bearer [REDACTED]"},
		{`WWW-Authenticate: Bearer realm="fhir", error="invalid_token"`, `WWW-Authenticate: Bearer realm="fhir", error="invalid_token"`},
		{"", ""},
	}
	r := NewRedactor(false)
	for _, c := range cases {
		if got := r.RedactText(c.in); got != c.want {
			t.Errorf("RedactText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := NewRedactor(true).RedactText("9434765919"); got != "9434765919" {
		t.Errorf("keep bodies redacted %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	cases := []struct {
		keep     bool
		in, want string
	}{
		{false, "https://x.example/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_count=1",
			"https://x.example/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[REDACTED]&_count=1"},
		{false, "https://user:pa55@x.example/fhir/metadata", "https://REDACTED@x.example/fhir/metadata"},
		{false, "https://x.example/cb?code=abc&state=1#access_token=t0k3n&token_type=bearer",
			"https://x.example/cb?code=abc&state=1#access_token=REDACTED&token_type=bearer"},
		{false, "https://x.example/fhir/Patient?Access_Token=t&apikey=k", "https://x.example/fhir/Patient?Access_Token=REDACTED&apikey=REDACTED"},
		{true, "https://x.example/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&access_token=t",
			"https://x.example/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&access_token=REDACTED"},
		{false, "https://x.example/fhir/metadata", "https://x.example/fhir/metadata"},
		{false, "::not a url 9434765919", "::not a url [REDACTED]"},
	}
	for _, c := range cases {
		if got := NewRedactor(c.keep).RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q, keep=%v) = %q, want %q", c.in, c.keep, got, c.want)
		}
	}
}

func TestRedactorHeaders(t *testing.T) {
	in := http.Header{
		"Authorization":       {"Bearer abc.def.ghi"},
		"proxy-authorization": {"Basic dXNlcjpwYXNz"}, // not canonical: still removed
		"Cookie":              {"a=b"},
		"Set-Cookie":          {"c=d", "e=f"},
		"Apikey":              {"k"},
		"Accept":              {"application/fhir+json"},
		"Location":            {"https://x.example/Patient/9434765919"},
	}
	kept, removed := NewRedactor(false).Headers(in)
	if strings.Join(removed, ",") != "Apikey,Authorization,Cookie,Proxy-Authorization,Set-Cookie" {
		t.Errorf("removed = %v", removed)
	}
	if len(kept) != 2 || kept.Get("Accept") != "application/fhir+json" || kept.Get("Location") != "https://x.example/Patient/[REDACTED]" {
		t.Errorf("kept = %v", kept)
	}
	if k, r := NewRedactor(false).Headers(nil); k != nil || r != nil {
		t.Errorf("Headers(nil) = %v, %v", k, r)
	}
}

// nhsNumberRun is an oracle independent of nhsNumberAt: ten digits not touching other digits.
var nhsNumberRun = regexp.MustCompile(`(?:^|[^0-9])([0-9]{10})(?:[^0-9]|$)`)

func FuzzRedactText(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "x9434765919y", "99900000189434765919", "Bearer abcdefghijklmnopq", "943-476-5919-943-476-5919"} {
		f.Add(s)
	}
	r := NewRedactor(false)
	f.Fuzz(func(t *testing.T, s string) {
		out := r.RedactText(s)
		if again := r.RedactText(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		// Overlapping matches share a boundary character, so scan with a sliding start.
		for i := 0; i < len(out); i++ {
			m := nhsNumberRun.FindStringSubmatchIndex(out[i:])
			if m == nil {
				break
			}
			digits := out[i+m[2] : i+m[3]]
			if terminology.NHSNumberValid(digits) {
				t.Fatalf("NHS number %s left in %q (from %q)", digits, out, s)
			}
			i += m[2]
		}
	})
}

func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith","given":["J"]}]}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","birthDate":"1970-01-01","telecom":{"value":"1"}}}]}`,
		`{"subject":{"reference":"Patient/1","display":"J S"},"text":{"div":"<div>x</div>"},"access_token":"t"}`,
		`[1, 2.5e10, "x", null, true, {"name":"plain"}]`,
		`"just a string 9434765919"`,
		`{"a":"\ud800"}`,
		`{"name":[{"family":["not","a","string"]}],"address":"flat"}`,
	} {
		f.Add([]byte(s))
	}
	r := NewRedactor(false)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := r.RedactJSON(data)
		if err != nil {
			// Valid JSON is refused only when nested too deep or with a member twice (which
			// could hide an identifier from the walk): both are stored as a hash only.
			if json.Valid(data) && !strings.Contains(err.Error(), "nests deeper than") && !strings.Contains(err.Error(), "appears twice") {
				t.Fatalf("valid JSON refused: %v\n%q", err, data)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("invalid JSON accepted: %q", data)
		}
		if !json.Valid(out) {
			t.Fatalf("output is not valid JSON: %q -> %q", data, out)
		}
		again, err := r.RedactJSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", data, out, again, err)
		}
		// Redaction replaces values, never structure: both parse to the same shape.
		var before, after any
		if json.Unmarshal(data, &before) == nil && json.Unmarshal(out, &after) == nil && shape(before) != shape(after) {
			t.Fatalf("structure changed: %q -> %q", data, out)
		}
	})
}

// shape renders a JSON value's structure with every scalar replaced by its kind.
func shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k + ":" + shape(x[k]) + ",")
		}
		return b.String() + "}"
	case []any:
		var b strings.Builder
		b.WriteString("[")
		for _, e := range x {
			b.WriteString(shape(e) + ",")
		}
		return b.String() + "]"
	case string:
		return "s"
	case float64:
		return "n"
	case bool:
		return "b"
	default:
		return "z"
	}
}

func BenchmarkRedactJSON(b *testing.B) {
	// A search Bundle of 1,000 patients, about 400 KB.
	var body bytes.Buffer
	body.WriteString(`{"resourceType":"Bundle","type":"searchset","entry":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(patientBundleEntry())
	}
	body.WriteString(`]}`)
	r := NewRedactor(false)
	b.SetBytes(int64(body.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.RedactJSON(body.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

func patientBundleEntry() []byte {
	return []byte(`{"fullUrl":"https://127.0.0.1/Patient/p1","resource":{"resourceType":"Patient","id":"p1",` +
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],` +
		`"name":[{"use":"official","family":"Smith","given":["Jane","Ann"],"prefix":["Mrs"]}],` +
		`"telecom":[{"system":"phone","value":"020 7946 0000","use":"home"}],"gender":"female","birthDate":"1970-01-31",` +
		`"address":[{"use":"home","line":["1 High Street"],"city":"Leeds","postalCode":"LS1 1AA"}],` +
		`"generalPractitioner":[{"reference":"Practitioner/g1","display":"Dr A Jones"}]}}`)
}
