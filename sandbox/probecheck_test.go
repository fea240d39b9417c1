package sandbox

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Minimal stand-ins for the probes in /work/helpers/PROBES.md, written from the probe contract
// alone. They let the sandbox's tests say, for every profile, which probes pass and which see a
// defect, without importing the probes packages (which must never know about the sandbox).
// They are deliberately simple: the real probes are more thorough.

type checkStatus string

const (
	checkPass checkStatus = "pass"
	checkWarn checkStatus = "warn"
	checkFail checkStatus = "fail"
	checkSkip checkStatus = "skip"
)

type outcome struct {
	status   checkStatus
	observed string
}

func pass(format string, args ...any) outcome {
	return outcome{checkPass, fmt.Sprintf(format, args...)}
}
func warn(format string, args ...any) outcome {
	return outcome{checkWarn, fmt.Sprintf(format, args...)}
}
func fail(format string, args ...any) outcome {
	return outcome{checkFail, fmt.Sprintf(format, args...)}
}

type probeCheck struct {
	id    string
	check func(t *testing.T, f *fixture) outcome
}

// probeChecks covers every probe id in PROBES.md except those marked "later".
var probeChecks = []probeCheck{
	{"transport.tls.version", checkTLSVersion},
	{"transport.tls.certificate", checkCertificate},
	{"transport.tls.weak-ciphers", checkWeakCiphers},
	{"transport.https.enforced", checkHTTPSEnforced},
	{"transport.hsts", checkHSTS},
	{"fhir.capability.present", checkCapabilityPresent},
	{"fhir.capability.version", checkCapabilityVersion},
	{"fhir.capability.formats", checkCapabilityFormats},
	{"fhir.capability.resources", checkCapabilityResources},
	{"fhir.content-type", checkContentType},
	{"fhir.format.negotiation", checkFormatNegotiation},
	{"fhir.errors.operation-outcome", checkErrorsOperationOutcome},
	{"fhir.read.not-found", checkReadNotFound},
	{"fhir.read.versioning", checkReadVersioning},
	{"fhir.search.bundle", checkSearchBundle},
	{"fhir.search.paging", checkSearchPaging},
	{"fhir.search.unknown-param", checkUnknownParam},
	{"fhir.ukcore.profiles", checkUKCoreProfiles},
	{"security.auth.required", checkAuthRequired},
	{"security.auth.invalid-token", checkInvalidToken},
	{"security.auth.www-authenticate", checkWWWAuthenticate},
	{"security.headers.no-store", checkNoStore},
	{"security.errors.no-leak", checkNoLeak},
	{"identity.nhs-number.search", checkNHSNumberSearch},
	{"identity.nhs-number.system", checkNHSNumberSystem},
	{"identity.nhs-number.check-digit", checkNHSNumberCheckDigit},
	{"identity.ods.codes", checkODSCodes},
	{"terminology.coding.coverage", checkCodingCoverage},
	{"terminology.snomed.valid-ids", checkSNOMEDValid},
	{"terminology.snomed.system-uri", checkSNOMEDSystem},
	{"terminology.dmd.medications", checkDMD},
	{"terminology.loinc.valid-ids", checkLOINC},
	{"performance.latency", checkLatency},
	{"smart.configuration", checkSMART},
}

func (f *fixture) handshake(t *testing.T, cfg *tls.Config) (*tls.ConnectionState, error) {
	t.Helper()
	cfg.RootCAs = caPool(t, f.srv.CAFile)
	cfg.ServerName = "127.0.0.1"
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", f.srv.Addr(), cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return &st, nil
}

func checkTLSVersion(t *testing.T, f *fixture) outcome {
	if _, err := f.handshake(t, &tls.Config{MinVersion: tls.VersionTLS12}); err != nil {
		return fail("TLS 1.2+ handshake failed: %v", err)
	}
	st, err := f.handshake(t, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		return fail("accepted %s", tls.VersionName(st.Version))
	}
	return pass("TLS 1.0/1.1 refused")
}

