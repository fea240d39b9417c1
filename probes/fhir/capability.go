// Package fhir probes FHIR RESTful API conformance: the CapabilityStatement, media types and
// format negotiation, errors, reads, searches and UK Core profile claims.
package fhir

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "fhir"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "fhir.capability.present", Pack: Pack, Strength: verdict.Shall, Severity: probes.High,
			Title:       "CapabilityStatement is published",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#capabilities",
			Requirement: "FHIR R4 http.html §3.1.0.10 capabilities: applications SHALL return a CapabilityStatement that specifies which resource types and interactions are supported for GET [base]/metadata.",
			Description: "Fail when GET [base]/metadata does not return 200 with a CapabilityStatement naming status, kind and rest[mode=server].",
		}, capabilityPresent),
		probes.New(probes.Meta{
			ID: "fhir.capability.version", Pack: Pack, Strength: verdict.Shall, Severity: probes.High,
			Title:       "CapabilityStatement declares the expected FHIR version",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.fhirVersion",
			Requirement: "CapabilityStatement.fhirVersion (1..1) SHALL state the FHIR version the server implements: 4.0.x for R4, 3.0.x for STU3.",
			Description: "Fail when fhirVersion is missing or not the target's version; skip when there is no CapabilityStatement (root finding fhir.capability.present).",
		}, capabilityVersion),
		probes.New(probes.Meta{
			ID: "fhir.capability.formats", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "CapabilityStatement declares JSON",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.format",
			Requirement: "CapabilityStatement.format (1..*) SHALL list the formats supported; NHS APIs exchange JSON. Neither R4 nor UK Core requires XML.",
			Description: "Fail when format does not list JSON (json or a FHIR JSON media type); pass otherwise, whether or not XML is declared (XML is optional).",
		}, capabilityFormats),
		probes.New(probes.Meta{
			ID: "fhir.capability.resources", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "CapabilityStatement declares Patient and the clinical resources served",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.resource",
			Requirement: "A CapabilityStatement SHALL describe the server truthfully: rest.resource declares the types, interactions and searchParams supported (R4 capabilitystatement.html; search.html §3.1.1.0: servers declare the parameters they support).",
			Description: "Fail when Patient lacks read, search-type or identifier, a clinical type served for the test patient is undeclared, or a declared search parameter of Patient or a clinical type does not work (each is exercised once, read-only, for the test patient: 4xx/5xx other than 401/403 is broken); warn when no clinical type is declared.",
		}, capabilityResources),
		probes.New(probes.Meta{
			ID: "fhir.content-type", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "Responses use the FHIR JSON media type",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#mime-type",
			Requirement: "FHIR R4 http.html §3.1.0.1.6: the correct mime type SHALL be used by clients and servers: application/fhir+json for JSON (STU3 also application/json+fhir).",
			Description: "Fail when a successful response is not labelled as FHIR JSON, has a charset other than utf-8, or is labelled JSON but is not a FHIR resource.",
		}, contentType),
		probes.New(probes.Meta{
			ID: "fhir.format.negotiation", Pack: Pack, Strength: verdict.Should, Severity: probes.Low,
			Title:       "Format negotiation with _format and Accept",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#mime-type",
			Requirement: "FHIR R4 http.html §3.1.0.1.6: servers SHOULD support the optional _format parameter, and respond to Accept with a supported format or 406/415.",
			Description: "Warn (SHOULD) when _format=json or Accept: application/fhir+json does not give a JSON CapabilityStatement, or an unsupported format gets a 5xx, an HTML page or something other than 406/415/a supported format.",
		}, formatNegotiation),
		probes.New(probes.Meta{
			ID: "fhir.errors.operation-outcome", Pack: Pack, Strength: verdict.Should, Severity: probes.Medium,
			Title:       "Errors carry an OperationOutcome",
			SpecRef:     "http://hl7.org/fhir/R4/operationoutcome.html",
			Requirement: "FHIR R4 http.html §3.1.0.4 (status codes): on errors the server SHOULD return an OperationOutcome describing the problem.",
			Description: "Warn (SHOULD) when an error response to an unknown resource type, an unknown id or an invalid search lacks an OperationOutcome with issue.severity and issue.code, or when an unknown resource type or id is answered 2xx.",
		}, errorsOperationOutcome),
		probes.New(probes.Meta{
			ID: "fhir.read.not-found", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "Reading an unknown id gives 404",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#read",
			Requirement: "FHIR R4 http.html §3.1.0.2 read: a GET for an unknown resource returns 404 Not Found (410 Gone for deleted ones).",
			Description: "Fail when GET Patient/[random id] is answered anything but 404 or 410; could not test on 401/403.",
		}, readNotFound),
		probes.New(probes.Meta{
			ID: "fhir.read.versioning", Pack: Pack, Strength: verdict.Should, Severity: probes.Low,
			Title:       "Reads carry ETag and version metadata",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#read",
			Requirement: "FHIR R4 http.html §3.1.0.2 read: the server SHOULD return an ETag header with the versionId (weak, W/[versionId]) and meta.versionId/meta.lastUpdated.",
			Description: "Warn (SHOULD) when a read of the test patient lacks an ETag, meta.versionId or meta.lastUpdated, the ETag does not match meta.versionId, or it is strong; fail when the read itself does not return the patient.",
		}, readVersioning),
		probes.New(probes.Meta{
			ID: "fhir.search.bundle", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "Search returns a searchset Bundle",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#search",
			Requirement: "FHIR R4 http.html §3.1.0.9 search: the response SHALL be a Bundle of type searchset; search.html §3.1.1.2: the server SHALL return the parameters used in the self link; entries carry fullUrl and search.mode.",
			Description: "Fail when a Patient search does not return a searchset Bundle with a self link and entries with fullUrl and search.mode.",
		}, searchBundle),
		probes.New(probes.Meta{
			ID: "fhir.search.paging", Pack: Pack, Strength: verdict.Shall, Severity: probes.Low,
			Title:       "Search paging with _count and next links",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#paging",
			Requirement: "FHIR R4 search.html §3.1.1.5.7 _count: the server SHALL NOT return more matches than _count; http.html §3.1.0.9.1 paging: next links SHOULD be given when more results exist.",
			Description: "Fail when _count=1 returns more than one match on Patient or on a clinical search for the test patient, or the next page breaks; warn (SHOULD) when more results exist and no next link is given.",
		}, searchPaging),
		probes.New(probes.Meta{
			ID: "fhir.search.unknown-param", Pack: Pack, Strength: verdict.Should, Severity: probes.Low,
			Title:       "Unknown search parameters are handled per Prefer",
			SpecRef:     "http://hl7.org/fhir/R4/search.html#errors",
			Requirement: "FHIR R4 search.html §3.1.1.4 (handling errors): servers SHOULD honour Prefer: handling=strict (reject unknown parameters) and handling=lenient (ignore them, and leave them out of the self link).",
			Description: "Warn (SHOULD) when strict is not rejected with 400 + OperationOutcome, lenient is rejected or echoes the parameter in the self link, or either gets a 5xx or HTML.",
		}, searchUnknownParam),
		probes.New(probes.Meta{
			ID: "fhir.ukcore.profiles", Pack: Pack, Strength: verdict.Should, Severity: probes.Low,
			Title:       "UK Core profiles are claimed",
			SpecRef:     "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
			Requirement: "UK Core (R4) is the base profile set for England: Patients SHOULD declare UKCore-Patient in meta.profile, or the CapabilityStatement name UK Core profiles.",
			Description: "Warn (SHOULD) when neither the test patient nor the CapabilityStatement names a UK Core profile; not applicable to STU3 targets (UK Core is R4).",
		}, ukCoreProfiles),
	}
}

