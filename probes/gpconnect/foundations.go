package gpconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

func foundationsDefs() []def {
	return []def{
		{"gpconnect.capability", probes.High, verdict.Shall, "Foundations CapabilityStatement (baseline)",
			specCapability + "; " + suite + "FHIR.feature",
			"The provider SHALL return its CapabilityStatement for GET [base]/metadata with the metadata interaction: fhirVersion 3.0.1, application/fhir+json (XML SHOULD), software name and version, the GP Connect profiles and the gpc.registerpatient and gpc.getstructuredrecord operations with their OperationDefinitions.",
			"The baseline of the pack: GET /metadata with the Spine headers and JWT. Every other Foundations and Appointments probe skips when this endpoint is not a GP Connect STU3 provider.",
			capability},
		{"gpconnect.capability.structured", probes.High, verdict.Shall, "Access Record Structured CapabilityStatement (baseline)",
			specARSCap + "; " + suite + "FHIR.feature",
			"The Access Record Structured FHIR server SHALL return its own CapabilityStatement for GET [structured base]/metadata with the structured metadata interaction: fhirVersion 3.0.1 and the gpc.getstructuredrecord operation.",
			"The baseline of the structured-record probes, read from the structured server's own /metadata (not the Foundations one).",
			capabilityStructured},
		{"gpconnect.patient.search", probes.High, verdict.Shall, "Find a patient by NHS number",
			specFindPatient + "; " + suite + "PatientSearch.feature",
			"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[NHS number] SHALL return a searchset Bundle holding the matching Patient conforming to CareConnect-GPC-Patient-1 (one official name, the NHS number identifier).",
			"A searchset with exactly the patient. More than one identifier is allowed by the specification (relevant business identifiers) but not by the suite: reported as a warning.",
			patientSearch},
		{"gpconnect.patient.read", probes.Medium, verdict.Shall, "Read a patient by logical id",
			specReadPatient + "; " + specFHIRAPI + "; " + suite + "PatientRead.feature",
			"GET /Patient/[id] SHALL return the Patient (CareConnect-GPC-Patient-1) with meta.versionId and an ETag header W/\"[versionId]\".",
			"Reads the test patient by the id its search returned and compares ETag with meta.versionId.",
			patientRead},
		{"gpconnect.patient.restricted", probes.High, verdict.Shall, "Sensitive, deceased, inactive and unknown patients are not found",
			specFindPatient + "; " + suite + "PatientSearch.feature",
			"Patient search SHALL return only active, non-sensitive, living patients: the suite's sensitive, deceased, inactive and unknown NHS numbers give 200 and an empty searchset.",
			"Runs only where the suite's test patients are loaded (patient2 found): on any other provider an empty answer proves nothing.",
			patientRestricted},
		{"gpconnect.patient.invalid", probes.Medium, verdict.Shall, "Malformed patient searches are rejected",
			specErrors + "; " + suite + "PatientSearch.feature",
			"A malformed search SHALL be refused with a GP Connect OperationOutcome and its Spine code: a failing check digit 400 INVALID_NHS_NUMBER, no identifier or two identifiers 400 BAD_REQUEST, a blank system 400 INVALID_IDENTIFIER_SYSTEM (spec) or 422 INVALID_PARAMETER (suite).",
			"Each malformed search must be refused with the named Spine code; an answer without one fails.",
			patientInvalid},
		{"gpconnect.directory", probes.Medium, verdict.Shall, "Find an organisation and a practitioner",
			specFindOrg + "; " + specFindPract + "; " + suite + "OrganizationSearch.feature, PractitionerSearch.feature",
			"Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|[ODS] and Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|[SDS id] SHALL return a searchset with the match conforming to CareConnect-GPC-Organization-1 / CareConnect-GPC-Practitioner-1.",
			"Searches the provider's ODS code and SDS user id (--gpc-provider-ods… defaults are the suite's).",
			directory},
		{"gpconnect.organization.read", probes.Medium, verdict.Shall, "Read an organisation",
			specReadOrg + "; " + suite + "OrganizationRead.feature",
			"GET /Organization/[id] SHALL return the Organization (CareConnect-GPC-Organization-1) with its ETag; an unknown id SHALL get 404 ORGANISATION_NOT_FOUND.",
			"Reads the organisation found by ODS code, then an id no provider has.",
			organizationRead},
		{"gpconnect.practitioner.read", probes.Medium, verdict.Shall, "Read a practitioner",
			specReadPract + "; " + suite + "PractitionerRead.feature",
			"GET /Practitioner/[id] SHALL return the Practitioner (CareConnect-GPC-Practitioner-1) with its ETag; an unknown id SHALL get 404 PRACTITIONER_NOT_FOUND.",
			"Reads the practitioner found by SDS user id, then an id no provider has.",
			practitionerRead},
		{"gpconnect.location.read", probes.Medium, verdict.Shall, "Read a location",
			specReadLoc + "; " + suite + "LocationRead.feature",
			"GET /Location/[id] SHALL return the Location (CareConnect-GPC-Location-1); an unknown id SHALL get 404 with an OperationOutcome.",
			"Reads the test patient's preferredBranchSurgery Location, then an id no provider has.",
			locationRead},
		{"gpconnect.directory.invalid", probes.Medium, verdict.Shall, "Malformed organisation and practitioner searches are rejected",
			specErrors + "; " + suite + "PractitionerSearch.feature, OrganizationSearch.feature",
			"Searches without a usable identifier SHALL be refused: no identifier 400 BAD_REQUEST; an empty value or no system 422 INVALID_PARAMETER (suite) / 400 INVALID_IDENTIFIER_SYSTEM or INVALID_IDENTIFIER_VALUE (spec); an unknown SDS id gives 200 and an empty searchset.",
			"The suite's practitioner and organisation search negatives.",
			directoryInvalid},
	}
}

