package gpconnect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
)

// runAgainst starts a sandbox with its GP Connect provider and runs the pack against it.
func runAgainst(t *testing.T, profile sandbox.Profile, writes bool) map[string]probes.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	srv, err := sandbox.Start(ctx, sandbox.Config{Profile: profile, GPConnect: true, LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	base := "https://" + srv.GPConnectAddr()
	target := probes.Target{
		BaseURL: base + gpcsandbox.FoundationsPath, FHIRVersion: probes.STU3, CAFile: srv.CAFile,
		GPConnect: &probes.GPConnectSettings{StructuredURL: base + gpcsandbox.StructuredPath},
	}
	if gpcsandbox.RequiresClientCertificate(string(profile)) {
		// The SSP's stand-in: the provider asks for a client certificate signed by the sandbox CA.
		target.ClientCert, target.ClientKey = srv.ClientCertFile, srv.ClientKeyFile
	}
	if writes {
		target.GPConnect.AllowWrites = true
		target.GPConnect.WritePatient = gpconnect.PatientMain
		target.GPConnect.WriteSlots = []string{"3"}
	}
	runner := probes.Runner{Client: probes.ClientOptions{RatePerSecond: -1}}
	report, err := runner.Run(ctx, target, gpconnect.Probes())
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range report.Exchanges {
		// The JWT's header and payload start "eyJ" (base64url of `{"`): never stored.
		if strings.Contains(strings.Join(ex.RequestHeaders.Values("Authorization"), " "), "eyJ") {
			t.Fatalf("exchange %s stores the JWT", ex.ID)
		}
	}
	out := map[string]probes.Result{}
	for _, r := range report.Results {
		out[r.ProbeID] = r
	}
	return out
}

func TestExemplarPassesInFull(t *testing.T) {
	results := runAgainst(t, sandbox.Exemplar, true)
	if len(results) < 40 {
		t.Errorf("%d gpconnect probes, want at least 40", len(results))
	}
	for id, r := range results {
		if r.Status != probes.Pass {
			t.Errorf("%s: %s, want pass: %s", id, r.Status, r.Observed)
		}
		if len(r.Exchanges) == 0 {
			t.Errorf("%s: no evidence", id)
		}
	}
}

func TestDefectsReported(t *testing.T) {
	for _, profile := range []sandbox.Profile{sandbox.Typical, sandbox.Legacy} {
		t.Run(string(profile), func(t *testing.T) {
			results := runAgainst(t, profile, false)
			defects := gpcsandbox.Defects(string(profile))
			if len(defects) == 0 {
				t.Fatal("no documented defects")
			}
			for _, d := range defects {
				r, ok := results[d.ProbeID]
				if !ok {
					t.Errorf("defect %s names unknown probe %s", d.ID, d.ProbeID)
					continue
				}
				if r.Status != probes.Fail {
					t.Errorf("defect %s: %s is %s, want fail: %s", d.ID, d.ProbeID, r.Status, r.Observed)
				}
			}
		})
	}
}

func TestPlainR4ServerFailsCleanly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := sandbox.Start(ctx, sandbox.Config{LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	target := probes.Target{BaseURL: srv.BaseURL(), CAFile: srv.CAFile, FHIRVersion: probes.STU3,
		GPConnect: &probes.GPConnectSettings{StructuredURL: srv.BaseURL()}}
	report, err := (&probes.Runner{Client: probes.ClientOptions{RatePerSecond: -1}}).Run(ctx, target, gpconnect.Probes())
	if err != nil {
		t.Fatal(err)
	}
	// Only the baseline fails; everything else skips or is not applicable, saying why.
	for _, r := range report.Results {
		switch {
		case r.ProbeID == "gpconnect.capability":
			if r.Status != probes.Fail {
				t.Errorf("baseline %s: %s, want fail: %s", r.ProbeID, r.Status, r.Observed)
			}
		case r.Status != probes.Skip && r.Status != probes.NotApplicable:
			t.Errorf("%s: %s against a plain R4 server, want skip or not-applicable: %s", r.ProbeID, r.Status, r.Observed)
		case !strings.Contains(r.Observed, "gpconnect.capability"):
			t.Errorf("%s skips without naming the baseline it depends on: %s", r.ProbeID, r.Observed)
		}
		t.Logf("%-45s %-14s %s", r.ProbeID, r.Status, probes.Clip(r.Observed, 110))
	}
}

func TestSkipsWithoutGPConnectProfile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := sandbox.Start(ctx, sandbox.Config{LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	report, err := (&probes.Runner{}).Run(ctx, probes.Target{BaseURL: srv.BaseURL(), CAFile: srv.CAFile}, gpconnect.Probes())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Results {
		if r.Status != probes.Skip || len(r.Exchanges) != 0 {
			t.Errorf("%s: %s with %d exchanges, want a skip without traffic", r.ProbeID, r.Status, len(r.Exchanges))
		}
	}
}

// Without the inspector's client certificate the provider's refusal is the inspector's set-up
// (could not test), and it is exactly what gpconnect.tls.client-certificate wants to see.
func TestWithoutClientCertificate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := sandbox.Start(ctx, sandbox.Config{GPConnect: true, LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := "https://" + srv.GPConnectAddr()
	target := probes.Target{BaseURL: base + gpcsandbox.FoundationsPath, FHIRVersion: probes.STU3, CAFile: srv.CAFile,
		GPConnect: &probes.GPConnectSettings{StructuredURL: base + gpcsandbox.StructuredPath}}
	report, err := (&probes.Runner{Client: probes.ClientOptions{RatePerSecond: -1}}).Run(ctx, target, gpconnect.Probes())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Results {
		switch r.ProbeID {
		case "gpconnect.capability", "gpconnect.capability.structured":
			if r.Status != probes.Error || !strings.Contains(r.Observed, "--cert") {
				t.Errorf("%s: %s %q, want could not test naming --cert", r.ProbeID, r.Status, r.Observed)
			}
		case "gpconnect.tls.client-certificate":
			if r.Status != probes.Pass {
				t.Errorf("%s: %s %q, want pass", r.ProbeID, r.Status, r.Observed)
			}
		default:
			if r.Status != probes.Skip {
				t.Errorf("%s: %s %q, want skip", r.ProbeID, r.Status, r.Observed)
			}
		}
	}
}
