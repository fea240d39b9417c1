package registry

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// TestCommittedSchemasAreCurrent regenerates every schema in memory and compares it with the
// committed file, so a change to a Go type cannot ship with a stale schema.
func TestCommittedSchemasAreCurrent(t *testing.T) {
	for _, e := range Entries() {
		t.Run(e.Name, func(t *testing.T) {
			want, err := Generate(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := schemas.JSON(e.Name)
			if err != nil {
				t.Fatalf("%v: run `go generate ./schemas`", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("schemas/%s is stale: run `go generate ./schemas` and commit the result", schemas.FileName(e.Name))
			}
			if _, err := schemas.Compile(e.Name); err != nil {
				t.Errorf("schema does not compile: %v", err)
			}
		})
	}
	var registered []string
	for _, e := range Entries() {
		registered = append(registered, e.Name)
	}
	slices.Sort(registered)
	if !slices.Equal(registered, schemas.Names()) {
		t.Errorf("schema files %v do not match the registry %v: delete orphans or register them", schemas.Names(), registered)
	}
}

// TestProbeResultSchemaMatchesJSON checks that what the Go types marshal to is valid under the
// published schema (times, durations, headers, bytes).
func TestProbeResultSchemaMatchesJSON(t *testing.T) {
	start := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	v := ProbeResult{
		Result: probes.Result{
			ProbeID: "security.auth.required", Title: "Patient data needs authentication", Pack: "security",
			Status: probes.Fail, Severity: probes.Critical, Expected: "401 and no patient data",
			Observed: "200 with a Patient Bundle", SpecRef: "https://www.rfc-editor.org/rfc/rfc6750",
			StartedAt: start, Duration: 12 * time.Millisecond, Exchanges: []string{"ex-1"},
		},
		Exchanges: []probes.Exchange{{
			ID: "ex-1", ProbeID: "security.auth.required", Method: "GET", URL: "https://127.0.0.1:8443/fhir/Patient",
			RequestHeaders: http.Header{"Accept": {"application/fhir+json"}}, StatusCode: 200,
			ResponseHeaders: http.Header{"Content-Type": {"application/fhir+json"}}, ResponseBody: []byte(`{"resourceType":"Bundle"}`),
			ResponseSize: 25, StartedAt: start, Duration: 10 * time.Millisecond,
			TLS: &probes.TLSFacts{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Verified: true, PeerNotAfter: start.AddDate(1, 0, 0)},
		}},
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := schemas.Compile("probe-result")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if ps := yamldoc.CheckValue(sch, doc); len(ps) > 0 {
		t.Errorf("marshalled probe result violates its schema: %v", ps)
	}
	// And the schema is strict: an unknown field is refused.
	doc.(map[string]any)["surprise"] = true
	if ps := yamldoc.CheckValue(sch, doc); len(ps) != 1 || ps[0].Message != `unknown field "surprise"` {
		t.Errorf("want the unknown field refused, got %v", ps)
	}
}
