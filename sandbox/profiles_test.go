package sandbox

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// TestProbeChecksByProfile runs every probe stand-in against every profile: a probe named by one
// of the profile's defects must see a problem (warn or fail); every other probe must pass (or
// skip, when there is nothing to look at). For exemplar, that is "every probe passes".
func TestProbeChecksByProfile(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(string(p), func(t *testing.T) {
			f := startFixture(t, p)
			defective := map[string][]string{}
			for _, d := range Defects(p) {
				defective[d.ProbeID] = append(defective[d.ProbeID], d.ID)
			}
			for _, pc := range probeChecks {
				t.Run(pc.id, func(t *testing.T) {
					got := pc.check(t, f)
					if ids, ok := defective[pc.id]; ok {
						if got.status == checkPass || got.status == checkSkip {
							t.Errorf("%s should see %v, got %s: %s", pc.id, ids, got.status, got.observed)
						}
						return
					}
					if got.status != checkPass && got.status != checkSkip {
						t.Errorf("%s should pass on %s, got %s: %s", pc.id, p, got.status, got.observed)
					}
				})
			}
		})
	}
}

// TestDefectsDocumented keeps Defects, the probe contract and docs/sandbox.md in step.
func TestDefectsDocumented(t *testing.T) {
	known := map[string]bool{}
	for _, pc := range probeChecks {
		known[pc.id] = true
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "sandbox.md"))
	if err != nil {
		t.Fatalf("read docs/sandbox.md: %v", err)
	}
	seen := map[string]bool{}
	if len(Defects(Exemplar)) != 0 {
		t.Errorf("exemplar has defects: %v", Defects(Exemplar))
	}
	for _, p := range Profiles() {
		for _, d := range Defects(p) {
			if seen[d.ID] {
				t.Errorf("defect id %s is used twice", d.ID)
			}
			seen[d.ID] = true
			if !strings.HasPrefix(d.ID, string(p)+".") {
				t.Errorf("defect %s should start with %q", d.ID, p+".")
			}
			if !known[d.ProbeID] {
				t.Errorf("defect %s names probe %q, which is not in the probe contract", d.ID, d.ProbeID)
			}
			if strings.TrimSpace(d.Description) == "" {
				t.Errorf("defect %s has no description", d.ID)
			}
			if !strings.Contains(string(doc), "`"+d.ID+"`") {
				t.Errorf("docs/sandbox.md does not document defect `%s`", d.ID)
			}
		}
	}
}

