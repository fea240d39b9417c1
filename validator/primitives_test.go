package validator

import (
	"regexp"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/specdata"
)

// primitiveSamples are values to hold the hand-written checkers against the regexes published in
// the R4 definitions.
var primitiveSamples = []string{
	"", " ", "a", "a b", "a  b", " a", "a ", "abc-1.2", strings.Repeat("a", 64), strings.Repeat("a", 65), "a_b",
	"2020", "2020-01", "2020-01-31", "2020-02-30", "2020-13-01", "2020-1-01", "0000", "0001", "20201",
	"2020-01-31T10:00:00Z", "2020-01-31T10:00:00.123+01:00", "2020-01-31T10:00:00", "2020-01-31T24:00:00Z",
	"2020-01-31T10:00Z", "2020-01-31T10:00:60Z", "2020-01-31T10:00:00+14:00", "2020-01-31T10:00:00+14:30",
	"10:00:00", "10:00", "23:59:59.9", "24:00:00", "urn:oid:1.2.3", "urn:oid:3.1", "urn:oid:1.02",
	"urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000001", "urn:uuid:6F7A1C3E-1111-4A5B-9C0D-000000000001",
	"aGVsbG8=", "aGVsbG8", "aGVs bG8=", "====", "http://x.org/a b", "http://x.org/a", "0", "-1", "01", "1.5",
	"2147483647", "2147483648", "-2147483648", "1e3", "true", "\t", "a\tb", "a\x01b",
}

// TestPrimitiveCheckersAgainstSpecRegex: for every sample, the hand-written checker accepts
// only what the definition's regex accepts. Where the spec states a rule the regex cannot
// (real calendar dates, 32-bit range, control characters, base64 padding), the checker is
// stricter, and those cases are listed.
func TestPrimitiveCheckersAgainstSpecRegex(t *testing.T) {
	d, err := model.Decode(specdata.R4)
	if err != nil {
		t.Fatal(err)
	}
	checks := builtinChecks(false)
	stricter := map[string]bool{
		"date 2020-02-30": true, "dateTime 2020-02-30": true, "date 0000": true, "dateTime 0000": true,
		"integer 2147483648": true, "string a\x01b": true, "markdown a\x01b": true, "base64Binary ====": true,
		"uri a\x01b": true, "url a\x01b": true, "canonical a\x01b": true, "code a\x01b": true,
		"positiveInt 2147483648": true, "unsignedInt 2147483648": true,
	}
	// A uri, url or canonical naming a UUID or an OID must name a valid one (Java's rule; the
	// regex accepts any URI).
	for _, ty := range []string{"uri", "url", "canonical"} {
		for _, v := range []string{"urn:oid:3.1", "urn:oid:1.02", "urn:uuid:6F7A1C3E-1111-4A5B-9C0D-000000000001"} {
			stricter[ty+" "+v] = true
		}
	}
	n := 0
	for _, s := range d.Structures {
		if s.Kind != "primitive-type" || s.Regex == "" {
			continue
		}
		check, ok := checks[s.Type]
		if !ok {
			t.Errorf("no hand-written checker for %s", s.Type)
			continue
		}
		re := regexp.MustCompile(`^(?:` + s.Regex + `)$`)
		for _, v := range primitiveSamples {
			if v == "" || s.Type == "boolean" || s.Type == "decimal" {
				continue // empty values are the empty check's; boolean and decimal are JSON types
			}
			if s.Type == "integer" || s.Type == "positiveInt" || s.Type == "unsignedInt" {
				if strings.ContainsAny(v, " .e-T:") && v != "-1" && v != "-2147483648" {
					continue // not JSON numbers
				}
			}
			got := check([]byte(v)) == ""
			want := re.MatchString(v)
			n++
			if got && !want {
				t.Errorf("%s %q: checker accepts what the spec regex rejects", s.Type, v)
			}
			if !got && want && !stricter[s.Type+" "+v] {
				t.Errorf("%s %q: checker rejects what the spec regex accepts (%s)", s.Type, v, check([]byte(v)))
			}
		}
	}
	if n < 300 {
		t.Fatalf("only %d comparisons", n)
	}
}
