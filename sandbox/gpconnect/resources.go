package gpconnect

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	sdPrefix         = "https://fhir.nhs.uk/STU3/StructureDefinition/"
	systemNHSNumber  = "https://fhir.nhs.uk/Id/nhs-number"
	systemODS        = "https://fhir.nhs.uk/Id/ods-organization-code"
	systemSDSUser    = "https://fhir.nhs.uk/Id/sds-user-id"
	systemSNOMED     = "http://snomed.info/sct"
	specVersion      = "1.6.0"
	structuredOpRef  = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1/_history/1.16"
	registerOpRef    = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-RegisterPatient-Operation-1"
	foundationsOpRef = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1/_history/1.15"
)

// testPatient is one of the suite's test patients (gpconnect.md §12).
type testPatient struct {
	id, nhs, family, given, gender, birth string
	sensitive, deceased, inactive         bool
	rich                                  bool // patient2: the main structured-data patient
	// confidential lists the areas (parameter names) where items are withheld for
	// confidentiality or patient preference: their List carries the confidential-items warning.
	confidential []string
}

var testPatients = []testPatient{
	{id: "1", nhs: "9690937278", family: "Ashworth", given: "Ada", gender: "female", birth: "1961-03-02"},
	{id: "2", nhs: "9690937286", family: "Blackwood", given: "Bryn", gender: "male", birth: "1948-11-20", rich: true, confidential: []string{"includeMedication"}},
	{id: "3", nhs: "9690937294", family: "Carrow", given: "Cerys", gender: "female", birth: "1990-07-14"},
	{id: "4", nhs: "9690937308", family: "Dunmore", given: "Dai", gender: "male", birth: "1975-01-30"},
	{id: "5", nhs: "9690937375", family: "Ellery", given: "Eira", gender: "female", birth: "1983-05-09"},
	{id: "6", nhs: "9690937383", family: "Fenwick", given: "Fred", gender: "male", birth: "1955-09-18"},
	{id: "7", nhs: "9690937391", family: "Garside", given: "Gwen", gender: "female", birth: "2001-12-01"},
	{id: "8", nhs: "9690937405", family: "Hartley", given: "Huw", gender: "male", birth: "1969-04-22"},
	{id: "9", nhs: "9690938533", family: "Ingram", given: "Iona", gender: "female", birth: "1972-08-08", sensitive: true},
	{id: "10", nhs: "9690938541", family: "Jessop", given: "Jac", gender: "male", birth: "1988-02-11", sensitive: true},
	{id: "11", nhs: "9690938622", family: "Kettle", given: "Kay", gender: "female", birth: "1959-06-27"},
	{id: "12", nhs: "9690938614", family: "Lumb", given: "Lloyd", gender: "male", birth: "1944-10-03"},
	{id: "13", nhs: "9690938096", family: "Marsden", given: "Mair", gender: "female", birth: "1995-03-19"},
	{id: "14", nhs: "9476718943", family: "Northey", given: "Nye", gender: "male", birth: "1980-11-05"},
	{id: "15", nhs: "9690938576", family: "Oakes", given: "Olwen", gender: "female", birth: "1966-01-24"},
	{id: "16", nhs: "9690938118", family: "Pickles", given: "Pryce", gender: "male", birth: "1952-07-07", confidential: []string{"includeAllergies"}},
	{id: "17", nhs: "9690938126", family: "Quarmby", given: "Rhian", gender: "female", birth: "1999-09-09"},
	{id: "18", nhs: "9690938681", family: "Royd", given: "Steff", gender: "male", birth: "1993-02-17", deceased: true},
	{id: "20", nhs: "9690938134", family: "Sutcliffe", given: "Tegan", gender: "female", birth: "1977-04-04"},
	{id: "21", nhs: "9690938142", family: "Thwaite", given: "Wyn", gender: "male", birth: "1940-12-12", inactive: true},
}

func (t testPatient) restricted() bool { return t.sensitive || t.deceased || t.inactive }

type slot struct {
	id         string
	start, end time.Time
}

type dataset struct {
	slots []slot
}

// newDataset makes the free slots: two a day for the next 14 days, at 09:00 and 09:15 UTC.
func newDataset(now time.Time) *dataset {
	d := &dataset{}
	day := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 14; i++ {
		for j := 0; j < 2; j++ {
			start := day.AddDate(0, 0, i).Add(time.Duration(j*15) * time.Minute)
			d.slots = append(d.slots, slot{id: fmt.Sprintf("%d", len(d.slots)+1), start: start, end: start.Add(15 * time.Minute)})
		}
	}
	return d
}

func meta(profile string) map[string]any {
	return map[string]any{"versionId": "1", "profile": []string{sdPrefix + profile}}
}

