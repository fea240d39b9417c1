package gpconnect

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func profileRef(name string) map[string]any { return map[string]any{"reference": sdPrefix + name} }

func (p *Provider) capability(name, version string, resources []any, ops []any, profiles []string) map[string]any {
	refs := make([]any, 0, len(profiles))
	for _, pr := range profiles {
		refs = append(refs, profileRef(pr))
	}
	formats := []string{"application/fhir+json"}
	if p.cfg.XML != nil {
		formats = append(formats, "application/fhir+xml")
	}
	return map[string]any{
		"resourceType": "CapabilityStatement", "version": version, "name": name, "status": "active",
		"date": "2024-03-01", "publisher": "Jigsaw sandbox (synthetic)", "kind": "capability",
		"software":    map[string]any{"name": "Jigsaw GP Connect sandbox", "version": "1.0", "releaseDate": "2024-03-01"},
		"fhirVersion": "3.0.1", "acceptUnknown": "both", "format": formats, "profile": refs,
		"rest": []any{map[string]any{"mode": "server", "security": map[string]any{"cors": true}, "resource": resources, "operation": ops}},
	}
}

func interactions(codes ...string) []any {
	out := make([]any, 0, len(codes))
	for _, c := range codes {
		out = append(out, map[string]any{"code": c})
	}
	return out
}

func (p *Provider) metadata(x *exchange, _ string) {
	idParam := []any{map[string]any{"name": "identifier", "type": "token"}}
	resources := []any{
		map[string]any{"type": "Patient", "interaction": interactions("read", "search-type"), "searchParam": idParam},
		map[string]any{"type": "Organization", "interaction": interactions("read", "search-type"), "searchParam": idParam},
		map[string]any{"type": "Practitioner", "interaction": interactions("read", "search-type"), "searchParam": idParam},
		map[string]any{"type": "Location", "interaction": interactions("read")},
		map[string]any{"type": "Appointment", "interaction": interactions("read", "create", "update", "search-type"), "updateCreate": false},
		map[string]any{"type": "Slot", "interaction": interactions("search-type"),
			"searchInclude": []string{"Schedule:actor:Location", "Schedule:actor:Practitioner", "Slot:schedule", "Location:managingOrganization"},
			"searchParam": []any{map[string]any{"name": "start", "type": "date"}, map[string]any{"name": "end", "type": "date"},
				map[string]any{"name": "status", "type": "token"}, map[string]any{"name": "searchFilter", "type": "token"}}},
	}
	ops := []any{
		map[string]any{"name": "gpc.registerpatient", "definition": map[string]any{"reference": registerOpRef}},
		map[string]any{"name": "gpc.getstructuredrecord", "definition": map[string]any{"reference": foundationsOpRef}},
	}
	profiles := []string{"CareConnect-GPC-Patient-1", "CareConnect-GPC-Organization-1", "CareConnect-GPC-Practitioner-1",
		"CareConnect-GPC-PractitionerRole-1", "CareConnect-GPC-Location-1", "GPConnect-OperationOutcome-1",
		"GPConnect-Appointment-1", "GPConnect-Schedule-1", "GPConnect-Slot-1"}
	p.writeJSON(x, http.StatusOK, p.capability("GP Connect", "1.5.0", resources, ops, profiles), "")
}

func (p *Provider) structuredMetadata(x *exchange, _ string) {
	ops := []any{map[string]any{"name": "gpc.getstructuredrecord", "definition": map[string]any{"reference": structuredOpRef}}}
	profiles := []string{"CareConnect-GPC-Patient-1", "CareConnect-GPC-Organization-1", "CareConnect-GPC-Practitioner-1",
		"CareConnect-GPC-PractitionerRole-1", "CareConnect-GPC-AllergyIntolerance-1", "CareConnect-GPC-MedicationStatement-1",
		"CareConnect-GPC-List-1", "GPConnect-StructuredRecord-Bundle-1", "GPConnect-OperationOutcome-1"}
	p.writeJSON(x, http.StatusOK, p.capability("GP Connect API - Access Record Structured", specVersion, nil, ops, profiles), "")
}

