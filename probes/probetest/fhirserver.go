// Package probetest provides what the probe packs' tests share: a small in-memory FHIR server
// on 127.0.0.1 whose conformance can be broken one behaviour at a time, and helpers to run a
// probe against it. It is imported only by tests.
package probetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Test data.
const (
	NHSNumber1 = "9990000018"
	NHSNumber2 = "9990000026"
	ODSCode    = "A12345"
	Token      = "s3cr3t-T0ken-for-tests-abcdef0123456789"
)

// FHIR is a fake FHIR R4 server. The zero value plus Default() data is conformant; each
// field below breaks one behaviour. Set fields before serving; it is then read-only.
type FHIR struct {
	Version    string // fhirVersion in the CapabilityStatement (default 4.0.1)
	Token      string // bearer token required for data ("" = none required)
	Capability map[string]any
	Patients   []map[string]any
	// Clinical holds resources by type; each refers to its patient in "subject"/"patient".
	Clinical      map[string][]map[string]any
	Organizations []map[string]any
	SMART         map[string]any // nil: 404

	ContentType       string        // Content-Type of FHIR responses (default application/fhir+json; charset=utf-8)
	CacheControl      string        // default "no-store"; "-" sends none
	HSTS              string        // Strict-Transport-Security value ("" none)
	AuthOptional      bool          // serve data without credentials
	AcceptAnyToken    bool          // any bearer token is accepted
	NoWWWAuthenticate bool          // 401 without a challenge
	Forbidden403      bool          // 403 instead of 401
	HTMLErrors        bool          // errors as HTML pages with a Java stack trace
	EmptyErrors       bool          // errors with an empty body
	ServerBanner      string        // Server header
	NoETag            bool          // reads without ETag
	StrongETag        bool          // ETag without W/
	IgnoreCount       bool          // _count ignored
	NoNextLink        bool          // no next link when more results exist
	KeepUnknownParams bool          // unknown parameters left in the self link
	IgnoreStrict      bool          // Prefer: handling=strict ignored
	UnknownID200      bool          // reads of unknown ids return 200
	Status500Unknown  bool          // unknown resource types give 500
	NoFullURL         bool          // search entries without fullUrl
	Delay             time.Duration // added to every response
	// Intercept, when set, may answer a request itself (returning true).
	Intercept func(w http.ResponseWriter, r *http.Request) bool
}

// Default returns a conformant server holding two patients, an organisation and clinical data
// coded in SNOMED CT, LOINC and dm+d.
func Default() *FHIR {
	f := &FHIR{Version: "4.0.1", Token: Token, HSTS: "max-age=31536000; includeSubDomains"}
	f.Patients = []map[string]any{
		Patient("p1", NHSNumber1, "3"),
		Patient("p2", NHSNumber2, "1"),
	}
	f.Organizations = []map[string]any{{
		"resourceType": "Organization", "id": "org1",
		"identifier": []any{map[string]any{"system": terminology.SystemODSOrg, "value": ODSCode}},
		"name":       "Test Surgery",
	}}
	f.Clinical = map[string][]map[string]any{
		"Condition":           {Clinical("Condition", "c1", "p1", "code", Coding(terminology.SystemSNOMED, "22298006"))},
		"Observation":         {Clinical("Observation", "o1", "p1", "code", Coding(terminology.SystemLOINC, "8867-4"), Coding(terminology.SystemSNOMED, "364075005"))},
		"AllergyIntolerance":  {Clinical("AllergyIntolerance", "a1", "p1", "code", Coding(terminology.SystemSNOMED, "91936005"))},
		"MedicationStatement": {Clinical("MedicationStatement", "m1", "p1", "medicationCodeableConcept", Coding(terminology.SystemSNOMED, DMDCode))},
		"MedicationRequest":   {Clinical("MedicationRequest", "r1", "p1", "medicationCodeableConcept", Coding(terminology.SystemSNOMED, "323509004"))},
	}
	f.SMART = map[string]any{
		"authorization_endpoint":           "https://auth.example.org/authorize",
		"token_endpoint":                   "https://auth.example.org/token",
		"capabilities":                     []any{"launch-standalone", "client-confidential-symmetric", "context-standalone-patient"},
		"code_challenge_methods_supported": []any{"S256"},
		"grant_types_supported":            []any{"authorization_code"},
	}
	f.Capability = Capability(f)
	return f
}

