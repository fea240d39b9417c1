package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

var updateTableGolden = flag.Bool("update-table-golden", false, "rewrite the CLI table golden files")

func tableFixture() *probes.Report {
	start := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	long := "GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018 answered 200 with a Bundle of 1 Patient and no WWW-Authenticate header; the same request with a forged token was also answered 200"
	return &probes.Report{
		RunID: "run-1", Target: probes.Target{BaseURL: "https://fhir.example.nhs.uk/R4"},
		StartedAt: start, FinishedAt: start.Add(1234 * time.Millisecond),
		Results: []probes.Result{
			{ProbeID: "transport.tls.version", Status: probes.Pass, Severity: probes.High, Observed: "TLS 1.3 negotiated; TLS 1.0 and 1.1 refused"},
			{ProbeID: "transport.hsts", Status: probes.Warn, Severity: probes.Medium, Observed: "no Strict-Transport-Security header"},
			{ProbeID: "security.auth.required", Status: probes.Fail, Severity: probes.Critical, Observed: long},
			{ProbeID: "smart.configuration", Status: probes.Error, Severity: probes.Low, Observed: "could not test: connection reset by peer"},
			{ProbeID: "fhir.capability.formats", Status: probes.Skip, Severity: probes.Info, Observed: "skipped: no CapabilityStatement"},
		},
	}
}

// The probe table fits the terminal (every row within the width), keeps its natural width
// when piped, and colours statuses only when asked.
func TestProbeTableGolden(t *testing.T) {
	for _, c := range []struct {
		file string
		ti   termInfo
	}{
		{"probe-table-piped.golden", termInfo{}},
		{"probe-table-80.golden", termInfo{Width: 80}},
		{"probe-table-120-color.golden", termInfo{Width: 120, Color: true}},
		{"probe-table-40.golden", termInfo{Width: 40}},
	} {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeProbeTable(&buf, tableFixture(), c.ti); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if c.ti.Width >= 80 {
				for _, line := range strings.Split(got, "\n")[:6] {
					plain := stripSGR(line)
					if n := utf8.RuneCountInString(plain); n > c.ti.Width {
						t.Errorf("row of %d columns on a %d-column terminal: %q", n, c.ti.Width, plain)
					}
				}
			}
			if hasSGR := strings.Contains(got, "\x1b["); hasSGR != c.ti.Color {
				t.Errorf("colour codes present %v, want %v", hasSGR, c.ti.Color)
			}
			path := filepath.Join("testdata", "table", c.file)
			if *updateTableGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-table-golden to create it)", err)
			}
			if got != string(want) {
				t.Errorf("table differs from %s (run with -update-table-golden after checking the change):\n%s", path, got)
			}
		})
	}
}

func TestTerminalOfPipe(t *testing.T) {
	env := map[string]string{"COLUMNS": "100"}
	ti := terminalOf(&bytes.Buffer{}, func(k string) string { return env[k] })
	if ti.Color || ti.Width != 100 {
		t.Errorf("piped output: %+v, want no colour and $COLUMNS width", ti)
	}
	if ti := terminalOf(&bytes.Buffer{}, func(string) string { return "" }); ti != (termInfo{}) {
		t.Errorf("piped output without COLUMNS: %+v, want unknown width, no colour", ti)
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
