// Package fhir probes FHIR RESTful API conformance: the CapabilityStatement, media types and
// format negotiation, errors, reads, searches and UK Core profile claims.
package fhir

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Pack is this pack's name.
const Pack = "fhir"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "fhir.capability.present", Pack: Pack, Severity: probes.High,
			Title:       "CapabilityStatement is published",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#capabilities",
			Description: "GET [base]/metadata returns 200 with a CapabilityStatement (resourceType, status, kind, rest[mode=server]).",
		}, capabilityPresent),
		probes.New(probes.Meta{
			ID: "fhir.capability.version", Pack: Pack, Severity: probes.High,
			Title:       "CapabilityStatement declares the expected FHIR version",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.fhirVersion",
			Description: "fhirVersion is 4.0.x for an R4 target, 3.0.x for an STU3 target.",
		}, capabilityVersion),
		probes.New(probes.Meta{
			ID: "fhir.capability.formats", Pack: Pack, Severity: probes.Medium,
			Title:       "CapabilityStatement declares JSON",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.format",
			Description: "format lists JSON (a FHIR JSON mime type or \"json\"); XML is expected too (warn when missing).",
		}, capabilityFormats),
		probes.New(probes.Meta{
			ID: "fhir.capability.resources", Pack: Pack, Severity: probes.Medium,
			Title:       "CapabilityStatement declares Patient and the clinical resources served",
			SpecRef:     "http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.resource",
			Description: "Patient is declared with read, search-type and the identifier search parameter, and every clinical resource the server serves for the test patient is declared.",
		}, capabilityResources),
		probes.New(probes.Meta{
			ID: "fhir.content-type", Pack: Pack, Severity: probes.Medium,
			Title:       "Responses use the FHIR JSON media type",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#mime-type",
			Description: "Successful responses carry Content-Type application/fhir+json (STU3 also application/json+fhir), charset utf-8 if any.",
		}, contentType),
		probes.New(probes.Meta{
			ID: "fhir.format.negotiation", Pack: Pack, Severity: probes.Low,
			Title:       "Format negotiation with _format and Accept",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#mime-type",
			Description: "_format=json and Accept: application/fhir+json are honoured; an unsupported format gets 406/415 or a supported format, never a 5xx or an HTML page.",
		}, formatNegotiation),
		probes.New(probes.Meta{
			ID: "fhir.errors.operation-outcome", Pack: Pack, Severity: probes.Medium,
			Title:       "Errors carry an OperationOutcome",
			SpecRef:     "http://hl7.org/fhir/R4/operationoutcome.html",
			Description: "Error responses (unknown resource type, unknown id, invalid search) carry an OperationOutcome whose issues have severity and code.",
		}, errorsOperationOutcome),
		probes.New(probes.Meta{
			ID: "fhir.read.not-found", Pack: Pack, Severity: probes.Medium,
			Title:       "Reading an unknown id gives 404",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#read",
			Description: "GET Patient/[random unknown id] returns 404 Not Found (or 410 Gone), not 200 or a 5xx.",
		}, readNotFound),
		probes.New(probes.Meta{
			ID: "fhir.read.versioning", Pack: Pack, Severity: probes.Low,
			Title:       "Reads carry ETag and version metadata",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#read",
			Description: "A read returns ETag W/\"[versionId]\" matching meta.versionId, and meta.lastUpdated.",
		}, readVersioning),
		probes.New(probes.Meta{
			ID: "fhir.search.bundle", Pack: Pack, Severity: probes.Medium,
			Title:       "Search returns a searchset Bundle",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#search",
			Description: "A Patient search returns a Bundle of type searchset with a self link, and entries with fullUrl and search.mode.",
		}, searchBundle),
		probes.New(probes.Meta{
			ID: "fhir.search.paging", Pack: Pack, Severity: probes.Low,
			Title:       "Search paging with _count and next links",
			SpecRef:     "http://hl7.org/fhir/R4/http.html#paging",
			Description: "_count=1 returns at most one match, and a next link is given when more results exist.",
		}, searchPaging),
		probes.New(probes.Meta{
			ID: "fhir.search.unknown-param", Pack: Pack, Severity: probes.Low,
			Title:       "Unknown search parameters are handled per Prefer",
			SpecRef:     "http://hl7.org/fhir/R4/search.html#errors",
			Description: "Under Prefer: handling=strict an unknown parameter gives 400 with an OperationOutcome; under handling=lenient it is ignored and left out of the self link. Never a 5xx or HTML.",
		}, searchUnknownParam),
		probes.New(probes.Meta{
			ID: "fhir.ukcore.profiles", Pack: Pack, Severity: probes.Low,
			Title:       "UK Core profiles are claimed",
			SpecRef:     "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
			Description: "Patients declare the UK Core Patient profile in meta.profile, or the CapabilityStatement names UK Core profiles (R4 only).",
		}, ukCoreProfiles),
	}
}

// noStatement is the observation when a probe needs the CapabilityStatement and there is none.
func noStatement(f *probes.CapabilityFetch) string {
	return fmt.Sprintf("no CapabilityStatement to read (%s: %v; see fhir.capability.present)", f.Response.Describe(), f.ParseErr)
}

func capabilityPresent(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "GET [base]/metadata → 200 CapabilityStatement with status, kind and rest[mode=server]"
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", f.Response.Describe(), f.ParseErr))
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
		return probes.Failed(exp, "HTTP 200 CapabilityStatement without "+strings.Join(missing, ", "))
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
		return probes.Skipped(exp, noStatement(f))
	}
	v := f.Statement.FHIRVersion
	switch {
	case v == "":
		return probes.Failed(exp, "CapabilityStatement has no fhirVersion")
	case !strings.HasPrefix(v, want):
		return probes.Failed(exp, fmt.Sprintf("fhirVersion %s", probes.Clip(v, 20)))
	}
	return probes.Passed(exp, "fhirVersion "+v)
}

var (
	jsonFormats = []string{"json", "application/fhir+json", "application/json+fhir", "application/json"}
	xmlFormats  = []string{"xml", "application/fhir+xml", "application/xml+fhir", "application/xml", "text/xml"}
)

func capabilityFormats(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "format lists JSON (json or application/fhir+json) and XML"
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return probes.Skipped(exp, noStatement(f))
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
		return probes.Failed(exp, listed+" (no JSON)")
	case !hasXML:
		return probes.Warned(exp, listed+" (JSON declared, XML not)")
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
		return probes.Skipped(exp, noStatement(f))
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
	observed := strings.Join(append(problems, notes...), "; ")
	switch {
	case len(problems) > 0:
		return probes.Failed(exp, observed)
	case len(declared) == 0:
		return probes.Warned(exp, observed+"; no clinical resource types declared")
	case len(declaredFailing) > 0:
		return probes.Warned(exp, observed+"; declared but search for the test patient failed: "+strings.Join(declaredFailing, ", "))
	}
	return probes.Passed(exp, observed)
}