// DMDCode is a SNOMED CT concept id in the dm+d namespace (1000001), built with a valid check digit.
var DMDCode = func() string {
	stem := "39720" + "1000001" + "10"
	return stem + string(terminology.VerhoeffCheckDigit(stem))
}()

// Patient builds a UK Core patient.
func Patient(id, nhsNumber, versionID string) map[string]any {
	return map[string]any{
		"resourceType": "Patient", "id": id,
		"meta": map[string]any{
			"versionId": versionID, "lastUpdated": "2026-01-02T03:04:05Z",
			"profile": []any{"https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"},
		},
		"identifier": []any{map[string]any{
			"extension": []any{map[string]any{
				"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
					"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01", "display": "Number present and verified",
				}}},
			}},
			"system": terminology.SystemNHSNumber, "value": nhsNumber,
		}},
		"name":                 []any{map[string]any{"family": "Test", "given": []any{"Patient " + id}}},
		"birthDate":            "1970-01-01",
		"managingOrganization": map[string]any{"identifier": map[string]any{"system": terminology.SystemODSOrg, "value": ODSCode}},
		"generalPractitioner":  []any{map[string]any{"reference": "Organization/org1"}},
	}
}

// Coding builds a coding.
func Coding(system, code string) map[string]any {
	return map[string]any{"system": system, "code": code}
}

// Clinical builds a clinical resource for a patient with its concept at element.
func Clinical(resourceType, id, patientID, element string, codings ...map[string]any) map[string]any {
	var cs []any
	for _, c := range codings {
		cs = append(cs, c)
	}
	return map[string]any{
		"resourceType": resourceType, "id": id,
		"subject": map[string]any{"reference": "Patient/" + patientID},
		"patient": map[string]any{"reference": "Patient/" + patientID},
		element:   map[string]any{"coding": cs, "text": resourceType + " " + id},
	}
}

// Capability builds a conformant CapabilityStatement for the server's data.
func Capability(f *FHIR) map[string]any {
	resource := func(t string, params ...string) map[string]any {
		var sp []any
		for _, p := range params {
			sp = append(sp, map[string]any{"name": p, "type": "token"})
		}
		r := map[string]any{
			"type":        t,
			"interaction": []any{map[string]any{"code": "read"}, map[string]any{"code": "search-type"}},
			"searchParam": sp,
		}
		if t == "Patient" {
			r["supportedProfile"] = []any{"https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"}
		}
		return r
	}
	resources := []any{resource("Patient", "identifier", "birthdate"), resource("Organization", "identifier")}
	for _, t := range []string{"AllergyIntolerance", "Condition", "MedicationRequest", "MedicationStatement", "Observation"} {
		resources = append(resources, resource(t, "patient"))
	}
	rest := map[string]any{"mode": "server", "resource": resources}
	if f.SMART != nil {
		// A server that publishes a SMART configuration declares it.
		rest["security"] = map[string]any{"service": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR",
		}}}}}
	}
	return map[string]any{
		"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
		"date": "2026-01-01", "fhirVersion": f.Version, "format": []any{"application/fhir+json", "application/fhir+xml"},
		"software": map[string]any{"name": "probetest", "version": "1"},
		"rest":     []any{rest},
	}
}

// knownParams are the search parameters the fake understands.
var knownParams = []string{"identifier", "_count", "_offset", "birthdate", "patient", "_format"}

var datePattern = regexp.MustCompile(`^(eq|ne|gt|lt|ge|le)?\d{4}(-\d{2}(-\d{2})?)?$`)

