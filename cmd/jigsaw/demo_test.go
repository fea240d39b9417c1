package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// TestDemoEndToEnd runs the whole product path on the three sandbox organisations: probes,
// evidence, answers, scoring, reports and the league table.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo")
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	opts := demoOptions{
		IO: IO{Out: &out, ErrOut: &errOut}, OutDir: dir, Checklist: "nhs-interop@2026.1",
		Formats: "pdf,xlsx,json", Format: "json", LatencyScale: 0.01, Concurrency: 4, NoProgress: true,
		now: func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) },
	}
	if err := runDemo(context.Background(), opts); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	checkJSONAgainst(t, "cli-demo", "jigsaw demo -o json", out.String())
	var got demoOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("demo -o json: %v\n%s", err, out.String())
	}
	rank := map[string]demoOrgResult{}
	// The example answers leave items unanswered for the typical (mandatory VEND-05) and legacy
	// organisations: incomplete. Only the exemplar is complete.
	wantStatus := map[string]string{"exemplar": "complete", "typical": "incomplete", "legacy": "incomplete"}
	for _, o := range got.Organisations {
		rank[o.Profile] = o
		if o.Status != wantStatus[o.Profile] {
			t.Errorf("%s assessment is %s, want %s", o.Profile, o.Status, wantStatus[o.Profile])
		}
		if o.Probes[verdict.Error] != 0 {
			t.Errorf("%s: %d probes could not test against the sandbox", o.Profile, o.Probes[verdict.Error])
		}
		if len(o.Files) != 3 {
			t.Errorf("%s: wrote %v, want pdf, xlsx and json", o.Profile, o.Files)
		}
		for _, f := range o.Files {
			if st, err := os.Stat(f); err != nil || st.Size() == 0 {
				t.Errorf("report %s missing or empty: %v", f, err)
			}
		}
	}
	// Each demo assessment probes two endpoints (the FHIR server and the GP Connect provider):
	// the report names both, and its evidence rows carry the TLS version each connection used.
	for _, o := range got.Organisations {
		checkTwoEndpointReport(t, o)
	}
	ex, ty, le := rank["exemplar"], rank["typical"], rank["legacy"]
	// The typical organisation is Not rated (a mandatory item unanswered): never ranked.
	if ex.Rank != 1 || le.Rank != 2 || ty.Rank != 0 || ty.Rating != "not-rated" || !ty.Provisional {
		t.Errorf("ranks exemplar %d, typical %d (%s), legacy %d: want exemplar 1, legacy 2, typical not rated and unranked", ex.Rank, ty.Rank, ty.Rating, le.Rank)
	}
	if ex.Probes[verdict.Pass] == 0 || ex.Probes[verdict.Fail] != 0 || ex.Probes[verdict.Warn] != 0 {
		t.Errorf("exemplar probes %v: want every probe to pass", ex.Probes)
	}
	if !le.WarningNotice || le.Rating != "inadequate" {
		t.Errorf("legacy serves patient data without authentication: want Inadequate with a Warning Notice flag, got %s, flagged %v", le.Rating, le.WarningNotice)
	}
	if ex.WarningNotice {
		t.Error("exemplar must not be flagged for a Warning Notice")
	}

	// The league table in each format, in rank order.
	var league reports.League
	b, err := os.ReadFile(filepath.Join(dir, "league.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &league); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range league.Rows {
		order = append(order, r.ODS)
		if r.Name == "" || r.Rating == "" || r.Assessment == "" || r.AssessedAt.IsZero() || r.Status == "" || r.Completeness == 0 {
			t.Errorf("league row %+v lacks name, rating, assessment, date, status or completeness", r)
		}
		if rated := r.Rating != "not-rated"; rated != (r.Rank > 0 && r.Percent != nil) || !rated && r.ProvisionalPercent == nil {
			t.Errorf("league row %s: rating %s, rank %d, percent %v, provisional %v", r.ODS, r.Rating, r.Rank, r.Percent, r.ProvisionalPercent)
		}
	}
	if want := []string{ex.ODS, le.ODS, ty.ODS}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("league.json order %v, want %v", order, want)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "league.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := false
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for _, row := range rows {
			if strings.Contains(strings.Join(row, "|"), "Ysbyty Glan-y-Dŵr") {
				found = true
			}
		}
	}
	if !found {
		t.Error("league.xlsx does not name the Welsh organisation intact")
	}
	// The league went through the league store: its database holds the three verified
	// submissions, as `league import` would leave it.
	subs, _ := filepath.Glob(filepath.Join(dir, "submissions", "*.json"))
	if len(subs) != 3 {
		t.Errorf("submissions written: %v, want three", subs)
	}
	if league.Cycle != "demo" {
		t.Errorf("league cycle %q, want demo (the cycle the league store recorded)", league.Cycle)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "league.pdf"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("league.pdf is not a PDF: %v", err)
	}

	// The evidence database proves itself.
	store, err := evidence.OpenReadOnly(context.Background(), got.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rep, err := store.VerifyChain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("evidence chain does not verify: %+v", rep)
	}
}

func checkTwoEndpointReport(t *testing.T, o demoOrgResult) {
	t.Helper()
	var jsonFile, xlsxFile string
	for _, f := range o.Files {
		switch filepath.Ext(f) {
		case ".json":
			jsonFile = f
		case ".xlsx":
			xlsxFile = f
		}
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var r reports.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Assessment.Targets) != 2 || r.Assessment.Targets[1].Role != "GP Connect provider" || !strings.Contains(r.Assessment.Targets[1].URL, "gpconnect") {
		t.Errorf("%s report targets = %+v, want the FHIR server and the GP Connect provider", o.Profile, r.Assessment.Targets)
	}
	f, err := excelize.OpenFile(xlsxFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	summary, _ := f.GetRows("Summary")
	named := map[string]string{}
	for _, row := range summary {
		if len(row) > 1 {
			named[row[0]] = row[1]
		}
	}
	for _, tg := range r.Assessment.Targets {
		if got := named[tg.Role]; got != tg.Text() {
			t.Errorf("%s workbook %q row = %q, want %q", o.Profile, tg.Role, got, tg.Text())
		}
	}
	rows, _ := f.GetRows("Evidence")
	if len(rows) < 2 {
		t.Fatalf("%s workbook has no evidence rows", o.Profile)
	}
	tlsCol, truncCol := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "TLS":
			tlsCol = i
		case "Truncated":
			truncCol = i
		}
	}
	withTLS := 0
	for _, row := range rows[1:] {
		if tlsCol < len(row) && strings.HasPrefix(row[tlsCol], "TLS 1.") {
			withTLS++
		}
		if truncCol >= len(row) || (row[truncCol] != "yes" && row[truncCol] != "no") {
			t.Errorf("%s evidence row %v: Truncated is not yes or no", o.Profile, row)
		}
	}
	if withTLS == 0 {
		t.Errorf("%s workbook: no evidence row has a TLS version (%d rows)", o.Profile, len(rows)-1)
	}
}
