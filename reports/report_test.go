package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run go test ./reports -update to create it): %v", path, err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs from golden at line %d (run with -update if the change is intended)\n got: %q\nwant: %q", path, i+1, g, w)
		}
	}
}

func render(t testing.TB, fn func(io.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pdfDump(t *testing.T, pdf []byte) []byte {
	t.Helper()
	pages, err := pdfText(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, lines := range pages {
		fmt.Fprintf(&b, "=== page %d ===\n", i+1)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

func xlsxDump(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open XLSX: %v", err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "=== %s ===\n", sheet)
		for _, row := range rows {
			b.WriteString(strings.ReplaceAll(strings.Join(row, " | "), "\n", "⏎"))
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

func TestReportJSONGolden(t *testing.T) {
	r := fixtureReport(t)
	got := render(t, func(w io.Writer) error { return RenderJSON(w, r) })
	golden(t, "report.json", got)
}

func TestReportPDFGolden(t *testing.T) {
	r := fixtureReport(t)
	pdf := render(t, func(w io.Writer) error { return RenderPDF(w, r) })
	text := pdfDump(t, pdf)
	golden(t, "report.pdf.txt", text)

	for _, want := range []string{
		"Ysbyty Gwynedd, Bangor", "7A1A4", "Inadequate", "Flagged for Warning Notice consideration (Health and Social Care Act 2008,", "section 29A)",
		"critical probe security.auth.required failed", "ŵ ŷ Ŵ Ŷ", "Dr Gwenllian Prŷs", "nhs-interop@2026.1",
		"Page 1 of ", "Executive summary", "Findings", "Claimed vs verified", "Recommendations", "Evidence appendix",
	} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if bytes.Contains(text, []byte("{nb}")) {
		t.Error("page-count alias left unreplaced")
	}
	// Only the two embedded DejaVu subsets: no core (cp1252) font that would lose ŵ and ŷ.
	if n := bytes.Count(pdf, []byte("/Subtype /CIDFontType2")); n != 2 || bytes.Contains(pdf, []byte("/Subtype /Type1")) {
		t.Errorf("PDF has %d embedded TrueType fonts (want 2) or a core font", n)
	}
	for _, want := range []string{"/BaseFont /utf8dejavu\n", "/BaseFont /utf8dejavuB\n", "/FontFile2", "/CreationDate (D:20260311080000"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if again := render(t, func(w io.Writer) error { return RenderPDF(w, r) }); !bytes.Equal(pdf, again) {
		t.Error("rendering the same report twice gave different PDF bytes")
	}
}

func TestReportXLSXGolden(t *testing.T) {
	r := fixtureReport(t)
	data := render(t, func(w io.Writer) error { return RenderXLSX(w, r) })
	golden(t, "report.xlsx.txt", xlsxDump(t, data))

	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantSheets := []string{"Summary", "Domains", "Layers", "Items", "Probes", "Evidence", "Recommendations", "Attestations"}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, wantSheets) {
		t.Fatalf("sheets = %q, want %q", got, wantSheets)
	}
	for _, sheet := range wantSheets {
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v %v", sheet, panes, err)
		}
	}
	assertAutoFilters(t, f, wantSheets)
	for _, sheet := range []string{"Domains", "Items", "Probes", "Summary"} {
		cf, err := f.GetConditionalFormats(sheet)
		if err != nil || len(cf) == 0 {
			t.Errorf("%s: no conditional formatting (%v)", sheet, err)
		}
	}
	if w, _ := f.GetColWidth("Items", "C"); w != 40 {
		t.Errorf("Items title column width = %v, want 40", w)
	}
	// Cells are typed: scores are numbers, so they sort and chart.
	if v, _ := f.GetCellValue("Domains", "C2", excelize.Options{RawCellValue: true}); v != "45" {
		t.Errorf("Domains!C2 raw = %q, want the number 45", v)
	}
	assertChart(t, data, "Domain score (%)")
	// excelize orders some package parts from a map, so XLSX bytes vary between runs; the
	// cells, which the golden holds, do not.
	if again := xlsxDump(t, render(t, func(w io.Writer) error { return RenderXLSX(w, r) })); !bytes.Equal(xlsxDump(t, data), again) {
		t.Error("rendering the same report twice gave different cells")
	}
}

func assertAutoFilters(t *testing.T, f *excelize.File, sheets []string) {
	t.Helper()
	names := map[string]bool{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			names[dn.Scope] = true
		}
	}
	for _, s := range sheets {
		if !names[s] {
			t.Errorf("%s: no autofilter", s)
		}
	}
}

// assertChart checks the workbook holds a native chart with the title given.
func assertChart(t *testing.T, data []byte, title string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/charts/chart") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(body, []byte("<a:t>"+xmlEscape(title)+"</a:t>")) && bytes.Contains(body, []byte("<barChart>")) &&
			!bytes.Contains(body, []byte("<f>"+xmlEscape(title)+"</f>")) {
			return
		}
	}
	t.Errorf("no native bar chart titled %q", title)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestLeagueGoldens(t *testing.T) {
	l := fixtureLeague(t)
	js := render(t, func(w io.Writer) error { return RenderLeagueJSON(w, l) })
	golden(t, "league.json", js)

	pdf := render(t, func(w io.Writer) error { return RenderLeaguePDF(w, l) })
	text := pdfDump(t, pdf)
	golden(t, "league.pdf.txt", text)
	// Table cells wrap, so check words rather than whole names.
	for _, want := range []string{"Ysbyty Gwynedd,", "Region: Cymru / Wales", "Region: North West", "Score distribution", "(WN)", "new"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("league PDF lacks %q", want)
		}
	}
	if again := render(t, func(w io.Writer) error { return RenderLeaguePDF(w, l) }); !bytes.Equal(pdf, again) {
		t.Error("league PDF is not reproducible")
	}

	data := render(t, func(w io.Writer) error { return RenderLeagueXLSX(w, l) })
	golden(t, "league.xlsx.txt", xlsxDump(t, data))
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"League", "National", "Peer groups", "security", "governance"}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("league sheets = %q, want %q", got, want)
	}
	assertAutoFilters(t, f, want)
	if cf, _ := f.GetConditionalFormats("League"); len(cf) < 4 {
		t.Errorf("League sheet has %d conditional format ranges, want rating, flag, score, change and domains", len(cf))
	}
	assertChart(t, data, "Organisations by rating")
	assertChart(t, data, "National median by domain (%)")
}

func TestBuildOrdersAndDerives(t *testing.T) {
	r := fixtureReport(t)
	var findings []string
	for _, f := range r.Findings {
		findings = append(findings, f.ProbeID+":"+string(f.Status))
	}
	if want := []string{"security.auth.required:fail", "fhir.errors.operation-outcome:fail", "transport.hsts:warn"}; !reflect.DeepEqual(findings, want) {
		t.Errorf("findings = %q, want %q", findings, want)
	}
	if got := r.Findings[0].Items; !reflect.DeepEqual(got, []string{"SEC-01"}) {
		t.Errorf("finding items = %q", got)
	}
	var gaps []string
	for _, g := range r.Gaps {
		gaps = append(gaps, fmt.Sprintf("%s:%+d", g.ItemID, g.Gap))
	}
	// SEC-01 claimed 4, verified 1; SEC-02 4 vs 3 (HSTS warn); API-01 3 vs 3 (an error is not counted).
	if want := []string{"SEC-01:+3", "SEC-02:+1", "API-01:+0"}; !reflect.DeepEqual(gaps, want) {
		t.Errorf("gaps = %q, want %q", gaps, want)
	}
	var recs []string
	for _, rec := range r.Recommendations {
		recs = append(recs, fmt.Sprintf("%d:%s:%d->%d", rec.Priority, rec.ItemID, rec.CurrentLevel, rec.TargetLevel))
	}
	// Critical first, then mandatory, then lowest level, then heaviest.
	if want := []string{"1:SEC-01:1->2", "2:IG-01:1->2", "3:API-02:2->3", "4:API-03:2->3"}; !reflect.DeepEqual(recs, want) {
		t.Errorf("recommendations = %q, want %q", recs, want)
	}
	if r.Recommendations[0].Statement != "SEC-01: partially achieved — some controls are in place." ||
		!reflect.DeepEqual(r.Recommendations[0].FailedProbes, []string{"security.auth.required"}) {
		t.Errorf("first recommendation = %+v", r.Recommendations[0])
	}
	var ev []string
	for _, e := range r.Evidence {
		ev = append(ev, e.ExchangeID)
	}
	if want := []string{"ex-0001", "ex-0002", "ex-0003", "ex-0004", "ex-0005", "ex-0006", "ex-0008", "ex-0007"}; !reflect.DeepEqual(ev, want) {
		t.Errorf("evidence order = %q, want %q", ev, want)
	}
	if r.Attestations[0].ID != "att-0001" {
		t.Errorf("attestations not in time order: %q first", r.Attestations[0].ID)
	}
	s := r.Summary
	if s.Probes != (ProbeCounts{Total: 8, Pass: 3, Fail: 2, Warn: 1, Skip: 1, Error: 1}) || s.OverClaims != 2 || s.Unverified != 1 {
		t.Errorf("summary counts = %+v over %d unverified %d", s.Probes, s.OverClaims, s.Unverified)
	}
	if s.Rating != scoring.Inadequate || !s.WarningNotice.Flagged || s.WarningNotice.Section != "29A" {
		t.Errorf("summary = %+v", s)
	}
}

func TestBuildErrors(t *testing.T) {
	cl := fixtureChecklist()
	score, err := scoring.Score(scoring.Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: fixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	other := *cl
	other.Version = "2027.1"
	extra := score
	extra.Items = append(append([]scoring.ItemResult{}, score.Items...), scoring.ItemResult{ItemID: "ZZ-01"})
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"no checklist", Input{Score: score, GeneratedAt: fixtureGen}, "no checklist"},
		{"no date", Input{Checklist: cl, Score: score}, "GeneratedAt is required"},
		{"other checklist", Input{Checklist: &other, Score: score, GeneratedAt: fixtureGen}, `score is for checklist "nhs-interop@2026.1" but the checklist given is nhs-interop@2027.1`},
		{"unknown item", Input{Checklist: cl, Score: extra, GeneratedAt: fixtureGen}, "scored item ZZ-01 is not in checklist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := BuildLeague(LeagueMeta{}, scoring.LeagueTable{}); err == nil {
		t.Error("BuildLeague without a date: no error")
	}
}

func TestEmptyReportsRender(t *testing.T) {
	// A checklist where everything is not applicable, no probes, no evidence: every renderer
	// must still produce a valid file that says so.
	cl := fixtureChecklist()
	var claims []scoring.Claim
	for _, d := range cl.Domains {
		for _, it := range d.Items {
			claims = append(claims, scoring.Claim{ItemID: it.ID, Status: scoring.NotApplicable})
		}
	}
	score, err := scoring.Score(scoring.Input{Checklist: cl, OrgType: checklist.GPPractice, AsOf: fixtureEnd, Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(Input{Organisation: Organisation{ODS: "W00001", Name: "Meddygfa Tŷ Gwyn", Type: checklist.GPPractice},
		Checklist: cl, Score: score, GeneratedAt: fixtureGen})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfDump(t, render(t, func(w io.Writer) error { return RenderPDF(w, r) }))
	for _, want := range []string{"Meddygfa Tŷ Gwyn", "Not rated", "Incomplete assessment: no applicable item was assessed.", "No probe failed or warned.", "No HTTP exchanges were recorded."} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("empty report PDF lacks %q", want)
		}
	}
	data := render(t, func(w io.Writer) error { return RenderXLSX(w, r) })
	if _, err := excelize.OpenReader(bytes.NewReader(data)); err != nil {
		t.Errorf("empty XLSX does not open: %v", err)
	}

	l, err := BuildLeague(LeagueMeta{GeneratedAt: fixtureGen}, scoring.LeagueTable{})
	if err != nil {
		t.Fatal(err)
	}
	lt := pdfDump(t, render(t, func(w io.Writer) error { return RenderLeaguePDF(w, l) }))
	if !bytes.Contains(lt, []byte("0 (0 rated)")) {
		t.Errorf("empty league PDF:\n%s", lt)
	}
	if _, err := excelize.OpenReader(bytes.NewReader(render(t, func(w io.Writer) error { return RenderLeagueXLSX(w, l) }))); err != nil {
		t.Errorf("empty league XLSX does not open: %v", err)
	}
}

func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := fixtureReport(t)
	paths, err := WriteReport(context.Background(), dir, "7A1A4-2026-Q1", r, Formats())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "7A1A4-2026-Q1.pdf"), filepath.Join(dir, "7A1A4-2026-Q1.xlsx"), filepath.Join(dir, "7A1A4-2026-Q1.json")}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("dir holds %d entries, want 3 (no temp files left)", len(entries))
	}
	js, _ := os.ReadFile(want[2])
	if !bytes.Equal(js, render(t, func(w io.Writer) error { return RenderJSON(w, r) })) {
		t.Error("written JSON differs from rendered JSON")
	}
	if fi, err := os.Stat(want[0]); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("PDF file mode: %v %v", fi.Mode(), err)
	}

	lpaths, err := WriteLeague(context.Background(), dir, fixtureLeague(t), []Format{JSON, PDF})
	if err != nil || len(lpaths) != 2 || filepath.Base(lpaths[0]) != "league.json" {
		t.Errorf("WriteLeague = %q, %v", lpaths, err)
	}

	for _, bad := range []string{"", "..", "../escape", `a\b`} {
		if _, err := WriteReport(context.Background(), dir, bad, r, Formats()); err == nil {
			t.Errorf("WriteReport with base %q: no error", bad)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteReport(ctx, dir, "cancelled", r, Formats()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: err = %v", err)
	}
}

func TestWriteFileAtomicLeavesNothingHalfWritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(path, []byte("previous good report"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("renderer failed")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half a report")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want the render error naming the file", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "previous good report" {
		t.Errorf("file was replaced by a failed render: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp file left behind: %d entries", len(entries))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x.pdf"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		in      string
		want    []Format
		wantErr string
	}{
		{"pdf,xlsx,json", []Format{PDF, XLSX, JSON}, ""},
		{" PDF , json,pdf", []Format{PDF, JSON}, ""},
		{"xlsx", []Format{XLSX}, ""},
		{"", nil, "no report format given"},
		{"pdf,html", nil, `unknown report format "html"`},
	}
	for _, tt := range tests {
		got, err := ParseFormats(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseFormats(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFormats(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUniqueSheetName(t *testing.T) {
	used := map[string]bool{"league": true}
	tests := []struct{ in, want string }{
		{"security", "security"},
		{"League", "League (2)"},
		{"a/b:c", "a-b-c"},
		{strings.Repeat("x", 40), strings.Repeat("x", 31)},
		{strings.Repeat("x", 40), strings.Repeat("x", 27) + " (2)"},
		{"", "domain"},
	}
	for _, tt := range tests {
		if got := uniqueSheetName(tt.in, used); got != tt.want {
			t.Errorf("uniqueSheetName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, pdf, xml string }{
		{"a\tb\x00c\x1bd\ne\r", "a bcd\ne", "a bcd\ne"},
		{"Ysbyty Gwynedd ŵ ŷ", "Ysbyty Gwynedd ŵ ŷ", "Ysbyty Gwynedd ŵ ŷ"},
		{"bad \xff\xc3 utf-8", "bad \uFFFD utf-8", "bad \uFFFD utf-8"},
		{"emoji \U0001F600", "emoji \uFFFD", "emoji \U0001F600"},
		{"non-characters \uFFFE\uFFFF", "non-characters \uFFFD\uFFFD", "non-characters "},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.pdf {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.pdf)
		}
		if got := xmlSafe(tt.in); got != tt.xml {
			t.Errorf("xmlSafe(%q) = %q, want %q", tt.in, got, tt.xml)
		}
	}
}

// bigReport builds a 60-item report (12 domains × 5 items, 40 probe results, 200 exchanges).
func bigReport(b testing.TB) *Report {
	b.Helper()
	cl := &checklist.Checklist{ID: "bench", Version: "2026.1", Title: "Benchmark checklist"}
	var results []ProbeResult
	var exchanges []Evidence
	var claims []scoring.Claim
	statuses := []verdict.Status{verdict.Pass, verdict.Fail, verdict.Warn, verdict.Pass, verdict.Skip}
	for d := range 12 {
		dom := checklist.Domain{ID: fmt.Sprintf("domain-%02d", d), Title: fmt.Sprintf("Domain %d: Ysbyty Gwynedd shared care (ŵ ŷ)", d)}
		for i := range 5 {
			id := fmt.Sprintf("BEN-%02d%d", d, i)
			var linked []string
			if i < 4 {
				probeID := fmt.Sprintf("bench.probe.%02d.%d", d, i)
				linked = append(linked, probeID)
				if len(results) < 40 {
					var exIDs []string
					for e := range 5 {
						exID := fmt.Sprintf("ex-%04d", len(exchanges))
						exIDs = append(exIDs, exID)
						exchanges = append(exchanges, Evidence{ExchangeID: exID, ProbeID: probeID, Method: "GET",
							URL:        "https://fhir.example.nhs.uk/R4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018&_count=" + fmt.Sprint(e),
							StatusCode: 200, SHA256: fmt.Sprintf("%064x", len(exchanges)), StartedAt: fixtureStart.Add(time.Duration(len(exchanges)) * time.Second)})
					}
					results = append(results, ProbeResult{ProbeID: probeID, Title: "Benchmark probe " + probeID, Pack: "bench",
						Status: statuses[len(results)%len(statuses)], Severity: verdict.Medium,
						Expected: "a FHIR searchset Bundle with entries carrying fullUrl and search.mode",
						Observed: "a Bundle of type collection without fullUrl on 3 of 5 entries", SpecRef: "https://hl7.org/fhir/R4/bundle.html", Exchanges: exIDs})
				}
			}
			dom.Items = append(dom.Items, fxItem(id, "Benchmark item "+id+" with a reasonably long title that wraps", 1+i%3, i == 0 && d == 0, i == 1, linked...))
			claims = append(claims, scoring.Claim{ItemID: id, Status: scoring.Answered, Level: 1 + (d+i)%4, Provenance: scoring.SelfAssessed})
		}
		cl.Domains = append(cl.Domains, dom)
	}
	score, err := scoring.Score(scoring.Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: fixtureEnd, Claims: claims, Probes: outcomes(results)})
	if err != nil {
		b.Fatal(err)
	}
	r, err := Build(Input{Organisation: Organisation{ODS: "7A1A4", Name: "Ysbyty Gwynedd, Bangor", Type: checklist.AcuteTrust},
		Checklist: cl, Score: score, Probes: results, Evidence: exchanges, GeneratedAt: fixtureGen})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func TestBigReportRenders(t *testing.T) {
	r := bigReport(t)
	if len(r.Items) != 60 {
		t.Fatalf("items = %d", len(r.Items))
	}
	text := pdfDump(t, render(t, func(w io.Writer) error { return RenderPDF(w, r) }))
	if !bytes.Contains(text, []byte("BEN-114")) || !bytes.Contains(text, []byte("ex-0199")) {
		t.Error("60-item PDF lacks the last item or the last exchange")
	}
}

func BenchmarkRenderPDF60Items(b *testing.B) {
	r := bigReport(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := RenderPDF(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB")
}

func BenchmarkRenderXLSX60Items(b *testing.B) {
	r := bigReport(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := RenderXLSX(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB")
}
