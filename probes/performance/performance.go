// Package performance probes response times: the 95th percentile latency of repeated reads.
package performance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "performance"

// Sampling: each request is repeated Samples times, one after another, unless the series has
// already spent SeriesBudget with at least MinSamples taken (a slow server then gets fewer,
// still sequential, samples: the verdict needs the latency, not the whole budget of waiting).
const (
	Samples      = 10
	MinSamples   = 3
	SeriesBudget = 4 * time.Second
)

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
			ID: "performance.latency", Pack: Pack, Severity: probes.Low, Strength: verdict.Shall, LongRunning: true,
			Title:       "Response times",
			SpecRef:     "https://developer.nhs.uk/apis/gpconnect-1-2-7/development_api_volume_and_performance.html (GP Connect API volume and performance)",
			Requirement: "GP Connect non-functional requirements, applied as the national benchmark: query APIs SHALL answer within 3000 ms and SHOULD within 1000 ms.",
			Description: "p95 (nearest rank) of sequential GET metadata and Patient search samples, the two series side by side (10 each, or at least 3 once a series has taken 4 s: on a slow server every sample is slow, and the observation says how many were taken): <= 1000 ms passes, <= 3000 ms warns (SHOULD), above fails (SHALL); an unanswered request fails.",
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
		lastErr    error
		statuses   map[int]int
	}
	all := []*series{{label: "metadata", url: "metadata"}, {label: "Patient search", url: search}}
	var wg sync.WaitGroup
	for _, sr := range all {
		sr.statuses = map[int]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			for i := 0; i < Samples && ctx.Err() == nil; i++ {
				if i >= MinSamples && time.Since(start) >= SeriesBudget {
					break
				}
				resp, err := s.Get(ctx, sr.url)
				if err != nil {
					sr.failures++
					sr.lastErr = err
					if errors.Is(err, probes.ErrOriginUnresponsive) {
						break
					}
					continue
				}
				sr.statuses[resp.StatusCode]++
				sr.samples = append(sr.samples, resp.Duration)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return probes.Errored(exp, fmt.Errorf("stopped before the samples were taken: %w", ctx.Err()))
	}
	var worst time.Duration
	failed, answered := 0, 0
	for _, sr := range all {
		failed += sr.failures
		answered += len(sr.samples)
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
	case answered == 0:
		last := all[0].lastErr
		if last == nil {
			last = all[1].lastErr
		}
		return probes.Errored(exp, fmt.Errorf("no request was answered (%s): %w", observed, last))
	case failed > 0:
		// An unanswered request took at least the request timeout: slower than any threshold.
		return s.Breach(exp, observed)
	case worst <= PassWithin:
		return probes.Passed(exp, observed)
	case worst <= WarnWithin:
		return probes.Warned(exp, observed)
	}
	return s.Breach(exp, observed)
}