func capability(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 CapabilityStatement, fhirVersion 3.0.1, application/fhir+json, software, GP Connect profiles, gpc.registerpatient and gpc.getstructuredrecord operations"
	b, err := foundationsBaseline(ctx, s)
	if err != nil && certRefusal(err) && s.Target.ClientCert == "" {
		return probes.Errored(exp, fmt.Errorf("%w: the provider requires a client certificate; give the Spine client certificate with --cert/--key", err))
	}
	if err != nil {
		return probes.Errored(exp, err)
	}
	if b.certRequired && s.Target.ClientCert == "" {
		return probes.Errored(exp, errors.New(b.problem+": give the Spine client certificate with --cert/--key"))
	}
	if b.problem != "" {
		return probes.Failed(exp, b.problem)
	}
	return judgeCapability(exp, b, []string{"gpc.registerpatient", "gpc.getstructuredrecord"}, []string{"CareConnect-GPC-Patient-1", "CareConnect-GPC-Organization-1", "CareConnect-GPC-Practitioner-1", "CareConnect-GPC-Location-1", "GPConnect-OperationOutcome-1", "GPConnect-Appointment-1", "GPConnect-Slot-1"})
}

func capabilityStructured(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 CapabilityStatement from the structured server, fhirVersion 3.0.1, gpc.getstructuredrecord operation"
	b, err := structuredBaseline(ctx, s)
	if errors.Is(err, errNoStructured) {
		return probes.Skipped(exp, noStructured)
	}
	if err != nil && certRefusal(err) && s.Target.ClientCert == "" {
		return probes.Errored(exp, fmt.Errorf("%w: the provider requires a client certificate; give the Spine client certificate with --cert/--key", err))
	}
	if err != nil {
		return probes.Errored(exp, err)
	}
	if b.certRequired && s.Target.ClientCert == "" {
		return probes.Errored(exp, errors.New(b.problem+": give the Spine client certificate with --cert/--key"))
	}
	if b.problem != "" {
		// One root finding: when the Foundations endpoint is not a GP Connect provider either,
		// gpconnect.capability reports it and this one depends on it.
		if fb, ferr := foundationsBaseline(ctx, s); ferr == nil && fb.problem != "" {
			return probes.Skipped(exp, "depends on gpconnect.capability (neither endpoint answers as a GP Connect STU3 provider): "+b.problem)
		}
		return probes.Failed(exp, b.problem)
	}
	return judgeCapability(exp, b, []string{"gpc.getstructuredrecord"}, []string{"CareConnect-GPC-Patient-1", "GPConnect-StructuredRecord-Bundle-1"})
}

