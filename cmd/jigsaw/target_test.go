package main

import (
	"slices"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

func TestDefaultPacks(t *testing.T) {
	reg := all.Registry()
	fhirPacks := defaultPacks(reg, probes.Target{BaseURL: "https://127.0.0.1/fhir", FHIRVersion: probes.R4})
	if slices.Contains(fhirPacks, gpConnectPack) || !slices.Contains(fhirPacks, "fhir") || !slices.Contains(fhirPacks, "transport") {
		t.Errorf("plain FHIR target gets %v: want every pack but gpconnect", fhirPacks)
	}
	if len(fhirPacks) != len(reg.Packs())-1 {
		t.Errorf("plain FHIR target gets %d packs, want %d", len(fhirPacks), len(reg.Packs())-1)
	}
	gpc := defaultPacks(reg, probes.Target{BaseURL: "https://127.0.0.1/gpc", FHIRVersion: probes.STU3, GPConnect: &probes.GPConnectSettings{}})
	if !slices.Equal(gpc, []string{gpConnectPack}) {
		t.Errorf("GP Connect target gets %v, want only gpconnect", gpc)
	}
}