// defectObservers look at each documented defect directly over HTTP (or TLS).
var defectObservers = map[string]func(t *testing.T, f *fixture){
	"typical.no-hsts": observeNoHSTS,
	"legacy.no-hsts":  observeNoHSTS,
	"typical.search-json-content-type": func(t *testing.T, f *fixture) {
		if ct := mediaType(f.get(t, testPatientQuery).contentType()); ct != "application/json" {
			t.Errorf("search Content-Type %s, want application/json", ct)
		}
		if ct := mediaType(f.get(t, "/Patient/"+f.testPatientID(t)).contentType()); ct != "application/fhir+json" {
			t.Errorf("read Content-Type %s, want application/fhir+json", ct)
		}
	},
	"typical.count-ignored": func(t *testing.T, f *fixture) {
		b := f.get(t, "/Patient?_count=1").json(t)
		if n := len(entryResources(b)); n != len(people) {
			t.Errorf("_count=1 gave %d entries, want all %d", n, len(people))
		}
		if link(b, "next") != "" {
			t.Errorf("next link present")
		}
	},
	"typical.unknown-params-echoed": func(t *testing.T, f *fixture) {
		r := f.get(t, testPatientQuery+"&jigsaw-unknown=1", withHeader("Prefer", "handling=strict"))
		if r.status != 200 {
			t.Fatalf("strict with an unknown parameter: %d, want 200", r.status)
		}
		if self := link(r.json(t), "self"); !strings.Contains(self, "jigsaw-unknown=1") {
			t.Errorf("self link %s does not echo the unknown parameter", self)
		}
	},
	"typical.no-ukcore": observeNoUKCore,
	"legacy.no-ukcore":  observeNoUKCore,
	"typical.no-www-authenticate": func(t *testing.T, f *fixture) {
		r := f.get(t, testPatientQuery, noAuth())
		if r.status != 401 || r.header.Get("WWW-Authenticate") != "" || !isOperationOutcome(r) {
			t.Errorf("got %d, WWW-Authenticate %q; want 401 with an OperationOutcome and no challenge", r.status, r.header.Get("WWW-Authenticate"))
		}
	},
	"typical.local-codes": func(t *testing.T, f *fixture) {
		share, textOnly, local := codingShares(t, f)
		if share < 0.70 || share >= 0.95 {
			t.Errorf("national coding share %.2f, want about 0.8", share)
		}
		if textOnly == 0 || local == 0 {
			t.Errorf("text-only %d, local %d: want some of each", textOnly, local)
		}
	},

	"legacy.tls10": func(t *testing.T, f *fixture) {
		st, err := f.handshake(t, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
		if err != nil {
			t.Fatalf("TLS 1.0 handshake: %v", err)
		}
		if st.Version != tls.VersionTLS10 {
			t.Errorf("negotiated %s", tls.VersionName(st.Version))
		}
		if st, err := f.handshake(t, &tls.Config{MinVersion: tls.VersionTLS13}); err == nil {
			t.Errorf("TLS 1.3 negotiated (%s), want refused", tls.VersionName(st.Version))
		}
	},
	"legacy.weak-ciphers": func(t *testing.T, f *fixture) {
		for _, suite := range []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA} {
			st, err := f.handshake(t, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
			if err != nil {
				t.Errorf("%s refused: %v", tls.CipherSuiteName(suite), err)
			} else if st.CipherSuite != suite {
				t.Errorf("negotiated %s, offered only %s", tls.CipherSuiteName(st.CipherSuite), tls.CipherSuiteName(suite))
			}
		}
	},
	"legacy.cert-expiring": func(t *testing.T, f *fixture) {
		st, err := f.handshake(t, &tls.Config{})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if left := time.Until(st.PeerCertificates[0].NotAfter); left <= 0 || left > 30*24*time.Hour {
			t.Errorf("certificate expires in %s, want within 30 days", left)
		}
	},
	"legacy.http-served": func(t *testing.T, f *fixture) {
		plain := strings.Replace(f.srv.BaseURL(), "https://", "http://", 1)
		r := f.get(t, plain+testPatientQuery, noAuth())
		if r.status != 200 || len(entryResources(r.json(t))) != 1 {
			t.Errorf("plain HTTP search: %d, want the patient", r.status)
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("HSTS over plain HTTP")
		}
	},
	"legacy.capability-no-search": func(t *testing.T, f *fixture) {
		p := capabilityResource(f.capability(t), "Patient")
		if p == nil || !hasInteraction(p, "read") || hasInteraction(p, "search-type") || hasSearchParam(p, "identifier") {
			t.Errorf("Patient capability %v, want read only", p)
		}
		if r := f.get(t, testPatientQuery); r.status != 200 {
			t.Errorf("search still works in fact: got %d", r.status)
		}
	},
	"legacy.json-content-type": func(t *testing.T, f *fixture) {
		for _, path := range []string{"/metadata", testPatientQuery, "/Patient/" + f.testPatientID(t)} {
			if ct := mediaType(f.get(t, path).contentType()); ct != "application/json" {
				t.Errorf("%s: Content-Type %s, want application/json", path, ct)
			}
		}
	},
	"legacy.xml-crash": func(t *testing.T, f *fixture) {
		for _, r := range []response{
			f.get(t, "/metadata?_format=xml"),
			f.get(t, "/metadata", withHeader("Accept", "application/fhir+xml")),
			f.get(t, "/metadata", withHeader("Accept", "application/x-unknown")),
		} {
			if r.status != 500 || mediaType(r.contentType()) != "text/html" {
				t.Errorf("non-JSON request: %d %s, want 500 HTML", r.status, r.contentType())
			}
		}
		if r := f.get(t, "/metadata", withHeader("Accept", "text/html,*/*;q=0.8")); r.status != 200 {
			t.Errorf("browser Accept: %d, want JSON", r.status)
		}
	},
	"legacy.html-errors": func(t *testing.T, f *fixture) {
		r := f.get(t, "/JigsawNoSuchType")
		if r.status != 404 || mediaType(r.contentType()) != "text/html" || isOperationOutcome(r) {
			t.Errorf("unknown type: %d %s, want a 404 HTML page", r.status, r.contentType())
		}
	},
	"legacy.unknown-id-200": func(t *testing.T, f *fixture) {
		r := f.get(t, "/Patient/jigsaw-no-such-id")
		if r.status != 200 || !isOperationOutcome(r) {
			t.Errorf("unknown id: %d, want 200 with an OperationOutcome", r.status)
		}
	},
	"legacy.no-etag": func(t *testing.T, f *fixture) {
		r := f.get(t, "/Patient/"+f.testPatientID(t))
		md, _ := r.json(t)["meta"].(map[string]any)
		if r.header.Get("ETag") != "" || md["versionId"] != nil {
			t.Errorf("ETag %q, versionId %v: want neither", r.header.Get("ETag"), md["versionId"])
		}
	},
	"legacy.bundle-incomplete": func(t *testing.T, f *fixture) {
		entries, _ := f.get(t, testPatientQuery).json(t)["entry"].([]any)
		if len(entries) == 0 {
			t.Fatal("no entries")
		}
		for _, e := range entries {
			if em := e.(map[string]any); em["fullUrl"] != nil || em["search"] != nil {
				t.Errorf("entry has fullUrl or search: %v", em)
			}
		}
	},
	"legacy.unknown-param-500": func(t *testing.T, f *fixture) {
		r := f.get(t, testPatientQuery+"&jigsaw-unknown=1")
		if r.status != 500 || mediaType(r.contentType()) != "text/html" {
			t.Errorf("unknown parameter: %d %s, want 500 HTML", r.status, r.contentType())
		}
	},
	"legacy.no-auth": func(t *testing.T, f *fixture) {
		r := f.get(t, testPatientQuery, noAuth())
		if r.status != 200 || len(entryResources(r.json(t))) != 1 {
			t.Errorf("no credentials: %d, want the patient", r.status)
		}
	},
	"legacy.invalid-token-accepted": func(t *testing.T, f *fixture) {
		r := f.get(t, "/Patient/"+f.testPatientID(t), withToken("forged"))
		if r.status != 200 || r.json(t)["resourceType"] != "Patient" {
			t.Errorf("forged token: %d, want the patient", r.status)
		}
	},
	"legacy.no-cache-control": func(t *testing.T, f *fixture) {
		if cc := f.get(t, testPatientQuery).header.Get("Cache-Control"); cc != "" {
			t.Errorf("Cache-Control %q, want none", cc)
		}
	},
	"legacy.stack-traces": func(t *testing.T, f *fixture) {
		r := f.get(t, "/Patient?birthdate=not-a-date")
		body := string(r.body)
		for _, want := range []string{"\tat org.springframework.web.servlet.FrameworkServlet", "Apache Tomcat/7.0.52", "java.lang.IllegalArgumentException"} {
			if !strings.Contains(body, want) {
				t.Errorf("error page lacks %q", want)
			}
		}
		if r.header.Get("X-Powered-By") == "" {
			t.Errorf("no X-Powered-By banner")
		}
	},
	"legacy.nhs-number-system": func(t *testing.T, f *fixture) {
		ids := nhsIdentifiers(entryResources(f.get(t, testPatientQuery).json(t)))
		if len(ids) != 1 || ids[0]["system"] != systemNHSNumberOld {
			t.Errorf("test patient identifiers %v, want the old system", ids)
		}
	},
	"legacy.nhs-number-check-digit": func(t *testing.T, f *fixture) {
		ids := nhsIdentifiers(entryResources(f.get(t, "/Patient?_count=5").json(t)))
		var bad []string
		for _, id := range ids {
			if v := id["value"].(string); !terminology.NHSNumberValid(v) {
				bad = append(bad, v)
			}
		}
		if len(bad) != 2 {
			t.Errorf("invalid NHS numbers in the first page: %v, want 2", bad)
		}
	},
	"legacy.ods-system": func(t *testing.T, f *fixture) {
		p := entryResources(f.get(t, testPatientQuery).json(t))[0]
		gp := p["generalPractitioner"].([]any)[0].(map[string]any)["identifier"].(map[string]any)
		if gp["system"] != systemODSOld {
			t.Errorf("practice identifier system %v", gp["system"])
		}
	},
	"legacy.text-only-codes": func(t *testing.T, f *fixture) {
		if share, textOnly, _ := codingShares(t, f); share >= 0.70 || textOnly == 0 {
			t.Errorf("national share %.2f, text-only %d: want under 0.7 with text-only concepts", share, textOnly)
		}
	},
	"legacy.snomed-system-variant": func(t *testing.T, f *fixture) {
		_, codings := f.clinicalConcepts(t)
		if !slices.ContainsFunc(codings, func(c map[string]any) bool { return c["system"] == systemSNOMEDOID }) {
			t.Errorf("no coding uses %s", systemSNOMEDOID)
		}
	},
	"legacy.invalid-snomed": func(t *testing.T, f *fixture) {
		_, codings := f.clinicalConcepts(t)
		if !slices.ContainsFunc(codings, func(c map[string]any) bool {
			code, _ := c["code"].(string)
			return c["system"] == terminology.SystemSNOMED && !terminology.SCTIDValid(code)
		}) {
			t.Errorf("no invalid SNOMED CT id")
		}
	},
	"legacy.local-drug-codes": func(t *testing.T, f *fixture) {
		for _, m := range entryResources(f.get(t, "/MedicationStatement?patient="+f.testPatientID(t)).json(t)) {
			for _, c := range allCodings(m["medicationCodeableConcept"]) {
				if c["system"] == terminology.SystemDMD || c["system"] == terminology.SystemSNOMED {
					t.Errorf("medication coded in %v", c["system"])
				}
			}
		}
	},
	"legacy.invalid-loinc": func(t *testing.T, f *fixture) {
		_, codings := f.clinicalConcepts(t)
		if !slices.ContainsFunc(codings, func(c map[string]any) bool {
			code, _ := c["code"].(string)
			return c["system"] == terminology.SystemLOINC && !terminology.LOINCValid(code)
		}) {
			t.Errorf("no invalid LOINC code")
		}
	},
	"legacy.slow": func(t *testing.T, f *fixture) {
		if took, min := f.get(t, testPatientQuery).took, time.Duration(1200*f.scale)*time.Millisecond; took < min {
			t.Errorf("Patient search took %s, want at least %s", took, min)
		}
		if took, min := f.get(t, "/metadata").took, time.Duration(150*f.scale)*time.Millisecond; took < min {
			t.Errorf("metadata took %s, want at least %s", took, min)
		}
	},
}

func observeNoHSTS(t *testing.T, f *fixture) {
	if h := f.get(t, "/metadata").header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("Strict-Transport-Security %q, want none", h)
	}
}

