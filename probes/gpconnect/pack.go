package gpconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Pack is this pack's name.
const Pack = "gpconnect"

func meta(id string, sev probes.Severity, title, ref, desc string) probes.Meta {
	return probes.Meta{ID: id, Pack: Pack, Severity: sev, Title: title, SpecRef: ref, Description: desc}
}

// Probes returns the pack's probes in report order: foundations, headers and JWT,
// HTTP behaviour, structured record, appointments, transport.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(meta("gpconnect.capability", probes.High, "Foundations CapabilityStatement",
			specCapability+"; "+suite+"FHIR.feature",
			"GET /metadata with the metadata interaction: 200 CapabilityStatement, fhirVersion 3.0.1, JSON format, software named, GP Connect profiles and the gpc.registerpatient and gpc.getstructuredrecord operations."), gpcOnly(capability)),
		probes.New(meta("gpconnect.capability.structured", probes.High, "Access Record Structured CapabilityStatement",
			specARSCap+"; "+suite+"FHIR.feature",
			"GET [structured base]/metadata with the structured metadata interaction: CapabilityStatement 3.0.1 declaring gpc.getstructuredrecord."), gpcOnly(capabilityStructured)),
		probes.New(meta("gpconnect.patient.search", probes.High, "Find a patient by NHS number",
			specFindPatient+"; "+suite+"PatientSearch.feature",
			"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|N returns a searchset with exactly the patient, CareConnect-GPC-Patient-1 profile, one official name, NHS number identifier."), gpcOnly(patientSearch)),
		probes.New(meta("gpconnect.patient.restricted", probes.High, "Sensitive, deceased, inactive and unknown patients are not found",
			specFindPatient+"; "+suite+"PatientSearch.feature",
			"Searching the suite's sensitive, deceased, inactive and unknown NHS numbers returns 200 and an empty searchset; a superseded number gives 200."), gpcOnly(patientRestricted)),
		probes.New(meta("gpconnect.patient.invalid", probes.Medium, "Malformed patient searches are rejected",
			specErrors+"; "+suite+"PatientSearch.feature",
			"A failing check digit gets 400 INVALID_NHS_NUMBER (or 422 INVALID_PARAMETER); no identifier or two identifiers get 400 BAD_REQUEST; a blank system gets 422 INVALID_PARAMETER (suite) or 400 INVALID_IDENTIFIER_SYSTEM (spec)."), gpcOnly(patientInvalid)),
		probes.New(meta("gpconnect.directory", probes.Medium, "Organisation, practitioner and location lookups",
			specFindOrg+"; "+specFindPract+"; "+specReadLoc,
			"Organization by ODS code and Practitioner by SDS user id return one match with the GPC profile; the patient's branch surgery Location reads; an unknown Organization id gets 404 ORGANISATION_NOT_FOUND."), gpcOnly(directory)),
		probes.New(meta("gpconnect.headers.required", probes.High, "Each missing Spine header or Authorization is refused",
			specSSP+"; "+specSecurity+"; "+suite+"SSP.feature",
			"Leaving out Ssp-TraceID, Ssp-From, Ssp-To, Ssp-InteractionID or Authorization gets a 4xx with an OperationOutcome (400 BAD_REQUEST per the spec)."), gpcOnly(headersRequired)),
		probes.New(meta("gpconnect.headers.ssp-to", probes.High, "Requests for another provider's ASID are refused",
			specSecurity+"; "+suite+"SSP.feature",
			"Ssp-To naming an ASID that is not the provider's gets 400 BAD_REQUEST."), gpcOnly(headersSspTo)),
		probes.New(meta("gpconnect.headers.interaction-id", probes.High, "The interaction id must match the request",
			specInteraction+"; "+specErrors+"; "+suite+"*Read.feature",
			"A wrong or unknown Ssp-InteractionID gets 400 BAD_REQUEST."), gpcOnly(headersInteraction)),
		probes.New(meta("gpconnect.jwt.claims", probes.High, "Every mandatory JWT claim is enforced",
			specJWT+"; "+suite+"JWT.feature",
			"A JWT missing iss, aud, exp, iat, reason_for_request, requested_scope, requesting_device or requesting_practitioner gets 400; a well-formed one with UNK SDS ids is accepted."), gpcOnly(jwtClaims)),
		probes.New(meta("gpconnect.jwt.lifetime", probes.High, "JWT lifetime is exactly 300 seconds",
			specJWT+"; "+suite+"JWT.feature",
			"exp - iat of 299 or 301 gets 400, as does an expired token (iat 600 s ago); iat 200 s ahead is accepted (suite)."), gpcOnly(jwtLifetime)),
		probes.New(meta("gpconnect.jwt.encoding", probes.Medium, "The JWT must be base64url encoded",
			specJWT+"; "+suite+"JWT.feature",
			"A bearer token that is raw JSON, or not three parts, gets 400."), gpcOnly(jwtEncoding)),
		probes.New(meta("gpconnect.jwt.scope", probes.Medium, "Scope and reason for request are enforced",
			specJWT+"; "+suite+"JWT.feature, AppointmentRetrieve.feature",
			"requested_scope 'badScope', a scope that does not fit the interaction, and a reason_for_request other than directcare get 400 BAD_REQUEST."), gpcOnly(jwtScope)),
		probes.New(meta("gpconnect.jwt.resources", probes.Medium, "JWT resources must be valid FHIR resources",
			specErrors+"; "+suite+"JWT.feature",
			"requesting_device or requesting_practitioner with a wrong resourceType, or an unknown element, gets 422 INVALID_RESOURCE (suite 1.6.0) or 400 BAD_REQUEST (spec, demonstrator)."), gpcOnly(jwtResources)),
		probes.New(meta("gpconnect.http.media-type", probes.Medium, "Unsupported formats get 415",
			specGeneral+"; "+suite+"(0.7.3) FhirBase.feature",
			"Accept: text/xml and _format=application/pdf get 415 with an OperationOutcome; responses are application/fhir+json."), gpcOnly(mediaType)),
		probes.New(meta("gpconnect.http.unknown-interaction", probes.Medium, "Unknown paths and verbs are refused with an OperationOutcome",
			specErrors+"; "+suite+"Http.feature",
			"GET /metadatas, GET /Metadata and PATCH /metadata get a 4xx with an OperationOutcome."), gpcOnly(unknownInteraction)),
		probes.New(meta("gpconnect.http.no-store", probes.Medium, "Cache-Control: no-store on every response",
			specGeneral+"; "+specSecurity+"; "+suite+"HttpResponseSteps.cs",
			"Successful and error responses carry Cache-Control containing no-store."), gpcOnly(noStore)),
		probes.New(meta("gpconnect.errors.operation-outcome", probes.Medium, "Errors are GP Connect OperationOutcomes",
			specErrors+"; "+suite+"BundleSteps.cs",
			"An error (unknown patient id) is an OperationOutcome with the GPConnect-OperationOutcome-1 profile, severity error, issue.code, and one Spine-ErrorOrWarningCode coding with code and display."), gpcOnly(errorsOutcome)),
		probes.New(meta("gpconnect.structured.bundle", probes.High, "Structured record Bundle",
			specGSR+"; "+specBundle+"; "+suite+"AccessRecordSteps.cs",
			"$gpc.getstructuredrecord with only patientNHSNumber: 200 Bundle type collection, GPConnect-StructuredRecord-Bundle-1 profile, Bundle.id equal to Ssp-TraceID, the Patient, no fullUrl."), gpcOnly(structuredBundle)),
		probes.New(meta("gpconnect.structured.lists", probes.Medium, "Structured record lists",
			specLists+"; "+specGSR,
			"Requesting every clinical area returns one List per area with the right SNOMED code and title, status current, mode snapshot; empty lists carry emptyReason no-content-recorded and a note."), gpcOnly(structuredLists)),
		probes.New(meta("gpconnect.structured.parameters", probes.Medium, "Structured record parameter rules",
			specGSR+"; "+specCompat+"; "+suite+"AccessRecordStructured*.feature",
			"includeAllergies without includeResolvedAllergies and forbidden part combinations get 422 INVALID_PARAMETER; an unknown parameter gets 200 with a NOT_IMPLEMENTED warning OperationOutcome."), gpcOnly(structuredParameters)),
		probes.New(meta("gpconnect.structured.patient-not-found", probes.High, "No structured record for restricted or unknown patients",
			specGSR+"; "+suite+"AccessRecordStructured*.feature",
			"Unknown, sensitive, deceased and inactive patients get 404 PATIENT_NOT_FOUND; a failing check digit gets 400 INVALID_NHS_NUMBER (or 422)."), gpcOnly(structuredNotFound)),
		probes.New(meta("gpconnect.slots.search", probes.Medium, "Free slot search",
			specSlots+"; "+suite+"SlotSearch.feature",
			"A 14-day free-slot search returns 200 searchset (Slots free, within range, with their Schedule); a 15-day range gets 422 INVALID_PARAMETER; no status gets 400 BAD_REQUEST."), gpcOnly(slotSearch)),
		probes.New(meta("gpconnect.appointments.write", probes.Medium, "Book, read, amend and cancel an appointment",
			specBook+"; "+specBase+"appointments_use_case_amend_an_appointment.html; "+specBase+"appointments_use_case_cancel_an_appointment.html",
			"Only with --allow-writes, the named patient and slot: book gets 201 with Location and ETag, read gets 200, amend (comment) 200, stale If-Match 409, cancel 200 with status cancelled."), gpcOnly(appointmentsWrite)),
		probes.New(meta("gpconnect.tls.client-certificate", probes.High, "Client certificate required",
			specSecurity+"; "+suite+"Security.feature",
			"A TLS 1.2 handshake without a client certificate is refused (mutual TLS); run with --cert/--key."), gpcOnly(clientCertificate)),
		probes.New(meta("gpconnect.performance.latency", probes.Low, "Query latency within the published limits",
			specPerf,
			"p95 of repeated /metadata and patient searches: below 1000 ms pass (SHOULD), below 3000 ms warn (SHALL), else fail."), gpcOnly(latency)),
	}
}