// RootCapability is the probe whose root finding a missing CapabilityStatement is.
const RootCapability = "fhir.capability.present"

// noStatement is the result when a probe needs the CapabilityStatement and there is none.
func noStatement(exp string, f *probes.CapabilityFetch) probes.Result {
	return probes.SkippedFor(exp, RootCapability, fmt.Sprintf("no CapabilityStatement to read (%s: %v)", f.Response.Describe(), f.ParseErr))
}

func capabilityPresent(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "GET [base]/metadata → 200 CapabilityStatement with status, kind and rest[mode=server]"
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		if f.Response.StatusCode == 401 || f.Response.StatusCode == 403 {
			return probes.CredentialsRefused(exp, f.Response)
		}
		return s.Breach(exp, fmt.Sprintf("%s: %v", f.Response.Describe(), f.ParseErr))
	}
	cs := f.Statement
	var missing []string
	if cs.Status == "" {
		missing = append(missing, "status")
	}
	if cs.Kind == "" {
		missing = append(missing, "kind")
	}
	rest := cs.ServerRest()
	if rest == nil {
		missing = append(missing, "rest[mode=server]")
	}
	if len(missing) > 0 {
		return s.Breach(exp, "HTTP 200 CapabilityStatement without "+strings.Join(missing, ", "))
	}
	software := "software not named"
	if cs.Software != nil && cs.Software.Name != "" {
		software = probes.Clip(strings.TrimSpace(cs.Software.Name+" "+cs.Software.Version), 60)
	}
	return probes.Passed(exp, fmt.Sprintf("HTTP 200 CapabilityStatement: status %s, kind %s, %d resource types for mode server, %s",
		probes.Clip(cs.Status, 20), probes.Clip(cs.Kind, 20), len(rest.Resource), software))
}

