package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// TestFleetScanAndReportOnSandboxes scans the three sandbox organisations and a dead
// endpoint twice, then writes the fleet report in every format.
func TestFleetScanAndReportOnSandboxes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("ods,name,type,region,base_url,kind\n")
	var cas []byte
	for i, p := range sandbox.Profiles() {
		srv, err := sandbox.Start(ctx, sandbox.Config{Profile: p, LatencyScale: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		pem, err := os.ReadFile(srv.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		cas = append(cas, pem...)
		fmt.Fprintf(&csv, "RX%d,\"%s\",acute-trust,London,%s,fhir-r4\n", i, strings.ReplaceAll(srv.Org.Name, `"`, `""`), srv.BaseURL())
	}
	csv.WriteString("RY9,Gone Trust,acute-trust,North,https://127.0.0.1:1/fhir,fhir-r4\n")
	dirFile, caFile, db := filepath.Join(dir, "endpoints.csv"), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "central.db")
	if err := os.WriteFile(dirFile, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, cas, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var out, errOut bytes.Buffer
		err := runFleetScan(ctx, fleetScanOptions{IO: IO{Out: &out, ErrOut: &errOut}, Endpoints: dirFile, DB: db, Concurrency: 4,
			PerHostRate: 50, Timeout: 5 * time.Second, Attempts: 2, MaxWait: time.Second, CAFile: caFile, Output: "json", now: time.Now})
		if err != nil {
			t.Fatalf("scan: %v\n%s", err, errOut.String())
		}
		checkJSONAgainst(t, "cli-fleet-scan", "jigsaw fleet scan -o json", out.String())
		var res fleetScanResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Endpoints != 4 || res.Up != 3 {
			t.Fatalf("scan saw %d endpoints, %d up; want 4 and 3\n%s", res.Endpoints, res.Up, out.String())
		}
		for _, o := range res.Observations {
			if o.ODS == "RY9" && o.Level != fleet.LevelUnreachable {
				t.Errorf("dead endpoint at level %d", o.Level)
			}
			if o.ODS != "RY9" && (o.Capability == nil || o.TLS == nil || !o.TLS.Verified) {
				t.Errorf("%s: CapabilityStatement or TLS facts missing: %+v", o.ODS, o)
			}
		}
	}
	var out bytes.Buffer
	outDir := filepath.Join(dir, "report")
	if err := runFleetReport(ctx, fleetReportOptions{IO: IO{Out: &out, ErrOut: &out}, DB: db, Formats: "pdf,xlsx,json", OutDir: outDir, Worst: 10,
		now: func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) }}); err != nil {
		t.Fatal(err)
	}
	var model reports.Fleet
	b, err := os.ReadFile(filepath.Join(outDir, "fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &model); err != nil {
		t.Fatal(err)
	}
	if model.Endpoints != 4 || model.Up != 3 || len(model.History) != 2 || len(model.WorstOffenders) == 0 || model.WorstOffenders[0].ODS != "RY9" {
		t.Fatalf("fleet model: endpoints %d up %d runs %d worst %+v", model.Endpoints, model.Up, len(model.History), model.WorstOffenders)
	}
	x, err := excelize.OpenFile(filepath.Join(outDir, "fleet.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), ","); got != "Summary,History,Endpoints,Worst offenders,Changes" {
		t.Fatalf("sheets %s", got)
	}
	if st, err := os.Stat(filepath.Join(outDir, "fleet.pdf")); err != nil || st.Size() < 2000 {
		t.Fatalf("fleet.pdf: %v", err)
	}
}

func TestFleetScanRejectsBadDirectory(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "e.csv")
	os.WriteFile(f, []byte("ods,name,type,region,base_url,kind\nRX1,T,acute-trust,London,ftp://x,fhir-r4\n"), 0o600)
	var out bytes.Buffer
	err := runFleetScan(context.Background(), fleetScanOptions{IO: IO{Out: &out, ErrOut: &out}, Endpoints: f, DB: filepath.Join(dir, "c.db"),
		Concurrency: 1, PerHostRate: 1, Output: "table", now: time.Now})
	if err == nil || !strings.Contains(err.Error(), "e.csv:2: base_url") {
		t.Fatalf("error = %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "c.db")); statErr == nil {
		t.Fatal("a database was created for a directory that failed to parse")
	}
}
