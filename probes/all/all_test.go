package all_test

import (
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes/all"
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
	}
	// Later packs (gpconnect) add ids; these packs must all be there.
	for _, pack := range []string{"transport", "fhir", "security", "identity", "terminology", "performance", "smart"} {
		if len(r.Pack(pack)) == 0 {
			t.Errorf("pack %s is missing", pack)
		}
	}
}
