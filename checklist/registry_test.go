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

// TestEveryRegisteredProbeIsLinked: the probe contract is the registry itself, not a list
// written by hand. Every probe this build registers is evidence for at least one item of the
// current checklist, so no probe runs without bearing on a score.
func TestEveryRegisteredProbeIsLinked(t *testing.T) {
	c, err := checklist.Lookup(checklist.Current)
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, d := range c.Domains {
		for _, it := range d.Items {
			for _, p := range it.Probes {
				linked[p] = true
			}
		}
	}
	probes := all.Registry().All()
	if len(probes) == 0 {
		t.Fatal("the registry is empty")
	}
	for _, p := range probes {
		if id := p.Meta().ID; !linked[id] {
			t.Errorf("probe %s is registered but no item of %s links it", id, checklist.Current)
		}
	}
}
