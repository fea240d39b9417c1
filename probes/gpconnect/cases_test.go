package gpconnect_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
)

// provider serves the sandbox's exemplar GP Connect provider at /fhir (Foundations) and
// /structured (Access Record Structured) on 127.0.0.1, each request passing through tweak
// first: a purpose-built provider with one behaviour broken.
func provider(t *testing.T, foundations, structured func(http.Handler) http.Handler) probes.Target {
	t.Helper()
	p := gpcsandbox.New(gpcsandbox.Config{Profile: "exemplar"})
	if foundations == nil {
		foundations = func(h http.Handler) http.Handler { return h }
	}
	if structured == nil {
		structured = func(h http.Handler) http.Handler { return h }
	}
	mux := http.NewServeMux()
	mux.Handle("/fhir/", http.StripPrefix("/fhir", foundations(p.Foundations())))
	mux.Handle("/structured/", http.StripPrefix("/structured", structured(p.Structured())))
	target := probetest.Serve(t, mux)
	target.Token = ""
	target.FHIRVersion = probes.STU3
	target.GPConnect = &probes.GPConnectSettings{StructuredURL: strings.TrimSuffix(target.BaseURL, "/fhir") + "/structured"}
	return target
}

// rewrite lets the provider answer, then edits the JSON body (and may change the status).
func rewrite(when func(*http.Request) bool, edit func(status int, body map[string]any) int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !when(r) {
				next.ServeHTTP(w, r)
				return
			}
			r.Header.Del("Accept-Encoding")
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			status := rec.Code
			if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
				status = edit(status, body)
			}
			out, _ := json.Marshal(body)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write(out)
		})
	}
}

