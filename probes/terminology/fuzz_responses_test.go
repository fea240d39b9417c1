package terminology_test

import (
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/terminology"
)

// FuzzResponses answers the terminology probes' requests of one kind with fuzzed bytes (the others
// well, so the probes reach their deeper parsing): a hostile server may make a probe fail or
// could-not-test, never panic or hang.
func FuzzResponses(f *testing.F) {
	probetest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, which uint8, status uint16, body []byte) {
		probetest.FuzzPack(t, terminology.Probes(), which, status, body, nil)
	})
}
