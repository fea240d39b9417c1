package probetest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// FuzzKinds are the requests FuzzPack can answer with the fuzzed body, chosen by its which
// argument: one kind of request at a time (so the others answer well and the probes reach
// their deeper parsing), or every request.
var FuzzKinds = []string{"*", "metadata", "Patient", "Observation", "Condition", "MedicationRequest",
	"MedicationStatement", "AllergyIntolerance", "Immunization", "Organization", "Practitioner",
	"Appointment", "Slot", "Location", "$gpc.getstructuredrecord", "$validate"}

// AddFuzzSeeds gives a FuzzResponses target the seed corpus every probe pack shares: a valid
// search, awkward shapes (null and mistyped members, contained references, a Parameters
// wrapper), an OperationOutcome, broken JSON and an empty body — each on its own kind of
// request, with an unusual status.
func AddFuzzSeeds(f *testing.F) {
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
}

// FuzzPack runs probes against the Default FHIR server, except that the requests of one kind
// (FuzzKinds[which]) are answered with status and body as given. It fails t when a probe
// panicked or did not stop: a hostile server may make a probe fail or could-not-test, never
// crash or hang it. tweak may adjust the target (a GP Connect profile).
func FuzzPack(t *testing.T, ps []probes.Probe, which uint8, status uint16, body []byte, tweak func(*probes.Target)) {
	kind := FuzzKinds[int(which)%len(FuzzKinds)]
	code := int(status)%400 + 200 // 1xx answers only make the client wait out its timeout
	srv := Default()
	srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/fhir"), "/")
		if kind != "*" && !strings.Contains(path, kind) {
			return false
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(code)
		w.Write(body) //nolint:errcheck // the client may hang up
		return true
	}
	// Plain http: a certificate per input would cost more than the probes (the fuzzer
	// instruments crypto too). The token may go over it: this is a lab.
	target := ServePlain(t, srv)
	target.AllowTokenOverHTTP = true
	target.TestNHSNumber = "9990000018"
	if tweak != nil {
		tweak(&target)
	}
	r := Runner()
	r.ProbeTimeout = 5 * time.Second
	report, err := r.Run(context.Background(), target, ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		if strings.Contains(res.Observed, "probe panicked") || strings.Contains(res.Observed, "did not stop within") {
			t.Fatalf("%s (%s answered %d with %d bytes): %s", res.ProbeID, kind, code, len(body), res.Observed)
		}
	}
}
