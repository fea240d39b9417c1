package fhir_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/fhir"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

func TestProbes(t *testing.T) {
	tests := []struct {
		id       string
		name     string
		breakIt  func(f *probetest.FHIR)
		target   func(t *probes.Target)
		want     probes.Status
		observed string
	}{
		{id: "fhir.capability.present", name: "conformant", want: probes.Pass, observed: "HTTP 200 CapabilityStatement"},
		{id: "fhir.capability.present", name: "no rest server", breakIt: func(f *probetest.FHIR) { delete(f.Capability, "rest") }, want: probes.Fail, observed: "rest[mode=server]"},
		{id: "fhir.capability.present", name: "DSTU2 Conformance", breakIt: func(f *probetest.FHIR) { f.Capability["resourceType"] = "Conformance" }, want: probes.Fail, observed: "resourceType is Conformance"},
		{id: "fhir.capability.present", name: "HTML home page", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/metadata") {
					w.Header().Set("Content-Type", "text/html")
					w.Write([]byte("<html>welcome</html>"))
					return true
				}
				return false
			}
		}, want: probes.Fail, observed: "not a JSON object"},
		{id: "fhir.capability.present", name: "404", breakIt: func(f *probetest.FHIR) { f.Intercept = notFound("/metadata") }, want: probes.Fail, observed: "HTTP 404"},

		{id: "fhir.capability.version", name: "R4", want: probes.Pass, observed: "4.0.1"},
		{id: "fhir.capability.version", name: "STU3 server, R4 target", breakIt: func(f *probetest.FHIR) { f.Capability["fhirVersion"] = "3.0.1" }, want: probes.Fail, observed: "fhirVersion 3.0.1"},
		{id: "fhir.capability.version", name: "STU3 target", target: func(t *probes.Target) { t.FHIRVersion = probes.STU3 }, want: probes.Fail, observed: "4.0.1"},
		{id: "fhir.capability.version", name: "missing", breakIt: func(f *probetest.FHIR) { delete(f.Capability, "fhirVersion") }, want: probes.Fail, observed: "no fhirVersion"},
		{id: "fhir.capability.version", name: "no statement", breakIt: func(f *probetest.FHIR) { f.Intercept = notFound("/metadata") }, want: probes.Skip},

		{id: "fhir.capability.formats", name: "json and xml", want: probes.Pass},
		{id: "fhir.capability.formats", name: "json only", breakIt: func(f *probetest.FHIR) { f.Capability["format"] = []any{"json"} }, want: probes.Pass, observed: "XML not declared, which neither R4 nor UK Core requires"},
		{id: "fhir.capability.formats", name: "xml only", breakIt: func(f *probetest.FHIR) { f.Capability["format"] = []any{"xml"} }, want: probes.Fail, observed: "no JSON"},

		{id: "fhir.capability.resources", name: "declared birthdate not implemented", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/Patient") && r.URL.Query().Get("birthdate") != "" {
					w.Header().Set("Content-Type", "application/fhir+json")
					w.WriteHeader(http.StatusBadRequest)
					w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported","diagnostics":"birthdate search not implemented"}]}`))
					return true
				}
				return false
			}
		}, want: probes.Fail, observed: "Patient birthdate=1970-01-01: HTTP 400"},
		{id: "fhir.capability.resources", name: "declared params exercised", want: probes.Pass, observed: "declared search parameters exercised: 7 work, 0 broken"},
		{id: "fhir.search.paging", name: "clinical count ignored", breakIt: func(f *probetest.FHIR) {
			f.Clinical["Condition"] = append(f.Clinical["Condition"], probetest.Clinical("Condition", "c2", "p1", "code", probetest.Coding("http://snomed.info/sct", "22298006")))
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/Condition") && r.URL.Query().Get("_count") == "1" {
					q := r.URL.Query()
					q.Del("_count")
					r.URL.RawQuery = q.Encode()
				}
				return false
			}
		}, want: probes.Fail, observed: "Condition?patient=[test patient]&_count=1: 2 matches"},
		{id: "fhir.capability.resources", name: "declared", want: probes.Pass, observed: "Patient: read, search-type, identifier"},
		{id: "fhir.capability.resources", name: "served undeclared", breakIt: func(f *probetest.FHIR) {
			f.Capability = probetest.Capability(f)
			rest := f.Capability["rest"].([]any)[0].(map[string]any)
			rest["resource"] = rest["resource"].([]any)[:2] // Patient and Organization only
		}, want: probes.Fail, observed: "served but not declared: AllergyIntolerance, Condition"},
		{id: "fhir.capability.resources", name: "patient without identifier param", breakIt: func(f *probetest.FHIR) {
			rest := f.Capability["rest"].([]any)[0].(map[string]any)
			rest["resource"].([]any)[0].(map[string]any)["searchParam"] = []any{}
		}, want: probes.Fail, observed: "Patient lacks searchParam identifier"},

		{id: "fhir.content-type", name: "fhir+json", want: probes.Pass, observed: "application/fhir+json"},
		{id: "fhir.content-type", name: "plain json", breakIt: func(f *probetest.FHIR) { f.ContentType = "application/json" }, want: probes.Fail, observed: "GET metadata: application/json"},
		{id: "fhir.content-type", name: "latin1", breakIt: func(f *probetest.FHIR) { f.ContentType = "application/fhir+json; charset=iso-8859-1" }, want: probes.Fail, observed: "charset iso-8859-1"},
		{id: "fhir.content-type", name: "STU3 legacy type", breakIt: func(f *probetest.FHIR) {
			f.ContentType = "application/json+fhir"
			f.Capability["fhirVersion"] = "3.0.1"
		}, target: func(t *probes.Target) { t.FHIRVersion = probes.STU3 }, want: probes.Pass},

		{id: "fhir.format.negotiation", name: "conformant", want: probes.Pass},
		{id: "fhir.format.negotiation", name: "_format ignored", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/metadata") && strings.Contains(r.Header.Get("Accept"), "xml") {
					w.Header().Set("Content-Type", "application/fhir+xml")
					w.Write([]byte(`<CapabilityStatement xmlns="http://hl7.org/fhir"/>`))
					return true
				}
				return false
			}
		}, want: probes.Warn, observed: "_format=json"},
		{id: "fhir.format.negotiation", name: "500 on unsupported", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.Header.Get("Accept"), "unsupported") {
					http.Error(w, "boom", 500)
					return true
				}
				return false
			}
		}, want: probes.Warn, observed: "HTTP 500"},

		{id: "fhir.errors.operation-outcome", name: "conformant", want: probes.Pass, observed: "unknown resource type: HTTP 404 OperationOutcome"},
		{id: "fhir.errors.operation-outcome", name: "HTML errors", breakIt: func(f *probetest.FHIR) { f.HTMLErrors = true }, want: probes.Warn, observed: "not an OperationOutcome"},
		{id: "fhir.errors.operation-outcome", name: "empty errors", breakIt: func(f *probetest.FHIR) { f.EmptyErrors = true }, want: probes.Warn, observed: "empty body"},
		{id: "fhir.errors.operation-outcome", name: "unknown id 200", breakIt: func(f *probetest.FHIR) { f.UnknownID200 = true }, want: probes.Warn, observed: "unknown id: HTTP 200"},

		{id: "fhir.read.not-found", name: "404", want: probes.Pass, observed: "HTTP 404"},
		{id: "fhir.read.not-found", name: "200", breakIt: func(f *probetest.FHIR) { f.UnknownID200 = true }, want: probes.Fail, observed: "HTTP 200"},
		{id: "fhir.read.not-found", name: "no credentials", target: func(t *probes.Target) { t.Token = "" }, want: probes.Error, observed: "credentials refused"},

		{id: "fhir.read.versioning", name: "weak etag", want: probes.Pass, observed: `W/"3"`},
		{id: "fhir.read.versioning", name: "no etag", breakIt: func(f *probetest.FHIR) { f.NoETag = true }, want: probes.Warn, observed: "no ETag"},
		{id: "fhir.read.versioning", name: "strong etag", breakIt: func(f *probetest.FHIR) { f.StrongETag = true }, want: probes.Warn, observed: "strong ETag"},
		{id: "fhir.read.versioning", name: "no patients", breakIt: func(f *probetest.FHIR) { f.Patients = nil }, want: probes.Skip, observed: "no test patient"},
		{id: "fhir.read.versioning", name: "unknown --patient", target: func(t *probes.Target) { t.TestNHSNumber = "9434765919" }, want: probes.Skip, observed: "0 patients"},

		{id: "fhir.search.bundle", name: "conformant", want: probes.Pass},
		{id: "fhir.search.bundle", name: "no fullUrl", breakIt: func(f *probetest.FHIR) { f.NoFullURL = true }, want: probes.Fail, observed: "2 of 2 entries without fullUrl"},

		{id: "fhir.search.paging", name: "conformant", want: probes.Pass, observed: "next link followed"},
		{id: "fhir.search.paging", name: "count ignored", breakIt: func(f *probetest.FHIR) { f.IgnoreCount = true }, want: probes.Fail, observed: "_count=1 ignored: 2 matches"},
		{id: "fhir.search.paging", name: "no next link", breakIt: func(f *probetest.FHIR) { f.NoNextLink = true }, want: probes.Warn, observed: "no next link, but more exist (total 2)"},
		{id: "fhir.search.paging", name: "one patient", breakIt: func(f *probetest.FHIR) { f.Patients = f.Patients[:1] }, want: probes.Pass, observed: "no more results"},

		{id: "fhir.search.unknown-param", name: "conformant", want: probes.Pass},
		{id: "fhir.search.unknown-param", name: "strict ignored", breakIt: func(f *probetest.FHIR) { f.IgnoreStrict = true }, want: probes.Warn, observed: "strict not honoured"},
		{id: "fhir.search.unknown-param", name: "echoed in self link", breakIt: func(f *probetest.FHIR) { f.IgnoreStrict, f.KeepUnknownParams = true, true }, want: probes.Warn, observed: "self link still carries"},
		{id: "fhir.search.unknown-param", name: "HTML error", breakIt: func(f *probetest.FHIR) { f.HTMLErrors = true }, want: probes.Warn, observed: "strict: HTTP 400, text/html"},

		{id: "fhir.ukcore.profiles", name: "patient profile", want: probes.Pass, observed: "UKCore-Patient"},
		{id: "fhir.ukcore.profiles", name: "capability only", breakIt: func(f *probetest.FHIR) {
			for _, p := range f.Patients {
				delete(p, "meta")
			}
		}, want: probes.Pass, observed: "CapabilityStatement names 1 UK Core profiles"},
		{id: "fhir.ukcore.profiles", name: "none", breakIt: func(f *probetest.FHIR) {
			for _, p := range f.Patients {
				delete(p, "meta")
			}
			f.Capability = probetest.Capability(f)
			rest := f.Capability["rest"].([]any)[0].(map[string]any)
			delete(rest["resource"].([]any)[0].(map[string]any), "supportedProfile")
		}, want: probes.Warn, observed: "names no UK Core profile"},
		{id: "fhir.ukcore.profiles", name: "STU3", target: func(t *probes.Target) { t.FHIRVersion = probes.STU3 }, want: probes.NotApplicable, observed: "UK Core is an R4 standard"},
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
			res, report := probetest.Run(t, target, probetest.Find(t, fhir.Probes(), tc.id))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			if res.Status != probes.Error && res.Status != probes.Skip && res.Status != probes.NotApplicable && len(res.Exchanges) == 0 {
				t.Errorf("no evidence exchanges on the result")
			}
			if res.SpecRef == "" || res.Expected == "" {
				t.Errorf("result lacks spec ref or expectation: %+v", res)
			}
			probetest.AssertNoSecret(t, report, target.Token)
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}

func notFound(suffix string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, suffix) {
			http.NotFound(w, r)
			return true
		}
		return false
	}
}
