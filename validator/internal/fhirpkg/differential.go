package fhirpkg

import (
	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// DifferentialProblem generates the snapshot of one StructureDefinition (decoded JSON) from
// its differential against the definitions d, as the HL7 Java validator does when it validates
// a constraint profile, and returns why the snapshot cannot be generated ("" when it can, and
// when there is nothing to check: not a constraint, no differential, a base definition d does
// not hold). d is not changed; a stated snapshot is ignored.
func DifferentialProblem(d *model.Definitions, sd map[string]any) string {
	if str(sd, "derivation") != "constraint" {
		return ""
	}
	diff, ok := sd["differential"].(map[string]any)
	if !ok || len(list(diff["element"])) == 0 {
		return ""
	}
	m := make(map[string]any, len(sd))
	for k, v := range sd {
		if k != "snapshot" {
			m[k] = v
		}
	}
	// A private copy of the tables the builder extends or rewrites: d is shared.
	own := &model.Definitions{
		FHIRVersion: d.FHIRVersion,
		Structures:  append([]model.Structure(nil), d.Structures...),
		Constraints: append([]model.Constraint(nil), d.Constraints...),
	}
	b := NewBuilder(d.FHIRVersion, own)
	b.snapState = map[string]int{}
	s, err := b.structure(m)
	if err != nil {
		return err.Error()
	}
	bi, ok := b.structIndex[s.BaseDefinition]
	if !ok {
		return ""
	}
	b.ensureSnapshot(bi)
	base := &b.defs.Structures[bi]
	if base.Differential {
		return ""
	}
	if _, err := b.applyDifferential(base, &s); err != nil {
		return err.Error()
	}
	return ""
}
