// Package performance probes response times: the 95th percentile latency of repeated reads.
package performance

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Pack is this pack's name.
const Pack = "performance"

// Samples is how many times each request is repeated.
const Samples = 10

// Thresholds on the 95th percentile (GP Connect: query APIs SHALL answer within 3000 ms and
// SHOULD within 1000 ms).
const (
	PassWithin = 1000 * time.Millisecond
	WarnWithin = 3000 * time.Millisecond
)

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "performance.latency", Pack: Pack, Severity: probes.Low,
			Title:       "Response times",
			SpecRef:     "GP Connect non-functional requirements: API volume and performance (query APIs SHOULD < 1000 ms, SHALL < 3000 ms)",
			Description: "p95 latency over repeated reads of /metadata and a Patient search: <= 1000 ms passes, <= 3000 ms warns, else fails.",
		}, latency),
	}
}

// P95 returns the 95th percentile (nearest rank) of the samples.
func P95(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(math.Ceil(0.95*float64(len(sorted)))) - 1
	return sorted[max(rank, 0)]
}

func latency(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "p95 latency of GET metadata and a Patient search <= 1000 ms (<= 3000 ms warns)"
	search := "Patient?_count=1"
	if n := s.Target.TestNHSNumber; n != "" {
		search = probes.NHSNumberQuery(n)
	}
	type series struct {
		label, url string
		samples    []time.Duration
		failures   int
		statuses   map[int]int
	}
	all := []*series{{label: "metadata", url: "metadata"}, {label: "Patient search", url: search}}
	var worst time.Duration
	failed := 0
	for _, sr := range all {
		sr.statuses = map[int]int{}
		for i := 0; i < Samples; i++ {
			resp, err := s.Get(ctx, sr.url)
			if ctx.Err() != nil {
				return probes.Errored(exp, fmt.Errorf("stopped after %d samples: %w", i, ctx.Err()))
			}
			if err != nil {
				sr.failures++
				continue
			}
			sr.statuses[resp.StatusCode]++
			sr.samples = append(sr.samples, resp.Duration)
		}
		failed += sr.failures
		if p := P95(sr.samples); p > worst {
			worst = p
		}
	}
	var parts []string
	for _, sr := range all {
		part := fmt.Sprintf("%s p95 %d ms over %d", sr.label, P95(sr.samples).Milliseconds(), len(sr.samples))
		if len(sr.statuses) > 0 {
			var codes []string
			for code, n := range sr.statuses {
				codes = append(codes, fmt.Sprintf("%d×%d", code, n))
			}
			slices.Sort(codes)
			part += " (HTTP " + strings.Join(codes, ", ") + ")"
		}
		if sr.failures > 0 {
			part += fmt.Sprintf(", %d without an answer", sr.failures)
		}
		parts = append(parts, part)
	}
	observed := strings.Join(parts, "; ")
	switch {
	case failed == 2*Samples:
		return probes.Errored(exp, fmt.Errorf("no request was answered: %s", observed))
	case failed > 0:
		// An unanswered request took at least the request timeout: slower than any threshold.
		return probes.Failed(exp, observed)
	case worst <= PassWithin:
		return probes.Passed(exp, observed)
	case worst <= WarnWithin:
		return probes.Warned(exp, observed)
	}
	return probes.Failed(exp, observed)
}
