package all_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// TestSandboxProfiles runs every probe against the three reference organisations: exemplar
// passes everything; typical and legacy show each documented defect through the probe named
// for it (fail or warn), and every other probe passes or, where a defect removes its
// precondition, skips.
func TestSandboxProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three sandbox servers and runs every probe against each")
	}
	for _, profile := range sandbox.Profiles() {
		t.Run(string(profile), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Legacy's slowness is one of its defects, so its delays stay real.
			scale := 0.02
			if profile == sandbox.Legacy {
				scale = 1
			}
			srv, err := sandbox.Start(ctx, sandbox.Config{Profile: profile, LatencyScale: scale})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			target := probes.Target{
				BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, CAFile: srv.CAFile,
				Token: srv.Token, TestNHSNumber: srv.TestNHSNumber,
			}
			runner := &probes.Runner{
				Client:       probes.ClientOptions{RatePerSecond: -1, RequestTimeout: 10 * time.Second},
				Concurrency:  8,
				ProbeTimeout: 90 * time.Second,
				RunTimeout:   3 * time.Minute,
			}
			// The R4 packs; GP Connect probes its own STU3 provider.
			selected, err := all.Registry().Select([]string{"transport", "fhir", "security", "identity", "terminology", "performance", "smart"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			report, err := runner.Run(ctx, target, selected)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]probes.Result{}
			for _, r := range report.Results {
				byID[r.ProbeID] = r
			}
			defective := map[string][]string{}
			for _, d := range sandbox.Defects(profile) {
				defective[d.ProbeID] = append(defective[d.ProbeID], d.ID)
			}
			for id, defects := range defective {
				r, ok := byID[id]
				if !ok {
					t.Errorf("defects %v name probe %s, which the registry lacks", defects, id)
					continue
				}
				if r.Status != probes.Fail && r.Status != probes.Warn {
					t.Errorf("%s missed %v: %s: %s", id, defects, r.Status, r.Observed)
				}
			}
			for _, r := range report.Results {
				if len(defective[r.ProbeID]) > 0 {
					continue
				}
				// Beyond its defects, a profile may lack what the checks need (skip), not claim a
				// capability (not applicable) or leave out an optional element (info): never
				// the exemplar, which has everything.
				lacks := r.Status == probes.Skip || r.Status == probes.NotApplicable || r.Status == probes.InfoOnly
				if r.Status != probes.Pass && !(profile != sandbox.Exemplar && lacks) {
					t.Errorf("%s on %s: %s: %s", r.ProbeID, profile, r.Status, r.Observed)
				}
			}
			assertNoSecret(t, report, srv.Token)
			for _, r := range report.Results {
				t.Logf("%-5s %-32s %s", r.Status, r.ProbeID, r.Observed)
			}
		})
	}
}

func assertNoSecret(t *testing.T, report *probes.Report, token string) {
	t.Helper()
	if token == "" {
		return
	}
	if s := fmt.Sprintf("%+v", report); strings.Contains(s, token) {
		t.Errorf("the token appears in the report")
	}
}
