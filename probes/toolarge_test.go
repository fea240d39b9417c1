package probes_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

// A body over the read limit (a valid but huge CapabilityStatement, a gzip bomb) makes a
// probe that would fail on it "could not test: too large to read", never the server's fault.
func TestTooLargeBodyIsCouldNotTest(t *testing.T) {
	huge := `{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["json"],"description":"` +
		strings.Repeat("x", 6<<20) + `"}`
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte(`{"resourceType":"CapabilityStatement","description":"`))
	zero := make([]byte, 1<<20)
	for range 50 {
		zw.Write(zero)
	}
	zw.Close()
	for name, handler := range map[string]http.HandlerFunc{
		"large": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/fhir+json")
			w.Write([]byte(huge))
		},
		"gzip bomb": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/fhir+json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(handler)
			defer srv.Close()
			ps := []probes.Probe{
				probes.New(meta("parses"), func(ctx context.Context, s *probes.Session) probes.Result {
					f, err := s.Capability(ctx)
					if err != nil {
						return probes.Errored("", err)
					}
					if f.Statement == nil {
						return probes.Failed("a CapabilityStatement", "not one: "+f.ParseErr.Error())
					}
					return probes.Passed("a CapabilityStatement", "got one")
				}),
			}
			report, err := probetest.Runner().Run(context.Background(), probes.Target{BaseURL: srv.URL, FHIRVersion: probes.R4}, ps)
			if err != nil {
				t.Fatal(err)
			}
			res := report.Results[0]
			if res.Status != probes.Error || !strings.Contains(res.Observed, "could not test: too large to read (limit 4 MiB)") {
				t.Errorf("got %s: %s", res.Status, res.Observed)
			}
		})
	}
}