// gpcOnly skips a probe unless the target is probed as a GP Connect provider (--profile
// gpconnect): a plain FHIR server is not expected to speak GP Connect.
func gpcOnly(run func(context.Context, *probes.Session) probes.Result) func(context.Context, *probes.Session) probes.Result {
	return func(ctx context.Context, s *probes.Session) probes.Result {
		if s.Target.GPConnect == nil {
			return probes.Skipped("", "the target is not probed as a GP Connect provider (use --profile gpconnect)")
		}
		return run(ctx, s)
	}
}

func capability(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 CapabilityStatement, fhirVersion 3.0.1, application/fhir+json, software, GP Connect profiles, gpc.registerpatient and gpc.getstructuredrecord operations"
	sent, err := Do(ctx, s, Call{URL: "metadata", Interaction: InteractionMetadata, Scope: ScopeOrgRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	return judgeCapability(exp, sent.Response, []string{"gpc.registerpatient", "gpc.getstructuredrecord"}, []string{"CareConnect-GPC-Patient-1", "CareConnect-GPC-Organization-1", "CareConnect-GPC-Practitioner-1", "CareConnect-GPC-Location-1", "GPConnect-OperationOutcome-1", "GPConnect-Appointment-1", "GPConnect-Slot-1"})
}

func capabilityStructured(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 CapabilityStatement, fhirVersion 3.0.1, gpc.getstructuredrecord operation"
	u, ok := structuredURL(s, "metadata")
	if !ok {
		return probes.Skipped(exp, "no Access Record Structured base given (--gpc-structured)")
	}
	sent, err := Do(ctx, s, Call{URL: u, Interaction: InteractionStructuredMetadata, Scope: ScopeOrgRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	return judgeCapability(exp, sent.Response, []string{"gpc.getstructuredrecord"}, []string{"CareConnect-GPC-Patient-1", "GPConnect-StructuredRecord-Bundle-1"})
}

// capabilityDoc is what the capability probes read beyond the engine's model.
type capabilityDoc struct {
	Version string `json:"version"`
	Rest    []struct {
		Operation []struct {
			Name       string           `json:"name"`
			Definition probes.Reference `json:"definition"`
		} `json:"operation"`
	} `json:"rest"`
}

func judgeCapability(exp string, resp *probes.Response, ops, profiles []string) probes.Result {
	if resp.StatusCode != 200 {
		return probes.Failed(exp, resp.Describe())
	}
	cs, err := probes.ParseCapabilityStatement(resp.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", resp.Describe(), err))
	}
	var doc capabilityDoc
	_ = json.Unmarshal(resp.Body, &doc)
	var problems, warnings []string
	if cs.FHIRVersion != "3.0.1" {
		problems = append(problems, fmt.Sprintf("fhirVersion %q, want 3.0.1", probes.Clip(cs.FHIRVersion, 20)))
	}
	if !slices.Contains(cs.Format, "application/fhir+json") {
		problems = append(problems, fmt.Sprintf("format %v lacks application/fhir+json", cs.Format))
	}
	if !slices.Contains(cs.Format, "application/fhir+xml") {
		warnings = append(warnings, "format lacks application/fhir+xml (XML SHOULD be supported)")
	}
	if cs.Software == nil || cs.Software.Name == "" || cs.Software.Version == "" {
		problems = append(problems, "software name or version missing")
	}
	declared := map[string]string{}
	for _, r := range doc.Rest {
		for _, o := range r.Operation {
			declared[o.Name] = o.Definition.Reference
		}
	}
	for _, op := range ops {
		ref, ok := declared[op]
		if !ok {
			problems = append(problems, "operation "+op+" not declared")
		} else if !strings.Contains(ref, "/OperationDefinition/GPConnect-") {
			problems = append(problems, fmt.Sprintf("operation %s definition %q is not a GP Connect OperationDefinition", op, probes.Clip(ref, 100)))
		}
	}
	all := strings.Join(cs.AllProfiles(), " ")
	for _, p := range profiles {
		if !strings.Contains(all, "/"+p) {
			problems = append(problems, "profile "+p+" not referenced")
		}
	}
	obs := fmt.Sprintf("%s; fhirVersion %s, version %s, software %v, %d operations, formats %v", resp.Describe(), probes.Clip(cs.FHIRVersion, 20), probes.Clip(doc.Version, 20), cs.Software != nil, len(declared), cs.Format)
	switch {
	case len(problems) > 0:
		return probes.Failed(exp, strings.Join(problems, "; ")+" ("+obs+")")
	case len(warnings) > 0:
		return probes.Warned(exp, strings.Join(warnings, "; ")+" ("+obs+")")
	}
	return probes.Passed(exp, obs)
}

func patientSearch(ctx context.Context, s *probes.Session) probes.Result {
	nhs := testNHSNumber(s)
	exp := "200 searchset with one Patient carrying the NHS number, CareConnect-GPC-Patient-1, one official name, application/fhir+json"
	sent, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, nhs), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	resp := sent.Response
	if resp.StatusCode != 200 {
		return probes.Failed(exp, resp.Describe())
	}
	b, err := probes.ParseBundle(resp.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", resp.Describe(), err))
	}
	var problems []string
	if b.Type != "searchset" {
		problems = append(problems, fmt.Sprintf("Bundle.type %q", probes.Clip(b.Type, 20)))
	}
	if !probes.IsFHIRJSON(resp.ContentType(), probes.STU3) || resp.ContentType() != "application/fhir+json" {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want application/fhir+json", probes.Clip(resp.Header.Get("Content-Type"), 60)))
	}
	matches := b.Matches("Patient")
	if len(matches) != 1 {
		return probes.Failed(exp, fmt.Sprintf("%d Patients for NHS number %s", len(matches), s.Identifier(nhs)))
	}
	var p struct {
		probes.Patient
		Name []struct {
			Use string `json:"use"`
		} `json:"name"`
	}
	if err := json.Unmarshal(matches[0], &p); err != nil {
		return probes.Failed(exp, "the Patient does not decode: "+err.Error())
	}
	if p.NHSNumber() != nhs {
		problems = append(problems, "the Patient does not carry the NHS number in "+probes.SystemNHSNumber)
	}
	if !hasProfile(p.Meta, "CareConnect-GPC-Patient-1") {
		problems = append(problems, "meta.profile lacks CareConnect-GPC-Patient-1")
	}
	official := 0
	for _, n := range p.Name {
		if n.Use == "official" {
			official++
		}
	}
	if official != 1 {
		problems = append(problems, fmt.Sprintf("%d official names, want 1", official))
	}
	if len(p.Identifier) > 1 {
		problems = append(problems, fmt.Sprintf("%d identifiers (the suite allows only the NHS number)", len(p.Identifier)))
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%s; Patient/%s with NHS number %s", resp.Describe(), probes.Clip(p.ID, 64), s.Identifier(nhs)))
}

func patientRestricted(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 and an empty searchset for sensitive, deceased, inactive and unknown patients; 200 for a superseded number"
	cases := []struct{ label, nhs string }{
		{"sensitive", PatientSensitive}, {"deceased", PatientDeceased}, {"inactive", PatientInactive}, {"not on the system", PatientUnknown}, {"superseded", PatientSuperseded},
	}
	var bad, notes []string
	for _, c := range cases {
		sent, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, c.nhs), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
		if err != nil {
			return probes.Errored(exp, err)
		}
		b, perr := probes.ParseBundle(sent.Body)
		switch {
		case sent.StatusCode != 200 || perr != nil:
			bad = append(bad, fmt.Sprintf("%s: %s", c.label, sent.Describe()))
		case c.label == "superseded":
			notes = append(notes, fmt.Sprintf("superseded: %d entries", len(b.Matches("Patient"))))
		case len(b.Matches("Patient")) > 0:
			bad = append(bad, fmt.Sprintf("%s patient returned (%d entries)", c.label, len(b.Matches("Patient"))))
		default:
			notes = append(notes, c.label+": 0 entries")
		}
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

func patientInvalid(ctx context.Context, s *probes.Session) probes.Result {
	call := func(q string) Call {
		return Call{URL: q, Interaction: InteractionSearchPatient, Scope: ScopePatientRead}
	}
	return runNegative(ctx, s, "400/422 with an OperationOutcome for each malformed patient search", []negativeCase{
		{"failing check digit", call(searchQuery("Patient", probes.SystemNHSNumber, PatientBadCheck)), []expectation{
			{status: 400, codes: []string{"INVALID_NHS_NUMBER", "INVALID_IDENTIFIER_VALUE"}, source: "spec"}, {status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}}},
		{"no identifier", call("Patient"), []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}},
		{"two identifiers", call(searchQuery("Patient", probes.SystemNHSNumber, testNHSNumber(s)) + "&identifier=" + strings.TrimPrefix(searchQuery("", probes.SystemNHSNumber, PatientMain), "?identifier=")), []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}},
		{"blank system", call("Patient?identifier=%7C" + PatientMain), []expectation{
			{status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}, {status: 400, codes: []string{"INVALID_IDENTIFIER_SYSTEM"}, source: "spec"}}},
	})
}

func directory(ctx context.Context, s *probes.Session) probes.Result {
	g := Settings(s.Target)
	exp := "Organization by ODS and Practitioner by SDS id: one match with the GPC profile; branch Location reads; unknown Organization 404 ORGANISATION_NOT_FOUND"
	var bad, notes []string
	for _, c := range []struct{ typ, system, value, interaction, profile string }{
		{"Organization", SystemODS, g.ProviderODS, InteractionSearchOrganization, "CareConnect-GPC-Organization-1"},
		{"Practitioner", SystemSDSUser, g.ProviderPractitioner, InteractionSearchPractitioner, "CareConnect-GPC-Practitioner-1"},
	} {
		sent, err := Do(ctx, s, Call{URL: searchQuery(c.typ, c.system, c.value), Interaction: c.interaction, Scope: ScopeOrgRead})
		if err != nil {
			return probes.Errored(exp, err)
		}
		b, perr := probes.ParseBundle(sent.Body)
		if sent.StatusCode != 200 || perr != nil {
			bad = append(bad, fmt.Sprintf("%s search: %s", c.typ, sent.Describe()))
			continue
		}
		m := b.Matches(c.typ)
		if len(m) != 1 {
			bad = append(bad, fmt.Sprintf("%s search for %s: %d matches", c.typ, c.value, len(m)))
			continue
		}
		var r probes.Resource
		_ = json.Unmarshal(m[0], &r)
		if !hasProfile(r.Meta, c.profile) {
			bad = append(bad, c.typ+" lacks the "+c.profile+" profile")
			continue
		}
		notes = append(notes, fmt.Sprintf("%s %s found", c.typ, c.value))
	}
	// The branch surgery Location comes from the test patient's registration details.
	if loc := branchLocation(ctx, s); loc != "" {
		sent, err := Do(ctx, s, Call{URL: loc, Interaction: InteractionReadLocation, Scope: ScopeOrgRead})
		if err != nil {
			return probes.Errored(exp, err)
		}
		var r probes.Resource
		if sent.StatusCode != 200 || probes.DecodeResource(sent.Body, "Location", &r) != nil {
			bad = append(bad, fmt.Sprintf("read %s: %s", probes.Clip(loc, 60), sent.Describe()))
		} else {
			notes = append(notes, "Location read")
		}
	} else {
		notes = append(notes, "no preferredBranchSurgery Location to read")
	}
	sent, err := Do(ctx, s, Call{URL: "Organization/jigsaw-unknown-" + probes.RandomHex(4), Interaction: InteractionReadOrganization, Scope: ScopeOrgRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	a := parseError(sent.Response)
	if _, ok := a.match([]expectation{{status: 404, codes: []string{"ORGANISATION_NOT_FOUND"}}}); !ok {
		bad = append(bad, "unknown Organization id: "+a.String())
	} else {
		notes = append(notes, "unknown Organization: "+a.String())
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

// branchLocation finds Location/<id> in the test patient's registration details.
func branchLocation(ctx context.Context, s *probes.Session) string {
	sent, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, testNHSNumber(s)), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
	if err != nil || sent.StatusCode != 200 {
		return ""
	}
	b, err := probes.ParseBundle(sent.Body)
	if err != nil {
		return ""
	}
	for _, raw := range b.Matches("Patient") {
		var p struct {
			Extension []struct {
				Extension []struct {
					URL            string            `json:"url"`
					ValueReference *probes.Reference `json:"valueReference"`
				} `json:"extension"`
			} `json:"extension"`
		}
		_ = json.Unmarshal(raw, &p)
		for _, e := range p.Extension {
			for _, sub := range e.Extension {
				if sub.URL == "preferredBranchSurgery" && sub.ValueReference != nil && strings.HasPrefix(sub.ValueReference.Reference, "Location/") {
					return sub.ValueReference.Reference
				}
			}
		}
	}
	return ""
}

func metadataCall() Call {
	return Call{URL: "metadata", Interaction: InteractionMetadata, Scope: ScopeOrgRead}
}

func withOmit(c Call, h ...string) Call { c.Omit = h; return c }

func withSet(c Call, k, v string) Call { c.Set = map[string]string{k: v}; return c }

func withClaims(c Call, f func(jwt.MapClaims)) Call { c.Claims = f; return c }

func headersRequired(ctx context.Context, s *probes.Session) probes.Result {
	var cases []negativeCase
	for _, h := range []string{"Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Authorization"} {
		cases = append(cases, negativeCase{"without " + h, withOmit(metadataCall(), h), []expectation{anyFailure}})
	}
	return runNegative(ctx, s, "a 4xx with an OperationOutcome for each missing header", cases)
}

func headersSspTo(ctx context.Context, s *probes.Session) probes.Result {
	return runNegative(ctx, s, "400 BAD_REQUEST for another provider's ASID", []negativeCase{
		{"Ssp-To 200000000999", withSet(metadataCall(), "Ssp-To", "200000000999"), []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}},
	})
}

func headersInteraction(ctx context.Context, s *probes.Session) probes.Result {
	wrong := metadataCall()
	wrong.Interaction = InteractionSearchPatient
	unknown := metadataCall()
	unknown.Interaction = urnPrefix + "fhir:rest:read:metadata-9"
	want := []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}
	return runNegative(ctx, s, "400 BAD_REQUEST when Ssp-InteractionID does not match the request", []negativeCase{
		{"patient-search interaction on /metadata", wrong, want},
		{"unknown interaction", unknown, want},
	})
}

func jwtClaims(ctx context.Context, s *probes.Session) probes.Result {
	exp := "400 for each missing claim; 200 with UNK SDS ids"
	var cases []negativeCase
	for _, claim := range []string{"iss", "aud", "exp", "iat", "reason_for_request", "requested_scope", "requesting_device", "requesting_practitioner"} {
		cases = append(cases, negativeCase{"without " + claim, withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, claim) }), []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}})
	}
	res := runNegative(ctx, s, exp, cases)
	if res.Status != probes.Pass {
		return res
	}
	sent, err := Do(ctx, s, withClaims(metadataCall(), func(c jwt.MapClaims) {
		pr := c["requesting_practitioner"].(map[string]any)
		pr["identifier"] = []any{map[string]any{"system": SystemSDSUser, "value": "UNK"}, map[string]any{"system": SystemSDSRole, "value": "UNK"}}
	}))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		return probes.Failed(exp, "UNK SDS user and role ids refused: "+sent.Describe())
	}
	res.Observed += "; UNK SDS ids: HTTP 200"
	return res
}

