package all_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

// Hostile servers: every probe must end in its deadline with a result, never hang, panic or
// leak the token, and nothing that needs a FHIR answer may pass.
func TestHostileServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole registry against five hostile servers")
	}
	slowloris := func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		drip(r.Context(), buf, "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nX-Slow: "+strings.Repeat("a", 1000))
	}
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Bundle","entry":[`))
		chunk := []byte(strings.Repeat(`{"resource":{"resourceType":"Patient"}},`, 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	loop := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/again", http.StatusFound)
	}
	invalidJSON := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [` + "\x00\xff"))
	}
	html := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><body>Welcome to the portal</body></html>"))
	}
	mixed := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/metadata"):
			invalidJSON(w, r)
		case strings.Contains(r.URL.Path, "/Patient"):
			endless(w, r)
		case strings.Contains(r.URL.Path, "well-known"):
			loop(w, r)
		case strings.Contains(r.URL.Path, "Organization"):
			slowloris(w, r)
		default:
			html(w, r)
		}
	}
	servers := map[string]http.HandlerFunc{
		"slowloris": slowloris, "endless body": endless, "redirect loop": loop,
		"invalid JSON": invalidJSON, "HTML everywhere": html, "mixed": mixed,
	}
	mustNotPass := []string{
		"fhir.capability.present", "fhir.search.bundle", "fhir.read.not-found", "fhir.content-type",
		"identity.nhs-number.search", "security.auth.required", "smart.configuration", "fhir.errors.operation-outcome",
	}
	for name, h := range servers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			target := probetest.Serve(t, h)
			target.TestNHSNumber = probetest.NHSNumber1
			runner := &probes.Runner{
				Client:       probes.ClientOptions{RequestTimeout: 300 * time.Millisecond, ReadLimit: 256 << 10, RatePerSecond: -1},
				Concurrency:  6,
				ProbeTimeout: 8 * time.Second,
				RunTimeout:   25 * time.Second,
			}
			start := time.Now()
			report, err := runner.Run(context.Background(), target, all.Registry().All())
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > runner.RunTimeout+5*time.Second {
				t.Errorf("run took %v, deadline %v", d, runner.RunTimeout)
			}
			counts := map[probes.Status]int{}
			var passed []string
			for _, res := range report.Results {
				counts[res.Status]++
				if res.Status == probes.Pass {
					passed = append(passed, res.ProbeID)
				}
				switch res.Status {
				case probes.Pass, probes.Fail, probes.Warn, probes.Skip, probes.Error:
				default:
					t.Errorf("%s: status %q", res.ProbeID, res.Status)
				}
				if res.Status == probes.Pass {
					for _, id := range mustNotPass {
						if res.ProbeID == id {
							t.Errorf("%s passed against a hostile server: %s", id, res.Observed)
						}
					}
				}
				if strings.Contains(res.Observed, "panicked") {
					t.Errorf("%s panicked: %s", res.ProbeID, res.Observed)
				}
			}
			probetest.AssertNoSecret(t, report, target.Token)
			t.Logf("%v in %v; passed: %s", counts, time.Since(start).Round(time.Millisecond), strings.Join(passed, ", "))
		})
	}
}

// drip writes s one byte every 100 ms until the client gives up.
func drip(ctx context.Context, w *bufio.ReadWriter, s string) {
	for i := 0; i < len(s); i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		if w.WriteByte(s[i]) != nil || w.Flush() != nil {
			return
		}
	}
}