func observeNoUKCore(t *testing.T, f *fixture) {
	if md, _ := f.get(t, "/Patient/"+f.testPatientID(t)).json(t)["meta"].(map[string]any); md["profile"] != nil {
		t.Errorf("Patient declares %v", md["profile"])
	}
	if body := string(f.get(t, "/metadata").body); strings.Contains(body, "UKCore") {
		t.Errorf("CapabilityStatement names UK Core")
	}
}

// codingShares measures the test patient's clinical concepts: the share coded in a national
// system (exact URI), and how many are text-only or local.
func codingShares(t *testing.T, f *fixture) (share float64, textOnly, local int) {
	concepts, _ := f.clinicalConcepts(t)
	national := 0
	for _, cc := range concepts {
		codings := allCodings(cc)
		switch {
		case len(codings) == 0:
			textOnly++
		case slices.ContainsFunc(codings, func(c map[string]any) bool {
			s := c["system"]
			return s == terminology.SystemSNOMED || s == terminology.SystemLOINC || s == terminology.SystemDMD
		}):
			national++
		case strings.Contains(codings[0]["system"].(string), "/CodeSystem/local-"):
			local++
		}
	}
	return float64(national) / float64(len(concepts)), textOnly, local
}

// TestDefectsObserved observes every documented defect of every profile.
func TestDefectsObserved(t *testing.T) {
	documented := map[string]bool{}
	for _, p := range Profiles() {
		defects := Defects(p)
		if len(defects) == 0 {
			continue
		}
		t.Run(string(p), func(t *testing.T) {
			f := startFixture(t, p)
			for _, d := range defects {
				documented[d.ID] = true
				t.Run(d.ID, func(t *testing.T) {
					observe, ok := defectObservers[d.ID]
					if !ok {
						t.Fatalf("no test observes defect %s", d.ID)
					}
					observe(t, f)
				})
			}
		})
	}
	for id := range defectObservers {
		if !documented[id] {
			t.Errorf("observer for %s, which no profile documents", id)
		}
	}
}
