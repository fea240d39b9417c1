package validator

import (
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpkg"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
)

// Canonical target types. An element of type canonical may restrict what it points at with
// targetProfile (QuestionnaireResponse.questionnaire: a Questionnaire; ElementDefinition.binding
// .valueSet: a ValueSet). With WithCanonicalTypes a canonical URL that names a resource the
// validator knows (its built-in definitions and the packages loaded: StructureDefinitions,
// ValueSets, the complete FHIR CodeSystems, SearchParameters, Questionnaires, Measures) must
// name one of those types, as the HL7 Java validator checks when its reference policy
// (validateReference) is CHECK_TYPE_IF_EXISTS, CHECK_EXISTS_AND_TYPE or CHECK_VALID. A URL the
// validator does not know is not reported: Jigsaw resolves no canonicals over the network, so
// it cannot tell a missing resource from one it was not given.

// WithCanonicalTypes checks that canonical URLs naming a known resource name one of the
// resource types the element allows (the HL7 Java validator's reference policy
// CHECK_TYPE_IF_EXISTS).
func WithCanonicalTypes() Option {
	return func(c *config) { c.valueChecks |= valueCheckCanonicalTypes }
}

const coreStructurePrefix = "http://hl7.org/fhir/StructureDefinition/"

// checkCanonicalType reports a canonical value that names a known resource of a type the
// element's targetProfiles do not allow.
func (w *walker) checkCanonicalType(tok *jsontok.Token, ctr *typeRef) {
	if len(ctr.targetProfiles) == 0 {
		return // any resource
	}
	raw := string(tok.Value)
	if strings.HasPrefix(raw, "#") {
		return // a contained resource: not resolved here
	}
	url := raw
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	found := w.sc.canonicalTypes(url)
	if len(found) == 0 {
		return
	}
	var expected []string
	for _, tp := range ctr.targetProfiles {
		t := w.sc.profileType(tp)
		if t == "" {
			continue // a profile the validator does not know allows nothing it can name (as in Java)
		}
		if t == "Resource" || t == "CanonicalResource" || slices.Contains(found, t) {
			return
		}
		if !slices.Contains(expected, t) {
			expected = append(expected, t)
		}
	}
	slices.Sort(expected)
	w.report(SeverityError, CheckReference, tok.Line, tok.Col, w.expr(),
		"Canonical URL '%s' refers to a resource that has the wrong type. Found %s expecting one of [%s]",
		raw, found[0], strings.Join(expected, ", "))
}

// profileType is the resource type a targetProfile URL stands for: the type a known
// StructureDefinition defines or constrains, or the name at the end of a core
// StructureDefinition URL; "" when unknown.
func (sc *schema) profileType(url string) string {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	if t := sc.byURL[url]; t != nil {
		return t.name
	}
	if p := sc.profiles[url]; p != nil {
		return p.Type
	}
	if name, ok := strings.CutPrefix(url, coreStructurePrefix); ok {
		return name
	}
	return ""
}

// canonicalTypes lists the types of the known resources with this canonical URL (without
// version): usually one, none when the validator does not know the URL.
func (sc *schema) canonicalTypes(url string) []string {
	var types []string
	if sc.byURL[url] != nil || sc.profiles[url] != nil {
		types = append(types, "StructureDefinition")
	}
	if _, ok := sc.codeSystems[url]; ok {
		types = append(types, "CodeSystem")
	}
	// An expansion is kept for every value set a binding names, even one no package holds.
	if vs := sc.valueSets[url]; vs != nil && vs.reason != fhirpkg.MissingValueSetReason(url) {
		types = append(types, "ValueSet")
	}
	if _, ok := sc.searchParams[url]; ok {
		types = append(types, "SearchParameter")
	}
	for _, q := range sc.defs.Questionnaires {
		if q.URL == url {
			types = append(types, "Questionnaire")
			break
		}
	}
	for _, m := range sc.defs.Measures {
		if m.URL == url {
			types = append(types, "Measure")
			break
		}
	}
	return types
}