func checkCertificate(t *testing.T, f *fixture) outcome {
	st, err := f.handshake(t, &tls.Config{})
	if err != nil {
		return fail("handshake with verification: %v", err)
	}
	left := time.Until(st.PeerCertificates[0].NotAfter)
	if left < 30*24*time.Hour {
		return warn("certificate expires in %s", left.Round(time.Hour))
	}
	return pass("verified, %d days left", int(left.Hours()/24))
}

var weakSuites = []uint16{
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

func checkWeakCiphers(t *testing.T, f *fixture) outcome {
	st, err := f.handshake(t, &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: weakSuites})
	if err == nil {
		return fail("accepted %s", tls.CipherSuiteName(st.CipherSuite))
	}
	return pass("weak suites refused")
}

func checkHTTPSEnforced(t *testing.T, f *fixture) outcome {
	if !strings.HasPrefix(f.srv.BaseURL(), "https://") {
		return fail("base URL is not https")
	}
	plain := strings.Replace(f.srv.BaseURL(), "https://", "http://", 1) + "/metadata"
	resp, err := f.client.Get(plain)
	if err != nil {
		return pass("plain HTTP refused: %v", err)
	}
	defer resp.Body.Close()
	loc := resp.Header.Get("Location")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && strings.HasPrefix(loc, "https://"):
		return pass("plain HTTP redirected to %s", loc)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return fail("plain HTTP served: %d", resp.StatusCode)
	}
	return pass("plain HTTP refused: %d", resp.StatusCode)
}

func checkHSTS(t *testing.T, f *fixture) outcome {
	h := f.get(t, "/metadata").header.Get("Strict-Transport-Security")
	m := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(h)
	if m == nil {
		return fail("no Strict-Transport-Security")
	}
	var age int
	fmt.Sscan(m[1], &age)
	if age < 31536000 {
		return warn("max-age %d", age)
	}
	return pass("%s", h)
}

func (f *fixture) capability(t *testing.T) map[string]any {
	r := f.get(t, "/metadata")
	if r.status != 200 {
		t.Fatalf("metadata: %d", r.status)
	}
	return r.json(t)
}

func checkCapabilityPresent(t *testing.T, f *fixture) outcome {
	cs := f.capability(t)
	rest, _ := cs["rest"].([]any)
	if cs["resourceType"] != "CapabilityStatement" || cs["status"] == nil || cs["kind"] == nil || len(rest) == 0 {
		return fail("not a CapabilityStatement with status, kind and rest")
	}
	if rest[0].(map[string]any)["mode"] != "server" {
		return fail("rest mode is not server")
	}
	return pass("present")
}

func checkCapabilityVersion(t *testing.T, f *fixture) outcome {
	v, _ := f.capability(t)["fhirVersion"].(string)
	if !strings.HasPrefix(v, "4.0.") {
		return fail("fhirVersion %q", v)
	}
	return pass("fhirVersion %s", v)
}

func checkCapabilityFormats(t *testing.T, f *fixture) outcome {
	formats, _ := f.capability(t)["format"].([]any)
	var json, xml bool
	for _, x := range formats {
		s, _ := x.(string)
		json = json || strings.Contains(s, "json")
		xml = xml || strings.Contains(s, "xml")
	}
	switch {
	case !json:
		return fail("no JSON format declared")
	case !xml:
		return pass("JSON (XML is optional)")
	}
	return pass("JSON and XML")
}

func capabilityResource(cs map[string]any, typ string) map[string]any {
	rest, _ := cs["rest"].([]any)
	for _, r := range rest {
		resources, _ := r.(map[string]any)["resource"].([]any)
		for _, res := range resources {
			rm, _ := res.(map[string]any)
			if rm["type"] == typ {
				return rm
			}
		}
	}
	return nil
}

func hasInteraction(res map[string]any, code string) bool {
	in, _ := res["interaction"].([]any)
	for _, i := range in {
		if i.(map[string]any)["code"] == code {
			return true
		}
	}
	return false
}

func hasSearchParam(res map[string]any, name string) bool {
	sp, _ := res["searchParam"].([]any)
	for _, p := range sp {
		if p.(map[string]any)["name"] == name {
			return true
		}
	}
	return false
}

