// Package all assembles every probe pack into one registry.
package all

import (
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/fhir"
	"github.com/nhs-jigsaw/jigsaw/probes/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/probes/identity"
	"github.com/nhs-jigsaw/jigsaw/probes/performance"
	"github.com/nhs-jigsaw/jigsaw/probes/security"
	"github.com/nhs-jigsaw/jigsaw/probes/smart"
	"github.com/nhs-jigsaw/jigsaw/probes/terminology"
	"github.com/nhs-jigsaw/jigsaw/probes/transport"
	"github.com/nhs-jigsaw/jigsaw/probes/validation"
)

// Registry returns a new registry of every probe, packs in report order: transport first
// (can we talk to it safely), then FHIR conformance, security, identity, terminology,
// performance and SMART.
func Registry() *probes.Registry {
	var ps []probes.Probe
	for _, pack := range [][]probes.Probe{
		transport.Probes(),
		fhir.Probes(),
		validation.Probes(),
		security.Probes(),
		identity.Probes(),
		terminology.Probes(),
		performance.Probes(),
		smart.Probes(),
		gpconnect.Probes(),
	} {
		ps = append(ps, pack...)
	}
	r, err := probes.NewRegistry(ps...)
	if err != nil {
		// The packs are code in this module: an invalid registry is a programming error that
		// the package's tests catch.
		panic(err)
	}
	return r
}
