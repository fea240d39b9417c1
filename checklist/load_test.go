package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// valid is a minimal valid checklist; the cases below change one or more lines of it.
const valid = `id: test-list
version: "2026.1"
title: Test checklist
domains:
  - id: alpha
    title: Alpha
    items:
      - id: AB-01
        title: First
        question: Is it done?
        guidance: Look for it.
        evidence: [A document]
        levels:
          1: Not done.
          2: Partly done.
          3: Done.
          4: Done and measured.
        weight: 3
        mandatory_for: [gp-practice]
        references:
          - framework: CQC SAF
            url: https://www.cqc.org.uk/
        probes: [fhir.capability.present]
`

func knownTestProbe(id string) bool {
	return id == "fhir.capability.present" || id == "security.auth.required"
}

func TestParseValid(t *testing.T) {
	c, err := Parse("valid.yaml", []byte(valid), WithKnownProbes(knownTestProbe))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sum := sha256.Sum256([]byte(valid))
	if c.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 = %s, want the hash of the file bytes", c.SHA256)
	}
	if c.Ref() != "test-list@2026.1" || c.Source != "valid.yaml" || c.ItemCount() != 1 {
		t.Errorf("got ref %s source %s items %d", c.Ref(), c.Source, c.ItemCount())
	}
	it, d, ok := c.Item("AB-01")
	if !ok || d.ID != "alpha" || it.Levels.Statement(4) != "Done and measured." || !it.MandatoryForType(GPPractice) {
		t.Errorf("item not decoded as written: %+v", it)
	}
}