func patientResource(t testPatient) map[string]any {
	res := map[string]any{
		"resourceType": "Patient", "id": t.id, "meta": meta("CareConnect-GPC-Patient-1"),
		"identifier": []any{map[string]any{
			"extension": []any{map[string]any{
				"url": sdPrefix + "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
					"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1", "code": "01", "display": "Number present and verified"}}},
			}},
			"system": systemNHSNumber, "value": t.nhs,
		}},
		"extension": []any{map[string]any{
			"url": sdPrefix + "Extension-CareConnect-GPC-RegistrationDetails-1",
			"extension": []any{
				map[string]any{"url": "registrationPeriod", "valuePeriod": map[string]any{"start": "2010-01-01"}},
				map[string]any{"url": "preferredBranchSurgery", "valueReference": map[string]any{"reference": "Location/1"}},
			},
		}},
		"active":               !t.inactive,
		"name":                 []any{map[string]any{"use": "official", "family": t.family, "given": []string{t.given}}},
		"gender":               t.gender,
		"birthDate":            t.birth,
		"generalPractitioner":  []any{map[string]any{"reference": "Practitioner/1"}},
		"managingOrganization": map[string]any{"reference": "Organization/1"},
	}
	if t.deceased {
		res["deceasedDateTime"] = "2019-06-01T10:00:00+00:00"
	}
	return res
}

var organizations = []map[string]any{
	{"resourceType": "Organization", "id": "1", "meta": meta("CareConnect-GPC-Organization-1"),
		"identifier": []any{map[string]any{"system": systemODS, "value": ODSCode}}, "name": "Calder Bank Surgery (synthetic)"},
	{"resourceType": "Organization", "id": "2", "meta": meta("CareConnect-GPC-Organization-1"),
		"identifier": []any{map[string]any{"system": systemODS, "value": "R1A14"}}, "name": "Holme Valley Practice (synthetic)"},
}

var practitioner = map[string]any{
	"resourceType": "Practitioner", "id": "1", "meta": meta("CareConnect-GPC-Practitioner-1"),
	"identifier": []any{map[string]any{"system": systemSDSUser, "value": "G13579135"}},
	"name":       []any{map[string]any{"use": "usual", "family": "Hallam", "given": []string{"Gareth"}, "prefix": []string{"Dr"}}},
	"gender":     "male",
}

var location = map[string]any{
	"resourceType": "Location", "id": "1", "meta": meta("CareConnect-GPC-Location-1"),
	"name": "Calder Bank Surgery, main site", "managingOrganization": map[string]any{"reference": "Organization/1"},
}

func searchset(entries []map[string]any) map[string]any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		out = append(out, map[string]any{"fullUrl": fmt.Sprintf("%s/%s", e["resourceType"], e["id"]), "resource": e, "search": map[string]any{"mode": "match"}})
	}
	return map[string]any{"resourceType": "Bundle", "id": newID(), "meta": map[string]any{"profile": []string{sdPrefix + "GPConnect-Searchset-Bundle-1"}},
		"type": "searchset", "total": len(out), "entry": out}
}

// identifierParam reads the single identifier search parameter ([T PatientSearch.feature]):
// missing -> 400 BAD_REQUEST, two -> 400, no/blank system or no value -> 422 INVALID_PARAMETER.
func (p *Provider) identifierParam(x *exchange, wantSystem string) (string, bool) {
	q := x.r.URL.Query()
	values := q["identifier"]
	if len(values) != 1 {
		p.fail(x, http.StatusBadRequest, "invalid", "BAD_REQUEST", "", "give exactly one identifier search parameter")
		return "", false
	}
	system, value, ok := strings.Cut(values[0], "|")
	if !ok || system == "" || value == "" {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "identifier must be system|value")
		return "", false
	}
	if system != wantSystem {
		p.fail(x, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM", "Invalid identifier system", "identifier system must be "+wantSystem)
		return "", false
	}
	return value, true
}

func (p *Provider) searchPatient(x *exchange, _ string) {
	nhs, ok := p.identifierParam(x, systemNHSNumber)
	if !ok {
		return
	}
	if !nhsNumberValid(nhs) {
		p.fail(x, http.StatusBadRequest, "value", "INVALID_NHS_NUMBER", "", "the NHS number fails its check digit")
		return
	}
	var found []map[string]any
	for _, t := range testPatients {
		if t.nhs == nhs && (!t.restricted() || !p.b.hideRestricted) {
			found = append(found, patientResource(t))
		}
	}
	p.writeJSON(x, http.StatusOK, searchset(found), "")
}

func (p *Provider) readPatient(x *exchange, id string) {
	for _, t := range testPatients {
		if t.id == id && (!t.restricted() || !p.b.hideRestricted) {
			p.writeJSON(x, http.StatusOK, patientResource(t), `W/"1"`)
			return
		}
	}
	p.fail(x, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "", "no patient with that id")
}

