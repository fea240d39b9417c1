// Package validation probes the structural conformance of what a server returns: every resource
// the run reads for the test patient is checked by Jigsaw's FHIR validator against the base
// specification of the target's FHIR version and against the profiles it claims — those it
// declares in meta.profile and those the CapabilityStatement names for its type (UK Core 2.0.0
// is built in). A claim the resource does not meet is reported as such.
package validation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/validator"
	verdictpkg "github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name: structural validity is part of FHIR conformance.
const Pack = "fhir"

// clinicalTypes are the resources read for the test patient besides the Patient itself.
var clinicalTypes = []string{"Condition", "Observation", "AllergyIntolerance", "MedicationStatement"}

// Probes returns the pack's probes.
func Probes() []probes.Probe {
	validators := &validatorCache{}
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "fhir.resources.valid", Pack: Pack, Severity: probes.Medium, Strength: verdictpkg.Shall,
			Requirement: "FHIR R4 validation.html / json.html: resources exchanged SHALL conform to the base specification: element types and cardinality, primitive formats, required bindings and the core invariants.",
			Title:       "Returned resources are valid FHIR",
			SpecRef:     "http://hl7.org/fhir/R4/validation.html; http://hl7.org/fhir/R4/json.html",
			Description: "Every resource the run reads (CapabilityStatement, the test patient, their Condition, Observation, " +
				"AllergyIntolerance and MedicationStatement) validates against the base specification (JSON types, " +
				"cardinality, primitive formats, required bindings, choice types, references, extensions and core invariants) " +
				"and against the profiles it claims: declared in meta.profile, or named for its type by the CapabilityStatement " +
				"(rest.resource.profile and supportedProfile). UK Core 2.0.0 profiles are built in; a claimed profile " +
				"Jigsaw does not have is reported as not checked.",
		}, validators.resourcesValid),
	}
}

// validatorCache builds each version's validator once per registry: decoding the embedded
// definitions is the expensive part, and a Validator is safe to share.
type validatorCache struct {
	mu   sync.Mutex
	byV  map[validator.Version]*validator.Validator
	errs map[validator.Version]error
}

func (c *validatorCache) get(version string) (*validator.Validator, error) {
	v, err := validator.ParseVersion(version)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byV == nil {
		c.byV, c.errs = map[validator.Version]*validator.Validator{}, map[validator.Version]error{}
	}
	if val, ok := c.byV[v]; ok {
		return val, c.errs[v]
	}
	val, err := validator.New(v)
	c.byV[v], c.errs[v] = val, err
	return val, err
}

// checked is one resource as validated.
type checked struct {
	label  string // "Patient/abc" or "CapabilityStatement"
	errors []validator.Issue
	warns  int
	// claims are the profiles the resource was judged against (declared or claimed by the
	// CapabilityStatement), each with its error count; unchecked are claimed profiles the
	// validator does not have.
	claims    map[string]int
	unchecked []string
}

// claimedProfiles reads, per resource type, the profiles a CapabilityStatement claims.
func claimedProfiles(cs *probes.CapabilityStatement) map[string][]string {
	out := map[string][]string{}
	if cs == nil {
		return out
	}
	for _, r := range cs.Rest {
		for _, res := range r.Resource {
			var urls []string
			var canon string
			var ref struct {
				Reference string `json:"reference"`
			}
			if json.Unmarshal(res.Profile, &canon) == nil && canon != "" {
				urls = append(urls, canon)
			} else if json.Unmarshal(res.Profile, &ref) == nil && ref.Reference != "" {
				urls = append(urls, ref.Reference)
			}
			urls = append(urls, res.SupportedProfile...)
			for _, u := range urls {
				if !strings.HasPrefix(u, "http://hl7.org/fhir/StructureDefinition/") { // a base definition claims nothing more
					out[res.Type] = append(out[res.Type], u)
				}
			}
		}
	}
	return out
}

// judge records the profile outcome of one validated resource.
func judge(d *checked, issues []validator.Issue) {
	for _, is := range issues {
		if is.Profile == "" {
			continue
		}
		switch {
		case is.Check == validator.CheckProfile && is.Code == "not-found":
			d.unchecked = append(d.unchecked, is.Profile)
		case is.Check == validator.CheckProfile && is.Severity == validator.SeverityInformation:
			d.claims[is.Profile] += 0
		case is.Severity == validator.SeverityError || is.Severity == validator.SeverityFatal:
			d.claims[is.Profile]++
		}
	}
}

