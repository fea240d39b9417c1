package probes_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

// silentServer accepts connections and never answers; it counts the requests that reach it
// (connections that send at least one byte).
func silentServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				buf := make([]byte, 1)
				if n, _ := c.Read(buf); n > 0 {
					requests.Add(1)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String(), &requests
}

func TestBreakerStopsRequestsToASilentOrigin(t *testing.T) {
	addr, requests := silentServer(t)
	var ps []probes.Probe
	for i := range 8 {
		ps = append(ps, probes.New(meta(string(rune('a'+i))), func(ctx context.Context, s *probes.Session) probes.Result {
			for range 3 {
				if _, err := s.Get(ctx, "Patient?_count=1"); err != nil {
					return probes.Errored("", err)
				}
			}
			return probes.Passed("", "")
		}))
	}
	r := probetest.Runner()
	r.Client.RequestTimeout = 200 * time.Millisecond
	report, err := r.Run(context.Background(), probes.Target{BaseURL: "http://" + addr + "/fhir"}, ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		if res.Status != probes.Error || res.Cause == nil {
			t.Fatalf("%s: %s %+v", res.ProbeID, res.Status, res.Cause)
		}
		if k := res.Cause.Kind; k != probes.CauseTimeout && k != probes.CauseUnresponsive {
			t.Errorf("%s: cause %s (%s)", res.ProbeID, k, res.Cause.Detail)
		}
	}
	// Without the breaker the 8 probes would send 8 requests (each stops at its first
	// timeout); with it, at most the threshold plus the requests already in flight get through.
	if n := requests.Load(); n > int64(probes.BreakerThreshold+r.Concurrency) {
		t.Errorf("%d requests reached the silent server", n)
	}
	unresponsive := 0
	for _, c := range report.Causes {
		if c.Kind == probes.CauseUnresponsive {
			unresponsive = len(c.Probes)
		}
	}
	if unresponsive == 0 {
		t.Errorf("no probe was stopped by the breaker: %+v", report.Causes)
	}
}

func TestCauseOfAForgottenCA(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	target.CAFile = ""
	p := probes.New(meta("reads"), func(ctx context.Context, s *probes.Session) probes.Result {
		if _, err := s.Get(ctx, "metadata"); err != nil {
			return probes.Errored("", err)
		}
		return probes.Passed("", "")
	})
	report, err := probetest.Runner().Run(context.Background(), target, []probes.Probe{p})
	if err != nil {
		t.Fatal(err)
	}
	res := report.Results[0]
	if res.Status != probes.Error || res.Cause == nil || res.Cause.Kind != probes.CauseTLSTrust {
		t.Fatalf("%s %+v", res.Status, res.Cause)
	}
	if !strings.Contains(res.Cause.Advice, "--ca") || !strings.Contains(res.Cause.Detail, "unknown authority") {
		t.Errorf("cause %+v does not name the problem and the remedy", res.Cause)
	}
	if len(report.Causes) != 1 || report.Causes[0].Probes[0] != res.ProbeID {
		t.Errorf("causes %+v", report.Causes)
	}
	if s := report.Causes[0].String(); strings.Contains(s, "[") {
		t.Errorf("summary line shows a raw list: %s", s)
	}
}

func TestWarnsWhenEveryDataRequestIsRefused(t *testing.T) {
	for _, token := range []string{"", "wrong-token"} {
		target := probetest.Serve(t, probetest.Default())
		target.Token = token
		p := probes.New(meta("reads"), func(ctx context.Context, s *probes.Session) probes.Result {
			if _, err := s.TestPatient(ctx); err != nil {
				return probes.NoPatient("", err)
			}
			return probes.Passed("", "")
		})
		q := probes.New(meta("reads-more"), func(ctx context.Context, s *probes.Session) probes.Result {
			for _, u := range []string{"metadata", "Patient/p1", "Condition?patient=p1", "Observation?patient=p1"} {
				if _, err := s.Get(ctx, u); err != nil {
					return probes.Errored("", err)
				}
			}
			return probes.Passed("", "")
		})
		report, err := probetest.Runner().Run(context.Background(), target, []probes.Probe{p, q})
		if err != nil {
			t.Fatal(err)
		}
		if len(report.Warnings) != 1 {
			t.Fatalf("token %q: warnings %q", token, report.Warnings)
		}
		want := "no token was given"
		if token != "" {
			want = "refused the token"
		}
		if !strings.Contains(report.Warnings[0], want) {
			t.Errorf("token %q: warning %q", token, report.Warnings[0])
		}
		// The test patient lookup was refused, not absent: could not test, cause credentials.
		if r := report.Results[0]; r.Status != probes.Error || r.Cause == nil || r.Cause.Kind != probes.CauseCredentials {
			t.Errorf("token %q: test patient lookup %s %+v (%s)", token, r.Status, r.Cause, r.Observed)
		}
	}
	// With the right token there is no warning.
	target := probetest.Serve(t, probetest.Default())
	report, _ := probetest.Runner().Run(context.Background(), target, []probes.Probe{probes.New(meta("ok"), func(ctx context.Context, s *probes.Session) probes.Result {
		_, err := s.TestPatient(ctx)
		if errors.Is(err, probes.ErrCredentialsRefused) {
			return probes.Errored("", err)
		}
		return probes.Passed("", "")
	})})
	if len(report.Warnings) != 0 {
		t.Errorf("warnings with a good token: %q", report.Warnings)
	}
}

// A server that answers headers at once and then trickles its body a byte at a time: each
// request ends at its timeout, and the breaker stops the rest.
func TestBreakerStopsATricklingOrigin(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(http.StatusOK)
		for range 100 {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	var ps []probes.Probe
	for i := range 8 {
		ps = append(ps, probes.New(meta(string(rune('a'+i))), func(ctx context.Context, s *probes.Session) probes.Result {
			if _, err := s.Get(ctx, "metadata"); err != nil {
				return probes.Errored("", err)
			}
			return probes.Passed("", "")
		}))
	}
	r := probetest.Runner()
	r.Client.RequestTimeout = 300 * time.Millisecond
	report, err := r.Run(context.Background(), probes.Target{BaseURL: srv.URL + "/fhir"}, ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		if res.Status != probes.Error || res.Cause == nil || (res.Cause.Kind != probes.CauseTimeout && res.Cause.Kind != probes.CauseUnresponsive) {
			t.Errorf("%s: %s %+v (%s)", res.ProbeID, res.Status, res.Cause, res.Observed)
		}
	}
	if n := requests.Load(); n > int64(probes.BreakerThreshold+r.Concurrency) {
		t.Errorf("%d requests reached the trickling server", n)
	}
}
