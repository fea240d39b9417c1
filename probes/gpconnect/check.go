package gpconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// specBase is the GP Connect 1.6.0 specification as published (a versioned site: the
// unversioned https://developer.nhs.uk/apis/gpconnect/ moves with each release).
const specBase = "https://developer.nhs.uk/apis/gpconnect-1-6-0/"

// Spec pages the probes cite (gpconnect.md source tags → published permalinks).
var (
	specErrors      = specBase + "development_fhir_error_handling_guidance.html"
	specGeneral     = specBase + "development_general_api_guidance.html"
	specFHIRAPI     = specBase + "development_fhir_api_guidance.html"
	specJWT         = specBase + "integration_cross_organisation_audit_and_provenance.html"
	specInteraction = specBase + "integration_interaction_ids.html"
	specSecurity    = specBase + "development_api_security_guidance.html"
	specSSP         = specBase + "integration_spine_secure_proxy.html"
	specCapability  = specBase + "foundations_use_case_get_the_fhir_capability_statement.html"
	specFindPatient = specBase + "foundations_use_case_find_a_patient.html"
	specReadPatient = specBase + "foundations_use_case_read_a_patient.html"
	specFindOrg     = specBase + "foundations_use_case_find_an_organisation.html"
	specReadOrg     = specBase + "foundations_use_case_read_an_organisation.html"
	specFindPract   = specBase + "foundations_use_case_find_a_practitioner.html"
	specReadPract   = specBase + "foundations_use_case_read_a_practitioner.html"
	specReadLoc     = specBase + "foundations_use_case_read_a_location.html"
	specSlots       = specBase + "appointments_use_case_search_for_free_slots.html"
	specBook        = specBase + "appointments_use_case_book_an_appointment.html"
	specReadAppt    = specBase + "appointments_use_case_read_an_appointment.html"
	specPatientAppt = specBase + "appointments_use_case_retrieve_a_patients_appointments.html"
	specGSR         = specBase + "accessrecord_structured_development_retrieve_patient_record.html"
	specBundle      = specBase + "accessrecord_structured_development_bundle.html"
	specLists       = specBase + "accessrecord_structured_development_list.html"
	specCompat      = specBase + "accessrecord_structured_development_version_compatibility.html"
	specARSCap      = specBase + "accessrecord_structured_get_the_fhir_capability_statement.html"
	specPerf        = specBase + "development_api_volume_and_performance.html"

	// The official provider test suite at the 1.6.0 pack, and the DSTU2-era 0.7.3 pack.
	suite    = "https://github.com/nhsconnect/gpconnect-provider-testing/blob/feature/1.6.0/GPConnect.Provider.AcceptanceTests/"
	suite073 = "https://github.com/nhsconnect/gpconnect-provider-testing/blob/release/0.7.3/GPConnect.Provider.AcceptanceTests/"
)

// Test patients of the official suite (gpconnect.md §12).
const (
	PatientMain         = "9690937286" // patient2: rich record, a confidential medication
	PatientSensitive    = "9690938533" // patient9
	PatientDeceased     = "9690938681" // patient18
	PatientInactive     = "9690938142" // patient21
	PatientSuperseded   = "9690938622" // patient11
	PatientConfidential = "9690938118" // patient16: confidential-items warning on allergies
	PatientUnknown      = "9999999999"
	PatientBadCheck     = "1234567891"
)

// testNHSNumber is the patient the pack reads: --patient, else the suite's patient2.
func testNHSNumber(s *probes.Session) string {
	if s.Target.TestNHSNumber != "" {
		return s.Target.TestNHSNumber
	}
	return PatientMain
}

// notApplicable says the provider does not claim what the probe tests.
func notApplicable(expected, why string) probes.Result {
	return probes.Result{Status: probes.NotApplicable, Expected: expected, Observed: why}
}

// errorAnswer is a parsed error response.
type errorAnswer struct {
	status    int
	outcome   *probes.OperationOutcome
	spineCode string
	parseErr  error
}

func parseError(r *probes.Response) errorAnswer {
	a := errorAnswer{status: r.StatusCode}
	a.outcome, a.parseErr = probes.ParseOperationOutcome(r.Body)
	if a.outcome != nil {
		for _, is := range a.outcome.Issue {
			if is.Details != nil {
				for _, c := range is.Details.Coding {
					if c.Code != "" {
						a.spineCode = c.Code
						break
					}
				}
			}
			if a.spineCode != "" {
				break
			}
		}
	}
	return a
}

