package fleet

import (
	"fmt"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// An endpoint's conformance rules (ONC Lantern's set) are verdict findings: the rule id, pass or
// fail, expected, observed and the spec clause. The level they earn is scored by
// scoring.GatedLevel, not here.

// Conformance levels: each needs every level below it.
const (
	// LevelUnreachable: no HTTP response (DNS, TCP, TLS or timeout failure).
	LevelUnreachable = 0
	// LevelResponds: an HTTP response below 500.
	LevelResponds = 1
	// LevelSecure: served over TLS 1.2 or later with a certificate that verifies.
	LevelSecure = 2
	// LevelCapability: HTTP 200 with a CapabilityStatement that parses.
	LevelCapability = 3
	// LevelConformant: every CapabilityStatement rule holds.
	LevelConformant = 4
)

// LevelName describes a conformance level.
func LevelName(l int) string {
	switch l {
	case LevelUnreachable:
		return "unreachable"
	case LevelResponds:
		return "responds"
	case LevelSecure:
		return "secure"
	case LevelCapability:
		return "capability served"
	case LevelConformant:
		return "conformant"
	}
	return fmt.Sprintf("level %d", l)
}

// evaluate applies the rules to an observation and sets its rules and level.
func evaluate(o *Observation, fhirVersion string) {
	spec := "http://hl7.org/fhir/R4/"
	wantPrefix := "4.0"
	if fhirVersion == "STU3" {
		spec, wantPrefix = "http://hl7.org/fhir/STU3/", "3.0"
	}
	var rules []verdict.Finding
	add := func(name string, valid bool, expected, actual, ref string) {
		rules = append(rules, rule(name, valid, expected, actual, ref))
	}
	tlsActual := "No TLS"
	if o.TLS != nil {
		tlsActual = o.TLS.Version
		if !o.TLS.Verified {
			tlsActual += " (certificate does not verify: " + o.TLS.VerifyError + ")"
		}
	}
	tlsOK := o.TLS != nil && o.TLS.Verified && (o.TLS.Version == "TLS 1.2" || o.TLS.Version == "TLS 1.3")
	if o.HTTPStatus != 0 {
		add("tlsVersion", tlsOK, "TLS 1.2 or 1.3 with a verified certificate", tlsActual,
			"https://digital.nhs.uk/services/path-to-live-environments/connect-to-path-to-live-environments")
	}
	c := o.Capability
	csActual := fmt.Sprintf("HTTP %d", o.HTTPStatus)
	if o.HTTPStatus == 0 {
		csActual = "no response"
	}
	if c != nil {
		csActual = "CapabilityStatement"
	} else if o.CapabilityError != "" {
		csActual += ": " + o.CapabilityError
	}
	add("capStatExist", c != nil, "GET [base]/metadata returns a CapabilityStatement", csActual, spec+"http.html#capabilities")
	if c != nil {
		add("fhirVersionRule", strings.HasPrefix(c.FHIRVersion, wantPrefix), "fhirVersion "+wantPrefix+".x for a "+fhirVersion+" endpoint", orNone(c.FHIRVersion), spec+"capabilitystatement-definitions.html#CapabilityStatement.fhirVersion")
		add("kindRule", c.Kind == "instance", "kind = instance", orNone(c.Kind), spec+"capabilitystatement-definitions.html#CapabilityStatement.kind")
		if c.Kind == "instance" {
			add("instanceRule", c.Implementation != "", "implementation present when kind = instance", orNone(c.Implementation), spec+"capabilitystatement.html#invs")
		}
		functions := []string{}
		if len(c.RestModes) > 0 {
			functions = append(functions, "rest")
		}
		if c.Messaging {
			functions = append(functions, "messaging")
		}
		if c.Document {
			functions = append(functions, "document")
		}
		add("endpointFunctionRule", len(functions) > 0, "at least one of rest, messaging or document", orNone(strings.Join(functions, ", ")), spec+"capabilitystatement.html#invs")
		described := c.Description || c.Software != "" || c.Implementation != ""
		add("describeEndpointRule", described, "description, software or implementation present", yesNoText(described), spec+"capabilitystatement.html#invs")
		add("uniqueResourcesRule", len(c.duplicateResources) == 0, "each resource type once per REST mode", orNoneList(c.duplicateResources, "no duplicates"), spec+"capabilitystatement.html#invs")
		add("searchParamsRule", len(c.duplicateSearchParams) == 0, "search parameter names unique within a resource", orNoneList(c.duplicateSearchParams, "no duplicates"), spec+"capabilitystatement.html#invs")
		json := false
		for _, f := range c.Formats {
			if strings.Contains(f, "json") {
				json = true
			}
		}
		add("formatRule", json, "format lists a JSON media type", orNoneList(c.Formats, "none"), spec+"capabilitystatement-definitions.html#CapabilityStatement.format")
		add("patResourceExists", c.Declares("Patient"), "Patient in rest.resource", yesNoText(c.Declares("Patient")), spec+"capabilitystatement-definitions.html#CapabilityStatement.rest.resource")
	}
	o.Rules = rules

	// The ladder: responds (an HTTP answer below 500; a 5xx only says the service is broken),
	// then secure (the TLS rule), then capability served, then every other rule.
	responds := o.HTTPStatus != 0 && o.HTTPStatus < 500
	gates := make([][]verdict.Finding, LevelConformant)
	gates[LevelResponds-1] = []verdict.Finding{rule("responds", responds, "an HTTP response below 500", fmt.Sprintf("HTTP %d", o.HTTPStatus), spec+"http.html")}
	for _, r := range rules {
		switch r.RuleID {
		case "tlsVersion":
			gates[LevelSecure-1] = append(gates[LevelSecure-1], r)
		case "capStatExist":
			gates[LevelCapability-1] = append(gates[LevelCapability-1], r)
		default:
			gates[LevelConformant-1] = append(gates[LevelConformant-1], r)
		}
	}
	o.Level = scoring.GatedLevel(gates)
}

// rule is one rule's finding. Breaking a rule is a SHALL breach of the cited clause.
func rule(name string, valid bool, expected, observed, ref string) verdict.Finding {
	st := verdict.Pass
	if !valid {
		st = verdict.Shall.Breach()
	}
	return verdict.Finding{RuleID: name, Title: expected, Status: st, Severity: ruleSeverity(name), Expected: expected, Observed: observed, SpecRef: ref}
}

// ruleSeverity: an endpoint that cannot be reached securely or describe itself is a high
// failure; a malformed CapabilityStatement is medium.
func ruleSeverity(name string) verdict.Severity {
	switch name {
	case "responds", "tlsVersion", "capStatExist":
		return verdict.High
	}
	return verdict.Medium
}

func orNone(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

func orNoneList(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

func yesNoText(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}
