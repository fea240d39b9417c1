package sandbox

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseQueryString(t *testing.T) {
	got, err := parseQueryString("family:exact=Si%C3%A2n&&_count=2&x=a;b&flag")
	if err != nil {
		t.Fatal(err)
	}
	want := []queryParam{{"family", "exact", "Siân"}, {"_count", "", "2"}, {"x", "", "a;b"}, {"flag", "", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("param %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"a=%zz", "%zz=1", "=1", ":x=1", "a=%ff", strings.Repeat("a=1&", maxQueryParams+1)} {
		if _, err := parseQueryString(bad); err == nil {
			t.Errorf("%q parsed", truncate(bad, 30))
		}
	}
}

func TestTokensAndOr(t *testing.T) {
	tests := []struct {
		in   string
		want tokenValue
	}{
		{"https://fhir.nhs.uk/Id/nhs-number|9990000018", tokenValue{"https://fhir.nhs.uk/Id/nhs-number", "9990000018", true}},
		{"|9990000018", tokenValue{"", "9990000018", true}},
		{"9990000018", tokenValue{"", "9990000018", false}},
		{"http://x|", tokenValue{"http://x", "", true}},
		{`a\|b|c`, tokenValue{"a|b", "c", true}},
	}
	for _, tc := range tests {
		if got := parseToken(tc.in); got != tc.want {
			t.Errorf("parseToken(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	parts, err := splitOr(`a,b\,c,`)
	if err != nil || len(parts) != 3 || parts[1] != `b\,c` || unescape(parts[1]) != "b,c" || parts[2] != "" {
		t.Errorf("splitOr = %q, %v", parts, err)
	}
	if _, err := splitOr(strings.Repeat("a,", maxValuesPerOr+1)); err == nil {
		t.Error("too many OR values accepted")
	}
}

func TestDateSearch(t *testing.T) {
	day := func(s string) dateRange {
		r, err := parseFHIRDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	birth := day("1968-04-12")
	tests := []struct {
		value string
		want  bool
	}{
		{"1968-04-12", true}, {"1968-04", true}, {"1968", true}, {"eq1968-04-13", false},
		{"ne1968", false}, {"ne1969", true},
		{"gt1968-04-11", true}, {"gt1968", false}, {"lt1968-04-13", true}, {"lt1968-04-12", false},
		{"ge1968-04-12", true}, {"ge1968-04-13", false}, {"le1968-04-12", true}, {"le1968-04-11", false},
		{"sa1968-04-11", true}, {"sa1968-04-12", false}, {"eb1968-04-13", true}, {"eb1968-04-12", false},
		{"1968-04-12T10:00:00+01:00", false},
	}
	for _, tc := range tests {
		v, err := parseDateValue(tc.value)
		if err != nil {
			t.Fatalf("%s: %v", tc.value, err)
		}
		if got := v.matches(birth); got != tc.want {
			t.Errorf("birthdate 1968-04-12 matches %s: %v, want %v", tc.value, got, tc.want)
		}
	}
	r := day("2026-01-05T09:00:00+01:00")
	if !r.lo.Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)) || r.hi.Sub(r.lo) != time.Second {
		t.Errorf("dateTime range %v", r)
	}
	if m := day("2026-01-05T09:00"); m.hi.Sub(m.lo) != time.Minute {
		t.Errorf("minute precision %v", m)
	}
	for _, bad := range []string{"ap2020", "xx2020", "2020-13", "20201", "2026-01-05T09", "2026-01-05X09:00", "2026-01-05T09:00+25:00", ""} {
		if _, err := parseDateValue(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseReference(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "Patient/abc"},
		{"Patient/abc", "Patient/abc"},
		{"https://host/fhir/r4/Patient/abc", "Patient/abc"},
		{"Patient/abc/_history/2", "Patient/abc"},
	}
	for _, tc := range tests {
		if got, err := parseReference(tc.in, "Patient"); err != nil || got != tc.want {
			t.Errorf("parseReference(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"", "a b", "patient/abc", "Patient/", "Patient/" + strings.Repeat("x", 65)} {
		if _, err := parseReference(bad, "Patient"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestNegotiateFormat(t *testing.T) {
	tests := []struct {
		param  string
		has    bool
		accept string
		want   format
	}{
		{"", false, "", formatJSON},
		{"json", true, "application/fhir+xml", formatJSON},
		{"xml", true, "", formatXML},
		{"application/fhir+xml", true, "", formatXML},
		{"text/html", true, "", formatUnsupported},
		{"", false, "*/*", formatJSON},
		{"", false, "application/fhir+xml", formatXML},
		{"", false, "application/json+fhir; charset=utf-8", formatJSON},
		{"", false, "application/fhir+xml;q=0.4, application/fhir+json;q=0.6", formatJSON},
		{"", false, "application/fhir+xml;q=0.9, */*;q=0.1", formatXML},
		{"", false, "application/fhir+json;q=0, application/fhir+xml", formatXML},
		{"", false, "text/html", formatUnsupported},
		{"", false, "text/html, application/*;q=0.5", formatJSON},
	}
	for _, tc := range tests {
		if got := negotiateFormat(tc.param, tc.has, tc.accept); got != tc.want {
			t.Errorf("negotiate(%q, %v, %q) = %d, want %d", tc.param, tc.has, tc.accept, got, tc.want)
		}
	}
}

func TestFHIRJSONToXML(t *testing.T) {
	in := `{"resourceType":"Bundle","id":"b1","type":"searchset","total":1,"entry":[{"fullUrl":"u","resource":{"resourceType":"Patient","id":"p1","identifier":[{"extension":[{"url":"x&y","valueUri":"v"}],"value":"9990000018"}],"active":true,"name":[{"given":["Siân","Elin"]}]}}]}`
	want := `<?xml version="1.0" encoding="UTF-8"?>
<Bundle xmlns="http://hl7.org/fhir"><id value="b1"/><type value="searchset"/><total value="1"/><entry><fullUrl value="u"/><resource><Patient xmlns="http://hl7.org/fhir"><id value="p1"/><identifier><extension url="x&amp;y"><valueUri value="v"/></extension><value value="9990000018"/></identifier><active value="true"/><name><given value="Siân"/><given value="Elin"/></name></Patient></resource></entry></Bundle>
`
	got, err := fhirJSONToXML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{`[]`, `{"id":"x"}`, `{"resourceType":"Patient","bad-name":1}`, `{"resourceType":"P"} {}`, strings.Repeat(`{"resourceType":"P","a":`, maxXMLDepth+2)} {
		if _, err := fhirJSONToXML([]byte(bad)); err == nil {
			t.Errorf("%q converted", truncate(bad, 40))
		}
	}
}

// TestNothingImportsSandbox enforces the house rule: only cmd and tests may import the sandbox,
// so that the probes stay honest for any server.
func TestNothingImportsSandbox(t *testing.T) {
	const pkg = `"github.com/nhs-jigsaw/jigsaw/sandbox"`
	root := ".."
	scanned := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "cmd" || rel == "sandbox" || (rel != "." && strings.HasPrefix(d.Name(), ".")) || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return nil // another package mid-edit; the compiler will say so
		}
		scanned++
		for _, imp := range f.Imports {
			if imp.Path.Value == pkg {
				t.Errorf("%s imports the sandbox: only cmd and tests may", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 10 {
		t.Errorf("scanned only %d Go files: is the repository root %s?", scanned, root)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	if got := truncate("Dŵr", 2); got != "D…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate(strconv.Itoa(12345), 10); got != "12345" {
		t.Errorf("truncate = %q", got)
	}
}
