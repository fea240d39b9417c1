package answers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

const validAnswers = `checklist: nhs-interop@2026.1
organisation:
  ods: RZX
  name: Northbridge Teaching Hospitals NHS Foundation Trust
  type: acute-trust
answered_by: Priya Raman, Head of IG
answered_at: "2026-10-14"
answers:
  - item: IG-01
    status: answered
    level: 3
    provenance: self-assessed
    evidence:
      - name: Flow register
        sha256: 0f343b0931126a20f133d67c2b018a3b5e8e0e9e0a0b0c0d0e0f101112131415
    owner: Head of IG
  - item: TERM-04
    status: waived
    provenance: self-assessed
    waiver:
      reason: LIMS replacement
      expires: "2027-06-30"
  - item: NAT-01
    status: not-applicable
    provenance: inspector-verified
`

func catalogue(t *testing.T) *checklist.Checklist {
	t.Helper()
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var asOf = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func TestParseValid(t *testing.T) {
	f, err := Parse("a.yaml", []byte(validAnswers), WithChecklist(catalogue(t), asOf))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.Organisation.Type != checklist.AcuteTrust || len(f.Answers) != 3 || f.Find("IG-01").Level != 3 || len(f.SHA256) != 64 {
		t.Errorf("decoded %+v", f)
	}
	if !f.Find("TERM-04").WaiverActive(asOf) || f.Find("TERM-04").WaiverActive(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("WaiverActive must hold until the expiry day and not after")
	}
	if !f.AnsweredOn().Equal(time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("AnsweredOn = %v", f.AnsweredOn())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		replace [][2]string
		asOf    time.Time
		want    []string
	}{
		{
			name:    "level out of range",
			replace: [][2]string{{"level: 3", "level: 7"}},
			want:    []string{"bad.yaml:11:12: answers[0].level: 7 is not a level: levels run from 1 (not achieved) to 4 (exceeds)"},
		},
		{
			name:    "answered without a level",
			replace: [][2]string{{"    level: 3\n", ""}},
			want:    []string{"bad.yaml:9:5: answers[0].level: a level from 1 to 4 is required when status is answered"},
		},
		{
			name:    "level on an unanswered item",
			replace: [][2]string{{"status: not-applicable", "status: not-applicable\n    level: 2"}},
			want:    []string{"bad.yaml:25:12: answers[2].level: a level is only given when status is answered (status is not-applicable)"},
		},
		{
			name:    "unknown item, status and provenance",
			replace: [][2]string{{"item: NAT-01", "item: NAT-99"}, {"status: not-applicable", "status: skipped"}, {"provenance: inspector-verified", "provenance: probe-verified"}},
			want: []string{
				`bad.yaml:23:11: answers[2].item: unknown item id "NAT-99": nhs-interop@2026.1 has no such item`,
				`bad.yaml:24:13: answers[2].status: unknown status "skipped" (known: answered, not-applicable, not-reviewed, waived)`,
				`bad.yaml:25:17: answers[2].provenance: unknown provenance "probe-verified" (known: self-assessed, inspector-verified)`,
			},
		},
		{
			name:    "waived without a waiver, and a waiver on an answered item",
			replace: [][2]string{{"    waiver:\n      reason: LIMS replacement\n      expires: \"2027-06-30\"\n", ""}, {"    owner: Head of IG\n", "    owner: Head of IG\n    waiver: {reason: r, expires: \"2027-01-01\"}\n"}},
			want: []string{
				"bad.yaml:17:13: answers[0].waiver: a waiver is only given when status is waived (status is answered)",
				"bad.yaml:18:5: answers[1].waiver: a waiver with reason and expires is required when status is waived",
			},
		},
		{
			name:    "expired waiver",
			replace: [][2]string{{`expires: "2027-06-30"`, `expires: "2026-11-21"`}},
			want:    []string{"bad.yaml:22:16: answers[1].waiver.expires: the waiver expired on 2026-11-21: renew it or answer the item"},
		},
		{
			name:    "malformed waiver date",
			replace: [][2]string{{`expires: "2027-06-30"`, `expires: "30/06/2027"`}},
			want:    []string{`bad.yaml:22:16: answers[1].waiver.expires: "30/06/2027" is not a date (YYYY-MM-DD)`},
		},
		{
			name:    "wrong checklist version and bad ODS code",
			replace: [][2]string{{"nhs-interop@2026.1", "nhs-interop@2025.1"}, {"ods: RZX", "ods: rzx!"}},
			want: []string{
				"bad.yaml:1:12: checklist: the answers are for nhs-interop@2025.1 but are being checked against nhs-interop@2026.1",
				`bad.yaml:3:8: organisation.ods: "rzx!" is not a valid ODS code (3 to 6 upper-case letters and digits)`,
			},
		},
		{
			name:    "duplicate answer and unknown field",
			replace: [][2]string{{"item: NAT-01", "item: IG-01"}, {"owner: Head of IG", "ownr: Head of IG"}},
			want: []string{
				`bad.yaml:16:5: answers[0].ownr: unknown field "ownr"`,
				"bad.yaml:23:11: answers[2].item: item IG-01 is answered twice (first at answers[0])",
			},
		},
		{
			name:    "answered in the future and bad digest",
			replace: [][2]string{{`answered_at: "2026-10-14"`, `answered_at: "2027-01-01"`}, {"sha256: 0f34", "sha256: 0F34"}},
			want: []string{
				"bad.yaml:7:14: answered_at: 2027-01-01 is in the future",
				`bad.yaml:15:17: answers[0].evidence[0].sha256: "0F343b0931126a20f133d67c2b018a3b5e8e0e9e0a0b0c0d0e0f101112131415" is not a SHA-256 (64 lower-case hex digits)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := validAnswers
			for _, r := range tt.replace {
				if !strings.Contains(src, r[0]) {
					t.Fatalf("case does not apply: %q", r[0])
				}
				src = strings.Replace(src, r[0], r[1], 1)
			}
			_, err := Parse("bad.yaml", []byte(src), WithChecklist(catalogue(t), asOf))
			var es yamldoc.Errors
			if !errors.As(err, &es) {
				t.Fatalf("want yamldoc.Errors, got %v", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidateWithoutChecklistSkipsItemIDs(t *testing.T) {
	src := strings.Replace(validAnswers, "item: NAT-01", "item: ZZ-99", 1)
	f, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatalf("item ids are only checked against a checklist: %v", err)
	}
	if err := Validate(f, catalogue(t), asOf); err == nil || !strings.Contains(err.Error(), `a.yaml:23:11: answers[2].item: unknown item id "ZZ-99"`) {
		t.Errorf("Validate = %v", err)
	}
}

// TestExamples checks the demo's example answers against the catalogue and against the
// sandbox defect profiles they play: exemplar claims nothing its endpoints fail, typical
// over-claims a few probe-evidenced items, legacy over-claims several.
func TestExamples(t *testing.T) {
	c := catalogue(t)
	tests := []struct {
		name           string
		profile        sandbox.Profile
		minOver, maxOv int
	}{
		{"exemplar", sandbox.Exemplar, 0, 0},
		{"typical", sandbox.Typical, 2, 5},
		{"legacy", sandbox.Legacy, 6, 72},
	}
	if got := ExampleNames(); strings.Join(got, ",") != "exemplar,legacy,typical" {
		t.Fatalf("ExampleNames = %v", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Example(tt.name, c)
			if err != nil {
				t.Fatal(err)
			}
			org := sandbox.DefaultOrg(tt.profile)
			if f.Organisation.ODS != org.ODSCode || f.Organisation.Name != org.Name {
				t.Errorf("organisation %+v does not match the sandbox's %+v", f.Organisation, org)
			}
			defective := map[string]bool{}
			for _, d := range sandbox.Defects(tt.profile) {
				defective[d.ProbeID] = true
			}
			var over []string
			for _, a := range f.Answers {
				it, _, _ := c.Item(a.Item)
				if a.Status != Answered || a.Level < 3 {
					continue
				}
				for _, p := range it.Probes {
					if defective[p] {
						over = append(over, a.Item)
						break
					}
				}
			}
			if len(over) < tt.minOver || len(over) > tt.maxOv {
				t.Errorf("%s claims level 3+ on %d items its probes refute (%v); want %d to %d", tt.name, len(over), over, tt.minOver, tt.maxOv)
			}
			if len(f.Answers) != c.ItemCount() {
				t.Errorf("%s answers %d of %d items", tt.name, len(f.Answers), c.ItemCount())
			}
		})
	}
	if _, err := ExampleYAML("nope"); err == nil {
		t.Error("ExampleYAML(nope) must fail")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validAnswers))
	f.Add([]byte("answers: [{item: IG-01, status: waived, waiver: {expires: x}}]\n"))
	f.Add([]byte("checklist: 1\norganisation: []\n"))
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.yaml", data, WithChecklist(c, asOf))
		if err != nil {
			var es yamldoc.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a positioned list: %v", err)
			}
			return
		}
		if err := Validate(a, c, asOf); err != nil {
			t.Fatalf("parsed answers fail Validate: %v", err)
		}
	})
}