// TestParseErrors asserts the exact file:line:column, field and message for each mistake, and
// that every mistake in a file is reported, not only the first.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		replace [][2]string // old, new applied to valid
		want    []string
	}{
		{
			name:    "weight above maximum",
			replace: [][2]string{{"weight: 3", "weight: 9"}},
			want:    []string{"bad.yaml:18:17: domains[0].items[0].weight: 9 is above the maximum 5"},
		},
		{
			name:    "weight below minimum",
			replace: [][2]string{{"weight: 3", "weight: 0"}},
			want:    []string{"bad.yaml:18:17: domains[0].items[0].weight: 0 is below the minimum 1"},
		},
		{
			name:    "weight of the wrong type",
			replace: [][2]string{{"weight: 3", "weight: three"}},
			want:    []string{"bad.yaml:18:17: domains[0].items[0].weight: must be an integer, not a string"},
		},
		{
			name:    "unquoted version",
			replace: [][2]string{{`version: "2026.1"`, "version: 2026.1"}},
			want:    []string{"bad.yaml:2:10: version: must be a string, not a number (put the value in quotes)"},
		},
		{
			name:    "bad id and version formats",
			replace: [][2]string{{"id: test-list", "id: Test_List"}, {`version: "2026.1"`, `version: "26.1"`}},
			want: []string{
				`bad.yaml:1:5: id: "Test_List" is not a valid checklist id (expected ^[a-z][a-z0-9-]*$)`,
				`bad.yaml:2:10: version: "26.1" is not a valid version (YYYY.N) (expected ^[0-9]{4}\.[0-9]+$)`,
			},
		},
		{
			name:    "unknown field with a hint",
			replace: [][2]string{{"guidance: Look for it.", "guidanse: Look for it."}},
			want: []string{
				"bad.yaml:8:9: domains[0].items[0].guidance: required field is missing",
				`bad.yaml:11:9: domains[0].items[0].guidanse: unknown field "guidanse" (did you mean "guidance"?)`,
			},
		},
		{
			name:    "missing level statement and a repeated one",
			replace: [][2]string{{"          4: Done and measured.\n", ""}, {"2: Partly done.", "2: Not done."}},
			want: []string{
				"bad.yaml:14:11: domains[0].items[0].levels.4: required field is missing",
				"bad.yaml:15:14: domains[0].items[0].levels.2: the level 2 statement repeats level 1: each level must say what is different",
			},
		},
		{
			name:    "empty level statement",
			replace: [][2]string{{"3: Done.", `3: ""`}},
			want:    []string{"bad.yaml:16:14: domains[0].items[0].levels.3: the level 3 statement must not be empty"},
		},
		{
			name:    "unknown organisation type and probe",
			replace: [][2]string{{"[gp-practice]", "[gp-practice, gp]"}, {"[fhir.capability.present]", "[fhir.capability.present, fhir.nope]"}},
			want: []string{
				`bad.yaml:19:38: domains[0].items[0].mandatory_for[1]: unknown organisation type "gp" (known: acute-trust, mental-health-trust, community-trust, ambulance-trust, gp-practice, icb, social-care-provider)`,
				`bad.yaml:23:43: domains[0].items[0].probes[1]: unknown probe id "fhir.nope": no probe with this id is registered`,
			},
		},
		{
			name:    "no evidence and no references",
			replace: [][2]string{{"evidence: [A document]", "evidence: []"}, {"        references:\n          - framework: CQC SAF\n            url: https://www.cqc.org.uk/\n", "        references: []\n"}},
			want: []string{
				"bad.yaml:12:19: domains[0].items[0].evidence: must have at least 1 entry",
				"bad.yaml:20:21: domains[0].items[0].references: must have at least 1 entry",
			},
		},
		{
			name:    "relative reference URL",
			replace: [][2]string{{"url: https://www.cqc.org.uk/", "url: www.cqc.org.uk"}},
			want:    []string{`bad.yaml:22:18: domains[0].items[0].references[0].url: "www.cqc.org.uk" is not an absolute http(s) URL`},
		},
		{
			name:    "bad item id",
			replace: [][2]string{{"id: AB-01", "id: ab_1"}},
			want:    []string{`bad.yaml:8:13: domains[0].items[0].id: "ab_1" is not a valid item id (expected ^[A-Z]{2,6}-[0-9]{2,3}$)`},
		},
		{
			name:    "syntax error stops at the first problem",
			replace: [][2]string{{"title: First", `title: "First`}},
			want:    []string{"bad.yaml:9:16: invalid YAML: could not find end character of double-quoted text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := valid
			for _, r := range tt.replace {
				if !strings.Contains(src, r[0]) {
					t.Fatalf("test case does not apply: %q not in the valid checklist", r[0])
				}
				src = strings.Replace(src, r[0], r[1], 1)
			}
			_, err := Parse("bad.yaml", []byte(src), WithKnownProbes(knownTestProbe))
			got := errorLines(t, err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func errorLines(t *testing.T, err error) []string {
	t.Helper()
	var es yamldoc.Errors
	if !errors.As(err, &es) {
		t.Fatalf("want yamldoc.Errors, got %v", err)
	}
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return lines
}

func TestDuplicateIDs(t *testing.T) {
	src := valid + `  - id: alpha
    title: Alpha again
    items:
      - id: AB-01
        title: Again
        question: Q?
        guidance: G.
        evidence: [E]
        levels: {1: a, 2: b, 3: c, 4: d}
        weight: 1
        references: [{framework: F}]
`
	_, err := Parse("dup.yaml", []byte(src))
	want := []string{
		`dup.yaml:24:9: domains[1].id: duplicate domain id "alpha" (first used by domains[0])`,
		`dup.yaml:27:13: domains[1].items[0].id: duplicate item id "AB-01" (first used at domains[0].items[0])`,
	}
	if got := errorLines(t, err); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProbesNotCheckedWithoutRegistry(t *testing.T) {
	src := strings.Replace(valid, "[fhir.capability.present]", "[not.a.probe]", 1)
	c, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse without WithKnownProbes must not check probe ids: %v", err)
	}
	err = Validate(c, knownTestProbe)
	if got := errorLines(t, err); len(got) != 1 || got[0] != `p.yaml:23:18: domains[0].items[0].probes[0]: unknown probe id "not.a.probe": no probe with this id is registered` {
		t.Errorf("Validate = %q", got)
	}
}

func TestValidateInMemory(t *testing.T) {
	c := &Checklist{ID: "mem", Version: "2026.1", Title: "In memory", Domains: []Domain{{
		ID: "d", Title: "D", Items: []Item{{
			ID: "XX-01", Title: "t", Question: "q", Guidance: "g", Evidence: []string{"e"},
			Levels: Levels{"a", "b", "c", "d"}, Weight: 6, References: []Reference{{Framework: "F"}},
			MandatoryFor: []OrgType{ICB, ICB},
		}},
	}}}
	got := errorLines(t, Validate(c, nil))
	want := []string{
		`domains[0].items[0].mandatory_for[1]: "icb" is listed twice`,
		"domains[0].items[0].weight: 6 is above the maximum 5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c.Domains[0].Items[0].Weight = 2
	c.Domains[0].Items[0].MandatoryFor = []OrgType{ICB}
	if err := Validate(c, nil); err != nil {
		t.Errorf("fixed checklist still invalid: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || c.Source != path {
		t.Fatalf("Load = %v, %v", c, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2026.1", "2026.2", -1},
		{"2026.2", "2026.10", -1},
		{"2027.1", "2026.9", 1},
		{"2026.1", "2026.1", 0},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("id: x\nversion: 1\n"))
	f.Add([]byte("domains: [{items: [{levels: {1: a}}]}]\n"))
	f.Add([]byte("domains:\n  - &d {id: a}\n  - *d\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, WithKnownProbes(knownTestProbe))
		if err != nil {
			var es yamldoc.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a positioned list: %v", err)
			}
			for _, e := range es {
				if e.File != "fuzz.yaml" || e.Message == "" {
					t.Fatalf("error without file or message: %+v", e)
				}
			}
			return
		}
		// Whatever parses must validate again with the same verdict.
		if err := Validate(c, knownTestProbe); err != nil {
			t.Fatalf("parsed checklist fails Validate: %v", err)
		}
	})
}