// serve answers matching requests itself.
func serve(when func(*http.Request) bool, h http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if when(r) {
				h(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func always(*http.Request) bool { return true }

func path(p string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Path == p }
}

// stripHeader makes the provider ignore a request header by filling in a good value.
func fillHeader(name, value string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.TrimSpace(r.Header.Get(name)) == "" {
				r.Header.Set(name, value)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func okMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/fhir+json")
	_, _ = w.Write([]byte(`{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","status":"active","kind":"instance","format":["json"]}`))
}

func TestProbeCases(t *testing.T) {
	all := gpconnect.Probes()
	jwtPayload := func(r *http.Request) map[string]any {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			return nil
		}
		b, err := base64URL(parts[1])
		if err != nil {
			return nil
		}
		var c map[string]any
		_ = json.Unmarshal(b, &c)
		return c
	}
	// fixJWT lets the provider see a well-formed token whatever the probe sent: a provider that
	// does not check the JWT at all.
	ignoreJWT := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := jwtPayload(r)
			scope := "organization/*.read"
			if c != nil {
				if s, ok := c["requested_scope"].(string); ok && strings.HasPrefix(s, "patient/") {
					scope = "patient/*.read"
				}
			}
			if strings.Contains(r.URL.Path, "Patient") {
				scope = "patient/*.read"
			}
			tok, _ := gpconnect.Token(gpconnect.Claims(gpconnect.Settings(probes.Target{}), "aud", scope, nowFunc()))
			r.Header.Set("Authorization", "Bearer "+tok)
			next.ServeHTTP(w, r)
		})
	}
	tests := []struct {
		name        string
		foundations func(http.Handler) http.Handler
		structured  func(http.Handler) http.Handler
		probe       string
		want        probes.Status
		observed    string // a substring the observation must hold
	}{
		{name: "exemplar patient search passes", probe: "gpconnect.patient.search", want: probes.Pass},
		{name: "a second business identifier only warns (suite rule)", probe: "gpconnect.patient.search", want: probes.Warn, observed: "specification allows",
			foundations: rewrite(path("/Patient"), func(st int, b map[string]any) int {
				for _, e := range b["entry"].([]any) {
					res := e.(map[string]any)["resource"].(map[string]any)
					res["identifier"] = append(res["identifier"].([]any), map[string]any{"system": "https://example.org/local-id", "value": "L1"})
				}
				return st
			})},
		{name: "restricted patients do not pass vacuously without the suite's data", probe: "gpconnect.patient.restricted", want: probes.Skip, observed: "not loaded",
			foundations: rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/Patient" && strings.Contains(r.URL.RawQuery, gpconnect.PatientMain)
			}, func(st int, b map[string]any) int { b["entry"] = []any{}; return st })},
		{name: "restricted patients returned fail", probe: "gpconnect.patient.restricted", want: probes.Fail, observed: "sensitive patient returned",
			foundations: rewrite(func(r *http.Request) bool {
				return r.URL.Path == "/Patient" && strings.Contains(r.URL.RawQuery, gpconnect.PatientSensitive)
			}, func(st int, b map[string]any) int {
				b["entry"] = []any{map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": "9"}}}
				return st
			})},
		{name: "negative answers without a Spine code fail", probe: "gpconnect.patient.invalid", want: probes.Fail, observed: "without a Spine error code",
			foundations: rewrite(func(r *http.Request) bool { return r.URL.Path == "/Patient" }, func(st int, b map[string]any) int {
				if b["resourceType"] == "OperationOutcome" {
					for _, is := range b["issue"].([]any) {
						delete(is.(map[string]any), "details")
					}
				}
				return st
			})},
		{name: "Accept: text/xml not refused only warns (0.7.3 suite rule)", probe: "gpconnect.http.media-type", want: probes.Warn, observed: "0.7.3",
			foundations: serve(func(r *http.Request) bool { return r.Header.Get("Accept") == "text/xml" }, func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set("Accept", "application/fhir+json")
				gpcsandbox.New(gpcsandbox.Config{Profile: "exemplar"}).Foundations().ServeHTTP(w, r)
			})},
		{name: "an unsupported _format served fails", probe: "gpconnect.http.media-type", want: probes.Fail, observed: "_format=application/pdf",
			foundations: serve(func(r *http.Request) bool { return r.URL.Query().Get("_format") == "application/pdf" }, func(w http.ResponseWriter, r *http.Request) {
				r.URL.RawQuery = ""
				gpcsandbox.New(gpcsandbox.Config{Profile: "exemplar"}).Foundations().ServeHTTP(w, r)
			})},
		{name: "Ssp-From not checked fails its own probe", probe: "gpconnect.headers.ssp-from", want: probes.Fail, observed: "without Ssp-From",
			foundations: fillHeader("Ssp-From", "200000000359")},
		{name: "Ssp-From not checked leaves Ssp-TraceID passing", probe: "gpconnect.headers.ssp-traceid", want: probes.Pass,
			foundations: fillHeader("Ssp-From", "200000000359")},
		{name: "Ssp-TraceID not checked", probe: "gpconnect.headers.ssp-traceid", want: probes.Fail, observed: "Ssp-TraceID blank",
			foundations: fillHeader("Ssp-TraceID", "7d4c5c2e-0000-4000-8000-000000000000")},
		{name: "missing Authorization served fails", probe: "gpconnect.headers.required", want: probes.Fail, observed: "served, not refused",
			foundations: serve(func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }, func(w http.ResponseWriter, r *http.Request) {
				tok, _ := gpconnect.Token(gpconnect.Claims(gpconnect.Settings(probes.Target{}), "aud", gpconnect.ScopeOrgRead, nowFunc()))
				r.Header.Set("Authorization", "Bearer "+tok)
				gpcsandbox.New(gpcsandbox.Config{Profile: "exemplar"}).Foundations().ServeHTTP(w, r)
			})},
		{name: "JWT not validated: sub negatives fail", probe: "gpconnect.jwt.sub", want: probes.Fail, observed: "sub ≠ requesting_practitioner.id",
			foundations: ignoreJWT},
		{name: "JWT not validated: requesting_organization negatives fail", probe: "gpconnect.jwt.requesting-organization", want: probes.Fail, observed: "without requesting_organization",
			foundations: ignoreJWT},
		{name: "scope not enforced only warns (MAY in the spec)", probe: "gpconnect.jwt.scope", want: probes.Warn, observed: "MAY",
			foundations: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if c := jwtPayload(r); c != nil && c["requested_scope"] == gpconnect.ScopePatientWrite {
						tok, _ := gpconnect.Token(gpconnect.Claims(gpconnect.Settings(probes.Target{}), "aud", gpconnect.ScopeOrgRead, nowFunc()))
						r.Header.Set("Authorization", "Bearer "+tok)
					}
					next.ServeHTTP(w, r)
				})
			}},
		{name: "no-store labels an unknown-patient 200 honestly", probe: "gpconnect.http.no-store", want: probes.Pass, observed: "no error response to inspect",
			foundations: serve(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/Patient/jigsaw-unknown") }, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Content-Type", "application/fhir+json")
				_, _ = w.Write([]byte(`{"resourceType":"Patient","id":"x"}`))
			})},
		{name: "no-store missing on errors fails", probe: "gpconnect.http.no-store", want: probes.Fail, observed: "error, read of an unknown Patient id",
			foundations: serve(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/Patient/jigsaw-unknown") }, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(404)
				_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","details":{"coding":[{"code":"PATIENT_NOT_FOUND","display":"x"}]}}]}`))
			})},
		{name: "structured baseline reads the structured server's own metadata", probe: "gpconnect.structured.bundle", want: probes.Skip, observed: "depends on gpconnect.capability.structured",
			structured: serve(path("/metadata"), okMetadata)},
		{name: "structured baseline fails on its own when Foundations is fine", probe: "gpconnect.capability.structured", want: probes.Fail, observed: "4.0.1",
			structured: serve(path("/metadata"), okMetadata)},
		{name: "Bundle.id not the trace id fails", probe: "gpconnect.structured.bundle", want: probes.Fail, observed: "Ssp-TraceID",
			structured: rewrite(path("/Patient/$gpc.getstructuredrecord"), func(st int, b map[string]any) int { b["id"] = "not-the-trace"; return st })},
		{name: "confidential items not flagged fail", probe: "gpconnect.structured.confidential-items", want: probes.Fail, observed: "lack confidential-items",
			structured: rewrite(path("/Patient/$gpc.getstructuredrecord"), func(st int, b map[string]any) int {
				entries, _ := b["entry"].([]any)
				for _, e := range entries {
					delete(e.(map[string]any)["resource"].(map[string]any), "extension")
				}
				return st
			})},
		{name: "ended allergies missing fail", probe: "gpconnect.structured.allergies", want: probes.Fail, observed: "1103671000000101",
			structured: rewrite(path("/Patient/$gpc.getstructuredrecord"), func(st int, b map[string]any) int {
				var keep []any
				entries, _ := b["entry"].([]any)
				for _, e := range entries {
					if !strings.Contains(mustJSON(e), "1103671000000101") {
						keep = append(keep, e)
					}
				}
				b["entry"] = keep
				return st
			})},
		{name: "slots not declared: not applicable", probe: "gpconnect.slots.search", want: probes.NotApplicable, observed: "does not declare Slot",
			foundations: rewrite(path("/metadata"), func(st int, b map[string]any) int {
				rest := b["rest"].([]any)[0].(map[string]any)
				var keep []any
				for _, r := range rest["resource"].([]any) {
					if r.(map[string]any)["type"] != "Slot" {
						keep = append(keep, r)
					}
				}
				rest["resource"] = keep
				return st
			})},
		{name: "patient's appointments refused fails", probe: "gpconnect.appointments.patient", want: probes.Fail,
			foundations: serve(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/Appointment") }, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(501)
				_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported"}]}`))
			})},
		{name: "15-day slot range accepted fails", probe: "gpconnect.slots.date-range", want: probes.Fail, observed: "15-day range",
			foundations: serve(func(r *http.Request) bool {
				return r.URL.Path == "/Slot" && strings.Contains(r.URL.RawQuery, "le"+day(15))
			}, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset"}`))
			})},
		{name: "organisation read without its ETag fails", probe: "gpconnect.organization.read", want: probes.Fail, observed: "ETag",
			foundations: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/Organization/") {
						w = noETag{w}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{name: "unknown practitioner served fails", probe: "gpconnect.practitioner.read", want: probes.Fail, observed: "unknown Practitioner id",
			foundations: serve(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/Practitioner/jigsaw-unknown") }, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				_, _ = w.Write([]byte(`{"resourceType":"Practitioner","id":"x"}`))
			})},
		{name: "no branch surgery: the Location read skips", probe: "gpconnect.location.read", want: probes.Skip, observed: "preferredBranchSurgery",
			foundations: rewrite(path("/Patient"), func(st int, b map[string]any) int {
				entries, _ := b["entry"].([]any)
				for _, e := range entries {
					delete(e.(map[string]any)["resource"].(map[string]any), "extension")
				}
				return st
			})},
		{name: "served without a client certificate fails", probe: "gpconnect.tls.client-certificate", want: probes.Fail, observed: "no client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := provider(t, tt.foundations, tt.structured)
			res, _ := probetest.Run(t, target, probetest.Find(t, all, tt.probe))
			if res.Status != tt.want || !strings.Contains(res.Observed, tt.observed) {
				t.Errorf("%s: %s %q, want %s containing %q", tt.probe, res.Status, res.Observed, tt.want, tt.observed)
			}
		})
	}
}

