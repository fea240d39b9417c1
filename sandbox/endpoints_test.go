package sandbox

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMetadata(t *testing.T) {
	f := startFixture(t, Exemplar)
	r := f.get(t, "/metadata", noAuth())
	if r.status != 200 || r.contentType() != ctFHIRJSON {
		t.Fatalf("metadata: %d %s", r.status, r.contentType())
	}
	cs := r.json(t)
	if cs["fhirVersion"] != "4.0.1" || cs["kind"] != "instance" || cs["status"] != "active" {
		t.Errorf("fhirVersion %v kind %v status %v", cs["fhirVersion"], cs["kind"], cs["status"])
	}
	for _, typ := range []string{"Patient", "Organization", "Condition", "Observation", "AllergyIntolerance", "MedicationStatement"} {
		res := capabilityResource(cs, typ)
		if res == nil {
			t.Errorf("%s not declared", typ)
			continue
		}
		if res["profile"] != ukCoreProfileBase+typ || !hasInteraction(res, "read") || !hasInteraction(res, "search-type") {
			t.Errorf("%s: %v", typ, res)
		}
		for _, sp := range resourceDefByName(typ).params {
			if !hasSearchParam(res, sp.name) {
				t.Errorf("%s: search parameter %s not declared", typ, sp.name)
			}
		}
	}
	sec := cs["rest"].([]any)[0].(map[string]any)["security"].(map[string]any)
	ext := sec["extension"].([]any)[0].(map[string]any)
	if ext["url"] != smartOAuthExtension {
		t.Errorf("security extension %v", ext["url"])
	}
	if r.header.Get("Cache-Control") == "no-store" {
		t.Errorf("the CapabilityStatement carries no patient data: no need for no-store")
	}
}

func TestSMARTConfiguration(t *testing.T) {
	f := startFixture(t, Exemplar)
	r := f.get(t, "/.well-known/smart-configuration", noAuth())
	m := r.json(t)
	if r.status != 200 || mediaType(r.contentType()) != "application/json" {
		t.Fatalf("%d %s", r.status, r.contentType())
	}
	if m["token_endpoint"] != f.srv.BaseURL()+"/auth/token" {
		t.Errorf("token_endpoint %v", m["token_endpoint"])
	}
	tok := f.do(t, http.MethodPost, "/auth/token", strings.NewReader("grant_type=client_credentials"), noAuth(), withHeader("Content-Type", "application/x-www-form-urlencoded"))
	if tok.status != 400 || tok.json(t)["error"] != "unauthorized_client" {
		t.Errorf("token endpoint: %d %s", tok.status, tok.body)
	}
}

func TestPatientSearch(t *testing.T) {
	f := startFixture(t, Exemplar)
	id := f.testPatientID(t)
	tests := []struct {
		query string
		want  int // matches
	}{
		{testPatientQuery, 1},
		{"/Patient?identifier=" + TestNHSNumber, 1},
		{"/Patient?identifier=" + url.QueryEscape("|"+TestNHSNumber), 0},
		{"/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"), len(people)},
		{"/Patient?identifier=" + url.QueryEscape("http://fhir.nhs.net/Id/nhs-number|"+TestNHSNumber), 0},
		{"/Patient?identifier=9999999999", 0},
		{"/Patient?_id=" + id, 1},
		{"/Patient?family=llywelyn", 1},
		{"/Patient?family=LLYWELYN-JONES", 1},
		{"/Patient?given=sian", 1},
		{"/Patient?given:exact=Siân", 1},
		{"/Patient?given:exact=sian", 0},
		{"/Patient?name:contains=elin", 1},
		{"/Patient?birthdate=1968-04-12", 1},
		{"/Patient?birthdate=1968", 1},
		{"/Patient?birthdate=1968-04", 1},
		{"/Patient?birthdate=ge2010-01-01", 1},
		{"/Patient?birthdate=lt1940", 2},
		{"/Patient?birthdate=gt1968&birthdate=lt1970", 1}, // 1969-11-11
		{"/Patient?birthdate=ge1968-01-01&birthdate=le1968-12-31", 1},
		{"/Patient?gender=female&family=ll", 2},
		{"/Patient?family=lloyd,okonkwo", 2},
		{"/Patient?_lastUpdated=lt2030", len(people)},
		{"/Patient?family=", len(people)},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := f.get(t, tc.query+sep(tc.query)+"_count=100")
			if r.status != 200 {
				t.Fatalf("%d: %s", r.status, r.body)
			}
			b := r.json(t)
			if got := len(entryResources(b)); got != tc.want {
				t.Errorf("%d matches, want %d", got, tc.want)
			}
			if total := int(b["total"].(float64)); total != tc.want {
				t.Errorf("total %d, want %d", total, tc.want)
			}
		})
	}
}

