package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Sheet names of the assessment workbook.
const (
	sheetSummary         = "Summary"
	sheetDomains         = "Domains"
	sheetLayers          = "Layers"
	sheetItems           = "Items"
	sheetProbes          = "Probes"
	sheetEvidence        = "Evidence"
	sheetRecommendations = "Recommendations"
	sheetAttestations    = "Attestations"
)

var (
	ratingRules = map[string]string{
		"Outstanding": "blue", "Good": "green", "Requires improvement": "amber", "Inadequate": "red", "Not rated": "grey",
	}
	statusRules = map[string]string{
		string(verdict.Pass): "green", string(verdict.Warn): "amber", string(verdict.Fail): "red",
		string(verdict.Info): "grey", string(verdict.Skip): "grey", string(verdict.NotApplicable): "grey", string(verdict.Error): "grey",
	}
	itemRules = map[string]string{
		string(scoring.NotReviewed): "amber", string(scoring.Errored): "red", string(scoring.Waived): "grey", string(scoring.NotApplicable): "grey",
	}
)

// RenderXLSX writes the assessment report as an Excel workbook.
func RenderXLSX(w io.Writer, r *Report) error {
	b, err := newBook("Interoperability inspection report: "+r.Organisation.Name, r.Checklist.Ref(), r.GeneratedAt)
	if err != nil {
		return err
	}
	steps := []func(*xlsxBook, *Report) error{
		xlsxSummary, xlsxDomains, xlsxLayers, xlsxItems, xlsxProbes, xlsxEvidence, xlsxRecommendations, xlsxAttestations,
	}
	for _, step := range steps {
		if err := step(b, r); err != nil {
			return fmt.Errorf("render XLSX: %w", err)
		}
	}
	return b.write(w, sheetSummary)
}

func xlsxSummary(b *xlsxBook, r *Report) error {
	s := r.Summary
	rows := [][]any{
		{"Organisation", r.Organisation.Name},
		{"ODS code", r.Organisation.ODS},
		{"Organisation type", OrgTypeLabel(r.Organisation.Type)},
		{"Region", r.Organisation.Region},
		{"Assessment", r.Assessment.ID},
		{"Cycle", r.Assessment.Cycle},
		{"Assessment date", dateRange(r.Assessment.StartedAt, r.Assessment.CompletedAt)},
		{"Assessor", r.Assessment.Assessor},
		{"Checklist", r.Checklist.Ref()},
		{"Checklist title", r.Checklist.Title},
		{"Checklist SHA-256", r.Checklist.SHA256},
	}
	for _, t := range r.Assessment.Targets {
		rows = append(rows, []any{t.Label(), t.Text()})
	}
	rows = append(rows, [][]any{
		{"Rating", s.RatingLabel},
		{"Overall score (%)", s.Percent},
		{"Score band", s.BandRating.Label()},
		{"Limiters", strings.Join(s.Limiters, "\n")},
		{"Warning Notice flag", yesNo(s.WarningNotice.Flagged)},
		{"Warning Notice section", s.WarningNotice.Section},
		{"Warning Notice reasons", strings.Join(s.WarningNotice.Reasons, "\n")},
		{"Items", s.Completeness.Items},
		{"Applicable items", s.Completeness.Applicable},
		{"Items scored", s.Completeness.Scored},
		{"Completeness (%)", s.Completeness.Share * 100},
		{"Incomplete", yesNo(s.Completeness.Incomplete)},
		{"Missing items", strings.Join(s.Completeness.Missing, ", ")},
		{"Probes run", s.Probes.Total},
		{"Probes passed", s.Probes.Pass},
		{"Probes failed", s.Probes.Fail},
		{"Probes warned", s.Probes.Warn},
		{"Probes skipped", s.Probes.Skip},
		{"Probes in error", s.Probes.Error},
		{"Over-claimed items", s.OverClaims},
		{"Unverified items", s.Unverified},
		{"Generated", r.GeneratedAt.UTC().Format("2006-01-02 15:04:05 MST")},
		{"Generator", r.Generator},
	}...)
	if err := b.table(sheetSummary, []xcol{{head: "Field", width: 26}, {head: "Value", width: 90, kind: "wrap"}}, rows); err != nil {
		return err
	}
	if err := b.f.SetColStyle(sheetSummary, "A", b.label); err != nil {
		return err
	}
	if err := b.highlight(sheetSummary, 2, len(rows), ratingRules); err != nil {
		return err
	}
	return b.highlight(sheetSummary, 2, len(rows), map[string]string{"yes": "red"})
}

