package all_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// BenchmarkPackVersusBackToBack runs the R4 packs against an in-process sandbox (profile
// BENCH_PROFILE, default typical, with its deliberate latency), then replays the very requests
// the run made, one after another on one keep-alive client, and reports both wall times and
// their ratio (target <= 1.5). scripts/bench-probes.sh runs it.
func BenchmarkPackVersusBackToBack(b *testing.B) {
	profile := sandbox.Profile(envOr("BENCH_PROFILE", string(sandbox.Typical)))
	ctx := context.Background()
	srv, err := sandbox.Start(ctx, sandbox.Config{Profile: profile, LatencyScale: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	target := probes.Target{BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, CAFile: srv.CAFile, Token: srv.Token, TestNHSNumber: srv.TestNHSNumber}
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tlsCfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, DisableCompression: true}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var pack, replay time.Duration
	requests := 0
	for range b.N {
		// The runner as jigsaw probe builds it: default concurrency, the politeness limit
		// (which loopback is exempt from), identifiers kept so URLs can be replayed.
		runner := &probes.Runner{Client: probes.ClientOptions{KeepIdentifiers: true}}
		start := time.Now()
		// A fresh registry each time, as each jigsaw probe process builds one: the validator's
		// definitions are decoded inside the timed run.
		selected, err := all.Registry().Select([]string{"transport", "fhir", "security", "identity", "terminology", "performance", "smart"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		report, err := runner.Run(ctx, target, selected)
		if err != nil {
			b.Fatal(err)
		}
		pack += time.Since(start)
		if os.Getenv("BENCH_VERBOSE") != "" {
			rs := append([]probes.Result(nil), report.Results...)
			sort.Slice(rs, func(i, j int) bool { return rs[i].Duration > rs[j].Duration })
			for _, r := range rs[:8] {
				b.Logf("%-40s %6.0f ms from %6.0f ms", r.ProbeID, r.Duration.Seconds()*1000, r.StartedAt.Sub(start).Seconds()*1000)
			}
		}

		exs := append([]probes.Exchange(nil), report.Exchanges...)
		sort.SliceStable(exs, func(i, j int) bool { return exs[i].StartedAt.Before(exs[j].StartedAt) })
		requests += len(exs)
		start = time.Now()
		for _, ex := range exs {
			replayOne(b, client, tlsCfg, ex, srv.Token)
		}
		replay += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(pack.Seconds()/n, "pack-s")
	b.ReportMetric(replay.Seconds()/n, "back-to-back-s")
	b.ReportMetric(pack.Seconds()/replay.Seconds(), "ratio")
	b.ReportMetric(float64(requests)/n, "requests")
}

// replayOne repeats one recorded exchange: the same method, URL and headers (the run's token
// where the evidence shows a redacted one, a forged one for the authentication probes), or the
// same bare TLS handshake.
func replayOne(b *testing.B, client *http.Client, tlsCfg *tls.Config, ex probes.Exchange, token string) {
	if ex.Method == "TLS" {
		cfg := tlsCfg.Clone()
		cfg.InsecureSkipVerify = true //nolint:gosec // a timing replay of the probe's own handshakes
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
		if conn, err := d.DialContext(context.Background(), "tcp", strings.TrimPrefix(ex.URL, "tls://")); err == nil {
			conn.Close()
		}
		return
	}
	req, err := http.NewRequest(ex.Method, ex.URL, nil)
	if err != nil {
		return
	}
	for name, values := range ex.RequestHeaders {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if req.Header.Get("Authorization") != "" {
		auth := "Bearer " + token
		if strings.HasPrefix(ex.ProbeID, "security.auth") {
			auth = "Bearer forged"
		}
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