func sep(q string) string {
	if strings.Contains(q, "?") {
		return "&"
	}
	return "?"
}

func TestPagingWalksEveryPatient(t *testing.T) {
	f := startFixture(t, Exemplar)
	seen := map[string]bool{}
	next := f.srv.BaseURL() + "/Patient?_count=3"
	pages := 0
	for next != "" {
		b := f.get(t, next).json(t)
		for _, p := range entryResources(b) {
			id := p["id"].(string)
			if seen[id] {
				t.Fatalf("patient %s on two pages", id)
			}
			seen[id] = true
		}
		if n := len(entryResources(b)); n > 3 {
			t.Fatalf("page of %d", n)
		}
		if pages > 0 && link(b, "previous") == "" {
			t.Errorf("page %d has no previous link", pages+1)
		}
		next = link(b, "next")
		pages++
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != len(people) || pages != 7 {
		t.Errorf("%d patients over %d pages, want %d over 7", len(seen), pages, len(people))
	}
	if b := f.get(t, "/Patient?_count=0").json(t); len(entryResources(b)) != 0 || b["total"].(float64) != float64(len(people)) {
		t.Errorf("_count=0: want no entries and the total")
	}
	if b := f.get(t, "/Patient?_count=1000").json(t); len(entryResources(b)) != len(people) {
		t.Errorf("_count above the maximum: want every patient (capped at %d)", maxCount)
	}
}

func TestClinicalSearches(t *testing.T) {
	f := startFixture(t, Exemplar)
	id := f.testPatientID(t)
	tests := []struct {
		query string
		want  int
	}{
		{"/Condition?patient=" + id, 3},
		{"/Condition?subject=Patient/" + id, 3},
		{"/Condition?subject:Patient=" + id, 3},
		{"/Condition?patient=" + url.QueryEscape(f.srv.BaseURL()+"/Patient/"+id), 3},
		{"/Condition?patient=" + id + "&code=" + url.QueryEscape("http://snomed.info/sct|44054006"), 1},
		{"/Condition?patient=" + id + "&code=44054006,38341003", 2},
		{"/Observation?patient=" + id, 4},
		{"/Observation?patient=" + id + "&category=laboratory", 1},
		{"/Observation?patient=" + id + "&code=" + url.QueryEscape("http://loinc.org|85354-9"), 1},
		{"/Observation?patient=" + id + "&date=ge2024&date=le2026", 4},
		{"/Observation?patient=" + id + "&date=lt2000", 0},
		{"/AllergyIntolerance?patient=" + id, 1},
		{"/MedicationStatement?patient=" + id, 3},
		{"/MedicationStatement?subject=" + id + "&code=" + url.QueryEscape("http://snomed.info/sct|322236009"), 1},
		{"/Condition?patient=no-such-patient", 0},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := f.get(t, tc.query)
			if r.status != 200 {
				t.Fatalf("%d: %s", r.status, r.body)
			}
			b := r.json(t)
			if got := len(entryResources(b)); got != tc.want {
				t.Errorf("%d matches, want %d", got, tc.want)
			}
			entries, _ := b["entry"].([]any)
			for _, e := range entries {
				em := e.(map[string]any)
				res := em["resource"].(map[string]any)
				if want := f.srv.BaseURL() + "/" + res["resourceType"].(string) + "/" + res["id"].(string); em["fullUrl"] != want {
					t.Errorf("fullUrl %v, want %s", em["fullUrl"], want)
				}
			}
		})
	}
	// Every clinical record read back by id is the one the search returned.
	for _, c := range entryResources(f.get(t, "/Condition?patient="+id).json(t)) {
		r := f.get(t, "/Condition/"+c["id"].(string))
		if r.status != 200 || r.json(t)["id"] != c["id"] {
			t.Errorf("read Condition/%v: %d", c["id"], r.status)
		}
	}
}

func TestOrganizations(t *testing.T) {
	f := startFixture(t, Exemplar)
	b := f.get(t, "/Organization?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/ods-organization-code|RZX")).json(t)
	orgs := entryResources(b)
	if len(orgs) != 1 || orgs[0]["name"] != f.srv.Org.Name {
		t.Fatalf("organisation search: %v", orgs)
	}
	if r := f.get(t, "/Organization/"+orgs[0]["id"].(string)); r.status != 200 {
		t.Errorf("read: %d", r.status)
	}
	if got := len(entryResources(f.get(t, "/Organization?name=meddygfa").json(t))); got != 1 {
		t.Errorf("name search: %d", got)
	}
	if got := len(entryResources(f.get(t, "/Organization").json(t))); got != len(practices)+1 {
		t.Errorf("all organisations: %d, want %d", got, len(practices)+1)
	}
}