func (a errorAnswer) String() string {
	switch {
	case a.status >= 200 && a.status < 300:
		return fmt.Sprintf("HTTP %d (served, not refused)", a.status)
	case a.parseErr != nil:
		return fmt.Sprintf("HTTP %d, no OperationOutcome (%s)", a.status, probes.Clip(a.parseErr.Error(), 80))
	case a.spineCode == "":
		return fmt.Sprintf("HTTP %d, OperationOutcome without a Spine error code", a.status)
	default:
		return fmt.Sprintf("HTTP %d %s", a.status, probes.Clip(a.spineCode, 60))
	}
}

// expectation is one acceptable answer to a negative test: a status and the Spine codes it
// may carry. Source says who expects it (spec or suite). An answer that meets only an
// expectation with a warning warns: the specification allows it but the suite does not, or
// the other way round.
type expectation struct {
	status int
	codes  []string
	source string
	warn   string
	// noOutcome accepts the status without a GP Connect OperationOutcome (a 401 answered as
	// RFC 6750 describes, say).
	noOutcome bool
}

func (e expectation) String() string {
	s := fmt.Sprintf("%d %s", e.status, strings.Join(e.codes, "/"))
	switch {
	case e.noOutcome:
		s = fmt.Sprintf("%d", e.status)
	case e.status == anyClientError && len(e.codes) == 0:
		s = "a 4xx OperationOutcome with a Spine error code"
	case e.status == anyClientError:
		s = "a 4xx " + strings.Join(e.codes, "/")
	case len(e.codes) == 0:
		s = fmt.Sprintf("%d OperationOutcome with a Spine error code", e.status)
	}
	if e.source != "" {
		s += " (" + e.source + ")"
	}
	return s
}

// anyClientError matches any 4xx status.
const anyClientError = -4

// specAnswer is the one answer the specification's error table gives.
func specAnswer(status int, codes ...string) expectation {
	return expectation{status: status, codes: codes, source: "spec"}
}

// otherRefusal accepts any other 4xx OperationOutcome carrying a Spine code, with a warning:
// the refusal happened, but not with the answer the specification names.
func otherRefusal(why string) expectation {
	return expectation{status: anyClientError, source: "suite", warn: why}
}

// match reports which expectation (if any) the answer meets. An OperationOutcome with a
// Spine error code is always required: GP Connect errors carry one ([S err]).
func (a errorAnswer) match(exps []expectation) (expectation, bool) {
	for _, e := range exps {
		statusOK := a.status == e.status || (e.status == anyClientError && a.status >= 400 && a.status < 500)
		if statusOK && e.noOutcome {
			return e, true
		}
		if a.parseErr != nil || a.spineCode == "" {
			continue
		}
		if statusOK && (len(e.codes) == 0 || slices.Contains(e.codes, a.spineCode)) {
			return e, true
		}
	}
	return expectation{}, false
}

func describeExps(exps []expectation) string {
	parts := make([]string, len(exps))
	for i, e := range exps {
		parts[i] = e.String()
	}
	return strings.Join(parts, " or ")
}

// negativeCase is one broken request and the answers acceptable for it. SuiteOnly, when
// set, says the case is a rule of the official test suite that the specification does not
// make: a provider that does not meet it gets a warning, not a failure.
type negativeCase struct {
	name      string
	call      Call
	want      []expectation
	suiteOnly string
}

// negativeOutcome is what a batch of negative cases showed.
type negativeOutcome struct {
	bad, warns, notes []string
}

func (o *negativeOutcome) result(expected string) probes.Result {
	switch {
	case len(o.bad) > 0:
		return probes.Failed(expected, strings.Join(append(append([]string{}, o.bad...), o.warns...), "; "))
	case len(o.warns) > 0:
		return probes.Warned(expected, strings.Join(append(append([]string{}, o.warns...), o.notes...), "; "))
	}
	return probes.Passed(expected, strings.Join(o.notes, "; "))
}

// send runs the cases and sorts their answers into failures, warnings and notes. The error
// is non-nil only when a request got no response at all.
func (o *negativeOutcome) send(ctx context.Context, s *probes.Session, cases []negativeCase) error {
	for _, c := range cases {
		sent, err := Do(ctx, s, c.call)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		a := parseError(sent.Response)
		e, ok := a.match(c.want)
		switch {
		case !ok && c.suiteOnly != "":
			o.warns = append(o.warns, fmt.Sprintf("%s: got %s; the suite wants %s (%s)", c.name, a, describeExps(c.want), c.suiteOnly))
		case !ok:
			o.bad = append(o.bad, fmt.Sprintf("%s: got %s, want %s", c.name, a, describeExps(c.want)))
		case e.warn != "":
			o.warns = append(o.warns, fmt.Sprintf("%s: %s, where the specification says %s (%s)", c.name, a, describeExps(specOnly(c.want)), e.warn))
		default:
			note := fmt.Sprintf("%s: %s", c.name, a)
			if e.source != "" && len(c.want) > 1 {
				note += " (as the " + e.source + " says)"
			}
			o.notes = append(o.notes, note)
		}
	}
	return nil
}

