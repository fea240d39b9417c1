package assess

import (
	"context"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

func TestSplitByTarget(t *testing.T) {
	run := func(context.Context, *probes.Session) probes.Result { return probes.Result{} }
	ps := []probes.Probe{
		probes.New(probes.Meta{ID: "fhir.a", Pack: "fhir"}, run),
		probes.New(probes.Meta{ID: "gpconnect.b", Pack: GPConnectPack}, run),
		probes.New(probes.Meta{ID: "transport.c", Pack: "transport"}, run),
	}
	main := probes.Target{BaseURL: "https://127.0.0.1/fhir/r4"}
	gpc := probes.Target{BaseURL: "https://127.0.0.1/B82617/STU3/1/gpconnect/fhir"}

	one := splitByTarget(ps, Options{Target: main})
	if len(one) != 1 || len(one[0].probes) != 3 || one[0].target.BaseURL != main.BaseURL {
		t.Fatalf("without a GP Connect target every probe goes to the main target, got %+v", one)
	}
	two := splitByTarget(ps, Options{Target: main, GPConnect: &gpc})
	if len(two) != 2 {
		t.Fatalf("got %d groups, want 2", len(two))
	}
	if two[0].target.BaseURL != main.BaseURL || len(two[0].probes) != 2 {
		t.Errorf("main group = %s with %d probes, want the FHIR base with 2", two[0].target.BaseURL, len(two[0].probes))
	}
	if two[1].target.BaseURL != gpc.BaseURL || len(two[1].probes) != 1 || two[1].probes[0].Meta().ID != "gpconnect.b" {
		t.Errorf("GP Connect group = %s with %d probes, want the provider with gpconnect.b", two[1].target.BaseURL, len(two[1].probes))
	}
	onlyGPC := splitByTarget(ps[1:2], Options{Target: main, GPConnect: &gpc})
	if len(onlyGPC) != 1 || onlyGPC[0].target.BaseURL != gpc.BaseURL {
		t.Errorf("empty groups must be left out, got %+v", onlyGPC)
	}
}
