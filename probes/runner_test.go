package probes_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

func meta(id string) probes.Meta {
	return probes.Meta{ID: "test." + id, Pack: "test", Title: id, Severity: probes.Medium, SpecRef: "http://hl7.org/fhir/R4/http.html#read"}
}

func TestRunnerTurnsMisbehaviourIntoErrors(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	ps := []probes.Probe{
		probes.New(meta("panics"), func(context.Context, *probes.Session) probes.Result { panic("boom") }),
		probes.New(meta("hangs"), func(context.Context, *probes.Session) probes.Result { select {} }),
		probes.New(meta("no-status"), func(context.Context, *probes.Session) probes.Result { return probes.Result{} }),
		probes.New(meta("passes"), func(ctx context.Context, s *probes.Session) probes.Result {
			f, err := s.Capability(ctx)
			if err != nil || f.Statement == nil {
				return probes.Errored("", err)
			}
			return probes.Passed("a CapabilityStatement", "got one")
		}),
		probes.New(meta("shares"), func(ctx context.Context, s *probes.Session) probes.Result {
			if _, err := s.Capability(ctx); err != nil {
				return probes.Errored("", err)
			}
			return probes.Skipped("", "nothing to do")
		}),
	}
	var mu sync.Mutex
	delivered := map[string]int{}
	var order []string
	r := probetest.Runner()
	r.ProbeTimeout = 200 * time.Millisecond
	r.OnResult = func(res probes.Result, exs []probes.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, res.ProbeID)
		for _, ex := range exs {
			delivered[ex.ID]++
		}
	}
	start := time.Now()
	report, err := r.Run(context.Background(), target, ps)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run took %v despite a 200 ms probe timeout", d)
	}
	want := map[string]probes.Status{"test.panics": probes.Error, "test.hangs": probes.Error, "test.no-status": probes.Error, "test.passes": probes.Pass, "test.shares": probes.Skip}
	for i, res := range report.Results {
		if res.ProbeID != ps[i].Meta().ID {
			t.Errorf("result %d is %s; results must keep the probes' order", i, res.ProbeID)
		}
		if res.Status != want[res.ProbeID] {
			t.Errorf("%s: %s (%s); want %s", res.ProbeID, res.Status, res.Observed, want[res.ProbeID])
		}
		if res.Title == "" || res.Pack != "test" || res.Severity != probes.Medium || res.StartedAt.IsZero() {
			t.Errorf("%s: runner did not fill in metadata: %+v", res.ProbeID, res)
		}
	}
	if !strings.Contains(report.Results[0].Observed, "panicked: boom") {
		t.Errorf("panic observation %q", report.Results[0].Observed)
	}
	// The shared CapabilityStatement is evidence for both probes but delivered once.
	passes, shares := report.Results[3], report.Results[4]
	if len(passes.Exchanges) != 1 || len(shares.Exchanges) != 1 || passes.Exchanges[0] != shares.Exchanges[0] {
		t.Fatalf("shared evidence: %v and %v", passes.Exchanges, shares.Exchanges)
	}
	if len(order) != len(ps) {
		t.Errorf("OnResult called %d times for %d probes", len(order), len(ps))
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("exchange %s delivered %d times", id, n)
		}
	}
	if len(report.Exchanges) != len(delivered) {
		t.Errorf("report has %d exchanges, OnResult delivered %d", len(report.Exchanges), len(delivered))
	}
}

func TestRunDeadline(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	slow := func(ctx context.Context, s *probes.Session) probes.Result {
		select {
		case <-ctx.Done():
			return probes.Errored("", ctx.Err())
		case <-time.After(5 * time.Second):
			return probes.Passed("", "")
		}
	}
	var ps []probes.Probe
	for _, id := range []string{"a", "b", "c", "d"} {
		ps = append(ps, probes.New(meta(id), slow))
	}
	r := probetest.Runner()
	r.Concurrency = 1
	r.RunTimeout = 300 * time.Millisecond
	start := time.Now()
	report, err := r.Run(context.Background(), target, ps)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run took %v with a 300 ms deadline", d)
	}
	for _, res := range report.Results {
		if res.Status != probes.Error {
			t.Errorf("%s: %s after the deadline", res.ProbeID, res.Status)
		}
	}
	if !strings.Contains(report.Results[3].Observed, "deadline passed before this probe started") {
		t.Errorf("last probe: %q", report.Results[3].Observed)
	}
}

