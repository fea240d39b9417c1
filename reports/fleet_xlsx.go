package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// RenderFleetXLSX writes the fleet report as a workbook: a summary with a native chart of
// availability per run, the endpoints (sortable, filterable, levels coloured), the worst
// offenders, and the CapabilityStatement changes.
func RenderFleetXLSX(w io.Writer, f *Fleet) error {
	b, err := newBook(f.Title, "National FHIR endpoint availability and conformance", f.GeneratedAt)
	if err != nil {
		return err
	}
	if err := fleetXLSX(b, f); err != nil {
		return fmt.Errorf("render XLSX: %w", err)
	}
	return b.write(w, "Summary")
}

func fleetXLSX(b *xlsxBook, f *Fleet) error {
	rows := [][]any{
		{"Title", f.Title},
		{"Endpoints", f.Endpoints},
		{"Up (HTTP 200)", f.Up},
		{"Availability (%)", f.Availability * 100},
		{"Median latency (ms)", f.MedianLatencyMS},
		{"Certificates ending within 30 days", f.CertificatesExpiring},
		{"Generated", f.GeneratedAt.UTC().Format("2006-01-02 15:04:05 MST")},
		{"Generator", f.Generator},
	}
	for _, l := range f.Levels {
		rows = append(rows, []any{fmt.Sprintf("Level L%d %s", l.Level, l.Name), l.Count})
	}
	if err := b.table("Summary", []xcol{{head: "Field", width: 34}, {head: "Value", width: 40}}, rows); err != nil {
		return err
	}
	if err := b.f.SetColStyle("Summary", "A", b.label); err != nil {
		return err
	}

	hist := make([][]any, 0, len(f.History))
	for _, h := range f.History {
		hist = append(hist, []any{h.RunID, h.StartedAt.UTC().Format("2006-01-02 15:04"), h.Endpoints, h.Up, h.Availability * 100})
	}
	if err := b.table("History", []xcol{{head: "Run", width: 8}, {head: "Started (UTC)", width: 18}, {head: "Endpoints", width: 11},
		{head: "Up", width: 9}, {head: "Availability (%)", width: 16, kind: "num"}}, hist); err != nil {
		return err
	}
	if len(hist) > 0 {
		n := len(hist) + 1
		vary := false
		maxV, minV := 100.0, 0.0
		if err := b.f.AddChart("History", "G2", &excelize.Chart{
			Type:       excelize.Line,
			VaryColors: &vary,
			Series: []excelize.ChartSeries{{
				Name: "'History'!$E$1", Categories: fmt.Sprintf("'History'!$B$2:$B$%d", n), Values: fmt.Sprintf("'History'!$E$2:$E$%d", n),
			}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Availability per run (%)"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			YAxis:     excelize.ChartAxis{Maximum: &maxV, Minimum: &minV, MajorGridLines: true},
			Dimension: excelize.ChartDimension{Width: 640, Height: 320},
			Format:    excelize.GraphicOptions{AltText: "Availability per run"},
		}); err != nil {
			return err
		}
	}

	if err := fleetEndpointSheet(b, "Endpoints", f.All); err != nil {
		return err
	}
	if err := fleetEndpointSheet(b, "Worst offenders", f.WorstOffenders); err != nil {
		return err
	}
	changes := [][]any{}
	for _, c := range f.Changes {
		for _, ch := range c.Changes {
			changes = append(changes, []any{c.ODS, c.BaseURL, c.RunID, c.ObservedAt.UTC().Format("2006-01-02 15:04"), ch.Field, ch.Kind, ch.Before, ch.After})
		}
	}
	return b.table("Changes", []xcol{{head: "ODS", width: 10}, {head: "Base URL", width: 44}, {head: "Run", width: 7}, {head: "Seen (UTC)", width: 17},
		{head: "Field", width: 30}, {head: "Change", width: 10}, {head: "Before", width: 30, kind: "wrap"}, {head: "After", width: 30, kind: "wrap"}}, changes)
}

func fleetEndpointSheet(b *xlsxBook, name string, eps []FleetEndpoint) error {
	rows := make([][]any, 0, len(eps))
	for _, e := range eps {
		o := e
		var tlsVersion, certEnds, software, fhirVersion any
		if e.TLSVersion != "" {
			tlsVersion = e.TLSVersion
		}
		if e.CertificateEnds != nil {
			certEnds = e.CertificateEnds.UTC().Format("2006-01-02")
		}
		if e.FHIRVersion != "" {
			fhirVersion = e.FHIRVersion
		}
		if e.Software != "" {
			software = e.Software
		}
		problem := e.Problem
		rows = append(rows, []any{e.ODS, e.Name, string(e.OrgType), e.Region, e.BaseURL, e.Kind, e.Availability * 100, e.ChecksUp, e.Checks,
			yesNo(o.Up), intOrNil(o.HTTPStatus), o.LatencyMS, tlsVersion, certEnds, fhirVersion, software, fmt.Sprintf("L%d", o.Level),
			strings.Join(e.FailedRules, ", "), problem})
	}
	cols := []xcol{
		{head: "ODS", width: 9}, {head: "Name", width: 28}, {head: "Type", width: 18}, {head: "Region", width: 16}, {head: "Base URL", width: 44},
		{head: "Kind", width: 10}, {head: "Availability (%)", width: 13, kind: "num"}, {head: "Runs up", width: 9}, {head: "Runs", width: 7},
		{head: "Up now", width: 8}, {head: "HTTP", width: 7}, {head: "Latency (ms)", width: 12, kind: "num"}, {head: "TLS", width: 9},
		{head: "Certificate ends", width: 14}, {head: "FHIR", width: 8}, {head: "Software", width: 22}, {head: "Level", width: 7},
		{head: "Rules broken", width: 30, kind: "wrap"}, {head: "Problem", width: 40, kind: "wrap"},
	}
	if err := b.table(name, cols, rows); err != nil {
		return err
	}
	if err := b.highlight(name, 10, len(rows), map[string]string{"yes": "green", "no": "red"}); err != nil {
		return err
	}
	return b.highlight(name, 17, len(rows), map[string]string{"L0": "red", "L1": "red", "L2": "amber", "L3": "amber", "L4": "green"})
}
