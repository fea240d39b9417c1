package gpconnect

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// param is a Parameters.parameter for $gpc.getstructuredrecord.
type param map[string]any

func nhsParam(nhs string) param {
	return param{"name": "patientNHSNumber", "valueIdentifier": map[string]any{"system": probes.SystemNHSNumber, "value": nhs}}
}

func part(name string, value map[string]any) map[string]any {
	out := map[string]any{"name": name}
	for k, v := range value {
		out[k] = v
	}
	return out
}

func parameters(ps ...param) []byte {
	list := make([]any, len(ps))
	for i, p := range ps {
		list[i] = map[string]any(p)
	}
	b, _ := json.Marshal(map[string]any{"resourceType": "Parameters", "parameter": list})
	return b
}

func structuredCall(s *probes.Session, body []byte) (Call, bool) {
	u, ok := structuredURL(s, "Patient/$gpc.getstructuredrecord")
	return Call{Method: http.MethodPost, URL: u, Interaction: InteractionStructuredRecord, Scope: ScopePatientRead, Body: body}, ok
}

const noStructured = "no Access Record Structured base given (--gpc-structured)"

func structuredBundle(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Bundle type collection, GPConnect-StructuredRecord-Bundle-1, Bundle.id = Ssp-TraceID, the Patient, no fullUrl"
	c, ok := structuredCall(s, parameters(nhsParam(testNHSNumber(s))))
	if !ok {
		return probes.Skipped(exp, noStructured)
	}
	sent, err := Do(ctx, s, c)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		return probes.Failed(exp, sent.Describe())
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", sent.Describe(), err))
	}
	var problems []string
	if b.Type != "collection" {
		problems = append(problems, fmt.Sprintf("type %q, want collection", probes.Clip(b.Type, 20)))
	}
	if !hasProfile(b.Meta, "GPConnect-StructuredRecord-Bundle-1") {
		problems = append(problems, "meta.profile lacks GPConnect-StructuredRecord-Bundle-1")
	}
	if b.ID != sent.TraceID {
		problems = append(problems, fmt.Sprintf("Bundle.id %q is not the Ssp-TraceID %s", probes.Clip(b.ID, 64), sent.TraceID))
	}
	if len(b.Matches("Patient")) != 1 {
		problems = append(problems, fmt.Sprintf("%d Patients, want 1", len(b.Matches("Patient"))))
	}
	for _, e := range b.Entry {
		if e.FullURL != "" {
			problems = append(problems, "entries carry fullUrl")
			break
		}
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%s; Bundle.id = Ssp-TraceID, %d entries", sent.Describe(), len(b.Entry)))
}

// listArea is a clinical area: the parameter that asks for it and its list's code and title.
type listArea struct {
	param       param
	code, title string
}

var listAreas = []listArea{
	{param{"name": "includeAllergies", "part": []any{part("includeResolvedAllergies", map[string]any{"valueBoolean": true})}}, "886921000000105", "Allergies and adverse reactions"},
	{param{"name": "includeMedication", "part": []any{part("includePrescriptionIssues", map[string]any{"valueBoolean": true})}}, "933361000000108", "Medications and medical devices"},
	{param{"name": "includeConsultations", "part": []any{part("includeNumberOfMostRecent", map[string]any{"valuePositiveInt": 3})}}, "1149501000000101", "List of consultations"},
	{param{"name": "includeProblems"}, "717711000000103", "Problems"},
	{param{"name": "includeImmunisations"}, "1102181000000102", "Immunisations"},
	{param{"name": "includeUncategorisedData"}, "826501000000100", "Uncategorised data"},
	{param{"name": "includeInvestigations"}, "887191000000108", "Investigations and results"},
	{param{"name": "includeReferrals"}, "792931000000107", "Outbound referral"},
	{param{"name": "includeDiaryEntries"}, "714311000000108", "Patient recall administration"},
}

type listDoc struct {
	probes.Resource
	Status string                  `json:"status"`
	Mode   string                  `json:"mode"`
	Title  string                  `json:"title"`
	Code   probes.CodeableConcept  `json:"code"`
	Entry  []json.RawMessage       `json:"entry"`
	Empty  *probes.CodeableConcept `json:"emptyReason"`
	Note   []struct {
		Text string `json:"text"`
	} `json:"note"`
}

