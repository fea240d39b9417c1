package performance_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/performance"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

func TestP95(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(5), 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 100), 100 * time.Millisecond},
		{ms(100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19), 19 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := performance.P95(tc.in); got != tc.want {
			t.Errorf("P95(%v) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 20 requests, some slowed")
	}
	tests := []struct {
		name     string
		breakIt  func(f *probetest.FHIR)
		timeout  time.Duration
		want     probes.Status
		observed string
		// exchanges is the evidence expected: 10 samples a series, 3 once a series has taken
		// its 4 s budget; 0 when the breaker makes it vary.
		exchanges int
	}{
		{name: "fast", want: probes.Pass, observed: "metadata p95", exchanges: 2 * performance.Samples},
		{name: "slow search", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/Patient") {
					time.Sleep(1500 * time.Millisecond) // three samples pass the 4 s budget
				}
				return false
			}
		}, want: probes.Warn, observed: "Patient search p95 1", exchanges: performance.Samples + performance.MinSamples},
		{name: "timeouts", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/Patient") {
					select {
					case <-r.Context().Done():
					case <-time.After(2 * time.Second):
					}
					return true
				}
				return false
			}
		}, timeout: 200 * time.Millisecond, want: probes.Fail, observed: "without an answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			runner := probetest.Runner()
			if tc.timeout > 0 {
				runner.Client.RequestTimeout = tc.timeout
			}
			report, err := runner.Run(t.Context(), target, performance.Probes())
			if err != nil {
				t.Fatal(err)
			}
			res := report.Results[0]
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			if tc.exchanges > 0 && len(res.Exchanges) != tc.exchanges {
				t.Errorf("%d exchanges as evidence, want %d", len(res.Exchanges), tc.exchanges)
			}
		})
	}
}
