package all_test

import (
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

func TestRegistryImplementsTheContract(t *testing.T) {
	// The registry is the probe contract: every probe it holds is linked from the current
	// checklist (checklist/registry_test.go) and documented from its metadata.
	r := all.Registry()
	for _, p := range r.All() {
		m := p.Meta()
		if m.Description == "" || m.Title == "" || m.SpecRef == "" {
			t.Errorf("%s lacks a title, description or spec reference", m.ID)
		}
		// The verdict policy (docs/probes.md): every probe states the requirement it tests and
		// its strength, which decides what a breach is (SHALL fails, SHOULD warns, MAY informs).
		if strings.TrimSpace(m.Requirement) == "" {
			t.Errorf("%s states no requirement (Meta.Requirement)", m.ID)
		}
		switch m.Strength {
		case verdict.Shall, verdict.Should, verdict.May:
		default:
			t.Errorf("%s has no requirement strength (Meta.Strength %q): give SHALL, SHOULD or MAY", m.ID, m.Strength)
		}
		if !strings.Contains(m.SpecRef, "://") {
			t.Errorf("%s: spec reference %q names no URL of its source clause", m.ID, m.SpecRef)
		}
	}
	// Later packs (gpconnect) add ids; these packs must all be there.
	for _, pack := range []string{"transport", "fhir", "security", "identity", "terminology", "performance", "smart"} {
		if len(r.Pack(pack)) == 0 {
			t.Errorf("pack %s is missing", pack)
		}
	}
}
