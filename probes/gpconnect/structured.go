package gpconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

const noStructured = "no Access Record Structured base given (--gpc-structured)"

var errNoStructured = errors.New(noStructured)

func structuredDefs() []def {
	return []def{
		{"gpconnect.structured.bundle", probes.High, verdict.Shall, "Structured record Bundle",
			specGSR + "; " + specBundle + "; " + suite + "Steps/AccessRecordSteps.cs",
			"$gpc.getstructuredrecord SHALL return 200 and a Bundle of type collection conforming to GPConnect-StructuredRecord-Bundle-1 whose id is the request's Ssp-TraceID, holding the Patient, without entry.fullUrl.",
			"Asks for the test patient with only patientNHSNumber.", structuredBundle},
		{"gpconnect.structured.lists", probes.Medium, verdict.Shall, "Structured record lists",
			specLists + "; " + specGSR,
			"Each requested clinical area SHALL be returned as a List (CareConnect-GPC-List-1) with its SNOMED CT code and title, status current, mode snapshot; an empty List SHALL carry emptyReason no-content-recorded and the note 'Information not available'.",
			"Requests every clinical area for the test patient.", structuredLists},
		{"gpconnect.structured.parameters", probes.Medium, verdict.Shall, "Forbidden parameter combinations are refused",
			specGSR + "#not-permitted-parameter-combinations; " + suite + "StructuredMultipleRequests.feature",
			"With includeConsultations, or with includeProblems, the part parameters medicationSearchFromDate, uncategorisedDataSearchPeriod, referralSearchPeriod, diaryEntriesSearchDate, includeNotGiven, includeStatus (and filterStatus with consultations) SHALL NOT be used: 422 INVALID_PARAMETER.",
			"Sends forbidden combinations.", structuredParameters},
		{"gpconnect.structured.patient-not-found", probes.High, verdict.Shall, "No structured record for restricted or unknown patients",
			specGSR + "#error-handling; " + suite + "StructuredMisc.feature",
			"Not found, inactive, deceased or sensitive patients SHALL get 404 PATIENT_NOT_FOUND; an invalid NHS number 400 INVALID_NHS_NUMBER.",
			"The unknown number and the failing check digit always; the suite's sensitive, deceased and inactive patients only where its test data is loaded.", structuredNotFound},
		{"gpconnect.structured.allergies", probes.Medium, verdict.Shall, "Allergies and the includeResolvedAllergies part",
			specGSR + "#request-body; " + specBase + "accessrecord_structured_development_allergyintolerance.html; " + suite + "StructuredAllergies.feature",
			"includeAllergies SHALL carry includeResolvedAllergies (422 INVALID_PARAMETER without it); the active allergies List (886921000000105) is always returned and, when includeResolvedAllergies is true, the ended allergies List (1103671000000101) too.",
			"Requests allergies with includeResolvedAllergies false, true and absent.", structuredAllergies},
		{"gpconnect.structured.medication", probes.Medium, verdict.Shall, "Medication and its part parameters",
			specGSR + "#request-body; " + suite + "StructuredMedications.feature",
			"includeMedication returns the medications List (933361000000108); medicationSearchFromDate SHALL be a full date not after today (422 INVALID_PARAMETER otherwise); includePrescriptionIssues is a boolean.",
			"Requests medication with a past search date and prescription issues off, then a future date and a partial date.", structuredMedication},
		{"gpconnect.structured.consultations", probes.Medium, verdict.Shall, "Consultation parameters",
			specGSR + "#request-body; " + suite + "StructuredConsultations.feature",
			"consultationSearchPeriod and includeNumberOfMostRecent are mutually exclusive (422 INVALID_RESOURCE); a period SHALL have start ≤ end and no date after today (422 INVALID_PARAMETER).",
			"Requests consultations by period, then both parts, a reversed period and a future period.", structuredConsultations},
		{"gpconnect.structured.forward-compatibility", probes.Medium, verdict.Shall, "Unknown parameters get a warning, not an error",
			specCompat + "; " + suite + "StructuredMisc.feature",
			"An unrecognised parameter or part parameter SHALL NOT fail the request: 200 and an OperationOutcome in the Bundle with a warning issue coded NOT_IMPLEMENTED for each unknown item.",
			"Sends an unknown parameter and an unknown part of includeAllergies.", structuredForwardCompat},
		{"gpconnect.structured.request-validation", probes.Medium, verdict.Shall, "Malformed structured-record requests are refused",
			specGSR + "#error-handling; " + suite + "StructuredMisc.feature",
			"A body that is not a valid Parameters resource or repeats a parameter SHALL get 422 INVALID_RESOURCE; no patientNHSNumber 422 INVALID_PARAMETER; an identifier outside the NHS number system a GP Connect error.",
			"Sends a Patient as the body, a duplicated parameter, no patientNHSNumber and a wrong identifier system.", structuredRequestValidation},
		{"gpconnect.structured.confidential-items", probes.Medium, verdict.Shall, "Withheld items are flagged (partial consent)",
			specLists + "#list-warning-codes; " + suite + "StructuredAllergies.feature, StructuredMedications.feature",
			"Where items are excluded because of confidentiality or patient preferences the List SHALL carry the ListWarningCode extension confidential-items and the note 'Items excluded due to confidentiality and/or patient preferences.'",
			"The suite's patient16 (allergies) and patient2 (medications) have confidential items: both Lists must say so. Runs only where the suite's test data is loaded.", structuredConfidential},
	}
}

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

