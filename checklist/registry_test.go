package checklist_test

import (
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

// TestShippedChecklistsLinkRegisteredProbes holds every shipped checklist's probe links against
// the probes this build actually has: an item linking a probe that does not exist could never
// be verified.
func TestShippedChecklistsLinkRegisteredProbes(t *testing.T) {
	reg := all.Registry()
	entries, err := checklist.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		c, err := checklist.Lookup(e.Ref())
		if err != nil {
			t.Fatal(err)
		}
		if err := checklist.Validate(c, reg.Has); err != nil {
			t.Errorf("%s links unknown probes:\n%v", e.Ref(), err)
		}
	}
}