func TestReadAndVersioning(t *testing.T) {
	f := startFixture(t, Exemplar)
	id := f.testPatientID(t)
	r := f.get(t, "/Patient/"+id)
	if r.status != 200 || r.contentType() != ctFHIRJSON || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("read: %d %s %q", r.status, r.contentType(), r.header.Get("Cache-Control"))
	}
	p := r.json(t)
	vid := p["meta"].(map[string]any)["versionId"].(string)
	etag := r.header.Get("ETag")
	if etag != `W/"`+vid+`"` || r.header.Get("Last-Modified") == "" {
		t.Errorf("ETag %q Last-Modified %q, versionId %s", etag, r.header.Get("Last-Modified"), vid)
	}
	if nm := f.get(t, "/Patient/"+id, withHeader("If-None-Match", etag)); nm.status != 304 || len(nm.body) != 0 {
		t.Errorf("If-None-Match: %d", nm.status)
	}
	if v := f.get(t, "/Patient/"+id+"/_history/"+vid); v.status != 200 {
		t.Errorf("vread current version: %d", v.status)
	}
	if v := f.get(t, "/Patient/"+id+"/_history/99"); v.status != 404 || !isOperationOutcome(v) {
		t.Errorf("vread unknown version: %d", v.status)
	}
	if h := f.do(t, http.MethodHead, "/Patient/"+id, nil); h.status != 200 || len(h.body) != 0 || h.header.Get("ETag") != etag {
		t.Errorf("HEAD: %d, %d bytes", h.status, len(h.body))
	}
}

func TestErrors(t *testing.T) {
	f := startFixture(t, Exemplar)
	tests := []struct {
		name, method, path string
		opts               []reqOpt
		status             int
		code               string
	}{
		{"unknown type", "GET", "/Widget", nil, 404, "not-supported"},
		{"case matters", "GET", "/Metadata", nil, 404, "not-supported"},
		{"unknown id", "GET", "/Patient/no-such-patient", nil, 404, "not-found"},
		{"malformed id", "GET", "/Patient/bad%20id", nil, 400, "invalid"},
		{"too deep", "GET", "/Patient/a/b", nil, 404, "not-supported"},
		{"bad date", "GET", "/Patient?birthdate=yesterday", nil, 400, "invalid"},
		{"bad count", "GET", "/Patient?_count=-1", nil, 400, "invalid"},
		{"bad modifier", "GET", "/Patient?family:sounds-like=x", nil, 400, "not-supported"},
		{"token modifier", "GET", "/Patient?identifier:text=x", nil, 400, "not-supported"},
		{"ap prefix", "GET", "/Patient?birthdate=ap1968", nil, 400, "invalid"},
		{"bad reference", "GET", "/Condition?patient=Patient/bad%20id", nil, 400, "invalid"},
		{"bad escape", "GET", "/Patient?family=%zz", nil, 400, "invalid"},
		{"strict unknown", "GET", "/Patient?shoe-size=9", []reqOpt{withHeader("Prefer", "handling=strict")}, 400, "not-supported"},
		{"write", "PUT", "/Patient/x", nil, 405, "not-supported"},
		{"create", "POST", "/Patient", nil, 405, "not-supported"},
		{"delete", "DELETE", "/metadata", nil, 405, "not-supported"},
		{"system search", "GET", "/", nil, 400, "not-supported"},
		{"no token", "GET", "/Patient", []reqOpt{noAuth()}, 401, "login"},
		{"wrong token", "GET", "/Patient", []reqOpt{withToken("nope")}, 401, "login"},
		{"basic auth", "GET", "/Patient", []reqOpt{withHeader("Authorization", "Basic dXNlcjpwYXNz")}, 401, "login"},
		{"unknown format", "GET", "/Patient", []reqOpt{withHeader("Accept", "application/pdf")}, 406, "not-supported"},
		{"unknown _format", "GET", "/Patient?_format=pdf", nil, 406, "not-supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, nil, tc.opts...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if !isOperationOutcome(r) || r.contentType() != ctFHIRJSON {
				t.Fatalf("not an OperationOutcome (%s): %s", r.contentType(), r.body)
			}
			issue := r.json(t)["issue"].([]any)[0].(map[string]any)
			if issue["code"] != tc.code || issue["severity"] != "error" || issue["diagnostics"] == "" {
				t.Errorf("issue %v, want code %s", issue, tc.code)
			}
			if r.header.Get("Cache-Control") != "no-store" && tc.path != "/metadata" {
				t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
			}
		})
	}
	r := f.get(t, "/Patient", noAuth())
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="`) || strings.Contains(got, "invalid_token") {
		t.Errorf("no token: WWW-Authenticate %q", got)
	}
	r = f.get(t, "/Patient", withToken("nope"))
	if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("wrong token: WWW-Authenticate %q", got)
	}
	if r := f.do(t, "PUT", "/Patient/x", nil); r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("405 Allow %q", r.header.Get("Allow"))
	}
}

