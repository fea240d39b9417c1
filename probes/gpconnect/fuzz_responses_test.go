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
	for i, seed := range [][]byte{
		[]byte(`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}}]}`),
		[]byte(`{"resourceType":"Bundle","entry":[{"resource":null},{"resource":{"resourceType":"Observation","code":{"coding":[{"system":3}]}}}]}`),
		[]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"coding":[{"code":"INVALID_RESOURCE"}]}}]}`),
		[]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","medicationReference":{"reference":"#m"},"contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"system":"http://snomed.info/sct","code":"x"}]}}]}}]}`),
		[]byte(`{"resourceType":"Parameters","parameter":[{"name":"return","resource":{"resourceType":"OperationOutcome"}}]}`),
		[]byte(`[[[[[[[[`),
		[]byte(`{"resourceType":"Bundle","entry":{"resource":1}}`),
		{},
	} {
		f.Add(uint8(i), uint16(100), seed)
	}
	f.Fuzz(func(t *testing.T, which uint8, status uint16, body []byte) {
		probetest.FuzzPack(t, gpconnect.Probes(), which, status, body, func(t *probes.Target) {
			t.FHIRVersion = probes.STU3
			t.GPConnect = &probes.GPConnectSettings{StructuredURL: t.BaseURL}
		})
	})
}
