package smart_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/smart"
)

func TestConfiguration(t *testing.T) {
	tests := []struct {
		name     string
		breakIt  func(f *probetest.FHIR)
		stu3     bool
		want     probes.Status
		observed string
	}{
		{name: "complete", want: probes.Pass, observed: "PKCE methods S256"},
		{name: "not declared (national CIS2 / NHS login pattern)", breakIt: func(f *probetest.FHIR) {
			f.SMART = nil
			f.Capability = probetest.Capability(f)
		}, want: probes.NotApplicable, observed: "does not declare SMART-on-FHIR"},
		{name: "declared but absent", breakIt: func(f *probetest.FHIR) { f.SMART = nil }, want: probes.Fail, observed: "HTTP 404"},
		{name: "no token endpoint", breakIt: func(f *probetest.FHIR) { delete(f.SMART, "token_endpoint") }, want: probes.Fail, observed: "token_endpoint"},
		{name: "no grant types", breakIt: func(f *probetest.FHIR) { delete(f.SMART, "grant_types_supported") }, want: probes.Fail, observed: "grant_types_supported"},
		{name: "capabilities not a list", breakIt: func(f *probetest.FHIR) { f.SMART["capabilities"] = "launch-ehr" }, want: probes.Fail, observed: "capabilities"},
		{name: "plain PKCE only", breakIt: func(f *probetest.FHIR) { f.SMART["code_challenge_methods_supported"] = []any{"plain"} }, want: probes.Fail, observed: "lacks S256; code_challenge_methods_supported includes plain"},
		{name: "no PKCE methods", breakIt: func(f *probetest.FHIR) { delete(f.SMART, "code_challenge_methods_supported") }, want: probes.Fail, observed: "code_challenge_methods_supported"},
		{name: "launch without authorization endpoint", breakIt: func(f *probetest.FHIR) { delete(f.SMART, "authorization_endpoint") }, want: probes.Fail, observed: "authorization_endpoint"},
		{name: "backend services need no authorization endpoint", breakIt: func(f *probetest.FHIR) {
			delete(f.SMART, "authorization_endpoint")
			f.SMART["capabilities"] = []any{"client-confidential-asymmetric"}
			f.SMART["grant_types_supported"] = []any{"client_credentials"}
		}, want: probes.Pass, observed: "client_credentials"},
		{name: "STU3", stu3: true, want: probes.NotApplicable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			if tc.stu3 {
				target.FHIRVersion = probes.STU3
			}
			res, report := probetest.Run(t, target, smart.Probes()[0])
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			// Discovery is public: no credentials are sent to it.
			for _, ex := range report.Exchanges {
				if strings.Contains(ex.URL, ".well-known") && ex.RequestHeaders.Get("Authorization") != "" {
					t.Errorf("credentials sent to %s", ex.URL)
				}
			}
		})
	}
}

func FuzzParseConfiguration(f *testing.F) {
	f.Add([]byte(`{"authorization_endpoint":"a","token_endpoint":"b","capabilities":["x"]}`))
	f.Add([]byte(`{"capabilities":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, missing, err := smart.ParseConfiguration(b)
		if err == nil && c == nil {
			t.Fatal("nil configuration without error")
		}
		if err == nil && len(missing) == 0 && c.TokenEndpoint == "" {
			t.Fatal("complete configuration without a token endpoint")
		}
		if err == nil && len(missing) == 0 && slices.Contains(c.Capabilities, "launch-ehr") && c.AuthorizationEndpoint == "" {
			t.Fatal("launch capability without an authorization endpoint")
		}
	})
}
