// Package validation probes the structural conformance of what a server returns: every resource
// the run reads for the test patient is checked by Jigsaw's FHIR validator against the base
// specification of the target's FHIR version.
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
				"AllergyIntolerance and MedicationStatement) validates against the base specification: JSON types, " +
				"cardinality, primitive formats, required bindings, choice types, references and core invariants.",
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
}

func (c *validatorCache) resourcesValid(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every resource returned validates against the base FHIR specification with no errors"
	val, err := c.get(s.Target.FHIRVersion)
	if err != nil {
		return probes.Errored(exp, fmt.Errorf("validator for FHIR %s: %w", s.Target.FHIRVersion, err))
	}
	var docs []checked
	validate := func(raw []byte) {
		issues := val.ValidateResource(ctx, raw)
		d := checked{label: label(raw)}
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
		return probes.Passed(exp, obs)
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
	return probes.Failed(exp, fmt.Sprintf("%d of %d resources have errors: %s", len(bad), len(docs), strings.Join(parts, " | ")))
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