func capabilityVersion(ctx context.Context, s *probes.Session) probes.Result {
	want := "4.0."
	if !s.Target.IsR4() {
		want = "3.0."
	}
	exp := fmt.Sprintf("fhirVersion %sx (target is %s)", want, s.Target.FHIRVersion)
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return noStatement(exp, f)
	}
	v := f.Statement.FHIRVersion
	switch {
	case v == "":
		return s.Breach(exp, "CapabilityStatement has no fhirVersion")
	case !strings.HasPrefix(v, want):
		return s.Breach(exp, fmt.Sprintf("fhirVersion %s", probes.Clip(v, 20)))
	}
	return probes.Passed(exp, "fhirVersion "+v)
}

var (
	jsonFormats = []string{"json", "application/fhir+json", "application/json+fhir", "application/json"}
	xmlFormats  = []string{"xml", "application/fhir+xml", "application/xml+fhir", "application/xml", "text/xml"}
)

func capabilityFormats(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "format lists JSON (json or application/fhir+json); XML is optional"
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return noStatement(exp, f)
	}
	var hasJSON, hasXML bool
	var shown []string
	for _, raw := range f.Statement.Format {
		mt, _ := probes.MediaType(raw)
		if mt == "" {
			mt = strings.ToLower(strings.TrimSpace(raw))
		}
		shown = append(shown, probes.Clip(raw, 40))
		hasJSON = hasJSON || slices.Contains(jsonFormats, mt)
		hasXML = hasXML || slices.Contains(xmlFormats, mt)
	}
	listed := "format: " + strings.Join(shown, ", ")
	if len(shown) == 0 {
		listed = "no format declared"
	}
	switch {
	case !hasJSON:
		return s.Breach(exp, listed+" (no JSON)")
	case !hasXML:
		return probes.Passed(exp, listed+" (JSON declared; XML not declared, which neither R4 nor UK Core requires)")
	}
	return probes.Passed(exp, listed)
}

// ClinicalTypes are the clinical resource types probed for the test patient.
var ClinicalTypes = []string{"AllergyIntolerance", "Condition", "MedicationRequest", "MedicationStatement", "Observation"}

func capabilityResources(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patient declared with read, search-type and searchParam identifier; every clinical resource served for the test patient declared"
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return noStatement(exp, f)
	}
	cs := f.Statement
	var problems, notes []string
	if p := cs.ResourceDecl("Patient"); p == nil {
		problems = append(problems, "Patient not declared")
	} else {
		var lacks []string
		if !p.HasInteraction("read") {
			lacks = append(lacks, "read")
		}
		if !p.HasInteraction("search-type") {
			lacks = append(lacks, "search-type")
		}
		if !p.HasSearchParam("identifier") {
			lacks = append(lacks, "searchParam identifier")
		}
		if len(lacks) > 0 {
			problems = append(problems, "Patient lacks "+strings.Join(lacks, ", "))
		} else {
			notes = append(notes, "Patient: read, search-type, identifier")
		}
	}

	var declared, undeclaredServed, declaredFailing []string
	for _, t := range ClinicalTypes {
		if cs.ResourceDecl(t) != nil {
			declared = append(declared, t)
		}
	}
	if len(declared) > 0 {
		notes = append(notes, "clinical declared: "+strings.Join(declared, ", "))
	}

	_, patientErr := s.TestPatient(ctx)
	var served []string
	if patientErr == nil {
		for _, t := range ClinicalTypes {
			search, err := s.PatientSearch(ctx, t)
			if err != nil {
				return probes.Errored(exp, err)
			}
			isDeclared := slices.Contains(declared, t)
			switch {
			case search.Status == 200:
				served = append(served, fmt.Sprintf("%s (%d)", t, len(search.Resources)))
				if !isDeclared {
					undeclaredServed = append(undeclaredServed, t)
				}
			case isDeclared:
				declaredFailing = append(declaredFailing, fmt.Sprintf("%s HTTP %d", t, search.Status))
			}
		}
		if len(served) > 0 {
			notes = append(notes, "served for the test patient: "+strings.Join(served, ", "))
		}
	} else {
		notes = append(notes, "served resources not checked: "+patientErr.Error())
	}
	if len(undeclaredServed) > 0 {
		problems = append(problems, "served but not declared: "+strings.Join(undeclaredServed, ", "))
	}
	if patientErr == nil {
		ex, err := exerciseSearchParams(ctx, s, cs)
		if err != nil {
			return probes.Errored(exp, err)
		}
		if len(ex.broken) > 0 {
			problems = append(problems, "declared search parameters that do not work: "+strings.Join(ex.broken, "; "))
		}
		notes = append(notes, ex.summary())
	}
	observed := strings.Join(append(problems, notes...), "; ")
	switch {
	case len(problems) > 0:
		return s.Breach(exp, observed)
	case len(declared) == 0:
		return probes.Warned(exp, observed+"; no clinical resource types declared")
	case len(declaredFailing) > 0:
		return probes.Warned(exp, observed+"; declared but search for the test patient failed: "+strings.Join(declaredFailing, ", "))
	}
	return probes.Passed(exp, observed)
}
