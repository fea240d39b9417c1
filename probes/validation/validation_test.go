package validation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/validation"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// valid makes the fake's data valid FHIR R4: its defaults are deliberately loose (clinical
// resources carry both subject and patient) because the other packs do not care.
func valid(f *probetest.FHIR) {
	f.Capability = probetest.Capability(f)
	f.Capability["implementation"] = map[string]any{"description": "probetest"}
	f.Clinical = map[string][]map[string]any{"Condition": {{
		"resourceType": "Condition", "id": "c1", "subject": map[string]any{"reference": "Patient/p1"},
		"code": map[string]any{"coding": []any{probetest.Coding("http://snomed.info/sct", "22298006")}},
	}}}
}

func TestResourcesValid(t *testing.T) {
	tests := []struct {
		name     string
		breakIt  func(f *probetest.FHIR)
		want     probes.Status
		observed string
	}{
		{name: "valid", breakIt: valid, want: probes.Pass, observed: "1 of 1 profile claims met"},
		{name: "bad gender code", breakIt: func(f *probetest.FHIR) {
			valid(f)
			f.Patients[0]["gender"] = "f"
		}, want: probes.Fail, observed: "1 of 3 resources have errors: Patient/"},
		{name: "wrong JSON type and unknown element", breakIt: func(f *probetest.FHIR) {
			valid(f)
			f.Clinical["Condition"] = []map[string]any{{
				"resourceType": "Condition", "id": "c1", "subject": map[string]any{"reference": "Patient/p1"},
				"code": "22298006", "favouriteColour": "blue",
			}}
		}, want: probes.Fail, observed: "Condition/c1"},
		{name: "no patient", breakIt: func(f *probetest.FHIR) { valid(f); f.Patients = nil }, want: probes.Pass, observed: "1 resources validated"},
		{name: "UK Core claim not met", breakIt: func(f *probetest.FHIR) {
			valid(f)
			// Two NHS numbers: the UKCore-Patient nhsNumber slice allows one.
			f.Patients[0]["identifier"] = append(f.Patients[0]["identifier"].([]any),
				map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"})
		}, want: probes.Fail, observed: "does not conform to https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient (1 errors)"},
		{name: "capability statement claim applied", breakIt: func(f *probetest.FHIR) {
			valid(f)
			delete(f.Patients[0], "meta")
			f.Patients[0]["identifier"] = append(f.Patients[0]["identifier"].([]any),
				map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"})
		}, want: probes.Fail, observed: "does not conform to https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"},
		{name: "unknown claimed profile", breakIt: func(f *probetest.FHIR) {
			valid(f)
			f.Patients[0]["meta"] = map[string]any{"profile": []any{"https://example.org/StructureDefinition/LocalPatient"}}
		}, want: probes.Pass, observed: "not checked (profile not known to Jigsaw"},
		{name: "capability statement broken", breakIt: func(f *probetest.FHIR) { f.Capability = probetest.Capability(f) }, want: probes.Fail, observed: "cpb-14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			res, report := probetest.Run(t, target, probetest.Find(t, validation.Probes(), "fhir.resources.valid"))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			if len(res.Exchanges) == 0 {
				t.Error("no evidence cited")
			}
			probetest.AssertNoSecret(t, report, target.Token)
		})
	}
}

// The sandbox's exemplar and typical organisations serve structurally valid resources.
func TestResourcesValidAgainstSandbox(t *testing.T) {
	for _, tc := range []struct {
		profile sandbox.Profile
		want    probes.Status
	}{{sandbox.Exemplar, probes.Pass}, {sandbox.Typical, probes.Pass}} {
		t.Run(string(tc.profile), func(t *testing.T) {
			srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: tc.profile, LatencyScale: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			target := probes.Target{BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, Token: srv.Token, CAFile: srv.CAFile, TestNHSNumber: srv.TestNHSNumber}
			res, _ := probetest.Run(t, target, probetest.Find(t, validation.Probes(), "fhir.resources.valid"))
			if res.Status != tc.want {
				t.Errorf("status %s (%s), want %s", res.Status, res.Observed, tc.want)
			}
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}