func xlsxDomains(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Domains))
	for _, d := range r.Domains {
		rows = append(rows, []any{d.ID, d.Title, d.Percent, intOrNil(d.Level), d.Scored, d.Applicable, d.Items, d.LevelReason, d.ClaimedPercent, d.OverClaim})
	}
	if err := b.table(sheetDomains, []xcol{
		{head: "Domain id", width: 22},
		{head: "Domain", width: 40, kind: "wrap"},
		{head: "Score (%)", width: 11, kind: "num"},
		{head: "Level (1-5)", width: 11},
		{head: "Items scored", width: 12},
		{head: "Applicable", width: 11},
		{head: "Items", width: 8},
		{head: "What stops the next level", width: 60, kind: "wrap"},
		{head: "Claimed (%)", width: 11, kind: "num"},
		{head: "Over-claim (points)", width: 12, kind: "num"},
	}, rows); err != nil {
		return err
	}
	if err := b.percentBands(sheetDomains, 3, len(rows)); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	n := len(rows) + 1
	return b.barChart(sheetDomains, "L2", "Domain score (%)", sheetDomains+"!$C$1",
		fmt.Sprintf("%s!$B$2:$B$%d", sheetDomains, n), fmt.Sprintf("%s!$C$2:$C$%d", sheetDomains, n), uint(120+28*len(rows)))
}

func xlsxLayers(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Layers))
	for _, l := range r.Layers {
		rows = append(rows, []any{string(l.Layer), l.Title, l.Percent, l.Scored, l.Items})
	}
	if err := b.table(sheetLayers, []xcol{
		{head: "Layer id", width: 16},
		{head: "Layer", width: 46, kind: "wrap"},
		{head: "Score (%)", width: 11, kind: "num"},
		{head: "Items scored", width: 12},
		{head: "Items", width: 8},
	}, rows); err != nil {
		return err
	}
	return b.percentBands(sheetLayers, 3, len(rows))
}

func xlsxItems(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Items))
	for _, it := range r.Items {
		var probes []string
		for _, p := range it.Probes {
			probes = append(probes, p.ProbeID+": "+string(p.Status))
		}
		rows = append(rows, []any{
			it.ID, it.DomainID, it.Title, string(it.Layer), string(it.Status), intOrNil(it.Claimed), intOrNil(it.Verified), intOrNil(it.Final),
			ptrIntOrNil(it.Gap), string(it.ClaimProvenance), string(it.Provenance), yesNo(it.Unverified),
			yesNo(it.Mandatory), yesNo(it.Critical), it.Weight, it.Percent, strings.Join(probes, "\n"),
			strings.Join(it.Reasons, "\n"),
		})
	}
	if err := b.table(sheetItems, []xcol{
		{head: "Item", width: 11},
		{head: "Domain", width: 18},
		{head: "Title", width: 40, kind: "wrap"},
		{head: "Layer", width: 14},
		{head: "Status", width: 14},
		{head: "Claimed", width: 9},
		{head: "Verified", width: 9},
		{head: "Final", width: 8},
		{head: "Gap", width: 7},
		{head: "Claim provenance", width: 18},
		{head: "Provenance", width: 16},
		{head: "Unverified", width: 10},
		{head: "Mandatory", width: 10},
		{head: "Critical", width: 9},
		{head: "Weight", width: 8},
		{head: "Score (%)", width: 10, kind: "num"},
		{head: "Probes", width: 40, kind: "wrap"},
		{head: "Reasons", width: 70, kind: "wrap"},
	}, rows); err != nil {
		return err
	}
	if err := b.highlight(sheetItems, 5, len(rows), itemRules); err != nil {
		return err
	}
	if err := b.levelScale(sheetItems, 8, len(rows)); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	red := b.cond["red"]
	return b.f.SetConditionalFormat(sheetItems, fmt.Sprintf("I2:I%d", len(rows)+1), []excelize.ConditionalFormatOptions{
		{Type: "cell", Criteria: ">", Value: "0", Format: &red},
	})
}