func judgeCapability(exp string, b *baselineDoc, ops, profiles []string) probes.Result {
	cs, resp := b.cs, b.resp
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
	for _, op := range ops {
		ref, ok := b.operation(op)
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
	obs := fmt.Sprintf("%s; fhirVersion %s, version %s, software %v, formats %v", resp.Describe(), probes.Clip(cs.FHIRVersion, 20), probes.Clip(b.doc.Version, 20), cs.Software != nil, cs.Format)
	switch {
	case len(problems) > 0:
		return probes.Failed(exp, strings.Join(problems, "; ")+" ("+obs+")")
	case len(warnings) > 0:
		return probes.Warned(exp, strings.Join(warnings, "; ")+" ("+obs+")")
	}
	return probes.Passed(exp, obs)
}

// gpcPatient is the part of a GP Connect Patient the probes read.
type gpcPatient struct {
	probes.Patient
	Name []struct {
		Use string `json:"use"`
	} `json:"name"`
	Extension []struct {
		URL       string `json:"url"`
		Extension []struct {
			URL            string            `json:"url"`
			ValueReference *probes.Reference `json:"valueReference"`
		} `json:"extension"`
	} `json:"extension"`
}

// branchSurgery is the Location the registration details name, or "".
func (p *gpcPatient) branchSurgery() string {
	for _, e := range p.Extension {
		for _, sub := range e.Extension {
			if sub.URL == "preferredBranchSurgery" && sub.ValueReference != nil && strings.HasPrefix(sub.ValueReference.Reference, "Location/") {
				return sub.ValueReference.Reference
			}
		}
	}
	return ""
}

// findPatient searches the test patient once per run.
type foundPatient struct {
	sent    *Sent
	bundle  *probes.Bundle
	patient *gpcPatient
	problem string // why there is no single Patient
}

func findTestPatient(ctx context.Context, s *probes.Session) (*foundPatient, error) {
	v, err := s.Shared(ctx, "gpconnect.test-patient", func(ctx context.Context, s *probes.Session) (any, error) {
		nhs := testNHSNumber(s)
		sent, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, nhs), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
		if err != nil {
			return nil, err
		}
		f := &foundPatient{sent: sent}
		if sent.StatusCode != 200 {
			f.problem = "patient search: " + sent.Describe()
			return f, nil
		}
		if f.bundle, err = probes.ParseBundle(sent.Body); err != nil {
			f.problem = fmt.Sprintf("patient search: %s: %v", sent.Describe(), err)
			return f, nil
		}
		m := f.bundle.Matches("Patient")
		if len(m) != 1 {
			f.problem = fmt.Sprintf("%d Patients for NHS number %s", len(m), s.Identifier(nhs))
			return f, nil
		}
		var p gpcPatient
		if err := json.Unmarshal(m[0], &p); err != nil {
			f.problem = "the Patient does not decode: " + err.Error()
			return f, nil
		}
		f.patient = &p
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*foundPatient), nil
}

func patientSearch(ctx context.Context, s *probes.Session) probes.Result {
	nhs := testNHSNumber(s)
	exp := "200 searchset with one Patient carrying the NHS number, CareConnect-GPC-Patient-1, one official name, application/fhir+json"
	if r, _, ok := requireDeclared(ctx, s, exp, "Patient", "search-type"); !ok {
		return r
	}
	f, err := findTestPatient(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.patient == nil {
		return probes.Failed(exp, f.problem)
	}
	resp, p := f.sent.Response, f.patient
	var problems []string
	if f.bundle.Type != "searchset" {
		problems = append(problems, fmt.Sprintf("Bundle.type %q", probes.Clip(f.bundle.Type, 20)))
	}
	if resp.ContentType() != "application/fhir+json" {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want application/fhir+json", probes.Clip(resp.Header.Get("Content-Type"), 60)))
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
	obs := fmt.Sprintf("%s; Patient/%s with NHS number %s", resp.Describe(), probes.Clip(p.ID, 64), s.Identifier(nhs))
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	if len(p.Identifier) > 1 {
		// The specification asks for "relevant business identifiers, including NHS number";
		// only the suite limits the Patient to the NHS number.
		return probes.Warned(exp, fmt.Sprintf("%d identifiers: the specification allows other business identifiers, the official suite (PatientSearch.feature) allows only the NHS number; %s", len(p.Identifier), obs))
	}
	return probes.Passed(exp, obs)
}

func patientRead(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Patient (CareConnect-GPC-Patient-1) with meta.versionId and ETag W/\"versionId\""
	if r, _, ok := requireDeclared(ctx, s, exp, "Patient", "read"); !ok {
		return r
	}
	f, err := findTestPatient(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.patient == nil {
		return probes.Skipped(exp, "depends on gpconnect.patient.search: "+f.problem)
	}
	return readResource(ctx, s, exp, "Patient", f.patient.ID, InteractionReadPatient, ScopePatientRead, "CareConnect-GPC-Patient-1")
}

// readResource reads [type]/[id] and judges profile, versionId and ETag.
func readResource(ctx context.Context, s *probes.Session, exp, typ, id, interaction, scope, profile string) probes.Result {
	sent, err := Do(ctx, s, Call{URL: typ + "/" + url.PathEscape(id), Interaction: interaction, Scope: scope})
	if err != nil {
		return probes.Errored(exp, err)
	}
	var r probes.Resource
	if sent.StatusCode != 200 {
		return probes.Failed(exp, fmt.Sprintf("read %s/%s: %s", typ, probes.Clip(id, 40), sent.Describe()))
	}
	if err := probes.DecodeResource(sent.Body, typ, &r); err != nil {
		return probes.Failed(exp, fmt.Sprintf("read %s/%s: %v", typ, probes.Clip(id, 40), err))
	}
	var problems []string
	if r.ID != id {
		problems = append(problems, fmt.Sprintf("id %q, asked for %q", probes.Clip(r.ID, 40), probes.Clip(id, 40)))
	}
	if !hasProfile(r.Meta, profile) {
		problems = append(problems, "meta.profile lacks "+profile)
	}
	vid := ""
	if r.Meta != nil {
		vid = r.Meta.VersionID
	}
	etag := sent.Header.Get("ETag")
	switch {
	case vid == "":
		problems = append(problems, "no meta.versionId")
	case etag != weakETag(vid):
		problems = append(problems, fmt.Sprintf("ETag %q, want %s", probes.Clip(etag, 40), weakETag(vid)))
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%s/%s: %s, ETag %s", typ, probes.Clip(id, 40), sent.Describe(), etag))
}

func patientRestricted(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 and an empty searchset for sensitive, deceased, inactive and unknown patients; 200 for a superseded number"
	if r, _, ok := requireDeclared(ctx, s, exp, "Patient", "search-type"); !ok {
		return r
	}
	loaded, why, err := suiteDataLoaded(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if !loaded {
		return probes.Skipped(exp, why+": an empty answer for its sensitive, deceased and inactive patients would prove nothing")
	}
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
	return probes.Passed(exp, "suite test data present; "+strings.Join(notes, "; "))
}

func patientInvalid(ctx context.Context, s *probes.Session) probes.Result {
	exp := "400/422 GP Connect OperationOutcome with the Spine code for each malformed patient search"
	if r, _, ok := requireDeclared(ctx, s, exp, "Patient", "search-type"); !ok {
		return r
	}
	call := func(q string) Call {
		return Call{URL: q, Interaction: InteractionSearchPatient, Scope: ScopePatientRead}
	}
	two := searchQuery("Patient", probes.SystemNHSNumber, testNHSNumber(s)) + "&identifier=" + url.QueryEscape(probes.SystemNHSNumber+"|"+PatientMain)
	return sendNegative(ctx, s, exp, []negativeCase{
		{name: "failing check digit", call: call(searchQuery("Patient", probes.SystemNHSNumber, PatientBadCheck)), want: []expectation{
			specAnswer(400, "INVALID_NHS_NUMBER", "INVALID_IDENTIFIER_VALUE"), {status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}}},
		{name: "no identifier", call: call("Patient"), want: []expectation{specAnswer(400, "BAD_REQUEST")}},
		{name: "two identifiers", call: call(two), want: []expectation{specAnswer(400, "BAD_REQUEST")}},
		{name: "blank system", call: call("Patient?identifier=%7C" + PatientMain), want: []expectation{
			{status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}, specAnswer(400, "INVALID_IDENTIFIER_SYSTEM")}},
	})
}

// directoryMatch searches Organization or Practitioner by identifier once per run.
type directoryMatch struct {
	sent     *Sent
	resource *probes.Resource
	problem  string
}

func findDirectory(ctx context.Context, s *probes.Session, typ string) (*directoryMatch, error) {
	g := Settings(s.Target)
	system, value, interaction := SystemODS, g.ProviderODS, InteractionSearchOrganization
	if typ == "Practitioner" {
		system, value, interaction = SystemSDSUser, g.ProviderPractitioner, InteractionSearchPractitioner
	}
	v, err := s.Shared(ctx, "gpconnect.find."+typ, func(ctx context.Context, s *probes.Session) (any, error) {
		sent, err := Do(ctx, s, Call{URL: searchQuery(typ, system, value), Interaction: interaction, Scope: ScopeOrgRead})
		if err != nil {
			return nil, err
		}
		d := &directoryMatch{sent: sent}
		b, perr := probes.ParseBundle(sent.Body)
		switch {
		case sent.StatusCode != 200 || perr != nil:
			d.problem = fmt.Sprintf("%s search for %s: %s", typ, value, sent.Describe())
		case b.Type != "searchset":
			d.problem = fmt.Sprintf("%s search: Bundle.type %q", typ, probes.Clip(b.Type, 20))
		case len(b.Matches(typ)) != 1:
			d.problem = fmt.Sprintf("%s search for %s: %d matches", typ, value, len(b.Matches(typ)))
		default:
			var r probes.Resource
			if err := json.Unmarshal(b.Matches(typ)[0], &r); err != nil {
				d.problem = fmt.Sprintf("%s search: the match does not decode: %v", typ, err)
			} else {
				d.resource = &r
			}
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*directoryMatch), nil
}

func directory(ctx context.Context, s *probes.Session) probes.Result {
	exp := "Organization by ODS code and Practitioner by SDS user id: 200 searchset with one match carrying the GPC profile"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	var bad, notes []string
	for _, c := range []struct{ typ, profile string }{{"Organization", "CareConnect-GPC-Organization-1"}, {"Practitioner", "CareConnect-GPC-Practitioner-1"}} {
		d, err := findDirectory(ctx, s, c.typ)
		if err != nil {
			return probes.Errored(exp, err)
		}
		switch {
		case d.resource == nil:
			bad = append(bad, d.problem)
		case !hasProfile(d.resource.Meta, c.profile):
			bad = append(bad, c.typ+" lacks the "+c.profile+" profile")
		default:
			notes = append(notes, fmt.Sprintf("%s/%s found", c.typ, probes.Clip(d.resource.ID, 40)))
		}
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

// readKnownAndUnknown reads a known resource and an unknown id.
func readKnownAndUnknown(ctx context.Context, s *probes.Session, exp, typ, id, interaction, profile string, notFound expectation) probes.Result {
	known := readResource(ctx, s, exp, typ, id, interaction, ScopeOrgRead, profile)
	if known.Status != probes.Pass {
		return known
	}
	res := sendNegative(ctx, s, exp, []negativeCase{{name: "unknown " + typ + " id", call: Call{URL: typ + "/jigsaw-unknown-" + probes.RandomHex(4), Interaction: interaction, Scope: ScopeOrgRead}, want: []expectation{notFound}}})
	res.Observed = known.Observed + "; " + res.Observed
	return res
}

func organizationRead(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Organization with ETag W/\"versionId\"; unknown id 404 ORGANISATION_NOT_FOUND"
	if r, _, ok := requireDeclared(ctx, s, exp, "Organization", "read"); !ok {
		return r
	}
	d, err := findDirectory(ctx, s, "Organization")
	if err != nil {
		return probes.Errored(exp, err)
	}
	if d.resource == nil {
		return probes.Skipped(exp, "depends on gpconnect.directory: "+d.problem)
	}
	return readKnownAndUnknown(ctx, s, exp, "Organization", d.resource.ID, InteractionReadOrganization, "CareConnect-GPC-Organization-1", specAnswer(404, "ORGANISATION_NOT_FOUND"))
}

func practitionerRead(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Practitioner with ETag W/\"versionId\"; unknown id 404 PRACTITIONER_NOT_FOUND"
	if r, _, ok := requireDeclared(ctx, s, exp, "Practitioner", "read"); !ok {
		return r
	}
	d, err := findDirectory(ctx, s, "Practitioner")
	if err != nil {
		return probes.Errored(exp, err)
	}
	if d.resource == nil {
		return probes.Skipped(exp, "depends on gpconnect.directory: "+d.problem)
	}
	return readKnownAndUnknown(ctx, s, exp, "Practitioner", d.resource.ID, InteractionReadPractitioner, "CareConnect-GPC-Practitioner-1", specAnswer(404, "PRACTITIONER_NOT_FOUND"))
}

func locationRead(ctx context.Context, s *probes.Session) probes.Result {
	exp := "200 Location (CareConnect-GPC-Location-1) for the patient's branch surgery; unknown id 404 with an OperationOutcome"
	if r, _, ok := requireDeclared(ctx, s, exp, "Location", "read"); !ok {
		return r
	}
	f, err := findTestPatient(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.patient == nil {
		return probes.Skipped(exp, "depends on gpconnect.patient.search: "+f.problem)
	}
	loc := f.patient.branchSurgery()
	if loc == "" {
		return probes.Skipped(exp, "the test patient's registration details name no preferredBranchSurgery Location (0..1 in CareConnect-GPC-Patient-1), so there is no known Location to read")
	}
	return readKnownAndUnknown(ctx, s, exp, "Location", strings.TrimPrefix(loc, "Location/"), InteractionReadLocation, "CareConnect-GPC-Location-1", expectation{status: 404, source: "suite"})
}

func directoryInvalid(ctx context.Context, s *probes.Session) probes.Result {
	exp := "no identifier 400 BAD_REQUEST; empty value or no system 422 INVALID_PARAMETER (suite) or 400 INVALID_IDENTIFIER_* (spec); unknown SDS id 200 empty"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	pract := func(q string) Call {
		return Call{URL: q, Interaction: InteractionSearchPractitioner, Scope: ScopeOrgRead}
	}
	badID := []expectation{{status: 422, codes: []string{"INVALID_PARAMETER"}, source: "suite"}, specAnswer(400, "INVALID_IDENTIFIER_SYSTEM", "INVALID_IDENTIFIER_VALUE")}
	var o negativeOutcome
	if err := o.send(ctx, s, []negativeCase{
		{name: "Practitioner search with an empty value", call: pract("Practitioner?identifier=" + url.QueryEscape(SystemSDSUser+"|")), want: badID},
		{name: "Practitioner search without a system", call: pract("Practitioner?identifier=" + url.QueryEscape(Settings(s.Target).ProviderPractitioner)), want: badID},
		{name: "Organization search without an identifier", call: Call{URL: "Organization", Interaction: InteractionSearchOrganization, Scope: ScopeOrgRead}, want: []expectation{specAnswer(400, "BAD_REQUEST"), otherRefusal("the suite accepts any failure with an OperationOutcome")}},
	}); err != nil {
		return probes.Errored(exp, err)
	}
	sent, err := Do(ctx, s, pract(searchQuery("Practitioner", SystemSDSUser, "G99999999")))
	if err != nil {
		return probes.Errored(exp, err)
	}
	b, perr := probes.ParseBundle(sent.Body)
	switch {
	case sent.StatusCode != 200 || perr != nil:
		o.bad = append(o.bad, "unknown SDS user id: "+sent.Describe()+", want 200 and an empty searchset")
	case len(b.Matches("Practitioner")) > 0:
		o.bad = append(o.bad, fmt.Sprintf("unknown SDS user id G99999999: %d Practitioners", len(b.Matches("Practitioner"))))
	default:
		o.notes = append(o.notes, "unknown SDS user id: 200, 0 entries")
	}
	return o.result(exp)
}