func jwtLifetime(ctx context.Context, s *probes.Session) probes.Result {
	exp := "400 when exp - iat is not 300 or the token has expired; iat 200 s ahead accepted"
	lifetime := func(d int64) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + d }
	}
	past := metadataCall()
	past.Now = time.Now().Add(-600 * time.Second)
	want := []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}
	res := runNegative(ctx, s, exp, []negativeCase{
		{"exp - iat = 301", withClaims(metadataCall(), lifetime(301)), want},
		{"exp - iat = 299", withClaims(metadataCall(), lifetime(299)), want},
		{"exp before iat", withClaims(metadataCall(), lifetime(-1)), want},
		{"iat 600 s ago (expired)", past, want},
	})
	if res.Status != probes.Pass {
		return res
	}
	future := metadataCall()
	future.Now = time.Now().Add(200 * time.Second)
	sent, err := Do(ctx, s, future)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		// The spec is silent on clock skew; the suite expects acceptance.
		return probes.Warned(exp, res.Observed+"; iat 200 s ahead refused ("+sent.Describe()+"): the suite expects 200")
	}
	res.Observed += "; iat 200 s ahead: HTTP 200"
	return res
}

func jwtEncoding(ctx context.Context, s *probes.Session) probes.Result {
	claims := Claims(Settings(s.Target), s.Target.BaseURL, ScopeOrgRead, time.Now())
	raw, _ := json.Marshal(claims)
	c1 := metadataCall()
	c1.RawToken = string(raw)
	c2 := metadataCall()
	c2.RawToken = "not-a-jwt"
	want := []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}
	return runNegative(ctx, s, "400 for a token that is not a base64url JWT", []negativeCase{
		{"raw JSON token", c1, want},
		{"one-part token", c2, want},
	})
}