func withParts(name string, parts ...map[string]any) param {
	ps := make([]any, len(parts))
	for i, p := range parts {
		ps[i] = p
	}
	return param{"name": name, "part": ps}
}

func boolPart(name string, v bool) map[string]any {
	return part(name, map[string]any{"valueBoolean": v})
}

func periodPart(name, start, end string) map[string]any {
	return part(name, map[string]any{"valuePeriod": map[string]any{"start": start, "end": end}})
}

func parameters(ps ...param) []byte {
	list := make([]any, len(ps))
	for i, p := range ps {
		list[i] = map[string]any(p)
	}
	b, _ := json.Marshal(map[string]any{"resourceType": "Parameters", "parameter": list})
	return b
}

func structuredCall(s *probes.Session, body []byte) Call {
	u, _ := structuredURL(s, "Patient/$gpc.getstructuredrecord")
	return Call{Method: http.MethodPost, URL: u, Interaction: InteractionStructuredRecord, Scope: ScopePatientRead, Body: body}
}

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format("2006-01-02") }

// record asks for a structured record and returns the Bundle, or a failure description.
func record(ctx context.Context, s *probes.Session, ps ...param) (*Sent, *probes.Bundle, string, error) {
	sent, err := Do(ctx, s, structuredCall(s, parameters(ps...)))
	if err != nil {
		return nil, nil, "", err
	}
	if sent.StatusCode != 200 {
		return sent, nil, sent.Describe(), nil
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return sent, nil, fmt.Sprintf("%s: %v", sent.Describe(), err), nil
	}
	return sent, b, "", nil
}