// parameter is one Parameters.parameter (and part) as the structured record reads it.
type parameter struct {
	Name            string `json:"name"`
	ValueIdentifier *struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"valueIdentifier,omitempty"`
	ValueBoolean     *bool           `json:"valueBoolean,omitempty"`
	ValueDate        string          `json:"valueDate,omitempty"`
	ValuePeriod      json.RawMessage `json:"valuePeriod,omitempty"`
	ValuePositiveInt *int            `json:"valuePositiveInt,omitempty"`
	ValueCode        string          `json:"valueCode,omitempty"`
	Part             []parameter     `json:"part,omitempty"`
}

// area is one clinical area: its parameter, its list's SNOMED code and title, and its parts.
type area struct {
	param, code, title string
	parts              []string
}

var areas = []area{
	{"includeAllergies", "886921000000105", "Allergies and adverse reactions", []string{"includeResolvedAllergies"}},
	{"includeMedication", "933361000000108", "Medications and medical devices", []string{"includePrescriptionIssues", "medicationSearchFromDate"}},
	{"includeConsultations", "1149501000000101", "List of consultations", []string{"consultationSearchPeriod", "includeNumberOfMostRecent"}},
	{"includeProblems", "717711000000103", "Problems", []string{"filterStatus", "filterSignificance"}},
	{"includeImmunisations", "1102181000000102", "Immunisations", []string{"includeNotGiven", "includeStatus"}},
	{"includeUncategorisedData", "826501000000100", "Uncategorised data", []string{"uncategorisedDataSearchPeriod"}},
	{"includeInvestigations", "887191000000108", "Investigations and results", []string{"investigationSearchPeriod"}},
	{"includeReferrals", "792931000000107", "Outbound referral", []string{"referralSearchPeriod"}},
	{"includeDiaryEntries", "714311000000108", "Patient recall administration", []string{"diaryEntriesSearchDate"}},
}

func areaOf(name string) *area {
	for i := range areas {
		if areas[i].param == name {
			return &areas[i]
		}
	}
	return nil
}

// Parts forbidden alongside includeConsultations / includeProblems ([S gsr]).
var forbiddenWithConsultations = []string{"medicationSearchFromDate", "uncategorisedDataSearchPeriod", "filterStatus", "referralSearchPeriod", "diaryEntriesSearchDate", "includeNotGiven", "includeStatus"}

func (p *Provider) structuredRecord(x *exchange, _ string) {
	body, err := io.ReadAll(io.LimitReader(x.r.Body, 1<<20))
	var params struct {
		ResourceType string      `json:"resourceType"`
		Parameter    []parameter `json:"parameter"`
	}
	if err != nil || json.Unmarshal(body, &params) != nil || params.ResourceType != "Parameters" {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "the body must be a Parameters resource")
		return
	}
	var nhs string
	var requested []*area
	var unknown []string
	parts := map[string]parameter{}
	seen := map[string]bool{}
	for _, prm := range params.Parameter {
		if seen[prm.Name] {
			p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "parameter "+prm.Name+" given twice")
			return
		}
		seen[prm.Name] = true
		if prm.Name == "patientNHSNumber" {
			if prm.ValueIdentifier == nil || prm.ValueIdentifier.System != systemNHSNumber {
				p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "patientNHSNumber needs an identifier in "+systemNHSNumber)
				return
			}
			nhs = prm.ValueIdentifier.Value
			continue
		}
		a := areaOf(prm.Name)
		if a == nil {
			unknown = append(unknown, prm.Name)
			continue
		}
		requested = append(requested, a)
		for _, part := range prm.Part {
			if !slices.Contains(a.parts, part.Name) {
				unknown = append(unknown, prm.Name+"."+part.Name)
				continue
			}
			parts[part.Name] = part
		}
		if a.param == "includeAllergies" && parts["includeResolvedAllergies"].ValueBoolean == nil {
			p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "includeAllergies needs includeResolvedAllergies")
			return
		}
	}
	if nhs == "" {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "patientNHSNumber is required")
		return
	}
	if !nhsNumberValid(nhs) {
		p.fail(x, http.StatusBadRequest, "value", "INVALID_NHS_NUMBER", "", "the NHS number fails its check digit")
		return
	}
	if p.b.checkCombinations {
		if _, a := parts["consultationSearchPeriod"]; a {
			if _, b := parts["includeNumberOfMostRecent"]; b {
				p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "consultationSearchPeriod and includeNumberOfMostRecent are mutually exclusive")
				return
			}
		}
		for _, parent := range []string{"includeConsultations", "includeProblems"} {
			if !seen[parent] {
				continue
			}
			for _, f := range forbiddenWithConsultations {
				if _, ok := parts[f]; ok && !(parent == "includeProblems" && f == "filterStatus") {
					p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", f+" may not be used with "+parent)
					return
				}
			}
		}
		for name, prt := range parts {
			if strings.HasSuffix(name, "SearchPeriod") {
				if msg := p.checkPeriod(prt.ValuePeriod); msg != "" {
					p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", name+": "+msg)
					return
				}
			}
		}
		if d := parts["medicationSearchFromDate"].ValueDate; d != "" {
			t, err := time.Parse("2006-01-02", d)
			if err != nil || t.After(p.cfg.Now()) {
				p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "medicationSearchFromDate must be a full date not after today")
				return
			}
		}
	}
	var patient *testPatient
	for i, t := range testPatients {
		if t.nhs == nhs && !t.restricted() {
			patient = &testPatients[i]
		}
	}
	if patient == nil {
		p.fail(x, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "", "no record for that NHS number")
		return
	}
	resolved := parts["includeResolvedAllergies"].ValueBoolean
	p.writeJSON(x, http.StatusOK, p.structuredBundle(x, *patient, requested, resolved != nil && *resolved, unknown), "")
}

// checkPeriod validates a search period: full dates, start not after end, neither after
// today ([S gsr]). It returns what is wrong, or "".
func (p *Provider) checkPeriod(raw json.RawMessage) string {
	var per struct{ Start, End string }
	if len(raw) == 0 || json.Unmarshal(raw, &per) != nil {
		return "must be a Period"
	}
	today := p.cfg.Now().UTC().Format("2006-01-02")
	var dates []time.Time
	for _, d := range []string{per.Start, per.End} {
		if d == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return "start and end must be full dates (yyyy-mm-dd)"
		}
		if d > today {
			return "dates may not be after today"
		}
		dates = append(dates, t)
	}
	if per.Start != "" && per.End != "" && dates[0].After(dates[1]) {
		return "start is after end"
	}
	return ""
}

// Ended allergies: a secondary list returned with includeResolvedAllergies true.
var endedAllergies = area{"includeAllergies", "1103671000000101", "Ended allergies", nil}

func (p *Provider) structuredBundle(x *exchange, t testPatient, requested []*area, resolvedAllergies bool, unknown []string) map[string]any {
	var entries []any
	add := func(r map[string]any) { entries = append(entries, map[string]any{"resource": r}) }
	pat := patientResource(t)
	delete(pat["meta"].(map[string]any), "versionId")
	add(pat)
	add(organizations[0])
	add(practitioner)
	subject := map[string]any{"reference": "Patient/" + t.id}
	if resolvedAllergies {
		requested = append(slices.Clone(requested), &endedAllergies)
	}
	for _, a := range requested {
		list := map[string]any{
			"resourceType": "List", "id": newUUID(), "meta": map[string]any{"profile": []string{sdPrefix + "CareConnect-GPC-List-1"}},
			"status": "current", "mode": "snapshot", "title": a.title,
			"code":    map[string]any{"coding": []any{map[string]any{"system": systemSNOMED, "code": a.code, "display": a.title}}},
			"subject": subject, "date": p.cfg.Now().UTC().Format(time.RFC3339),
		}
		if slices.Contains(t.confidential, a.param) && a != &endedAllergies {
			list["extension"] = []any{map[string]any{"url": sdPrefix + "Extension-CareConnect-GPC-ListWarningCode-1",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListWarningCode-1", "code": "confidential-items", "display": "Confidential Items"}}}}}
			list["note"] = []any{map[string]any{"text": "Items excluded due to confidentiality and/or patient preferences."}}
		}
		if item := clinicalItem(t, a, subject); item != nil && a != &endedAllergies {
			add(item)
			list["entry"] = []any{map[string]any{"item": map[string]any{"reference": item["resourceType"].(string) + "/" + item["id"].(string)}}}
		} else if p.b.emptyReason {
			list["emptyReason"] = map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/list-empty-reason", "code": "no-content-recorded", "display": "No Content Recorded"}}}
			list["note"] = append(notes(list), map[string]any{"text": "Information not available"})
		}
		add(list)
	}
	if len(unknown) > 0 {
		var issues []any
		for _, u := range unknown {
			issues = append(issues, map[string]any{"severity": "warning", "code": "not-supported", "diagnostics": u,
				"details": map[string]any{"text": u + " is an unrecognised parameter", "coding": []any{map[string]any{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": "NOT_IMPLEMENTED", "display": "Not implemented"}}}})
		}
		add(map[string]any{"resourceType": "OperationOutcome", "id": newUUID(), "meta": map[string]any{"profile": []string{sdPrefix + "GPConnect-OperationOutcome-1"}}, "issue": issues})
	}
	id := x.traceID
	if !p.b.traceBundleID || id == "" {
		id = newUUID()
	}
	return map[string]any{"resourceType": "Bundle", "id": id, "meta": map[string]any{"profile": []string{sdPrefix + "GPConnect-StructuredRecord-Bundle-1"}},
		"type": "collection", "entry": entries}
}

// clinicalItem is the rich patient's one record in an area (patient2 only; the others have
// empty lists).
func clinicalItem(t testPatient, a *area, subject map[string]any) map[string]any {
	if !t.rich && !(a.param == "includeAllergies" && slices.Contains(t.confidential, a.param)) {
		return nil
	}
	code := func(c, d string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": systemSNOMED, "code": c, "display": d}}}
	}
	switch a.param {
	case "includeAllergies":
		return map[string]any{"resourceType": "AllergyIntolerance", "id": "a1", "meta": meta("CareConnect-GPC-AllergyIntolerance-1"), "clinicalStatus": "active",
			"verificationStatus": "unconfirmed", "patient": subject, "code": code("91936005", "Allergy to penicillin"), "assertedDate": "2015-04-01"}
	case "includeMedication":
		return map[string]any{"resourceType": "MedicationStatement", "id": "m1", "meta": meta("CareConnect-GPC-MedicationStatement-1"), "status": "active",
			"subject": subject, "medicationCodeableConcept": code("323509004", "Amoxicillin 250mg capsules"), "taken": "unk"}
	case "includeProblems":
		return map[string]any{"resourceType": "Condition", "id": "p1", "meta": meta("CareConnect-GPC-ProblemHeader-Condition-1"), "clinicalStatus": "active",
			"subject": subject, "code": code("38341003", "Hypertensive disorder")}
	case "includeImmunisations":
		return map[string]any{"resourceType": "Immunization", "id": "i1", "meta": meta("CareConnect-GPC-Immunization-1"), "status": "completed", "notGiven": false,
			"patient": subject, "vaccineCode": code("871751000000104", "Influenza vaccine"), "date": "2023-10-10", "primarySource": true}
	case "includeConsultations":
		return map[string]any{"resourceType": "Encounter", "id": "e1", "meta": meta("CareConnect-GPC-Encounter-1"), "status": "finished", "subject": subject,
			"period": map[string]any{"start": "2024-01-15T10:00:00+00:00"}}
	case "includeUncategorisedData":
		return map[string]any{"resourceType": "Observation", "id": "o1", "meta": meta("CareConnect-GPC-Observation-1"), "status": "final", "subject": subject,
			"code": code("27113001", "Body weight"), "valueQuantity": map[string]any{"value": 82, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
	}
	return nil
}

func notes(list map[string]any) []any {
	n, _ := list["note"].([]any)
	return n
}

// patientAppointments serves GET /Patient/[id]/Appointment?start=geYYYY-MM-DD&start=leYYYY-MM-DD
// ([S appointments retrieve]): exactly the two dates, no time, not in the past, in order.
func (p *Provider) patientAppointments(x *exchange, id string) {
	var known bool
	for _, t := range testPatients {
		if t.id == id && !t.restricted() {
			known = true
		}
	}
	if !known {
		p.fail(x, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "", "no patient with that id")
		return
	}
	bad := func(msg string) { p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", msg) }
	starts := x.r.URL.Query()["start"]
	var from, to string
	for _, v := range starts {
		switch {
		case strings.HasPrefix(v, "ge") && from == "":
			from = v[2:]
		case strings.HasPrefix(v, "le") && to == "":
			to = v[2:]
		default:
			bad("give exactly two start parameters, ge and le")
			return
		}
	}
	if len(starts) != 2 || from == "" || to == "" {
		bad("give exactly two start parameters, ge and le")
		return
	}
	lo, err1 := time.Parse("2006-01-02", from)
	hi, err2 := time.Parse("2006-01-02", to)
	if err1 != nil || err2 != nil {
		bad("start values must be dates (yyyy-mm-dd) without a time")
		return
	}
	today := p.cfg.Now().UTC().Format("2006-01-02")
	if from < today || to < today {
		bad("the search range may not be in the past")
		return
	}
	if hi.Before(lo) {
		bad("the le date is before the ge date")
		return
	}
	p.mu.Lock()
	var found []map[string]any
	for _, a := range p.appointments {
		start, _ := time.Parse(time.RFC3339, fmt.Sprint(a.res["start"]))
		if !strings.Contains(fmt.Sprint(a.res["participant"]), "Patient/"+id) || start.Before(lo) || start.After(hi.Add(24*time.Hour)) {
			continue
		}
		found = append(found, a.res)
	}
	p.mu.Unlock()
	p.writeJSON(x, http.StatusOK, searchset(found), "")
}

// appointment is a booked appointment, kept as JSON with its version.
type appointment struct {
	res     map[string]any
	version int
	slotIDs []string
}

func (a *appointment) etag() string { return fmt.Sprintf(`W/"%d"`, a.version) }

func (p *Provider) readBody(x *exchange, want string) (map[string]any, bool) {
	body, err := io.ReadAll(io.LimitReader(x.r.Body, 1<<20))
	var res map[string]any
	if err != nil || json.Unmarshal(body, &res) != nil || res["resourceType"] != want {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "the body must be a "+want+" resource")
		return nil, false
	}
	return res, true
}

func (p *Provider) bookAppointment(x *exchange, _ string) {
	res, ok := p.readBody(x, "Appointment")
	if !ok {
		return
	}
	if _, has := res["reason"]; has || res["status"] != "booked" || res["start"] == nil || res["end"] == nil {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "an appointment needs status booked, start, end and slot, and no reason")
		return
	}
	slots, _ := res["slot"].([]any)
	if len(slots) == 0 {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "slot is required")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, s := range slots {
		ref, _ := s.(map[string]any)["reference"].(string)
		id := strings.TrimPrefix(ref, "Slot/")
		if !slices.ContainsFunc(p.data.slots, func(sl slot) bool { return sl.id == id }) {
			p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "unknown slot "+ref)
			return
		}
		if _, taken := p.booked[id]; taken {
			p.fail(x, http.StatusConflict, "duplicate", "DUPLICATE_REJECTED", "", "slot "+ref+" is no longer free")
			return
		}
		ids = append(ids, id)
	}
	p.seq++
	id := itoa(p.seq)
	res["id"] = id
	res["meta"] = map[string]any{"versionId": "1", "profile": []string{sdPrefix + "GPConnect-Appointment-1"}}
	a := &appointment{res: res, version: 1, slotIDs: ids}
	p.appointments[id] = a
	for _, s := range ids {
		p.booked[s] = id
	}
	x.w.Header().Set("Location", "Appointment/"+id+"/_history/1")
	p.writeJSON(x, http.StatusCreated, res, a.etag())
}

func (p *Provider) readAppointment(x *exchange, id string) {
	p.mu.Lock()
	a := p.appointments[id]
	p.mu.Unlock()
	if a == nil {
		p.fail(x, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "", "no appointment with that id")
		return
	}
	p.writeJSON(x, http.StatusOK, a.res, a.etag())
}

func (p *Provider) amendAppointment(x *exchange, id string) { p.updateAppointment(x, id, false) }

func (p *Provider) cancelAppointment(x *exchange, id string) { p.updateAppointment(x, id, true) }

// updateAppointment amends (description and comment only) or cancels (status cancelled plus
// the cancellation-reason extension) an appointment, with If-Match.
func (p *Provider) updateAppointment(x *exchange, id string, cancel bool) {
	res, ok := p.readBody(x, "Appointment")
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.appointments[id]
	if a == nil {
		p.fail(x, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "", "no appointment with that id")
		return
	}
	if m := x.r.Header.Get("If-Match"); m != "" && m != a.etag() {
		p.fail(x, http.StatusConflict, "conflict", "FHIR_CONSTRAINT_VIOLATION", "", "If-Match does not match the current version")
		return
	}
	if a.res["status"] == "cancelled" {
		p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "", "a cancelled appointment cannot change")
		return
	}
	if cancel {
		if res["status"] != "cancelled" || !strings.Contains(fmt.Sprint(res["extension"]), "AppointmentCancellationReason-1") {
			p.fail(x, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "", "cancel needs status cancelled and a cancellation reason")
			return
		}
		a.res["status"] = "cancelled"
		a.res["extension"] = res["extension"]
		for _, s := range a.slotIDs {
			delete(p.booked, s)
		}
	} else {
		for _, k := range []string{"description", "comment"} {
			if v, ok := res[k]; ok {
				a.res[k] = v
			}
		}
	}
	a.version++
	a.res["meta"].(map[string]any)["versionId"] = itoa(a.version)
	p.writeJSON(x, http.StatusOK, a.res, a.etag())
}