func checkCapabilityResources(t *testing.T, f *fixture) outcome {
	cs := f.capability(t)
	p := capabilityResource(cs, "Patient")
	if p == nil || !hasInteraction(p, "read") || !hasInteraction(p, "search-type") || !hasSearchParam(p, "identifier") {
		return fail("Patient lacks read, search-type or the identifier search parameter")
	}
	for _, typ := range []string{"Condition", "Observation", "AllergyIntolerance", "MedicationStatement"} {
		r := capabilityResource(cs, typ)
		if r == nil || !hasInteraction(r, "search-type") || !hasSearchParam(r, "patient") {
			return fail("%s is served but not declared searchable by patient", typ)
		}
	}
	return pass("declared")
}

func checkContentType(t *testing.T, f *fixture) outcome {
	id := f.testPatientID(t)
	for _, path := range []string{"/metadata", "/Patient/" + id, testPatientQuery} {
		if mt := mediaType(f.get(t, path).contentType()); mt != "application/fhir+json" {
			return fail("%s: %s", path, mt)
		}
	}
	return pass("application/fhir+json")
}

func checkFormatNegotiation(t *testing.T, f *fixture) outcome {
	if r := f.get(t, "/metadata?_format=json"); r.status != 200 || !strings.Contains(mediaType(r.contentType()), "json") {
		return fail("_format=json: %d %s", r.status, r.contentType())
	}
	if r := f.get(t, "/metadata", withHeader("Accept", "application/fhir+json")); r.status != 200 || mediaType(r.contentType()) == "text/html" {
		return fail("Accept fhir+json: %d %s", r.status, r.contentType())
	}
	for _, opt := range []struct {
		path string
		opt  reqOpt
	}{
		{"/metadata?_format=xml", nil},
		{"/metadata", withHeader("Accept", "application/fhir+xml")},
		{"/metadata", withHeader("Accept", "application/pdf")},
	} {
		var opts []reqOpt
		if opt.opt != nil {
			opts = append(opts, opt.opt)
		}
		r := f.get(t, opt.path, opts...)
		if r.status >= 500 || mediaType(r.contentType()) == "text/html" {
			return fail("%s: %d %s", opt.path, r.status, r.contentType())
		}
	}
	return pass("negotiated")
}

func checkErrorsOperationOutcome(t *testing.T, f *fixture) outcome {
	for _, path := range []string{"/JigsawNoSuchType", "/Patient/jigsaw-no-such-id", "/Patient?birthdate=not-a-date"} {
		r := f.get(t, path)
		if r.status >= 400 && !isOperationOutcome(r) {
			return fail("%s: %d %s without an OperationOutcome", path, r.status, r.contentType())
		}
	}
	return pass("OperationOutcomes")
}

func checkReadNotFound(t *testing.T, f *fixture) outcome {
	r := f.get(t, "/Patient/jigsaw-probe-00000000")
	if r.status != 404 && r.status != 410 {
		return fail("unknown id answered %d", r.status)
	}
	return pass("%d", r.status)
}

func checkReadVersioning(t *testing.T, f *fixture) outcome {
	r := f.get(t, "/Patient/"+f.testPatientID(t))
	m := r.json(t)
	md, _ := m["meta"].(map[string]any)
	vid, _ := md["versionId"].(string)
	if etag := r.header.Get("ETag"); vid == "" || etag != `W/"`+vid+`"` || md["lastUpdated"] == nil {
		return fail("ETag %q, versionId %q, lastUpdated %v", etag, vid, md["lastUpdated"])
	}
	return pass("versioned")
}

func checkSearchBundle(t *testing.T, f *fixture) outcome {
	b := f.get(t, testPatientQuery).json(t)
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" || link(b, "self") == "" {
		return fail("not a searchset Bundle with a self link")
	}
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		em := e.(map[string]any)
		if em["fullUrl"] == nil || em["search"] == nil {
			return fail("entry without fullUrl or search.mode")
		}
	}
	return pass("searchset")
}