func structuredLists(ctx context.Context, s *probes.Session) probes.Result {
	exp := "one List per requested area with the SNOMED code and title, status current, mode snapshot; empty lists with emptyReason no-content-recorded and a note"
	ps := []param{nhsParam(testNHSNumber(s))}
	for _, a := range listAreas {
		ps = append(ps, a.param)
	}
	c, ok := structuredCall(s, parameters(ps...))
	if !ok {
		return probes.Skipped(exp, noStructured)
	}
	sent, err := Do(ctx, s, c)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		return probes.Failed(exp, sent.Describe())
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", sent.Describe(), err))
	}
	byCode := map[string]listDoc{}
	for _, raw := range b.Matches("List") {
		var l listDoc
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		for _, cd := range l.Code.Coding {
			if cd.System == "http://snomed.info/sct" {
				byCode[cd.Code] = l
			}
		}
	}
	var problems []string
	empty := 0
	for _, a := range listAreas {
		l, ok := byCode[a.code]
		if !ok {
			problems = append(problems, fmt.Sprintf("no List coded %s (%s)", a.code, a.title))
			continue
		}
		if l.Title != a.title {
			problems = append(problems, fmt.Sprintf("List %s title %q, want %q", a.code, probes.Clip(l.Title, 60), a.title))
		}
		if l.Status != "current" || l.Mode != "snapshot" {
			problems = append(problems, fmt.Sprintf("List %s status %q mode %q", a.code, probes.Clip(l.Status, 20), probes.Clip(l.Mode, 20)))
		}
		if len(l.Entry) == 0 {
			empty++
			reason := ""
			if l.Empty != nil {
				for _, cd := range l.Empty.Coding {
					reason = cd.Code
				}
			}
			if reason != "no-content-recorded" || len(l.Note) == 0 {
				problems = append(problems, fmt.Sprintf("empty List %s: emptyReason %q, %d notes", a.code, probes.Clip(reason, 40), len(l.Note)))
			}
		}
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%d lists, %d empty with emptyReason", len(listAreas), empty))
}