func (c *validatorCache) resourcesValid(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every resource returned validates with no errors against the base FHIR specification and the profiles it claims (meta.profile, CapabilityStatement)"
	val, err := c.get(s.Target.FHIRVersion)
	if err != nil {
		return probes.Errored(exp, fmt.Errorf("validator for FHIR %s: %w", s.Target.FHIRVersion, err))
	}
	var docs []checked
	var claims map[string][]string
	validate := func(raw []byte) {
		issues := val.ValidateResourceProfiles(ctx, raw, claims[probes.ResourceTypeOf(raw)])
		d := checked{label: label(raw), claims: map[string]int{}}
		judge(&d, issues)
		for _, is := range issues {
			switch is.Severity {
			case validator.SeverityFatal, validator.SeverityError:
				d.errors = append(d.errors, is)
			case validator.SeverityWarning:
				d.warns++
			}
		}
		docs = append(docs, d)
	}

	if capf, err := s.Capability(ctx); err == nil && capf.Statement != nil && capf.Response != nil {
		validate(capf.Response.Body)
		claims = claimedProfiles(capf.Statement)
	}
	tp, err := s.TestPatient(ctx)
	switch {
	case err == nil && tp != nil && len(tp.Raw) > 0:
		validate(tp.Raw)
		for _, rt := range clinicalTypes {
			search, err := s.PatientSearch(ctx, rt)
			if err != nil {
				if ctx.Err() != nil {
					return probes.Errored(exp, ctx.Err())
				}
				continue
			}
			for _, raw := range search.Resources {
				validate(raw)
			}
		}
	case ctx.Err() != nil:
		return probes.Errored(exp, ctx.Err())
	}
	if len(docs) == 0 {
		if err != nil && errors.Is(err, probes.ErrNoTestPatient) {
			return probes.NoPatient(exp, err)
		}
		return probes.Errored(exp, errors.New("no FHIR resource could be read to validate"))
	}
	return verdict(exp, docs)
}

// claimSummary says how the resources met the profiles they claim.
func claimSummary(docs []checked) string {
	claimed, met := 0, 0
	var broken, unchecked []string
	seenUnchecked := map[string]bool{}
	for _, d := range docs {
		var urls []string
		for u := range d.claims {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		for _, u := range urls {
			claimed++
			if d.claims[u] == 0 {
				met++
				continue
			}
			broken = append(broken, fmt.Sprintf("%s does not conform to %s (%d errors)", d.label, u, d.claims[u]))
		}
		for _, u := range d.unchecked {
			if !seenUnchecked[u] {
				seenUnchecked[u] = true
				unchecked = append(unchecked, u)
			}
		}
	}
	if claimed == 0 && len(unchecked) == 0 {
		return "no resource claims a profile (meta.profile or the CapabilityStatement)"
	}
	out := fmt.Sprintf("%d of %d profile claims met", met, claimed)
	if len(broken) > 0 {
		if len(broken) > 5 {
			broken = append(broken[:5], fmt.Sprintf("… and %d more", len(broken)-5))
		}
		out += ": " + strings.Join(broken, "; ")
	}
	if len(unchecked) > 0 {
		sort.Strings(unchecked)
		out += fmt.Sprintf("; not checked (profile not known to Jigsaw, load its package with jigsaw validate --package): %s", probes.Clip(strings.Join(unchecked, ", "), 300))
	}
	return out
}

func verdict(exp string, docs []checked) probes.Result {
	var bad []checked
	warns := 0
	for _, d := range docs {
		warns += d.warns
		if len(d.errors) > 0 {
			bad = append(bad, d)
		}
	}
	if len(bad) == 0 {
		obs := fmt.Sprintf("%d resources validated with no errors", len(docs))
		if warns > 0 {
			obs += fmt.Sprintf(" (%d warnings)", warns)
		}
		return probes.Passed(exp, obs+"; "+claimSummary(docs))
	}
	// The most broken resources first, a few issues each: enough for an inspector to see the
	// kind of defect; the full list is one `jigsaw validate` away on the stored bodies.
	sort.SliceStable(bad, func(i, j int) bool { return len(bad[i].errors) > len(bad[j].errors) })
	var parts []string
	for i, d := range bad {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("… and %d more resources", len(bad)-5))
			break
		}
		var msgs []string
		for k, is := range d.errors {
			if k == 3 {
				msgs = append(msgs, fmt.Sprintf("+%d more", len(d.errors)-3))
				break
			}
			msgs = append(msgs, probes.Clip(fmt.Sprintf("%s: %s", is.Expression, is.Message), 140))
		}
		parts = append(parts, fmt.Sprintf("%s (%d errors: %s)", d.label, len(d.errors), strings.Join(msgs, "; ")))
	}
	return probes.Failed(exp, fmt.Sprintf("%d of %d resources have errors: %s; %s", len(bad), len(docs), strings.Join(parts, " | "), claimSummary(docs)))
}

// label names a resource as Type/id without parsing more than needed.
func label(raw []byte) string {
	rt := probes.ResourceTypeOf(raw)
	if rt == "" {
		return "(not a FHIR resource)"
	}
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err == nil && head.ID != "" {
		return rt + "/" + probes.Clip(head.ID, 64)
	}
	return rt
}
