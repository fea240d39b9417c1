package terminology

import "testing"

func TestClassify(t *testing.T) {
	tests := map[string]Category{
		"http://snomed.info/sct":                                   CatSNOMED,
		"http://loinc.org":                                         CatLOINC,
		"https://dmd.nhs.uk":                                       CatDMD,
		"http://hl7.org/fhir/sid/icd-10-uk":                        CatICD10,
		"http://read.info/ctv3":                                    CatRead,
		"http://terminology.hl7.org/CodeSystem/v2-0203":            CatFHIR,
		"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory": CatNHS,
		"http://example.org/local":                                 CatLocal,
		"":                                                         CatNoSystem,
	}
	for in, want := range tests {
		if got := Classify(in); got != want {
			t.Errorf("Classify(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAnalyzer(t *testing.T) {
	a := NewAnalyzer()
	a.AddResource("Condition")
	a.AddCodeableConcept("Condition", "Condition.code", []Coding{{System: SystemSNOMED, Code: "22298006"}}, "")
	a.AddCodeableConcept("Condition", "Condition.category[0]", nil, "problem")
	a.AddCodeableConcept("Condition", "Condition.severity", []Coding{{System: SystemSNOMED, Code: "751689013"}}, "")
	a.AddCoding("Condition", "Condition.meta.tag[0]", Coding{System: SystemLOINC, Code: "1234-5"})
	a.AddIdentifier("Condition", "Condition.identifier[0]", SystemODSOrg, "rr8")
	p := a.Profile()
	if p.CodeableConcepts != 3 || p.Coded != 2 || p.TextOnly != 1 || p.Codings != 3 {
		t.Fatalf("counts: %+v", p)
	}
	want := []string{"snomed-not-concept", "loinc-invalid", "ods-invalid"}
	if len(p.Findings) != len(want) {
		t.Fatalf("findings: %+v", p.Findings)
	}
	for i, k := range want {
		if p.Findings[i].Kind != k {
			t.Errorf("finding %d: %s, want %s", i, p.Findings[i].Kind, k)
		}
	}
	if p.SNOMEDRatio < 0.66 || p.SNOMEDRatio > 0.67 {
		t.Errorf("SNOMED ratio %v", p.SNOMEDRatio)
	}
	if p.Systems[0].System != SystemSNOMED || p.Systems[0].Invalid != 1 {
		t.Errorf("systems: %+v", p.Systems)
	}
}