func jwtScope(ctx context.Context, s *probes.Session) probes.Result {
	want := []expectation{{status: 400, codes: []string{"BAD_REQUEST"}}}
	badScope := metadataCall()
	badScope.Scope = "badScope"
	wrongScope := metadataCall()
	wrongScope.Scope = ScopePatientWrite
	reason := withClaims(metadataCall(), func(c jwt.MapClaims) { c["reason_for_request"] = "invalid" })
	return runNegative(ctx, s, "400 BAD_REQUEST for a bad or mismatched scope and a reason other than directcare", []negativeCase{
		{"requested_scope badScope", badScope, want},
		{"patient/*.write on /metadata", wrongScope, want},
		{"reason_for_request invalid", reason, want},
	})
}

func jwtResources(ctx context.Context, s *probes.Session) probes.Result {
	want := []expectation{{status: 422, codes: []string{"INVALID_RESOURCE"}, source: "suite"}, {status: 400, codes: []string{"BAD_REQUEST"}, source: "spec"}}
	setField := func(claim, key string, v any) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c[claim].(map[string]any)[key] = v }
	}
	return runNegative(ctx, s, "422 INVALID_RESOURCE (suite) or 400 BAD_REQUEST (spec) for invalid JWT resources", []negativeCase{
		{"device resourceType InvalidResourceType", withClaims(metadataCall(), setField("requesting_device", "resourceType", "InvalidResourceType")), want},
		{"device with an unknown element", withClaims(metadataCall(), setField("requesting_device", "jigsawUnknownElement", "x")), want},
		{"practitioner resourceType InvalidResourceType", withClaims(metadataCall(), setField("requesting_practitioner", "resourceType", "InvalidResourceType")), want},
	})
}