func (f *FHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	if f.Intercept != nil && f.Intercept(w, r) {
		return
	}
	if f.HSTS != "" && r.TLS != nil {
		w.Header().Set("Strict-Transport-Security", f.HSTS)
	}
	if f.ServerBanner != "" {
		w.Header().Set("Server", f.ServerBanner)
	}
	path := strings.TrimPrefix(r.URL.Path, "/fhir")
	path = strings.Trim(path, "/")
	if path == ".well-known/smart-configuration" {
		if f.SMART == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.SMART)
		return
	}
	if r.Method != http.MethodGet {
		f.fail(w, http.StatusMethodNotAllowed, "not-supported", "method not allowed")
		return
	}
	if path == "metadata" {
		f.metadata(w, r)
		return
	}
	if !f.authorised(w, r) {
		return
	}
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 2:
		f.read(w, parts[0], parts[1])
	case len(parts) == 1:
		f.search(w, r, parts[0])
	default:
		f.fail(w, http.StatusNotFound, "not-found", "unknown path")
	}
}

func (f *FHIR) metadata(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("_format")
	accept := r.Header.Get("Accept")
	wantsJSON := format == "json" || strings.Contains(format, "json") ||
		(format == "" && (accept == "" || strings.Contains(accept, "json") || strings.Contains(accept, "*/*")))
	if !wantsJSON {
		f.fail(w, http.StatusNotAcceptable, "not-supported", "only JSON is supported")
		return
	}
	f.write(w, http.StatusOK, f.Capability)
}

