package terminology_test

import (
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/terminology"
	codes "github.com/nhs-jigsaw/jigsaw/terminology"
)

// conditions replaces the test patient's conditions with one per coding set.
func conditions(f *probetest.FHIR, sets ...[]map[string]any) {
	var out []map[string]any
	for i, cs := range sets {
		out = append(out, probetest.Clinical("Condition", "c"+string(rune('a'+i)), "p1", "code", cs...))
	}
	f.Clinical["Condition"] = out
}

func sct(code string) []map[string]any {
	return []map[string]any{probetest.Coding(codes.SystemSNOMED, code)}
}

func TestProbes(t *testing.T) {
	local := []map[string]any{probetest.Coding("https://trust.example/codes", "X1")}
	tests := []struct {
		id, name string
		breakIt  func(f *probetest.FHIR)
		want     probes.Status
		observed string
	}{
		{id: "terminology.coding.coverage", name: "all national", want: probes.Pass, observed: "5 of 5 concepts (100.0%)"},
		{id: "terminology.coding.coverage", name: "85 percent", breakIt: func(f *probetest.FHIR) {
			conditions(f, sct("22298006"), sct("22298006"), sct("22298006"), sct("22298006"), sct("22298006"), sct("22298006"), sct("22298006"), local, local)
		}, want: probes.Warn, observed: "11 of 13 concepts (84.6%)"},
		{id: "terminology.coding.coverage", name: "text only", breakIt: func(f *probetest.FHIR) {
			f.Clinical["Condition"] = []map[string]any{{"resourceType": "Condition", "id": "t", "subject": map[string]any{"reference": "Patient/p1"}, "code": map[string]any{"text": "chest pain"}}}
			f.Clinical["Observation"] = nil
		}, want: probes.Warn, observed: "1 text only"},
		{id: "terminology.coding.coverage", name: "mostly local", breakIt: func(f *probetest.FHIR) { conditions(f, local, local, local, local, local, local) }, want: probes.Fail, observed: "https://trust.example/codes"},
		{id: "terminology.coding.coverage", name: "no patient", breakIt: func(f *probetest.FHIR) { f.Patients = nil }, want: probes.Skip},
		{id: "terminology.coding.coverage", name: "no data", breakIt: func(f *probetest.FHIR) { f.Clinical = map[string][]map[string]any{} }, want: probes.Skip, observed: "no coded clinical data"},

		{id: "terminology.snomed.valid-ids", name: "valid", want: probes.Pass, observed: "5 SNOMED CT codes"},
		{id: "terminology.snomed.valid-ids", name: "bad check digit", breakIt: func(f *probetest.FHIR) { conditions(f, sct("22298007")) }, want: probes.Fail, observed: `"22298007" (not a valid SCTID)`},
		{id: "terminology.snomed.valid-ids", name: "description id", breakIt: func(f *probetest.FHIR) { conditions(f, sct("751689013")) }, want: probes.Fail, observed: "a description id, not a concept"},

		{id: "terminology.snomed.system-uri", name: "canonical", want: probes.Pass},
		{id: "terminology.snomed.system-uri", name: "variants", breakIt: func(f *probetest.FHIR) {
			conditions(f, []map[string]any{probetest.Coding("SNOMED-CT", "22298006")}, []map[string]any{probetest.Coding("urn:oid:2.16.840.1.113883.6.96", "22298006")})
		}, want: probes.Fail, observed: `2 of 6 SNOMED CT codings use another system URI: "SNOMED-CT" ×1, "urn:oid:2.16.840.1.113883.6.96" ×1`},

		{id: "terminology.dmd.medications", name: "dm+d", want: probes.Pass, observed: "2 medications"},
		{id: "terminology.dmd.medications", name: "UK clinical extension id", breakIt: func(f *probetest.FHIR) {
			f.Clinical["MedicationStatement"] = []map[string]any{probetest.Clinical("MedicationStatement", "m1", "p1", "medicationCodeableConcept", probetest.Coding(codes.SystemSNOMED, "1102181000000102"))}
		}, want: probes.Fail, observed: "1 of 2 medications not in dm+d: http://snomed.info/sct|1102181000000102"},
		{id: "terminology.dmd.medications", name: "GP Connect example Medication 323509004", breakIt: func(f *probetest.FHIR) {
			f.Clinical["MedicationStatement"] = []map[string]any{probetest.Clinical("MedicationStatement", "m1", "p1", "medicationCodeableConcept", probetest.Coding(codes.SystemSNOMED, "323509004"))}
		}, want: probes.Pass, observed: "2 international concept ids"},
		{id: "terminology.dmd.medications", name: "dm+d namespace confirmed", want: probes.Pass, observed: "1 confirmed by the dm+d namespace 1000001, 1 international"},
		{id: "terminology.dmd.medications", name: "dmd.nhs.uk system", breakIt: func(f *probetest.FHIR) {
			f.Clinical["MedicationStatement"] = []map[string]any{probetest.Clinical("MedicationStatement", "m1", "p1", "medicationCodeableConcept", probetest.Coding(codes.SystemDMD, "323509004"))}
		}, want: probes.Fail, observed: "https://dmd.nhs.uk|323509004 (UK Core codes dm+d under http://snomed.info/sct)"},
		{id: "terminology.coding.coverage", name: "LOINC-only pathology is not national", breakIt: func(f *probetest.FHIR) {
			f.Clinical["Observation"] = []map[string]any{probetest.Clinical("Observation", "o1", "p1", "code", probetest.Coding(codes.SystemLOINC, "8867-4"))}
		}, want: probes.Warn, observed: "4 of 5 concepts (80.0%)"},
		{id: "terminology.dmd.medications", name: "contained medication", breakIt: func(f *probetest.FHIR) {
			f.Clinical["MedicationStatement"] = []map[string]any{{
				"resourceType": "MedicationStatement", "id": "m2", "subject": map[string]any{"reference": "Patient/p1"},
				"contained":           []any{map[string]any{"resourceType": "Medication", "id": "med", "code": map[string]any{"coding": []any{probetest.Coding("https://trust.example/drugs", "PARA")}}}},
				"medicationReference": map[string]any{"reference": "#med"},
			}}
		}, want: probes.Fail, observed: "https://trust.example/drugs|PARA"},
		{id: "terminology.dmd.medications", name: "no medications", breakIt: func(f *probetest.FHIR) {
			delete(f.Clinical, "MedicationStatement")
			delete(f.Clinical, "MedicationRequest")
		}, want: probes.Skip, observed: "no medications"},

		{id: "terminology.loinc.valid-ids", name: "valid", want: probes.Pass, observed: "1 LOINC codes"},
		{id: "terminology.loinc.valid-ids", name: "bad", breakIt: func(f *probetest.FHIR) {
			f.Clinical["Observation"] = []map[string]any{probetest.Clinical("Observation", "o2", "p1", "code", probetest.Coding(codes.SystemLOINC, "8867-5"))}
		}, want: probes.Fail, observed: `"8867-5"`},
		{id: "terminology.loinc.valid-ids", name: "none", breakIt: func(f *probetest.FHIR) { f.Clinical["Observation"] = nil }, want: probes.Skip},
	}
	for _, tc := range tests {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			res, report := probetest.Run(t, target, probetest.Find(t, terminology.Probes(), tc.id))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			probetest.AssertNoSecret(t, report, target.Token)
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}

func TestClassifyDMD(t *testing.T) {
	for code, want := range map[string]terminology.DMDStatus{
		probetest.DMDCode:  terminology.DMDConfirmed,
		"323509004":        terminology.DMDPossible, // GP Connect's example Medication
		"322236009":        terminology.DMDPossible,
		"1102181000000102": terminology.NotDMD, // UK clinical extension (namespace 1000000)
		"323509005":        terminology.NotDMD, // bad check digit
		"PARA":             terminology.NotDMD,
	} {
		if got := terminology.ClassifyDMD(code); got != want {
			t.Errorf("ClassifyDMD(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestInDMDNamespace(t *testing.T) {
	if !terminology.InDMDNamespace(probetest.DMDCode) {
		t.Errorf("%s not in the dm+d namespace", probetest.DMDCode)
	}
	for _, code := range []string{"387517004", "22298006", "3972010000011", "1102181000000102"} {
		if terminology.InDMDNamespace(code) {
			t.Errorf("%s taken for dm+d", code)
		}
	}
}
