package gpconnect_test

import (
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

// FuzzResponses answers the gpconnect probes' requests of one kind with fuzzed bytes (the others
// well, so the probes reach their deeper parsing): a hostile server may make a probe fail or
// could-not-test, never panic or hang.
func FuzzResponses(f *testing.F) {
	probetest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, which uint8, status uint16, body []byte) {
		probetest.FuzzPack(t, gpconnect.Probes(), which, status, body, func(t *probes.Target) {
			t.FHIRVersion = probes.STU3
			t.GPConnect = &probes.GPConnectSettings{StructuredURL: t.BaseURL}
		})
	})
}