func (f *FHIR) authorised(w http.ResponseWriter, r *http.Request) bool {
	if f.Token == "" || f.AuthOptional {
		return true
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if ok && (tok == f.Token || f.AcceptAnyToken) {
		return true
	}
	status := http.StatusUnauthorized
	if f.Forbidden403 {
		status = http.StatusForbidden
	}
	if !f.NoWWWAuthenticate && status == http.StatusUnauthorized {
		challenge := `Bearer realm="fhir"`
		if ok {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	f.fail(w, status, "login", "authentication required")
	return false
}

func (f *FHIR) find(resourceType, id string) map[string]any {
	for _, res := range f.all(resourceType) {
		if res["id"] == id {
			return res
		}
	}
	return nil
}

func (f *FHIR) all(resourceType string) []map[string]any {
	switch resourceType {
	case "Patient":
		return f.Patients
	case "Organization":
		return f.Organizations
	}
	return f.Clinical[resourceType]
}

func (f *FHIR) known(resourceType string) bool {
	return resourceType == "Patient" || resourceType == "Organization" || f.Clinical[resourceType] != nil ||
		slices.Contains([]string{"AllergyIntolerance", "Condition", "MedicationRequest", "MedicationStatement", "Observation"}, resourceType)
}

func (f *FHIR) read(w http.ResponseWriter, resourceType, id string) {
	if !f.known(resourceType) {
		f.unknownType(w, resourceType)
		return
	}
	res := f.find(resourceType, id)
	if res == nil {
		if f.UnknownID200 {
			f.write(w, http.StatusOK, map[string]any{"resourceType": resourceType, "id": id})
			return
		}
		f.fail(w, http.StatusNotFound, "not-found", resourceType+"/"+id+" not found")
		return
	}
	if meta, ok := res["meta"].(map[string]any); ok && !f.NoETag {
		etag := fmt.Sprintf(`"%v"`, meta["versionId"])
		if !f.StrongETag {
			etag = "W/" + etag
		}
		w.Header().Set("ETag", etag)
	}
	f.write(w, http.StatusOK, res)
}

func (f *FHIR) unknownType(w http.ResponseWriter, resourceType string) {
	if f.Status500Unknown {
		f.fail(w, http.StatusInternalServerError, "exception", "no handler for "+resourceType)
		return
	}
	f.fail(w, http.StatusNotFound, "not-supported", "resource type "+resourceType+" not supported")
}

func (f *FHIR) search(w http.ResponseWriter, r *http.Request, resourceType string) {
	if !f.known(resourceType) {
		f.unknownType(w, resourceType)
		return
	}
	q := r.URL.Query()
	strict := strings.Contains(r.Header.Get("Prefer"), "handling=strict") && !f.IgnoreStrict
	used := url.Values{}
	for name, values := range q {
		if !slices.Contains(knownParams, name) {
			if strict {
				f.fail(w, http.StatusBadRequest, "not-supported", "unknown search parameter "+name)
				return
			}
			if f.KeepUnknownParams {
				used[name] = values
			}
			continue
		}
		if name != "_format" {
			used[name] = values
		}
	}
	if v := q.Get("birthdate"); v != "" && !datePattern.MatchString(v) {
		f.fail(w, http.StatusBadRequest, "invalid", "birthdate is not a date")
		return
	}
	count, offset := 50, 0
	if v := q.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			f.fail(w, http.StatusBadRequest, "invalid", "_count must be a number")
			return
		}
		count = n
	}
	if v := q.Get("_offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	var matches []map[string]any
	for _, res := range f.all(resourceType) {
		if !f.matches(res, q) {
			continue
		}
		matches = append(matches, res)
	}
	total := len(matches)
	page := matches
	if !f.IgnoreCount {
		page = matches[min(offset, len(matches)):min(offset+count, len(matches))]
	}
	base := "https://" + r.Host + "/fhir/" + resourceType
	if r.TLS == nil {
		base = "http://" + r.Host + "/fhir/" + resourceType
	}
	links := []any{map[string]any{"relation": "self", "url": base + "?" + used.Encode()}}
	if !f.IgnoreCount && !f.NoNextLink && offset+count < total {
		next := url.Values{}
		for k, v := range used {
			next[k] = v
		}
		next.Set("_offset", strconv.Itoa(offset+count))
		links = append(links, map[string]any{"relation": "next", "url": base + "?" + next.Encode()})
	}
	var entries []any
	for _, res := range page {
		e := map[string]any{"resource": res, "search": map[string]any{"mode": "match"}}
		if !f.NoFullURL {
			e["fullUrl"] = fmt.Sprintf("https://%s/fhir/%s/%v", r.Host, resourceType, res["id"])
		}
		entries = append(entries, e)
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	f.write(w, http.StatusOK, bundle)
}

func (f *FHIR) matches(res map[string]any, q url.Values) bool {
	if v := q.Get("identifier"); v != "" {
		system, value, _ := strings.Cut(v, "|")
		found := false
		ids, _ := res["identifier"].([]any)
		for _, id := range ids {
			m, _ := id.(map[string]any)
			if m["system"] == system && m["value"] == value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if v := q.Get("patient"); v != "" {
		ref, _ := res["subject"].(map[string]any)
		if ref["reference"] != "Patient/"+strings.TrimPrefix(v, "Patient/") {
			return false
		}
	}
	return true
}

func (f *FHIR) write(w http.ResponseWriter, status int, body any) {
	ct := f.ContentType
	if ct == "" {
		ct = "application/fhir+json; charset=utf-8"
	}
	cc := f.CacheControl
	if cc == "" {
		cc = "no-store"
	}
	w.Header().Set("Content-Type", ct)
	if cc != "-" {
		w.Header().Set("Cache-Control", cc)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *FHIR) fail(w http.ResponseWriter, status int, code, msg string) {
	switch {
	case f.HTMLErrors:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body><h1>HTTP Status %d</h1><pre>java.lang.IllegalStateException: %s\n\tat org.example.fhir.Handler.handle(Handler.java:42)\n</pre><hr><h3>Apache Tomcat/9.0.41</h3></body></html>", status, msg)
	case f.EmptyErrors:
		w.WriteHeader(status)
	default:
		f.write(w, status, map[string]any{
			"resourceType": "OperationOutcome",
			"issue":        []any{map[string]any{"severity": "error", "code": code, "diagnostics": msg}},
		})
	}
}