func mediaType(ctx context.Context, s *probes.Session) probes.Result {
	exp := "415 with an OperationOutcome for unsupported formats; application/fhir+json on success"
	if r, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	res := runNegative(ctx, s, exp, []negativeCase{
		{"Accept text/xml", withSet(metadataCall(), "Accept", "text/xml"), []expectation{{status: 415}}},
		{"_format=application/pdf", Call{URL: "metadata?_format=application%2Fpdf", Interaction: InteractionMetadata, Scope: ScopeOrgRead}, []expectation{{status: 415}}},
	})
	if res.Status != probes.Pass {
		return res
	}
	sent, err := Do(ctx, s, metadataCall())
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.ContentType() != "application/fhir+json" {
		return probes.Failed(exp, fmt.Sprintf("success Content-Type %q, want application/fhir+json", probes.Clip(sent.Header.Get("Content-Type"), 60)))
	}
	return res
}

func unknownInteraction(ctx context.Context, s *probes.Session) probes.Result {
	patch := metadataCall()
	patch.Method = http.MethodPatch
	patch.Body = []byte(`{}`)
	wrongCase := metadataCall()
	wrongCase.URL = "Metadata"
	unknown := metadataCall()
	unknown.URL = "metadatas"
	return runNegative(ctx, s, "a 4xx with an OperationOutcome for unknown paths and verbs", []negativeCase{
		{"GET /metadatas", unknown, []expectation{anyFailure}},
		{"GET /Metadata", wrongCase, []expectation{anyFailure}},
		{"PATCH /metadata", patch, []expectation{anyFailure}},
	})
}