func TestUnknownParameterLenient(t *testing.T) {
	f := startFixture(t, Exemplar)
	b := f.get(t, testPatientQuery+"&shoe-size=9").json(t)
	if strings.Contains(link(b, "self"), "shoe-size") {
		t.Errorf("self link %s keeps the unknown parameter", link(b, "self"))
	}
	if len(entryResources(b)) != 1 {
		t.Errorf("want the patient despite the unknown parameter")
	}
	var outcome map[string]any
	for _, e := range b["entry"].([]any) {
		em := e.(map[string]any)
		if em["search"].(map[string]any)["mode"] == "outcome" {
			outcome = em["resource"].(map[string]any)
		}
	}
	if outcome == nil || !strings.Contains(outcome["issue"].([]any)[0].(map[string]any)["diagnostics"].(string), "shoe-size") {
		t.Errorf("no outcome entry naming the ignored parameter")
	}
}

func TestPostSearch(t *testing.T) {
	f := startFixture(t, Exemplar)
	form := withHeader("Content-Type", "application/x-www-form-urlencoded")
	r := f.do(t, http.MethodPost, "/Patient/_search", strings.NewReader("identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+TestNHSNumber)), form)
	if r.status != 200 || len(entryResources(r.json(t))) != 1 {
		t.Fatalf("POST _search: %d %s", r.status, r.body)
	}
	if r := f.do(t, http.MethodPost, "/Patient/_search", strings.NewReader("{}"), withHeader("Content-Type", "application/json")); r.status != 415 {
		t.Errorf("JSON body: %d, want 415", r.status)
	}
	big := strings.NewReader("family=" + strings.Repeat("a", maxSearchBody+1))
	if r := f.do(t, http.MethodPost, "/Patient/_search", big, form); r.status != 413 {
		t.Errorf("oversized body: %d, want 413", r.status)
	}
	if r := f.get(t, "/Patient/_search"); r.status != 405 {
		t.Errorf("GET _search: %d, want 405", r.status)
	}
}

func TestFormats(t *testing.T) {
	f := startFixture(t, Exemplar)
	id := f.testPatientID(t)
	for _, tc := range []struct {
		path   string
		accept string
		want   string
	}{
		{"/Patient/" + id, "", ctFHIRJSON},
		{"/Patient/" + id + "?_format=json", "", ctFHIRJSON},
		{"/Patient/" + id + "?_format=application/fhir%2Bjson", "", ctFHIRJSON},
		{"/Patient/" + id, "application/fhir+json", ctFHIRJSON},
		{"/Patient/" + id, "text/html,application/xhtml+xml,*/*;q=0.8", ctFHIRJSON},
		{"/Patient/" + id + "?_format=xml", "", ctFHIRXML},
		{"/Patient/" + id, "application/fhir+xml", ctFHIRXML},
		{"/Patient/" + id, "application/fhir+xml;q=0.5, application/fhir+json", ctFHIRJSON},
		{"/Patient/" + id + "?_format=xml", "application/fhir+json", ctFHIRXML},
		{testPatientQuery + "&_format=xml", "", ctFHIRXML},
		{"/Patient/nope?_format=xml", "", ctFHIRXML},
	} {
		t.Run(tc.path+" "+tc.accept, func(t *testing.T) {
			var opts []reqOpt
			if tc.accept != "" {
				opts = append(opts, withHeader("Accept", tc.accept))
			}
			r := f.get(t, tc.path, opts...)
			if r.contentType() != tc.want {
				t.Fatalf("Content-Type %s, want %s", r.contentType(), tc.want)
			}
			if tc.want == ctFHIRXML {
				if err := xml.Unmarshal(r.body, new(any)); err != nil {
					t.Errorf("XML not well formed: %v\n%s", err, r.body)
				}
			}
		})
	}
	pretty := f.get(t, "/Patient/"+id+"?_pretty=true")
	if !strings.Contains(string(pretty.body), "\n  \"resourceType\"") {
		t.Errorf("_pretty=true did not indent")
	}
}

func TestIndexPage(t *testing.T) {
	f := startFixture(t, Typical)
	r := f.get(t, "https://"+f.srv.Addr()+"/", noAuth())
	if r.status != 200 || !strings.Contains(string(r.body), f.srv.BaseURL()) || !strings.Contains(string(r.body), "Dŵr") {
		t.Errorf("index: %d %s", r.status, r.body)
	}
	if r := f.get(t, "https://"+f.srv.Addr()+"/nowhere", noAuth()); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
}
