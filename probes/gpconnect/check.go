package gpconnect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// specBase is where the GP Connect specification is published.
const specBase = "https://developer.nhs.uk/apis/gpconnect/"

// Spec pages the probes cite (gpconnect.md source tags → published permalinks).
var (
	specErrors      = specBase + "development_fhir_error_handling_guidance.html"
	specGeneral     = specBase + "development_general_api_guidance.html"
	specJWT         = specBase + "integration_cross_organisation_audit_and_provenance.html"
	specInteraction = specBase + "integration_interaction_ids.html"
	specSecurity    = specBase + "development_api_security_guidance.html"
	specSSP         = specBase + "integration_spine_secure_proxy.html"
	specCapability  = specBase + "foundations_use_case_get_the_fhir_capability_statement.html"
	specFindPatient = specBase + "foundations_use_case_find_a_patient.html"
	specFindOrg     = specBase + "foundations_use_case_find_an_organisation.html"
	specFindPract   = specBase + "foundations_use_case_find_a_practitioner.html"
	specReadLoc     = specBase + "foundations_use_case_read_a_location.html"
	specSlots       = specBase + "appointments_use_case_search_for_free_slots.html"
	specBook        = specBase + "appointments_use_case_book_an_appointment.html"
	specGSR         = specBase + "accessrecord_structured_development_retrieve_patient_record.html"
	specBundle      = specBase + "accessrecord_structured_development_bundle.html"
	specLists       = specBase + "accessrecord_structured_development_list.html"
	specCompat      = specBase + "accessrecord_structured_development_version_compatibility.html"
	specARSCap      = specBase + "accessrecord_structured_get_the_fhir_capability_statement.html"
	specPerf        = specBase + "development_api_volume_and_performance.html"
	suite           = "GP Connect provider test suite (nhsconnect/gpconnect-provider-testing) "
)

// Test patients of the official suite (gpconnect.md §12).
const (
	PatientMain       = "9690937286" // patient2
	PatientSensitive  = "9690938533" // patient9
	PatientDeceased   = "9690938681" // patient18
	PatientInactive   = "9690938142" // patient21
	PatientSuperseded = "9690938622" // patient11
	PatientUnknown    = "9999999999"
	PatientBadCheck   = "1234567891"
)

// testNHSNumber is the patient the pack reads: --patient, else the suite's patient2.
func testNHSNumber(s *probes.Session) string {
	if s.Target.TestNHSNumber != "" {
		return s.Target.TestNHSNumber
	}
	return PatientMain
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
	case a.parseErr != nil:
		return fmt.Sprintf("HTTP %d, no OperationOutcome (%s)", a.status, probes.Clip(a.parseErr.Error(), 80))
	case a.spineCode == "":
		return fmt.Sprintf("HTTP %d, OperationOutcome without a Spine error code", a.status)
	default:
		return fmt.Sprintf("HTTP %d %s", a.status, probes.Clip(a.spineCode, 60))
	}
}

// expectation is one acceptable answer to a negative test: a status and, optionally, the
// Spine codes it may carry. Source says who expects it (spec or suite).
type expectation struct {
	status int
	codes  []string
	source string
}

func (e expectation) String() string {
	if len(e.codes) == 0 {
		return fmt.Sprintf("%d+OperationOutcome", e.status)
	}
	return fmt.Sprintf("%d %s", e.status, strings.Join(e.codes, "/"))
}

// anyFailure accepts any 4xx with an OperationOutcome (the suite's "failure + OO").
var anyFailure = expectation{status: -4}

// match reports which expectation (if any) the answer meets. A missing Spine code is
// tolerated here: gpconnect.errors.operation-outcome judges the coding.
func (a errorAnswer) match(exps []expectation) (expectation, bool) {
	if a.parseErr != nil {
		return expectation{}, false
	}
	for _, e := range exps {
		statusOK := a.status == e.status || (e.status == -4 && a.status >= 400 && a.status < 500)
		if statusOK && (len(e.codes) == 0 || a.spineCode == "" || slices.Contains(e.codes, a.spineCode)) {
			return e, true
		}
	}
	return expectation{}, false
}

func describeExps(exps []expectation) string {
	parts := make([]string, len(exps))
	for i, e := range exps {
		if e.status == anyFailure.status {
			parts[i] = "a 4xx with an OperationOutcome"
			continue
		}
		parts[i] = e.String()
		if e.source != "" {
			parts[i] += " (" + e.source + ")"
		}
	}
	return strings.Join(parts, " or ")
}

// negativeCase is one broken request and the answers acceptable for it.
type negativeCase struct {
	name string
	call Call
	want []expectation
}

// runNegative sends each case and fails the probe when any answer is unacceptable. Where the
// spec and the suite differ, the observation says which one the provider follows.
func runNegative(ctx context.Context, s *probes.Session, expected string, cases []negativeCase) probes.Result {
	if r, ok := requireBaseline(ctx, s, expected); !ok {
		return r
	}
	var bad, notes []string
	for _, c := range cases {
		sent, err := Do(ctx, s, c.call)
		if err != nil {
			return probes.Errored(expected, fmt.Errorf("%s: %w", c.name, err))
		}
		a := parseError(sent.Response)
		e, ok := a.match(c.want)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: got %s, want %s", c.name, a, describeExps(c.want)))
			continue
		}
		note := fmt.Sprintf("%s: %s", c.name, a)
		if e.source != "" && len(c.want) > 1 {
			note += " (follows the " + e.source + ")"
		}
		notes = append(notes, note)
	}
	if len(bad) > 0 {
		return probes.Failed(expected, strings.Join(bad, "; "))
	}
	return probes.Passed(expected, strings.Join(notes, "; "))
}

// errNotGPConnect says the well-formed control request failed, so negative tests mean nothing.
var errNotGPConnect = errors.New("a well-formed GP Connect request was not answered with a CapabilityStatement")

// requireBaseline sends a well-formed GET /metadata once per run: negative tests are only
// meaningful when the positive control succeeds. When it does not, the probe skips.
func requireBaseline(ctx context.Context, s *probes.Session, expected string) (probes.Result, bool) {
	v, err := s.Shared(ctx, "gpconnect.baseline", func(ctx context.Context, s *probes.Session) (any, error) {
		sent, err := Do(ctx, s, Call{URL: "metadata", Interaction: InteractionMetadata, Scope: ScopeOrgRead})
		if err != nil {
			return nil, err
		}
		return sent.Response, nil
	})
	if err != nil {
		return probes.Errored(expected, err), false
	}
	resp := v.(*probes.Response)
	if resp.StatusCode != 200 {
		return probes.Skipped(expected, fmt.Sprintf("%v: %s, so the negative cases cannot be told apart from a refusal of everything", errNotGPConnect, resp.Describe())), false
	}
	cs, perr := probes.ParseCapabilityStatement(resp.Body)
	if perr != nil {
		return probes.Skipped(expected, fmt.Sprintf("%v (%v)", errNotGPConnect, perr)), false
	}
	if !strings.HasPrefix(cs.FHIRVersion, "3.0") {
		return probes.Skipped(expected, fmt.Sprintf("not a GP Connect (STU3) provider: /metadata declares fhirVersion %q", probes.Clip(cs.FHIRVersion, 20))), false
	}
	return probes.Result{}, true
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