func checkSearchPaging(t *testing.T, f *fixture) outcome {
	b := f.get(t, "/Patient?_count=1").json(t)
	if n := len(entryResources(b)); n > 1 {
		return fail("_count=1 gave %d entries", n)
	}
	if total, _ := b["total"].(float64); total > 1 && link(b, "next") == "" {
		return fail("no next link with %v matches", total)
	}
	return pass("paged")
}

func checkUnknownParam(t *testing.T, f *fixture) outcome {
	strict := f.get(t, testPatientQuery+"&jigsaw-unknown=1", withHeader("Prefer", "handling=strict"))
	if strict.status >= 500 || mediaType(strict.contentType()) == "text/html" {
		return fail("strict: %d %s", strict.status, strict.contentType())
	}
	if strict.status == 400 && isOperationOutcome(strict) {
		return pass("strict: 400 with OperationOutcome")
	}
	lenient := f.get(t, testPatientQuery+"&jigsaw-unknown=1")
	if lenient.status != 200 {
		return fail("lenient: %d", lenient.status)
	}
	if strings.Contains(link(lenient.json(t), "self"), "jigsaw-unknown") {
		return fail("unknown parameter echoed in the self link")
	}
	return pass("ignored")
}

func checkUKCoreProfiles(t *testing.T, f *fixture) outcome {
	m := f.get(t, "/Patient/"+f.testPatientID(t)).json(t)
	md, _ := m["meta"].(map[string]any)
	profiles, _ := md["profile"].([]any)
	if slices.Contains(profiles, any(ukCoreProfileBase+"Patient")) {
		return pass("UK Core Patient")
	}
	if strings.Contains(string(f.get(t, "/metadata").body), "UKCore-") {
		return pass("UK Core in the CapabilityStatement")
	}
	return warn("no UK Core profile")
}

func checkAuthRequired(t *testing.T, f *fixture) outcome {
	r := f.get(t, testPatientQuery, noAuth())
	if r.status != 401 && r.status != 403 {
		return fail("no credentials: %d", r.status)
	}
	if strings.Contains(string(r.body), `"resourceType":"Patient"`) {
		return fail("patient data in the 401 body")
	}
	return pass("%d", r.status)
}

func checkInvalidToken(t *testing.T, f *fixture) outcome {
	r := f.get(t, testPatientQuery, withToken("forged.jigsaw.token"))
	if r.status != 401 || strings.Contains(string(r.body), `"resourceType":"Patient"`) {
		return fail("forged token: %d", r.status)
	}
	return pass("401")
}

func checkWWWAuthenticate(t *testing.T, f *fixture) outcome {
	r := f.get(t, testPatientQuery, noAuth())
	if r.status != 401 {
		return outcome{checkSkip, "no 401 to look at"}
	}
	if !strings.HasPrefix(strings.ToLower(r.header.Get("WWW-Authenticate")), "bearer") {
		return fail("401 without WWW-Authenticate: Bearer")
	}
	return pass("%s", r.header.Get("WWW-Authenticate"))
}

func checkNoStore(t *testing.T, f *fixture) outcome {
	for _, path := range []string{testPatientQuery, "/Patient/" + f.testPatientID(t)} {
		if cc := f.get(t, path).header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			return fail("%s: Cache-Control %q", path, cc)
		}
	}
	return pass("no-store")
}

var leakPattern = regexp.MustCompile(`(?i)(\tat [a-z]|exception|traceback|stack trace|tomcat/\d|jboss|iis/\d)`)

func checkNoLeak(t *testing.T, f *fixture) outcome {
	for _, path := range []string{"/JigsawNoSuchType", "/Patient?birthdate=not-a-date", testPatientQuery + "&jigsaw-unknown=1", "/Patient/bad%20id"} {
		r := f.get(t, path)
		if r.status >= 400 && leakPattern.Match(r.body) {
			return fail("%s leaks internals", path)
		}
	}
	return pass("no leaks")
}