func structuredParameters(ctx context.Context, s *probes.Session) probes.Result {
	exp := "422 INVALID_PARAMETER for includeAllergies without includeResolvedAllergies and forbidden combinations; unknown parameter 200 + NOT_IMPLEMENTED warning"
	nhs := nhsParam(testNHSNumber(s))
	if _, ok := structuredURL(s, ""); !ok {
		return probes.Skipped(exp, noStructured)
	}
	mk := func(ps ...param) Call { c, _ := structuredCall(s, parameters(ps...)); return c }
	today := time.Now().UTC().Format("2006-01-02")
	lastYear := time.Now().UTC().AddDate(-1, 0, 0).Format("2006-01-02")
	want := []expectation{{status: 422, codes: []string{"INVALID_PARAMETER"}}}
	res := runNegative(ctx, s, exp, []negativeCase{
		{"includeAllergies without includeResolvedAllergies", mk(nhs, param{"name": "includeAllergies"}), want},
		{"includeConsultations with medicationSearchFromDate", mk(nhs, param{"name": "includeConsultations"},
			param{"name": "includeMedication", "part": []any{part("medicationSearchFromDate", map[string]any{"valueDate": lastYear})}}), want},
		{"includeProblems with referralSearchPeriod", mk(nhs, param{"name": "includeProblems"},
			param{"name": "includeReferrals", "part": []any{part("referralSearchPeriod", map[string]any{"valuePeriod": map[string]any{"start": lastYear, "end": today}})}}), want},
		{"future medicationSearchFromDate", mk(nhs, param{"name": "includeMedication", "part": []any{part("medicationSearchFromDate", map[string]any{"valueDate": time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")})}}), want},
	})
	if res.Status != probes.Pass {
		return res
	}
	sent, err := Do(ctx, s, mk(nhs, param{"name": "includeJigsawUnknownArea"}))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		return probes.Failed(exp, "unknown parameter: "+sent.Describe()+" (forward compatibility requires 200 and a warning)")
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return probes.Failed(exp, "unknown parameter: "+err.Error())
	}
	warned := false
	for _, raw := range b.Matches("OperationOutcome") {
		if oo, err := probes.ParseOperationOutcome(raw); err == nil {
			for _, is := range oo.Issue {
				if is.Severity == "warning" && is.Details != nil && slices.ContainsFunc(is.Details.Coding, func(c probes.Coding) bool { return c.Code == "NOT_IMPLEMENTED" }) {
					warned = true
				}
			}
		}
	}
	if !warned {
		return probes.Failed(exp, "unknown parameter: 200 but no OperationOutcome warning NOT_IMPLEMENTED in the Bundle")
	}
	res.Observed += "; unknown parameter: 200 with a NOT_IMPLEMENTED warning"
	return res
}

func structuredNotFound(ctx context.Context, s *probes.Session) probes.Result {
	exp := "404 PATIENT_NOT_FOUND for unknown, sensitive, deceased and inactive patients; 400 INVALID_NHS_NUMBER for a failing check digit"
	if _, ok := structuredURL(s, ""); !ok {
		return probes.Skipped(exp, noStructured)
	}
	mk := func(nhs string) Call { c, _ := structuredCall(s, parameters(nhsParam(nhs))); return c }
	nf := []expectation{{status: 404, codes: []string{"PATIENT_NOT_FOUND"}}}
	return runNegative(ctx, s, exp, []negativeCase{
		{"not on the system", mk(PatientUnknown), nf},
		{"sensitive", mk(PatientSensitive), nf},
		{"deceased", mk(PatientDeceased), nf},
		{"inactive", mk(PatientInactive), nf},
		{"failing check digit", mk(PatientBadCheck), []expectation{{status: 400, codes: []string{"INVALID_NHS_NUMBER"}, source: "spec"}, {status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}}},
	})
}

func slotQuery(from time.Time, days int, extra string) string {
	start := from.Format("2006-01-02")
	end := from.AddDate(0, 0, days).Format("2006-01-02")
	return "Slot?start=" + url.QueryEscape("ge"+start) + "&end=" + url.QueryEscape("le"+end) + extra + "&_include=Slot%3Aschedule"
}

func slotSearch(ctx context.Context, s *probes.Session) probes.Result {
	exp := "14-day search: 200 searchset of free Slots in range with their Schedule; 15 days: 422 INVALID_PARAMETER; no status: 400 BAD_REQUEST"
	today := time.Now().UTC()
	res := runNegative(ctx, s, exp, []negativeCase{
		{"15-day range", Call{URL: slotQuery(today, 15, "&status=free"), Interaction: InteractionSearchSlots, Scope: ScopeOrgRead}, []expectation{{status: 422, codes: []string{"INVALID_PARAMETER"}}}},
		{"no status", Call{URL: slotQuery(today, 7, ""), Interaction: InteractionSearchSlots, Scope: ScopeOrgRead}, []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}},
	})
	if res.Status != probes.Pass {
		return res
	}
	slots, obs, err := freeSlots(ctx, s)
	if err != nil {
		return probes.Failed(exp, err.Error())
	}
	res.Observed = fmt.Sprintf("14 days: %s, %d free slots; %s", obs, len(slots), res.Observed)
	return res
}

type slotDoc struct {
	probes.Resource
	Status   string           `json:"status"`
	Start    string           `json:"start"`
	End      string           `json:"end"`
	Schedule probes.Reference `json:"schedule"`
}

// freeSlots searches the next 14 days and checks the answer's shape.
func freeSlots(ctx context.Context, s *probes.Session) ([]slotDoc, string, error) {
	from := time.Now().UTC()
	sent, err := Do(ctx, s, Call{URL: slotQuery(from, 14, "&status=free"), Interaction: InteractionSearchSlots, Scope: ScopeOrgRead})
	if err != nil {
		return nil, "", err
	}
	if sent.StatusCode != 200 {
		return nil, "", fmt.Errorf("14-day search: %s", sent.Describe())
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return nil, "", fmt.Errorf("14-day search: %w", err)
	}
	if b.Type != "searchset" {
		return nil, "", fmt.Errorf("14-day search: Bundle.type %q", probes.Clip(b.Type, 20))
	}
	var out []slotDoc
	hasSchedule := false
	for _, e := range b.Entry {
		switch probes.ResourceTypeOf(e.Resource) {
		case "Schedule":
			hasSchedule = true
		case "Slot":
			var sl slotDoc
			if json.Unmarshal(e.Resource, &sl) != nil {
				continue
			}
			if sl.Status != "free" {
				return nil, "", fmt.Errorf("slot %s has status %q", probes.Clip(sl.ID, 40), probes.Clip(sl.Status, 20))
			}
			out = append(out, sl)
		}
	}
	if len(out) > 0 && !hasSchedule {
		return nil, "", fmt.Errorf("14-day search: %d slots but no Schedule included (_include=Slot:schedule)", len(out))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, sent.Describe(), nil
}

func appointmentsWrite(ctx context.Context, s *probes.Session) probes.Result {
	exp := "book 201 + Location + ETag; read 200; amend 200; stale If-Match 409; cancel 200 status cancelled"
	g := Settings(s.Target)
	if !g.AllowWrites {
		return probes.Skipped(exp, "read-only run: appointment booking needs --allow-writes with --gpc-write-patient and --gpc-write-slot")
	}
	if g.WritePatient == "" || len(g.WriteSlots) == 0 {
		return probes.Skipped(exp, "--allow-writes given but no --gpc-write-patient and --gpc-write-slot: writes touch only what the user names")
	}
	slots, _, err := freeSlots(ctx, s)
	if err != nil {
		return probes.Failed(exp, err.Error())
	}
	var chosen *slotDoc
	for i := range slots {
		if slices.Contains(g.WriteSlots, slots[i].ID) {
			chosen = &slots[i]
			break
		}
	}
	if chosen == nil {
		return probes.Skipped(exp, "none of the named slots is free in the next 14 days")
	}
	pat, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, g.WritePatient), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	pb, err := probes.ParseBundle(pat.Body)
	if err != nil || len(pb.Matches("Patient")) != 1 {
		return probes.Skipped(exp, "the named write patient was not found: "+pat.Describe())
	}
	var p probes.Patient
	_ = json.Unmarshal(pb.Matches("Patient")[0], &p)
	appt := map[string]any{
		"resourceType": "Appointment", "status": "booked", "start": chosen.Start, "end": chosen.End,
		"meta":        map[string]any{"profile": []string{"https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"}},
		"slot":        []any{map[string]any{"reference": "Slot/" + chosen.ID}},
		"created":     time.Now().UTC().Format(time.RFC3339),
		"description": "Jigsaw inspection test booking",
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + p.ID}, "status": "accepted"}},
		"contained": []any{map[string]any{"resourceType": "Organization", "id": "1", "name": "Jigsaw inspection",
			"identifier": []any{map[string]any{"system": SystemODS, "value": g.RequestingODS}}, "telecom": []any{map[string]any{"system": "phone", "value": "00000000000"}}}},
		"extension": []any{map[string]any{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1", "valueReference": map[string]any{"reference": "#1"}}},
	}
	body, _ := json.Marshal(appt)
	booked, err := Do(ctx, s, Call{Method: http.MethodPost, URL: "Appointment", Interaction: InteractionCreateAppointment, Scope: ScopePatientWrite, Body: body})
	if err != nil {
		return probes.Errored(exp, err)
	}
	var created map[string]any
	if booked.StatusCode != 201 || json.Unmarshal(booked.Body, &created) != nil || created["id"] == nil {
		return probes.Failed(exp, "book: "+booked.Describe())
	}
	id := fmt.Sprint(created["id"])
	steps := []string{fmt.Sprintf("booked Appointment/%s (Location %s)", probes.Clip(id, 40), probes.Clip(booked.Header.Get("Location"), 80))}
	etag := booked.Header.Get("ETag")
	read, err := Do(ctx, s, Call{URL: "Appointment/" + url.PathEscape(id), Interaction: InteractionReadAppointment, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	if read.StatusCode != 200 {
		return probes.Failed(exp, strings.Join(steps, "; ")+"; read: "+read.Describe())
	}
	if e := read.Header.Get("ETag"); e != "" {
		etag = e
	}
	created["comment"] = "Amended by a Jigsaw inspection"
	body, _ = json.Marshal(created)
	amend, err := Do(ctx, s, Call{Method: http.MethodPut, URL: "Appointment/" + url.PathEscape(id), Interaction: InteractionUpdateAppointment, Scope: ScopePatientWrite, Body: body, Set: map[string]string{"If-Match": etag}})
	if err != nil {
		return probes.Errored(exp, err)
	}
	if amend.StatusCode != 200 {
		return probes.Failed(exp, strings.Join(steps, "; ")+"; amend: "+amend.Describe())
	}
	steps = append(steps, "amended")
	stale, err := Do(ctx, s, Call{Method: http.MethodPut, URL: "Appointment/" + url.PathEscape(id), Interaction: InteractionUpdateAppointment, Scope: ScopePatientWrite, Body: body, Set: map[string]string{"If-Match": etag}})
	if err != nil {
		return probes.Errored(exp, err)
	}
	staleOK := stale.StatusCode == 409 || stale.StatusCode == 412
	steps = append(steps, fmt.Sprintf("stale If-Match: HTTP %d", stale.StatusCode))
	created["status"] = "cancelled"
	created["extension"] = append(created["extension"].([]any), map[string]any{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1", "valueString": "Jigsaw inspection test booking"})
	body, _ = json.Marshal(created)
	cur := amend.Header.Get("ETag")
	cancel, err := Do(ctx, s, Call{Method: http.MethodPut, URL: "Appointment/" + url.PathEscape(id), Interaction: InteractionCancelAppointment, Scope: ScopePatientWrite, Body: body, Set: map[string]string{"If-Match": cur}})
	if err != nil {
		return probes.Errored(exp, err)
	}
	var after map[string]any
	if cancel.StatusCode != 200 || json.Unmarshal(cancel.Body, &after) != nil || after["status"] != "cancelled" {
		return probes.Failed(exp, strings.Join(steps, "; ")+"; cancel: "+cancel.Describe()+" (the test booking may need cancelling by hand)")
	}
	steps = append(steps, "cancelled")
	if !staleOK {
		return probes.Failed(exp, strings.Join(steps, "; ")+": a stale If-Match must get 409")
	}
	return probes.Passed(exp, strings.Join(steps, "; "))
}

func clientCertificate(ctx context.Context, s *probes.Session) probes.Result {
	exp := "a TLS 1.2 handshake without a client certificate is refused"
	if !strings.HasPrefix(s.Target.BaseURL, "https://") {
		return probes.Failed(exp, "the base URL is not https: no mutual TLS at all")
	}
	if s.Target.ClientCert == "" {
		return probes.Skipped(exp, "no client certificate configured (--cert/--key): mutual TLS is checked only when the inspector holds a Spine client certificate")
	}
	u, err := url.Parse(s.Target.BaseURL)
	if err != nil {
		return probes.Errored(exp, err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	cfg := s.TLSConfig()
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
	cfg.MaxVersion = tls.VersionTLS12
	res, err := s.Handshake(ctx, host, cfg)
	if err != nil {
		return probes.Passed(exp, "handshake without a client certificate refused: "+probes.Clip(err.Error(), 120))
	}
	if res.State != nil && res.State.Version == tls.VersionTLS12 {
		return probes.Failed(exp, "a TLS 1.2 handshake without a client certificate completed")
	}
	return probes.Passed(exp, "handshake without a client certificate did not complete")
}

func latency(ctx context.Context, s *probes.Session) probes.Result {
	exp := "p95 below 1000 ms (SHOULD), below 3000 ms (SHALL) for query interactions"
	if r, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	var ds []time.Duration
	for i := 0; i < 5; i++ {
		for _, c := range []Call{metadataCall(), {URL: searchQuery("Patient", probes.SystemNHSNumber, testNHSNumber(s)), Interaction: InteractionSearchPatient, Scope: ScopePatientRead}} {
			sent, err := Do(ctx, s, c)
			if err != nil {
				return probes.Errored(exp, err)
			}
			ds = append(ds, sent.Duration)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p95 := ds[(len(ds)*95+99)/100-1]
	obs := fmt.Sprintf("p95 %d ms over %d queries (max %d ms)", p95.Milliseconds(), len(ds), ds[len(ds)-1].Milliseconds())
	switch {
	case p95 < time.Second:
		return probes.Passed(exp, obs)
	case p95 < 3*time.Second:
		return probes.Warned(exp, obs)
	}
	return probes.Failed(exp, obs)
}