func xlsxProbes(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Probes))
	for _, p := range r.Probes {
		rows = append(rows, []any{p.ProbeID, p.Title, p.Pack, p.Status, p.Severity, p.Expected, p.Observed, p.SpecRef, p.DurationMS, strings.Join(p.Exchanges, ", ")})
	}
	if err := b.table(sheetProbes, []xcol{
		{head: "Probe", width: 30},
		{head: "Title", width: 36, kind: "wrap"},
		{head: "Pack", width: 12},
		{head: "Status", width: 9},
		{head: "Severity", width: 10},
		{head: "Expected", width: 45, kind: "wrap"},
		{head: "Observed", width: 45, kind: "wrap"},
		{head: "Specification", width: 35, kind: "wrap"},
		{head: "Duration (ms)", width: 12, kind: "num"},
		{head: "Evidence", width: 30, kind: "wrap"},
	}, rows); err != nil {
		return err
	}
	if err := b.highlight(sheetProbes, 4, len(rows), statusRules); err != nil {
		return err
	}
	return b.highlight(sheetProbes, 5, len(rows), map[string]string{string(verdict.Critical): "red", string(verdict.High): "amber"})
}

func xlsxEvidence(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Evidence))
	for _, e := range r.Evidence {
		rows = append(rows, []any{
			e.ExchangeID, e.ProbeID, e.Method, e.URL, intOrNil(e.StatusCode), e.SHA256, e.Size, yesNo(e.Truncated),
			e.TLSVersion, e.StartedAt.UTC().Format("2006-01-02T15:04:05.000Z"), e.DurationMS, e.Error,
		})
	}
	return b.table(sheetEvidence, []xcol{
		{head: "Exchange", width: 16},
		{head: "Probe", width: 30},
		{head: "Method", width: 8},
		{head: "URL", width: 60, kind: "wrap"},
		{head: "Status", width: 8},
		{head: "Response SHA-256", width: 68},
		{head: "Size (bytes)", width: 12},
		{head: "Truncated", width: 10},
		{head: "TLS", width: 9},
		{head: "Started (UTC)", width: 24},
		{head: "Duration (ms)", width: 12, kind: "num"},
		{head: "Error", width: 40, kind: "wrap"},
	}, rows)
}

func xlsxRecommendations(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Recommendations))
	for _, rec := range r.Recommendations {
		rows = append(rows, []any{
			rec.Priority, rec.ItemID, rec.Title, rec.CurrentLevel, rec.TargetLevel, yesNo(rec.Critical), yesNo(rec.Mandatory),
			rec.Statement, strings.Join(rec.FailedProbes, ", "),
		})
	}
	if err := b.table(sheetRecommendations, []xcol{
		{head: "Priority", width: 9},
		{head: "Item", width: 11},
		{head: "Title", width: 40, kind: "wrap"},
		{head: "Current level", width: 10},
		{head: "Target level", width: 10},
		{head: "Critical", width: 9},
		{head: "Mandatory", width: 10},
		{head: "Next level statement", width: 80, kind: "wrap"},
		{head: "Probes to fix", width: 36, kind: "wrap"},
	}, rows); err != nil {
		return err
	}
	return b.levelScale(sheetRecommendations, 4, len(rows))
}

func xlsxAttestations(b *xlsxBook, r *Report) error {
	rows := make([][]any, 0, len(r.Attestations))
	for _, a := range r.Attestations {
		var files []string
		for _, f := range a.Files {
			files = append(files, fmt.Sprintf("%s (%d bytes, SHA-256 %s)", f.Name, f.Size, f.SHA256))
		}
		rows = append(rows, []any{a.ID, a.ItemID, a.Who, a.Role, a.When.UTC().Format("2006-01-02 15:04"), a.What, strings.Join(files, "\n")})
	}
	return b.table(sheetAttestations, []xcol{
		{head: "Id", width: 14},
		{head: "Item", width: 11},
		{head: "Who", width: 24},
		{head: "Role", width: 24},
		{head: "When (UTC)", width: 17},
		{head: "What was seen", width: 60, kind: "wrap"},
		{head: "Files", width: 60, kind: "wrap"},
	}, rows)
}