// nhsIdentifiers returns the identifiers of Patients that look like NHS numbers (ten digits).
func nhsIdentifiers(patients []map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range patients {
		ids, _ := p["identifier"].([]any)
		for _, id := range ids {
			im := id.(map[string]any)
			if v, _ := im["value"].(string); regexp.MustCompile(`^\d{10}$`).MatchString(v) {
				out = append(out, im)
			}
		}
	}
	return out
}

func (f *fixture) somePatients(t *testing.T) []map[string]any {
	return append(entryResources(f.get(t, testPatientQuery).json(t)), entryResources(f.get(t, "/Patient?_count=5").json(t))...)
}

func checkNHSNumberSearch(t *testing.T, f *fixture) outcome {
	found := entryResources(f.get(t, testPatientQuery).json(t))
	if len(found) != 1 {
		return fail("%d matches", len(found))
	}
	for _, id := range nhsIdentifiers(found) {
		if id["value"] == TestNHSNumber {
			return pass("exactly the patient")
		}
	}
	return fail("the match does not carry the NHS number")
}

func checkNHSNumberSystem(t *testing.T, f *fixture) outcome {
	for _, id := range nhsIdentifiers(f.somePatients(t)) {
		if id["system"] != terminology.SystemNHSNumber {
			return fail("system %v", id["system"])
		}
	}
	return pass("right system")
}

func checkNHSNumberCheckDigit(t *testing.T, f *fixture) outcome {
	for _, id := range nhsIdentifiers(f.somePatients(t)) {
		if v := id["value"].(string); !terminology.NHSNumberValid(v) {
			return fail("%s fails modulus 11", v)
		}
	}
	return pass("all valid")
}

func checkODSCodes(t *testing.T, f *fixture) outcome {
	var ids []map[string]any
	for _, p := range f.somePatients(t) {
		refs, _ := p["generalPractitioner"].([]any)
		if mo, ok := p["managingOrganization"]; ok {
			refs = append(refs, mo)
		}
		for _, r := range refs {
			if id, ok := r.(map[string]any)["identifier"].(map[string]any); ok {
				ids = append(ids, id)
			}
		}
	}
	for _, o := range entryResources(f.get(t, "/Organization?_count=20").json(t)) {
		oids, _ := o["identifier"].([]any)
		for _, id := range oids {
			ids = append(ids, id.(map[string]any))
		}
	}
	if len(ids) == 0 {
		return outcome{checkSkip, "no organisation identifiers"}
	}
	for _, id := range ids {
		v, _ := id["value"].(string)
		if id["system"] != terminology.SystemODSOrg || !terminology.ODSCodeValid(v) {
			return fail("identifier %v|%v", id["system"], id["value"])
		}
	}
	return pass("%d ODS identifiers", len(ids))
}

// clinicalConcepts fetches the test patient's clinical CodeableConcepts (the element each
// resource type is about) and every Coding in its clinical records.
func (f *fixture) clinicalConcepts(t *testing.T) (concepts []map[string]any, codings []map[string]any) {
	id := f.testPatientID(t)
	for _, typ := range []struct{ name, element string }{
		{"Condition", "code"}, {"Observation", "code"}, {"AllergyIntolerance", "code"}, {"MedicationStatement", "medicationCodeableConcept"},
	} {
		for _, r := range entryResources(f.get(t, "/"+typ.name+"?patient="+id+"&_count=100").json(t)) {
			if cc, ok := r[typ.element].(map[string]any); ok {
				concepts = append(concepts, cc)
			}
			codings = append(codings, allCodings(r)...)
		}
	}
	return concepts, codings
}

func allCodings(v any) []map[string]any {
	var out []map[string]any
	switch x := v.(type) {
	case map[string]any:
		if list, ok := x["coding"].([]any); ok {
			for _, c := range list {
				if cm, ok := c.(map[string]any); ok {
					out = append(out, cm)
				}
			}
		}
		for _, child := range x {
			out = append(out, allCodings(child)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, allCodings(child)...)
		}
	}
	return out
}

