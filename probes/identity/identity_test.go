package identity_test

import (
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/identity"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

func setIdentifier(f *probetest.FHIR, i int, system, value string) {
	f.Patients[i]["identifier"] = []any{map[string]any{"system": system, "value": value}}
}

func TestProbes(t *testing.T) {
	tests := []struct {
		id, name string
		breakIt  func(f *probetest.FHIR)
		target   func(t *probes.Target)
		want     probes.Status
		observed string
	}{
		{id: "identity.nhs-number.search", name: "discovered", want: probes.Pass, observed: "exactly one Patient (id p1) with NHS number 999****018"},
		{id: "identity.nhs-number.search", name: "given", target: func(t *probes.Target) { t.TestNHSNumber = probetest.NHSNumber2 }, want: probes.Pass, observed: "id p2"},
		{id: "identity.nhs-number.search", name: "given but not found", target: func(t *probes.Target) { t.TestNHSNumber = "9434765919" }, want: probes.Fail, observed: "no Patient returned for NHS number 943****919"},
		{id: "identity.nhs-number.search", name: "duplicates", breakIt: func(f *probetest.FHIR) { setIdentifier(f, 1, probes.SystemNHSNumber, probetest.NHSNumber1) }, want: probes.Fail, observed: "2 Patients returned"},
		{id: "identity.nhs-number.search", name: "no NHS number", breakIt: func(f *probetest.FHIR) {
			setIdentifier(f, 0, "https://trust.example/mrn", "M1")
			setIdentifier(f, 1, "https://trust.example/mrn", "M2")
		}, want: probes.Skip, observed: "has none"},

		{id: "identity.nhs-number.system", name: "national", want: probes.Pass, observed: "2 NHS numbers on 2 patients"},
		{id: "identity.nhs-number.system", name: "OID", breakIt: func(f *probetest.FHIR) {
			setIdentifier(f, 1, "urn:oid:2.16.840.1.113883.2.1.4.1", probetest.NHSNumber2)
		}, want: probes.Fail, observed: `1 of 2 NHS numbers use another system: "urn:oid:2.16.840.1.113883.2.1.4.1" ×1`},
		{id: "identity.nhs-number.system", name: "no system", breakIt: func(f *probetest.FHIR) { setIdentifier(f, 1, "", probetest.NHSNumber2) }, want: probes.Fail, observed: "no system ×1"},
		{id: "identity.nhs-number.system", name: "none", breakIt: func(f *probetest.FHIR) {
			setIdentifier(f, 0, "https://trust.example/mrn", "M1")
			setIdentifier(f, 1, "https://trust.example/mrn", "M2")
		}, want: probes.Warn, observed: "none of 2 patients"},
		{id: "identity.nhs-number.system", name: "no patients", breakIt: func(f *probetest.FHIR) { f.Patients = nil }, want: probes.Skip},

		{id: "identity.nhs-number.check-digit", name: "valid", want: probes.Pass, observed: "2 NHS numbers"},
		{id: "identity.nhs-number.check-digit", name: "bad check digit", breakIt: func(f *probetest.FHIR) { setIdentifier(f, 1, probes.SystemNHSNumber, "9990000027") }, want: probes.Fail, observed: "1 of 2 NHS numbers invalid: 999****027 (check digit wrong)"},
		{id: "identity.nhs-number.check-digit", name: "spaces", breakIt: func(f *probetest.FHIR) { setIdentifier(f, 1, probes.SystemNHSNumber, "999 000 0026") }, want: probes.Fail, observed: "formatted with spaces"},

		{id: "identity.nhs-number.verification-status", name: "verified", want: probes.Pass, observed: "2 of 2 NHS numbers carry a valid verification status (2 are 01"},
		{id: "identity.nhs-number.verification-status", name: "absent", breakIt: func(f *probetest.FHIR) {
			setIdentifier(f, 0, probes.SystemNHSNumber, probetest.NHSNumber1)
			setIdentifier(f, 1, probes.SystemNHSNumber, probetest.NHSNumber2)
		}, want: probes.InfoOnly, observed: "none of 2 NHS numbers carries a verification status"},
		{id: "identity.nhs-number.verification-status", name: "code outside the value set", breakIt: func(f *probetest.FHIR) {
			f.Patients[1]["identifier"] = []any{map[string]any{
				"extension": []any{map[string]any{
					"url":                  identity.ExtVerificationUKCore,
					"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "verified"}}},
				}},
				"system": probes.SystemNHSNumber, "value": probetest.NHSNumber2,
			}}
		}, want: probes.Fail, observed: "1 of 2 verification statuses invalid: patient p2: https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland|verified not in the value set"},
		{id: "identity.nhs-number.verification-status", name: "STU3 extension on an R4 server", breakIt: func(f *probetest.FHIR) {
			f.Patients[1]["identifier"] = []any{map[string]any{
				"extension": []any{map[string]any{
					"url":                  identity.ExtVerificationCareConnect,
					"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1", "code": "01"}}},
				}},
				"system": probes.SystemNHSNumber, "value": probetest.NHSNumber2,
			}}
		}, want: probes.Fail, observed: "on an R4 target"},

		{id: "identity.ods.codes", name: "valid", want: probes.Pass, observed: "ODS codes A12345"},
		{id: "identity.ods.codes", name: "wrong system", breakIt: func(f *probetest.FHIR) {
			f.Organizations[0]["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organisation-code", "value": "A12345"}}
		}, want: probes.Fail, observed: `Organization/org1: ODS code under system "https://fhir.nhs.uk/Id/ods-organisation-code"`},
		{id: "identity.ods.codes", name: "malformed", breakIt: func(f *probetest.FHIR) {
			f.Organizations[0]["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "a-1"}}
		}, want: probes.Fail, observed: `malformed ODS code "a-1"`},
		{id: "identity.ods.codes", name: "none", breakIt: func(f *probetest.FHIR) {
			f.Organizations = nil
			for _, p := range f.Patients {
				delete(p, "managingOrganization")
			}
		}, want: probes.Skip},
	}
	for _, tc := range tests {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			if tc.target != nil {
				tc.target(&target)
			}
			res, report := probetest.Run(t, target, probetest.Find(t, identity.Probes(), tc.id))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			probetest.AssertNoSecret(t, report, target.Token)
			// Stored evidence carries no NHS number unless the user opted in.
			for _, ex := range report.Exchanges {
				for _, n := range []string{probetest.NHSNumber1, probetest.NHSNumber2} {
					if strings.Contains(ex.URL, n) || strings.Contains(string(ex.ResponseBody), n) {
						t.Fatalf("exchange %s stores NHS number %s", ex.ID, n)
					}
				}
			}
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}

func TestSystemRecognisers(t *testing.T) {
	for _, s := range []string{probes.SystemNHSNumber, "http://fhir.nhs.net/Id/nhs-number", "urn:oid:2.16.840.1.113883.2.1.4.1", "NHSNumber"} {
		if !identity.IsNHSNumberSystem(s) {
			t.Errorf("%q not recognised as an NHS number system", s)
		}
	}
	if identity.IsNHSNumberSystem("https://trust.example/mrn") {
		t.Error("MRN system taken for NHS numbers")
	}
	for _, s := range []string{"https://fhir.nhs.uk/Id/ods-organization-code", "https://fhir.nhs.uk/Id/ods-organisation-code", "urn:oid:2.16.840.1.113883.2.1.3.2.4.19"} {
		if !identity.IsODSSystem(s) {
			t.Errorf("%q not recognised as an ODS system", s)
		}
	}
}
