package reports

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Text in a report comes from outside: organisation names, answers, and what a hostile server
// under probe sent back (observed values, URLs). Whatever it is, every renderer must produce a
// file that opens, and the PDF must carry the text.
func FuzzRenderArbitraryText(f *testing.F) {
	for _, seed := range []string{
		"Ysbyty Gwynedd, Bangor ŵ ŷ",
		"<html><body>java.lang.NullPointerException\n\tat com.example</body></html>",
		"\x00\x01\x1b[31m\r\n\t",
		"\xff\xfe invalid UTF-8 \xc3",
		"\uFFFE\uFFFF\U0001F600 emoji 漢字",
		strings.Repeat("A", 5000),
		strings.Repeat("word ", 3000),
		`"quoted" & <tags> ' apostrophe`,
		"=cmd|' /C calc'!A0",
	} {
		f.Add(seed)
	}
	base := fixtureReport(f)
	f.Fuzz(func(t *testing.T, s string) {
		r := *base
		r.Organisation.Name = s
		r.Findings = append([]Finding(nil), base.Findings...)
		r.Findings[0].Observed = s
		r.Evidence = append([]Evidence(nil), base.Evidence...)
		r.Evidence[0].URL = s
		r.Attestations = append([]Attestation(nil), base.Attestations...)
		r.Attestations[0].What = s
		r.Probes = append([]ProbeResult(nil), base.Probes...)
		r.Probes[0].Observed = s

		var pdf bytes.Buffer
		if err := RenderPDF(&pdf, &r); err != nil {
			t.Fatalf("PDF: %v", err)
		}
		pages, err := pdfText(pdf.Bytes())
		if err != nil || len(pages) == 0 {
			t.Fatalf("PDF has no readable pages: %v", err)
		}
		if word := firstWord(s); word != "" {
			var all strings.Builder
			for _, p := range pages {
				all.WriteString(strings.Join(p, "\n"))
			}
			if !strings.Contains(all.String(), word) {
				t.Errorf("PDF text lacks %q", word)
			}
		}
		var xl bytes.Buffer
		if err := RenderXLSX(&xl, &r); err != nil {
			t.Fatalf("XLSX: %v", err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(xl.Bytes()))
		if err != nil {
			t.Fatalf("XLSX does not open: %v", err)
		}
		wb.Close()
		if err := RenderJSON(io.Discard, &r); err != nil {
			t.Fatalf("JSON: %v", err)
		}
	})
}

// firstWord is a short run of printable, valid text from s that the PDF must show whole
// (long words wrap, so only the first few characters are checked).
func firstWord(s string) string {
	if !utf8.ValidString(s) {
		return ""
	}
	for _, w := range strings.Fields(clean(s)) {
		r := []rune(w)
		return string(r[:min(len(r), 8)])
	}
	return ""
}
