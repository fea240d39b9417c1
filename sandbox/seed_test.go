package sandbox

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

func mustStore(t *testing.T, p Profile) *store {
	t.Helper()
	b := behaviourOf(p)
	st, err := newStore(generate(b, DefaultOrg(p)), b)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// everyResource decodes every stored resource of a type.
func everyResource(t *testing.T, st *store, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range st.types[typ].all {
		var m map[string]any
		if err := json.Unmarshal(rec.body, &m); err != nil {
			t.Fatalf("%s/%s: %v", typ, rec.id, err)
		}
		out = append(out, m)
	}
	return out
}

func TestCodeTablesHaveValidCheckDigits(t *testing.T) {
	for _, tables := range [][]concept{conditionConcepts, allergyConcepts, manifestationConcepts, medicationConcepts} {
		for _, c := range tables {
			if !terminology.ConceptIDValid(c.Code) {
				t.Errorf("%s (%s) is not a valid SNOMED CT concept id", c.Code, c.Display)
			}
		}
	}
	for _, k := range observationKinds {
		if !terminology.ConceptIDValid(k.SNOMED) {
			t.Errorf("%s (%s) is not a valid SNOMED CT concept id", k.SNOMED, k.SNOMEDDisplay)
		}
		if k.LOINC != "" && !terminology.LOINCValid(k.LOINC) {
			t.Errorf("LOINC %s (%s) has a bad check digit", k.LOINC, k.LOINCDisplay)
		}
	}
	for _, c := range [][4]string{systolicCodes, diastolicCodes} {
		if !terminology.ConceptIDValid(c[0]) || !terminology.LOINCValid(c[2]) {
			t.Errorf("blood pressure component %v has a bad check digit", c)
		}
	}
	for _, p := range practices {
		if !terminology.ODSCodeValid(p.ods) {
			t.Errorf("practice ODS code %s", p.ods)
		}
	}
	for _, p := range Profiles() {
		if !terminology.ODSCodeValid(DefaultOrg(p).ODSCode) {
			t.Errorf("%s ODS code %s", p, DefaultOrg(p).ODSCode)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	if nhsNumber(0) != TestNHSNumber {
		t.Fatalf("first NHS number %s, want %s", nhsNumber(0), TestNHSNumber)
	}
	seen := map[string]bool{}
	for i := range people {
		n := nhsNumber(i)
		if !terminology.NHSNumberValid(n) || !strings.HasPrefix(n, "999") || seen[n] {
			t.Errorf("NHS number %d: %s", i, n)
		}
		seen[n] = true
	}
}

func TestDataIsDeterministic(t *testing.T) {
	for _, p := range Profiles() {
		a, b := mustStore(t, p), mustStore(t, p)
		for typ, ts := range a.types {
			if len(ts.all) != len(b.types[typ].all) {
				t.Fatalf("%s %s: %d then %d records", p, typ, len(ts.all), len(b.types[typ].all))
			}
			for i, rec := range ts.all {
				if !bytes.Equal(rec.body, b.types[typ].all[i].body) {
					t.Fatalf("%s %s/%s differs between two generations", p, typ, rec.id)
				}
			}
		}
	}
}

// TestExemplarDataIsClean holds every exemplar record, not just the test patient's, to the
// standards the probes check.
func TestExemplarDataIsClean(t *testing.T) {
	st := mustStore(t, Exemplar)
	ids := map[string]bool{}
	for typ := range st.types {
		for _, r := range everyResource(t, st, typ) {
			id := r["id"].(string)
			if ids[id] || !validID(id) {
				t.Errorf("id %s duplicated or invalid", id)
			}
			ids[id] = true
			md := r["meta"].(map[string]any)
			if md["versionId"] == nil || md["lastUpdated"] == nil || md["profile"].([]any)[0] != ukCoreProfileBase+typ {
				t.Errorf("%s/%s meta %v", typ, id, md)
			}
			for _, c := range allCodings(r) {
				system, _ := c["system"].(string)
				code, _ := c["code"].(string)
				switch {
				case system == terminology.SystemSNOMED && !terminology.ConceptIDValid(code):
					t.Errorf("%s/%s: SNOMED CT %s", typ, id, code)
				case system == terminology.SystemLOINC && !terminology.LOINCValid(code):
					t.Errorf("%s/%s: LOINC %s", typ, id, code)
				case system == terminology.SystemDMD && !terminology.ConceptIDValid(code):
					t.Errorf("%s/%s: dm+d %s", typ, id, code)
				case strings.Contains(system, "local-") || looksLikeSNOMED(system) && system != terminology.SystemSNOMED:
					t.Errorf("%s/%s: system %s", typ, id, system)
				}
			}
		}
	}
	for _, p := range everyResource(t, st, "Patient") {
		for _, id := range nhsIdentifiers([]map[string]any{p}) {
			if id["system"] != terminology.SystemNHSNumber || !terminology.NHSNumberValid(id["value"].(string)) {
				t.Errorf("patient %v identifier %v", p["id"], id)
			}
		}
	}
	for _, m := range everyResource(t, st, "MedicationStatement") {
		for _, c := range allCodings(m["medicationCodeableConcept"]) {
			if c["system"] != terminology.SystemSNOMED {
				t.Errorf("medication coded in %v (UK Core codes dm+d under SNOMED CT)", c["system"])
			}
		}
	}
	for _, typ := range []string{"Condition", "Observation", "AllergyIntolerance", "MedicationStatement"} {
		if len(st.types[typ].all) == 0 {
			t.Errorf("no %s records", typ)
		}
	}
}

// TestTypicalCoverageAcrossPatients: the typical profile's coding gap holds for the population,
// not only for the test patient.
func TestTypicalCoverageAcrossPatients(t *testing.T) {
	st := mustStore(t, Typical)
	national, all := 0, 0
	for _, typ := range []struct{ name, element string }{
		{"Condition", "code"}, {"Observation", "code"}, {"AllergyIntolerance", "code"}, {"MedicationStatement", "medicationCodeableConcept"},
	} {
		for _, r := range everyResource(t, st, typ.name) {
			all++
			if slices.ContainsFunc(allCodings(r[typ.element]), func(c map[string]any) bool {
				s := c["system"]
				return s == terminology.SystemSNOMED || s == terminology.SystemLOINC || s == terminology.SystemDMD
			}) {
				national++
			}
		}
	}
	if share := float64(national) / float64(all); share < 0.70 || share >= 0.95 {
		t.Errorf("typical national coding share %.2f over %d concepts, want 0.70–0.95", share, all)
	}
}

func TestPatientsLookBritish(t *testing.T) {
	postcode := regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)
	st := mustStore(t, Exemplar)
	for _, p := range everyResource(t, st, "Patient") {
		addr := p["address"].([]any)[0].(map[string]any)
		if !postcode.MatchString(addr["postalCode"].(string)) || addr["country"] != "GB" {
			t.Errorf("address %v", addr)
		}
		gp := p["generalPractitioner"].([]any)[0].(map[string]any)
		if _, ok := st.types["Organization"].byID[strings.TrimPrefix(gp["reference"].(string), "Organization/")]; !ok {
			t.Errorf("practice reference %v does not resolve", gp["reference"])
		}
	}
}