func noStore(ctx context.Context, s *probes.Session) probes.Result {
	exp := "Cache-Control containing no-store on a success and on an error"
	var bad, notes []string
	for _, c := range []struct {
		label string
		call  Call
	}{
		{"patient search", Call{URL: searchQuery("Patient", probes.SystemNHSNumber, testNHSNumber(s)), Interaction: InteractionSearchPatient, Scope: ScopePatientRead}},
		{"error", withSet(metadataCall(), "Ssp-InteractionID", InteractionSearchPatient)},
	} {
		sent, err := Do(ctx, s, c.call)
		if err != nil {
			return probes.Errored(exp, err)
		}
		cc := sent.Header.Get("Cache-Control")
		if !strings.Contains(strings.ToLower(cc), "no-store") {
			bad = append(bad, fmt.Sprintf("%s (HTTP %d): Cache-Control %q", c.label, sent.StatusCode, probes.Clip(cc, 60)))
		} else {
			notes = append(notes, fmt.Sprintf("%s (HTTP %d): %s", c.label, sent.StatusCode, probes.Clip(cc, 60)))
		}
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

func errorsOutcome(ctx context.Context, s *probes.Session) probes.Result {
	exp := "404 OperationOutcome: GPConnect-OperationOutcome-1 profile, severity error, issue.code, one Spine coding with code and display"
	if r, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	sent, err := Do(ctx, s, Call{URL: "Patient/jigsaw-unknown-" + probes.RandomHex(4), Interaction: InteractionReadPatient, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	oo, err := probes.ParseOperationOutcome(sent.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", sent.Describe(), err))
	}
	var problems []string
	if sent.StatusCode != 404 {
		problems = append(problems, fmt.Sprintf("HTTP %d, want 404", sent.StatusCode))
	}
	if !hasProfile(oo.Meta, "GPConnect-OperationOutcome-1") {
		problems = append(problems, "meta.profile lacks GPConnect-OperationOutcome-1")
	}
	if len(oo.Issue) == 0 {
		problems = append(problems, "no issue")
	}
	code := ""
	for i, is := range oo.Issue {
		if is.Severity != "error" || is.Code == "" {
			problems = append(problems, fmt.Sprintf("issue %d: severity %q, code %q", i, probes.Clip(is.Severity, 20), probes.Clip(is.Code, 30)))
		}
		var codings []probes.Coding
		if is.Details != nil {
			codings = is.Details.Coding
		}
		if len(codings) != 1 || codings[0].Code == "" || codings[0].Display == "" {
			problems = append(problems, fmt.Sprintf("issue %d: %d details codings, want one with code and display", i, len(codings)))
			continue
		}
		code = codings[0].Code
		if codings[0].System != SystemSpineCode {
			problems = append(problems, fmt.Sprintf("issue %d: coding system %q, want %s", i, probes.Clip(codings[0].System, 80), SystemSpineCode))
		}
	}
	if code != "" && code != "PATIENT_NOT_FOUND" {
		problems = append(problems, fmt.Sprintf("Spine code %q, want PATIENT_NOT_FOUND", probes.Clip(code, 40)))
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%s; %s", sent.Describe(), code))
}