func checkCodingCoverage(t *testing.T, f *fixture) outcome {
	concepts, _ := f.clinicalConcepts(t)
	national := 0
	for _, cc := range concepts {
		for _, c := range allCodings(cc) {
			if c["system"] == terminology.SystemSNOMED { // PaLM: SNOMED CT, not LOINC; dm+d is SNOMED CT
				national++
				break
			}
		}
	}
	share := float64(national) / float64(len(concepts))
	switch {
	case share >= 0.95:
		return pass("%d/%d", national, len(concepts))
	case share >= 0.70:
		return warn("%d/%d", national, len(concepts))
	}
	return fail("%d/%d", national, len(concepts))
}

func looksLikeSNOMED(system string) bool {
	s := strings.ToLower(system)
	return strings.Contains(s, "snomed") || strings.Contains(s, "2.16.840.1.113883.6.96")
}

func checkSNOMEDValid(t *testing.T, f *fixture) outcome {
	_, codings := f.clinicalConcepts(t)
	for _, c := range codings {
		if s, _ := c["system"].(string); looksLikeSNOMED(s) {
			if code, _ := c["code"].(string); !terminology.ConceptIDValid(code) {
				return fail("%s is not a valid concept id", code)
			}
		}
	}
	return pass("valid")
}

func checkSNOMEDSystem(t *testing.T, f *fixture) outcome {
	_, codings := f.clinicalConcepts(t)
	for _, c := range codings {
		if s, _ := c["system"].(string); looksLikeSNOMED(s) && s != terminology.SystemSNOMED {
			return fail("system %q", s)
		}
	}
	return pass("exact URI")
}

func checkDMD(t *testing.T, f *fixture) outcome {
	id := f.testPatientID(t)
	meds := entryResources(f.get(t, "/MedicationStatement?patient="+id).json(t))
	for _, m := range meds {
		cc, _ := m["medicationCodeableConcept"].(map[string]any)
		ok := false
		for _, c := range allCodings(cc) {
			code, _ := c["code"].(string)
			// UK Core codes dm+d under SNOMED CT: the dm+d namespace, or an international id.
			long := len(code) > 3 && code[len(code)-3] == '1'
			if c["system"] == terminology.SystemSNOMED && terminology.ConceptIDValid(code) && (!long || strings.Contains(code, "1000001")) {
				ok = true
			}
		}
		if !ok {
			return fail("a medication is not coded in dm+d")
		}
	}
	return pass("%d medications in dm+d", len(meds))
}

func checkLOINC(t *testing.T, f *fixture) outcome {
	_, codings := f.clinicalConcepts(t)
	for _, c := range codings {
		if c["system"] == terminology.SystemLOINC {
			if code, _ := c["code"].(string); !terminology.LOINCValid(code) {
				return fail("%s has a bad check digit", code)
			}
		}
	}
	return pass("valid")
}

// checkLatency scales the probe's thresholds by the fixture's latency scale, so that a test
// can see the legacy profile's slowness in milliseconds.
func checkLatency(t *testing.T, f *fixture) outcome {
	var took []time.Duration
	for range 5 {
		took = append(took, f.get(t, "/metadata").took, f.get(t, testPatientQuery).took)
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	p95 := took[len(took)*95/100]
	limit := time.Duration(float64(time.Second) * f.scale)
	if p95 > limit {
		return warn("p95 %s over %s", p95, limit)
	}
	return pass("p95 %s", p95)
}

func checkSMART(t *testing.T, f *fixture) outcome {
	if !strings.Contains(string(f.get(t, "/metadata").body), "SMART-on-FHIR") {
		return outcome{checkSkip, "SMART not declared: not applicable"}
	}
	r := f.get(t, "/.well-known/smart-configuration", noAuth())
	var m map[string]any
	if r.status != 200 || json.Unmarshal(r.body, &m) != nil {
		return fail("%d %s", r.status, r.contentType())
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "capabilities"} {
		if m[k] == nil {
			return fail("no %s", k)
		}
	}
	if _, err := url.Parse(m["token_endpoint"].(string)); err != nil {
		return fail("token_endpoint: %v", err)
	}
	return pass("present")
}