func structuredBundle(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Bundle type collection, GPConnect-StructuredRecord-Bundle-1, Bundle.id = Ssp-TraceID, the Patient, no fullUrl"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	sent, b, problem, err := record(ctx, s, nhsParam(testNHSNumber(s)))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if problem != "" {
		return probes.Failed(exp, problem)
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
	if n := len(b.Matches("Patient")); n != 1 {
		problems = append(problems, fmt.Sprintf("%d Patients, want 1", n))
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

// List codes ([S lists for message structure]).
const (
	codeAllergies      = "886921000000105"
	codeEndedAllergies = "1103671000000101"
	codeMedication     = "933361000000108"
)

var listAreas = []listArea{
	{withParts("includeAllergies", boolPart("includeResolvedAllergies", false)), codeAllergies, "Allergies and adverse reactions"},
	{withParts("includeMedication", boolPart("includePrescriptionIssues", true)), codeMedication, "Medications and medical devices"},
	{withParts("includeConsultations", part("includeNumberOfMostRecent", map[string]any{"valuePositiveInt": 3})), "1149501000000101", "List of consultations"},
	{param{"name": "includeProblems"}, "717711000000103", "Problems"},
	{param{"name": "includeImmunisations"}, "1102181000000102", "Immunisations"},
	{param{"name": "includeUncategorisedData"}, "826501000000100", "Uncategorised data"},
	{param{"name": "includeInvestigations"}, "887191000000108", "Investigations and results"},
	{param{"name": "includeReferrals"}, "792931000000107", "Outbound referral"},
	{param{"name": "includeDiaryEntries"}, "714311000000108", "Patient recall administration"},
}

type listDoc struct {
	probes.Resource
	Status    string                  `json:"status"`
	Mode      string                  `json:"mode"`
	Title     string                  `json:"title"`
	Code      probes.CodeableConcept  `json:"code"`
	Entry     []json.RawMessage       `json:"entry"`
	Empty     *probes.CodeableConcept `json:"emptyReason"`
	Extension []struct {
		URL                  string                  `json:"url"`
		ValueCodeableConcept *probes.CodeableConcept `json:"valueCodeableConcept"`
	} `json:"extension"`
	Note []struct {
		Text string `json:"text"`
	} `json:"note"`
}

// warnings returns the List's warning codes.
func (l listDoc) warnings() []string {
	var out []string
	for _, e := range l.Extension {
		if strings.HasSuffix(e.URL, "ListWarningCode-1") && e.ValueCodeableConcept != nil {
			for _, c := range e.ValueCodeableConcept.Coding {
				out = append(out, c.Code)
			}
		}
	}
	return out
}

func (l listDoc) hasNote(text string) bool {
	return slices.ContainsFunc(l.Note, func(n struct {
		Text string `json:"text"`
	}) bool {
		return strings.TrimSpace(n.Text) == text
	})
}

func listsByCode(b *probes.Bundle) map[string]listDoc {
	out := map[string]listDoc{}
	for _, raw := range b.Matches("List") {
		var l listDoc
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		for _, cd := range l.Code.Coding {
			if cd.System == "http://snomed.info/sct" {
				out[cd.Code] = l
			}
		}
	}
	return out
}

func structuredLists(ctx context.Context, s *probes.Session) probes.Result {
	exp := "one List per requested area with the SNOMED code and title, status current, mode snapshot; empty lists with emptyReason no-content-recorded and a note"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	ps := []param{nhsParam(testNHSNumber(s))}
	for _, a := range listAreas {
		ps = append(ps, a.param)
	}
	_, b, problem, err := record(ctx, s, ps...)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if problem != "" {
		return probes.Failed(exp, problem)
	}
	byCode := listsByCode(b)
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
	exp := "422 INVALID_PARAMETER for forbidden part combinations with includeConsultations and includeProblems"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	mk := func(ps ...param) Call { return structuredCall(s, parameters(append([]param{nhs}, ps...)...)) }
	want := []expectation{specAnswer(422, "INVALID_PARAMETER")}
	return sendNegative(ctx, s, exp, []negativeCase{
		{name: "includeConsultations with medicationSearchFromDate", call: mk(param{"name": "includeConsultations"},
			withParts("includeMedication", part("medicationSearchFromDate", map[string]any{"valueDate": day(-365)}))), want: want},
		{name: "includeProblems with referralSearchPeriod", call: mk(param{"name": "includeProblems"},
			withParts("includeReferrals", periodPart("referralSearchPeriod", day(-365), day(0)))), want: want},
		{name: "includeConsultations with includeNotGiven", call: mk(param{"name": "includeConsultations"},
			withParts("includeImmunisations", boolPart("includeNotGiven", true))), want: want},
		{name: "includeProblems with uncategorisedDataSearchPeriod", call: mk(param{"name": "includeProblems"},
			withParts("includeUncategorisedData", periodPart("uncategorisedDataSearchPeriod", day(-365), day(0)))), want: want},
	})
}

func structuredNotFound(ctx context.Context, s *probes.Session) probes.Result {
	exp := "404 PATIENT_NOT_FOUND for unknown, sensitive, deceased and inactive patients; 400 INVALID_NHS_NUMBER for a failing check digit"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	mk := func(nhs string) Call { return structuredCall(s, parameters(nhsParam(nhs))) }
	nf := []expectation{specAnswer(404, "PATIENT_NOT_FOUND")}
	cases := []negativeCase{
		{name: "not on the system", call: mk(PatientUnknown), want: nf},
		{name: "failing check digit", call: mk(PatientBadCheck), want: []expectation{specAnswer(400, "INVALID_NHS_NUMBER"), {status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}}},
	}
	note := ""
	if _, b, ok := requireBaseline(ctx, s, exp); ok && b != nil {
		loaded, why, err := suiteDataLoaded(ctx, s)
		if err != nil {
			return probes.Errored(exp, err)
		}
		if loaded {
			cases = append(cases,
				negativeCase{name: "sensitive", call: mk(PatientSensitive), want: nf},
				negativeCase{name: "deceased", call: mk(PatientDeceased), want: nf},
				negativeCase{name: "inactive", call: mk(PatientInactive), want: nf})
		} else {
			note = "; sensitive, deceased and inactive not tried: " + why
		}
	} else {
		note = "; sensitive, deceased and inactive not tried: the Foundations endpoint could not show whether the suite's test data is loaded"
	}
	res := sendNegative(ctx, s, exp, cases)
	res.Observed += note
	return res
}

func structuredAllergies(ctx context.Context, s *probes.Session) probes.Result {
	exp := "includeResolvedAllergies false: the allergies List only; true: the ended allergies List too; absent: 422 INVALID_PARAMETER"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	var o negativeOutcome
	for _, resolved := range []bool{false, true} {
		_, b, problem, err := record(ctx, s, nhs, withParts("includeAllergies", boolPart("includeResolvedAllergies", resolved)))
		if err != nil {
			return probes.Errored(exp, err)
		}
		label := fmt.Sprintf("includeResolvedAllergies %v", resolved)
		if problem != "" {
			o.bad = append(o.bad, label+": "+problem)
			continue
		}
		lists := listsByCode(b)
		_, active := lists[codeAllergies]
		_, ended := lists[codeEndedAllergies]
		switch {
		case !active:
			o.bad = append(o.bad, label+": no allergies List ("+codeAllergies+")")
		case ended != resolved:
			o.bad = append(o.bad, fmt.Sprintf("%s: ended allergies List (%s) present = %v", label, codeEndedAllergies, ended))
		default:
			o.notes = append(o.notes, fmt.Sprintf("%s: %d Lists", label, len(lists)))
		}
	}
	if err := o.send(ctx, s, []negativeCase{{name: "includeAllergies without includeResolvedAllergies",
		call: structuredCall(s, parameters(nhs, param{"name": "includeAllergies"})), want: []expectation{specAnswer(422, "INVALID_PARAMETER")}}}); err != nil {
		return probes.Errored(exp, err)
	}
	return o.result(exp)
}

func structuredMedication(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 with the medications List for a past medicationSearchFromDate; 422 INVALID_PARAMETER for a future or partial date"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	var o negativeOutcome
	_, b, problem, err := record(ctx, s, nhs, withParts("includeMedication", boolPart("includePrescriptionIssues", false), part("medicationSearchFromDate", map[string]any{"valueDate": day(-365)})))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if problem != "" {
		o.bad = append(o.bad, "past medicationSearchFromDate: "+problem)
	} else if _, ok := listsByCode(b)[codeMedication]; !ok {
		o.bad = append(o.bad, "past medicationSearchFromDate: no medications List ("+codeMedication+")")
	} else {
		o.notes = append(o.notes, "past medicationSearchFromDate, prescription issues off: 200 with the medications List")
	}
	want := []expectation{specAnswer(422, "INVALID_PARAMETER")}
	if err := o.send(ctx, s, []negativeCase{
		{name: "future medicationSearchFromDate", call: structuredCall(s, parameters(nhs, withParts("includeMedication", part("medicationSearchFromDate", map[string]any{"valueDate": day(7)})))), want: want},
		{name: "partial medicationSearchFromDate", call: structuredCall(s, parameters(nhs, withParts("includeMedication", part("medicationSearchFromDate", map[string]any{"valueDate": day(-365)[:7]})))), want: want},
	}); err != nil {
		return probes.Errored(exp, err)
	}
	return o.result(exp)
}

func structuredConsultations(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 for a consultation period; both parts 422 INVALID_RESOURCE; reversed or future period 422 INVALID_PARAMETER"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	var o negativeOutcome
	_, _, problem, err := record(ctx, s, nhs, withParts("includeConsultations", periodPart("consultationSearchPeriod", day(-365), day(0))))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if problem != "" {
		o.bad = append(o.bad, "consultationSearchPeriod over the last year: "+problem)
	} else {
		o.notes = append(o.notes, "consultationSearchPeriod over the last year: 200")
	}
	mk := func(parts ...map[string]any) Call {
		return structuredCall(s, parameters(nhs, withParts("includeConsultations", parts...)))
	}
	if err := o.send(ctx, s, []negativeCase{
		{name: "period and most recent together", call: mk(periodPart("consultationSearchPeriod", day(-365), day(0)), part("includeNumberOfMostRecent", map[string]any{"valuePositiveInt": 3})),
			want: []expectation{specAnswer(422, "INVALID_RESOURCE")}},
		{name: "period start after end", call: mk(periodPart("consultationSearchPeriod", day(-10), day(-20))), want: []expectation{specAnswer(422, "INVALID_PARAMETER")}},
		{name: "period in the future", call: mk(periodPart("consultationSearchPeriod", day(5), day(10))), want: []expectation{specAnswer(422, "INVALID_PARAMETER")}},
	}); err != nil {
		return probes.Errored(exp, err)
	}
	return o.result(exp)
}

// notImplementedWarnings counts the NOT_IMPLEMENTED warning issues in the Bundle's
// OperationOutcomes.
func notImplementedWarnings(b *probes.Bundle) int {
	n := 0
	for _, raw := range b.Matches("OperationOutcome") {
		if oo, err := probes.ParseOperationOutcome(raw); err == nil {
			for _, is := range oo.Issue {
				if is.Severity == "warning" && is.Details != nil && slices.ContainsFunc(is.Details.Coding, func(c probes.Coding) bool { return c.Code == "NOT_IMPLEMENTED" }) {
					n++
				}
			}
		}
	}
	return n
}

func structuredForwardCompat(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 with a NOT_IMPLEMENTED warning OperationOutcome for an unknown parameter and for an unknown part"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	var bad, notes []string
	for _, c := range []struct {
		label string
		p     param
	}{
		{"unknown parameter includeJigsawUnknownArea", param{"name": "includeJigsawUnknownArea"}},
		{"unknown part includeAllergies.jigsawUnknownPart", withParts("includeAllergies", boolPart("includeResolvedAllergies", false), boolPart("jigsawUnknownPart", true))},
	} {
		_, b, problem, err := record(ctx, s, nhs, c.p)
		if err != nil {
			return probes.Errored(exp, err)
		}
		switch {
		case problem != "":
			bad = append(bad, c.label+": "+problem+" (forward compatibility requires 200 and a warning)")
		case notImplementedWarnings(b) == 0:
			bad = append(bad, c.label+": 200 but no OperationOutcome warning NOT_IMPLEMENTED in the Bundle")
		default:
			notes = append(notes, c.label+": 200 with a NOT_IMPLEMENTED warning")
		}
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

func structuredRequestValidation(ctx context.Context, s *probes.Session) probes.Result {
	exp := "422 INVALID_RESOURCE for a body that is not Parameters or repeats a parameter; 422 INVALID_PARAMETER without patientNHSNumber; a GP Connect error for a wrong identifier system"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	nhs := nhsParam(testNHSNumber(s))
	wrongSystem := param{"name": "patientNHSNumber", "valueIdentifier": map[string]any{"system": "Invalid-System", "value": testNHSNumber(s)}}
	return sendNegative(ctx, s, exp, []negativeCase{
		{name: "a Patient as the body", call: structuredCall(s, []byte(`{"resourceType":"Patient"}`)), want: []expectation{specAnswer(422, "INVALID_RESOURCE")}},
		{name: "patientNHSNumber twice", call: structuredCall(s, parameters(nhs, nhs)), want: []expectation{specAnswer(422, "INVALID_RESOURCE")}},
		{name: "no patientNHSNumber", call: structuredCall(s, parameters(param{"name": "includeProblems"})), want: []expectation{specAnswer(422, "INVALID_PARAMETER")}},
		{name: "identifier system Invalid-System", call: structuredCall(s, parameters(wrongSystem)), want: []expectation{
			specAnswer(400, "INVALID_NHS_NUMBER", "INVALID_IDENTIFIER_SYSTEM"), {status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}}},
	})
}

// confidentialNote is the text the specification fixes for the confidential-items warning.
const confidentialNote = "Items excluded due to confidentiality and/or patient preferences."

func structuredConfidential(ctx context.Context, s *probes.Session) probes.Result {
	exp := "the allergies List of patient16 and the medications List of patient2 carry warning confidential-items and its note"
	if r, _, ok := requireStructured(ctx, s, exp); !ok {
		return r
	}
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return probes.Skipped(exp, "the suite's test data cannot be confirmed: "+r.Observed)
	}
	loaded, why, err := suiteDataLoaded(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if !loaded {
		return probes.Skipped(exp, why+": the confidential items are the suite's test data")
	}
	var bad, notes []string
	for _, c := range []struct {
		label, nhs, code string
		p                param
	}{
		{"patient16 allergies", PatientConfidential, codeAllergies, withParts("includeAllergies", boolPart("includeResolvedAllergies", false))},
		{"patient2 medications", PatientMain, codeMedication, withParts("includeMedication", boolPart("includePrescriptionIssues", true))},
	} {
		_, b, problem, err := record(ctx, s, nhsParam(c.nhs), c.p)
		if err != nil {
			return probes.Errored(exp, err)
		}
		if problem != "" {
			bad = append(bad, c.label+": "+problem)
			continue
		}
		l, ok := listsByCode(b)[c.code]
		switch {
		case !ok:
			bad = append(bad, c.label+": no List "+c.code)
		case !slices.Contains(l.warnings(), "confidential-items"):
			bad = append(bad, fmt.Sprintf("%s: List warnings %v lack confidential-items", c.label, l.warnings()))
		case !l.hasNote(confidentialNote):
			bad = append(bad, c.label+": confidential-items warning without the note '"+confidentialNote+"'")
		default:
			notes = append(notes, c.label+": confidential-items with its note")
		}
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}