func mustJSON(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return b.String()
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func nowFunc() time.Time { return time.Now() }

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format("2006-01-02") }

// A plain FHIR R4 server nobody here wrote for GP Connect (the probetest fake): only the
// baseline fails; every other probe skips or is not applicable and names what it depends on.
func TestPlainFakeR4Server(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	target.GPConnect = &probes.GPConnectSettings{StructuredURL: target.BaseURL}
	report, err := probetest.Runner().Run(t.Context(), target, gpconnect.Probes())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Results {
		switch {
		case r.ProbeID == "gpconnect.capability":
			if r.Status != probes.Fail {
				t.Errorf("baseline: %s %q, want fail", r.Status, r.Observed)
			}
		case r.Status != probes.Skip && r.Status != probes.NotApplicable:
			t.Errorf("%s: %s %q, want skip or not applicable", r.ProbeID, r.Status, r.Observed)
		case !strings.Contains(r.Observed, "gpconnect.capability"):
			t.Errorf("%s: %q does not name the baseline", r.ProbeID, r.Observed)
		}
	}
}

// noETag drops the ETag header a handler sets.
type noETag struct{ http.ResponseWriter }

func (w noETag) WriteHeader(code int) {
	w.Header().Del("ETag")
	w.ResponseWriter.WriteHeader(code)
}