func TestSpecRefFollowsTargetVersion(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	target.FHIRVersion = probes.STU3
	p := probes.New(meta("spec"), func(context.Context, *probes.Session) probes.Result { return probes.Skipped("", "") })
	res, _ := probetest.Run(t, target, p)
	if res.SpecRef != "http://hl7.org/fhir/STU3/http.html#read" {
		t.Errorf("spec ref %q for an STU3 target", res.SpecRef)
	}
}

func TestRegistry(t *testing.T) {
	noop := func(context.Context, *probes.Session) probes.Result { return probes.Skipped("", "") }
	a := probes.New(probes.Meta{ID: "x.one", Pack: "x", Title: "one", Severity: probes.High, SpecRef: "s"}, noop)
	b := probes.New(probes.Meta{ID: "y.two", Pack: "y", Title: "two", Severity: probes.Low, SpecRef: "s"}, noop)
	c := probes.New(probes.Meta{ID: "x.three", Pack: "x", Title: "three", Severity: probes.Low, SpecRef: "s"}, noop)
	r, err := probes.NewRegistry(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.IDs(), ","); got != "x.one,y.two,x.three" {
		t.Errorf("IDs %s", got)
	}
	if !r.Has("y.two") || r.Has("nope") {
		t.Error("Has")
	}
	sel, err := r.Select([]string{"x"}, []string{"y.two"})
	if err != nil || len(sel) != 3 {
		t.Errorf("Select: %d, %v", len(sel), err)
	}
	sel, _ = r.Select(nil, []string{"x.three"})
	if len(sel) != 1 || sel[0].Meta().ID != "x.three" {
		t.Errorf("Select by id: %v", sel)
	}
	if _, err := r.Select([]string{"nope"}, nil); err == nil || !strings.Contains(err.Error(), "packs: x, y") {
		t.Errorf("unknown pack: %v", err)
	}
	if _, err := r.Select(nil, []string{"x.nope"}); err == nil {
		t.Error("unknown id accepted")
	}

	bad := []probes.Meta{
		{ID: "x.one", Pack: "x", Title: "dup", Severity: probes.High, SpecRef: "s"},
		{ID: "z.wrongpack", Pack: "x", Title: "t", Severity: probes.High, SpecRef: "s"},
		{ID: "x.sev", Pack: "x", Title: "t", Severity: "dire", SpecRef: "s"},
		{ID: "x.nospec", Pack: "x", Title: "t", Severity: probes.High},
	}
	for _, m := range bad {
		if _, err := probes.NewRegistry(a, probes.New(m, noop)); err == nil {
			t.Errorf("registry accepted %+v", m)
		}
	}
}

func TestPlainProgress(t *testing.T) {
	var buf bytes.Buffer
	p := probes.NewProgress(&buf)
	p.Start(2)
	p.Finished(probes.Result{ProbeID: "a.b", Status: probes.Pass})
	p.Finished(probes.Result{ProbeID: "a.c", Status: probes.Fail})
	p.Stop()
	// A second run through the same display (an assessment's second endpoint) counts afresh.
	p.Start(1)
	p.Finished(probes.Result{ProbeID: "g.a", Status: probes.Warn})
	p.Stop()
	want := "probe 1/2 (1 pass, 0 warn, 0 fail, 0 other): pass  a.b (0s)\n" +
		"probe 2/2 (1 pass, 0 warn, 1 fail, 0 other): fail  a.c (0s)\n" +
		"probe 1/1 (0 pass, 1 warn, 0 fail, 0 other): warn  g.a (0s)\n"
	if buf.String() != want {
		t.Errorf("progress %q; want %q", buf.String(), want)
	}
}