func specOnly(exps []expectation) []expectation {
	var out []expectation
	for _, e := range exps {
		if e.warn == "" {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return exps
	}
	return out
}

// runNegative checks the baseline, sends each case and judges: any unacceptable answer
// fails; an answer acceptable only with a warning (or a missed suite-only rule) warns.
func runNegative(ctx context.Context, s *probes.Session, expected string, cases []negativeCase) probes.Result {
	if r, _, ok := requireBaseline(ctx, s, expected); !ok {
		return r
	}
	return sendNegative(ctx, s, expected, cases)
}

// sendNegative is runNegative without the baseline check (the caller made it).
func sendNegative(ctx context.Context, s *probes.Session, expected string, cases []negativeCase) probes.Result {
	var o negativeOutcome
	if err := o.send(ctx, s, cases); err != nil {
		return probes.Errored(expected, err)
	}
	return o.result(expected)
}

// baselineDoc is the provider's CapabilityStatement as a well-formed GP Connect request saw
// it. Problem is empty when the endpoint answered as a GP Connect STU3 provider.
type baselineDoc struct {
	resp    *probes.Response
	cs      *probes.CapabilityStatement
	doc     capabilityDoc
	problem string
	// certRequired says the provider refused the request for want of a client certificate
	// (HTTP 495/496, the suite's expectation): the inspector's set-up, not a finding.
	certRequired bool
}

// capabilityDoc is what the probes read of a CapabilityStatement beyond the engine's model.
type capabilityDoc struct {
	Version string `json:"version"`
	Rest    []struct {
		Operation []struct {
			Name       string           `json:"name"`
			Definition probes.Reference `json:"definition"`
		} `json:"operation"`
	} `json:"rest"`
}

func (b *baselineDoc) operation(name string) (string, bool) {
	for _, r := range b.doc.Rest {
		for _, o := range r.Operation {
			if o.Name == name {
				return o.Definition.Reference, true
			}
		}
	}
	return "", false
}

// declares reports whether the CapabilityStatement declares the interaction on the type.
func (b *baselineDoc) declares(resourceType, interaction string) bool {
	if b.cs == nil {
		return false
	}
	r := b.cs.ResourceDecl(resourceType)
	return r != nil && r.HasInteraction(interaction)
}

func judgeBaseline(resp *probes.Response, which string) *baselineDoc {
	b := &baselineDoc{resp: resp}
	switch {
	case resp.StatusCode == 495 || resp.StatusCode == 496:
		b.certRequired = true
		b.problem = fmt.Sprintf("GET %s/metadata was refused for want of a client certificate (%s)", which, resp.Describe())
		return b
	case resp.StatusCode != 200:
		b.problem = fmt.Sprintf("GET %s/metadata with the GP Connect headers and JWT answered %s", which, resp.Describe())
		return b
	}
	cs, err := probes.ParseCapabilityStatement(resp.Body)
	if err != nil {
		b.problem = fmt.Sprintf("GET %s/metadata did not return a CapabilityStatement (%v)", which, err)
		return b
	}
	b.cs = cs
	_ = json.Unmarshal(resp.Body, &b.doc)
	if !strings.HasPrefix(cs.FHIRVersion, "3.0") {
		b.problem = fmt.Sprintf("GET %s/metadata declares fhirVersion %q: not a GP Connect (STU3) provider", which, probes.Clip(cs.FHIRVersion, 20))
	}
	return b
}

// foundationsBaseline fetches the Foundations CapabilityStatement once per run with the
// metadata interaction: every Foundations and Appointments probe depends on it.
func foundationsBaseline(ctx context.Context, s *probes.Session) (*baselineDoc, error) {
	v, err := s.Shared(ctx, "gpconnect.baseline", func(ctx context.Context, s *probes.Session) (any, error) {
		sent, err := Do(ctx, s, metadataCall())
		if err != nil {
			return nil, err
		}
		return judgeBaseline(sent.Response, "[base]"), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*baselineDoc), nil
}

// structuredBaseline fetches the Access Record Structured server's own CapabilityStatement
// (a separate FHIR server) with the structured metadata interaction.
func structuredBaseline(ctx context.Context, s *probes.Session) (*baselineDoc, error) {
	u, ok := structuredURL(s, "metadata")
	if !ok {
		return nil, errNoStructured
	}
	v, err := s.Shared(ctx, "gpconnect.baseline.structured", func(ctx context.Context, s *probes.Session) (any, error) {
		sent, err := Do(ctx, s, Call{URL: u, Interaction: InteractionStructuredMetadata, Scope: ScopeOrgRead})
		if err != nil {
			return nil, err
		}
		return judgeBaseline(sent.Response, "[structured base]"), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*baselineDoc), nil
}

// requireBaseline returns the Foundations baseline, or the skip a dependent probe reports
// when the endpoint is not a GP Connect STU3 provider (the root finding is
// gpconnect.capability's).
func requireBaseline(ctx context.Context, s *probes.Session, expected string) (probes.Result, *baselineDoc, bool) {
	b, err := foundationsBaseline(ctx, s)
	if err != nil {
		return probes.Skipped(expected, "depends on gpconnect.capability, which could not test: "+err.Error()), nil, false
	}
	if b.problem != "" {
		return probes.Skipped(expected, "depends on gpconnect.capability: "+b.problem), nil, false
	}
	return probes.Result{}, b, true
}

// requireStructured is requireBaseline for the Access Record Structured server.
func requireStructured(ctx context.Context, s *probes.Session, expected string) (probes.Result, *baselineDoc, bool) {
	b, err := structuredBaseline(ctx, s)
	switch {
	case err == errNoStructured:
		return probes.Skipped(expected, noStructured), nil, false
	case err != nil:
		return probes.Skipped(expected, "depends on gpconnect.capability.structured, which could not test: "+err.Error()), nil, false
	case b.problem != "":
		return probes.Skipped(expected, "depends on gpconnect.capability.structured: "+b.problem), nil, false
	}
	if _, ok := b.operation("gpc.getstructuredrecord"); !ok {
		return notApplicable(expected, "the structured CapabilityStatement does not declare gpc.getstructuredrecord"), nil, false
	}
	return probes.Result{}, b, true
}

// requireDeclared is requireBaseline plus: the provider declares the interaction on the
// type, else the probe is not applicable (Appointment Management, say, is a capability of
// its own that a provider may not offer).
func requireDeclared(ctx context.Context, s *probes.Session, expected, resourceType, interaction string) (probes.Result, *baselineDoc, bool) {
	r, b, ok := requireBaseline(ctx, s, expected)
	if !ok {
		return r, nil, false
	}
	if !b.declares(resourceType, interaction) {
		return notApplicable(expected, fmt.Sprintf("the CapabilityStatement does not declare %s %s", resourceType, interaction)), nil, false
	}
	return probes.Result{}, b, true
}

// suiteDataLoaded reports whether the official suite's test patients are on the provider
// (patient2 is found by its NHS number): checks that the suite's sensitive, deceased and
// inactive patients are hidden mean nothing on a provider that never held them.
func suiteDataLoaded(ctx context.Context, s *probes.Session) (bool, string, error) {
	v, err := s.Shared(ctx, "gpconnect.suite-data", func(ctx context.Context, s *probes.Session) (any, error) {
		sent, err := Do(ctx, s, Call{URL: searchQuery("Patient", probes.SystemNHSNumber, PatientMain), Interaction: InteractionSearchPatient, Scope: ScopePatientRead})
		if err != nil {
			return nil, err
		}
		b, perr := probes.ParseBundle(sent.Body)
		if sent.StatusCode != 200 || perr != nil || len(b.Matches("Patient")) != 1 {
			return "the official suite's test patients are not loaded (patient2 " + s.Identifier(PatientMain) + " not found: " + sent.Describe() + ")", nil
		}
		return "", nil
	})
	if err != nil {
		return false, "", err
	}
	why := v.(string)
	return why == "", why, nil
}

// searchQuery is a search by identifier system|value.
func searchQuery(resourceType, system, value string) string {
	return resourceType + "?identifier=" + url.QueryEscape(system+"|"+value)
}

// structuredURL resolves a path against the Access Record Structured base.
func structuredURL(s *probes.Session, path string) (string, bool) {
	g := Settings(s.Target)
	if g.StructuredURL == "" {
		return "", false
	}
	return g.StructuredURL + "/" + path, true
}

func hasProfile(m *probes.ResourceMeta, name string) bool {
	if m == nil {
		return false
	}
	return slices.ContainsFunc(m.Profile, func(p string) bool { return strings.Contains(p, "/"+name) })
}

// weakETag is the ETag GP Connect requires on reads: W/"<meta.versionId>".
func weakETag(versionID string) string { return `W/"` + versionID + `"` }