func (p *Provider) searchDirectory(typ string) func(*exchange, string) {
	return func(x *exchange, _ string) {
		system := systemODS
		if typ == "Practitioner" {
			system = systemSDSUser
		}
		value, ok := p.identifierParam(x, system)
		if !ok {
			return
		}
		var found []map[string]any
		if typ == "Organization" {
			for _, o := range organizations {
				if o["identifier"].([]any)[0].(map[string]any)["value"] == value {
					found = append(found, o)
				}
			}
		} else if value == "G13579135" {
			found = append(found, practitioner)
		}
		p.writeJSON(x, http.StatusOK, searchset(found), "")
	}
}

func (p *Provider) readDirectory(typ string) func(*exchange, string) {
	return func(x *exchange, id string) {
		var res map[string]any
		switch typ {
		case "Organization":
			for _, o := range organizations {
				if o["id"] == id {
					res = o
				}
			}
		case "Practitioner":
			if id == "1" {
				res = practitioner
			}
		case "Location":
			if id == "1" {
				res = location
			}
		}
		if res == nil {
			code := map[string]string{"Organization": "ORGANISATION_NOT_FOUND", "Practitioner": "PRACTITIONER_NOT_FOUND", "Location": "NO_RECORD_FOUND"}[typ]
			p.fail(x, http.StatusNotFound, "not-found", code, "", "no "+typ+" with that id")
			return
		}
		p.writeJSON(x, http.StatusOK, res, `W/"1"`)
	}
}

// searchSlots serves free slots: start=ge and end=le (full dates or dateTimes), at most 14
// days apart, status=free and _include=Slot:schedule mandatory ([S appointments search slots]).
func (p *Provider) searchSlots(x *exchange, _ string) {
	q := x.r.URL.Query()
	if len(q["start"]) != 1 || len(q["end"]) != 1 || q.Get("status") == "" || !contains(q["_include"], "Slot:schedule") {
		p.fail(x, http.StatusBadRequest, "invalid", "BAD_REQUEST", "", "start, end, status=free and _include=Slot:schedule are required")
		return
	}
	start, err1 := slotBound(q.Get("start"), "ge")
	end, err2 := slotBound(q.Get("end"), "le")
	// The 14-day limit is on the dates given; a date-only end then covers its whole day.
	if err1 != nil || err2 != nil || q.Get("status") != "free" || end.Before(start) || end.Sub(start) > 14*24*time.Hour {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "start=ge and end=le must be dates at most 14 days apart, status free")
		return
	}
	endOfRange := end
	if !strings.Contains(q.Get("end"), "T") {
		endOfRange = end.Add(24*time.Hour - time.Second)
	}
	p.mu.Lock()
	var entries []any
	for _, s := range p.data.slots {
		if _, taken := p.booked[s.id]; taken || s.start.Before(start) || s.end.After(endOfRange) {
			continue
		}
		entries = append(entries, map[string]any{"fullUrl": "Slot/" + s.id, "search": map[string]any{"mode": "match"}, "resource": map[string]any{
			"resourceType": "Slot", "id": s.id, "meta": meta("GPConnect-Slot-1"), "status": "free",
			"schedule": map[string]any{"reference": "Schedule/1"}, "serviceType": []any{map[string]any{"text": "General GP appointment"}},
			"start": s.start.Format(time.RFC3339), "end": s.end.Format(time.RFC3339)}})
	}
	p.mu.Unlock()
	if len(entries) > 0 {
		for _, inc := range q["_include:recurse"] {
			switch inc {
			case "Schedule:actor:Practitioner":
				entries = append(entries, map[string]any{"fullUrl": "Practitioner/1", "search": map[string]any{"mode": "include"}, "resource": practitioner})
			case "Schedule:actor:Location":
				entries = append(entries, map[string]any{"fullUrl": "Location/1", "search": map[string]any{"mode": "include"}, "resource": location})
			}
		}
		entries = append(entries,
			map[string]any{"fullUrl": "Schedule/1", "search": map[string]any{"mode": "include"}, "resource": map[string]any{
				"resourceType": "Schedule", "id": "1", "meta": meta("GPConnect-Schedule-1"),
				"actor": []any{map[string]any{"reference": "Practitioner/1"}, map[string]any{"reference": "Location/1"}}}},
			map[string]any{"fullUrl": "Organization/1", "search": map[string]any{"mode": "include"}, "resource": organizations[0]})
	}
	p.writeJSON(x, http.StatusOK, map[string]any{"resourceType": "Bundle", "id": newID(), "type": "searchset",
		"meta": map[string]any{"profile": []string{sdPrefix + "GPConnect-Searchset-Bundle-1"}}, "entry": entries}, "")
}

func slotBound(v, prefix string) (time.Time, error) {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return time.Time{}, fmt.Errorf("prefix must be %s", prefix)
	}
	if t, err := time.Parse(time.RFC3339, rest); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", rest)
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func nhsNumberValid(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i < 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(s[9]-'0')
}

func newID() string { return strings.ReplaceAll(url.PathEscape(newUUID()), "%", "") }

func itoa(i int) string { return strconv.Itoa(i) }
