package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the league workbook; domain sheets follow, named by domain id.
const (
	sheetLeague      = "League"
	sheetNational    = "National"
	sheetPeers       = "Peer groups"
	maxSheetNameRune = 31
)

// RenderLeagueXLSX writes the league table as an Excel workbook: the sortable, filterable
// table, the national summary with a native chart, peer groups, and one sheet per domain.
func RenderLeagueXLSX(w io.Writer, l *League) error {
	b, err := newBook(l.Title, strings.TrimSpace(l.Checklist+" "+l.Cycle), l.GeneratedAt)
	if err != nil {
		return err
	}
	if err := leagueXLSX(b, l); err != nil {
		return fmt.Errorf("render XLSX: %w", err)
	}
	return b.write(w, sheetLeague)
}

func leagueXLSX(b *xlsxBook, l *League) error {
	cols := []xcol{
		{head: "Rank", width: 7},
		{head: "ODS", width: 9},
		{head: "Organisation", width: 40, kind: "wrap"},
		{head: "Type", width: 20},
		{head: "Region", width: 18},
		{head: "Score (%)", width: 10, kind: "num"},
		{head: "Rating", width: 21},
		{head: "Warning Notice flag", width: 11},
		{head: "Percentile", width: 11, kind: "num"},
		{head: "Quartile (4 = top)", width: 10},
		{head: "Peer group", width: 32},
		{head: "Peer rank", width: 9},
		{head: "Peer size", width: 9},
		{head: "Peer percentile", width: 11, kind: "num"},
		{head: "Peer quartile", width: 9},
		{head: "Assessment", width: 12},
		{head: "Fieldwork started (UTC)", width: 19},
		{head: "Completeness (%)", width: 12, kind: "num"},
		{head: "Status", width: 11},
		{head: "Provisional score (%), not rated", width: 14, kind: "num"},
		{head: "Checklist", width: 20},
	}
	base := len(cols)
	if l.HasHistory {
		cols = append(cols,
			xcol{head: "Previous score (%)", width: 11, kind: "num"},
			xcol{head: "Change (points)", width: 10, kind: "num"},
			xcol{head: "Previous rank", width: 9},
			xcol{head: "Rank change", width: 9},
		)
	}
	for _, d := range l.Domains {
		cols = append(cols, xcol{head: d.Title + " (%)", width: 14, kind: "num"})
	}
	rows := make([][]any, 0, len(l.Rows))
	for _, r := range l.Rows {
		row := []any{
			intOrNil(r.Rank), r.ODS, r.Name, OrgTypeLabel(r.OrgType), r.Region, r.Percent, r.Rating.Label(),
			yesNo(r.WarningNotice), r.Percentile, intOrNil(r.Quartile), r.PeerGroup, intOrNil(r.PeerRank), r.PeerSize,
			r.PeerPercentile, intOrNil(r.PeerQuartile),
			r.Assessment, r.AssessedAt, r.Completeness * 100, r.Status, r.ProvisionalPercent, r.Checklist,
		}
		if l.HasHistory {
			if c := r.Change; c != nil {
				row = append(row, c.PreviousPercent, c.DeltaPercent, intOrNil(c.PreviousRank), c.RankChange)
			} else {
				row = append(row, nil, nil, nil, nil)
			}
		}
		for _, d := range l.Domains {
			row = append(row, domainPercent(r, d.ID))
		}
		rows = append(rows, row)
	}
	if err := b.table(sheetLeague, cols, rows); err != nil {
		return err
	}
	if err := b.highlight(sheetLeague, 7, len(rows), ratingRules); err != nil {
		return err
	}
	if err := b.highlight(sheetLeague, 8, len(rows), map[string]string{"yes": "red"}); err != nil {
		return err
	}
	if err := b.percentBands(sheetLeague, 6, len(rows)); err != nil {
		return err
	}
	if len(rows) > 0 && l.HasHistory {
		red, green := b.cond["red"], b.cond["green"]
		change, _ := excelize.ColumnNumberToName(base + 2)
		if err := b.f.SetConditionalFormat(sheetLeague, fmt.Sprintf("%s2:%s%d", change, change, len(rows)+1), []excelize.ConditionalFormatOptions{
			{Type: "cell", Criteria: ">", Value: "0", Format: &green},
			{Type: "cell", Criteria: "<", Value: "0", Format: &red},
		}); err != nil {
			return err
		}
	}
	for i := range l.Domains {
		if err := b.percentBands(sheetLeague, len(cols)-len(l.Domains)+i+1, len(rows)); err != nil {
			return err
		}
	}

	if err := leagueNational(b, l); err != nil {
		return err
	}
	if err := leaguePeers(b, l); err != nil {
		return err
	}
	used := map[string]bool{strings.ToLower(sheetLeague): true, strings.ToLower(sheetNational): true, strings.ToLower(sheetPeers): true}
	for _, d := range l.Domains {
		if err := leagueDomainSheet(b, l, d, uniqueSheetName(d.ID, used)); err != nil {
			return err
		}
	}
	return nil
}

func leagueNational(b *xlsxBook, l *League) error {
	n := l.National
	rows := [][]any{
		{"Title", l.Title},
		{"Cycle", l.Cycle},
		{"Previous cycle", l.PreviousCycle},
		{"Checklist", l.Checklist},
		{"Organisations", len(l.Rows)},
		{"Rated", n.Count},
		{"Minimum (%)", orNil(n.Count, n.Min)},
		{"Q1 (%)", statOrNil(n, n.Q1)},
		{"Median (%)", statOrNil(n, n.Median)},
		{"Q3 (%)", statOrNil(n, n.Q3)},
		{"Maximum (%)", orNil(n.Count, n.Max)},
		{"Mean (%)", statOrNil(n, n.Mean)},
		{"Statistics withheld", n.Withheld},
		{"Warning Notice flags", l.WarningNotices},
		{"Generated", l.GeneratedAt.UTC().Format("2006-01-02 15:04:05 MST")},
		{"Generator", l.Generator},
		{"", ""},
		{"Rating", "Organisations"},
	}
	ratingStart := len(rows) + 2 // first rating row, 1-based, after the header row
	for _, rc := range l.Ratings {
		rows = append(rows, []any{rc.Rating.Label(), rc.Count})
	}
	if err := b.table(sheetNational, []xcol{{head: "Field", width: 26}, {head: "Value", width: 40}}, rows); err != nil {
		return err
	}
	if err := b.f.SetColStyle(sheetNational, "A", b.label); err != nil {
		return err
	}
	if err := b.f.SetCellStyle(sheetNational, fmt.Sprintf("A%d", ratingStart-1), fmt.Sprintf("B%d", ratingStart-1), b.head); err != nil {
		return err
	}
	if err := b.highlight(sheetNational, 1, len(rows), ratingRules); err != nil {
		return err
	}
	ratingEnd := ratingStart + len(l.Ratings) - 1
	vary := false
	if err := b.f.AddChart(sheetNational, "D2", &excelize.Chart{ // beside the fields, above the domain table
		Type:       excelize.Col,
		VaryColors: &vary,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("'%s'!$B$%d", sheetNational, ratingStart-1),
			Categories: fmt.Sprintf("'%s'!$A$%d:$A$%d", sheetNational, ratingStart, ratingEnd),
			Values:     fmt.Sprintf("'%s'!$B$%d:$B$%d", sheetNational, ratingStart, ratingEnd),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Organisations by rating"}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 560, Height: 300},
		Format:    excelize.GraphicOptions{AltText: "Organisations by rating"},
	}); err != nil {
		return err
	}
	if len(l.DomainStats) == 0 {
		return nil
	}
	// National domain medians below the ratings, with their own chart beside them.
	start := len(rows) + 4
	if err := b.f.SetSheetRow(sheetNational, fmt.Sprintf("A%d", start), &[]any{"Domain", "Organisations", "Q1 (%)", "Median (%)", "Q3 (%)"}); err != nil {
		return err
	}
	if err := b.f.SetCellStyle(sheetNational, fmt.Sprintf("A%d", start), fmt.Sprintf("E%d", start), b.head); err != nil {
		return err
	}
	for i, ds := range l.DomainStats {
		row := start + 1 + i
		if err := b.f.SetSheetRow(sheetNational, fmt.Sprintf("A%d", row), &[]any{ds.Title, ds.Count, statOrNil(ds.Distribution, ds.Q1), statOrNil(ds.Distribution, ds.Median), statOrNil(ds.Distribution, ds.Q3)}); err != nil {
			return err
		}
		if err := b.f.SetCellStyle(sheetNational, fmt.Sprintf("C%d", row), fmt.Sprintf("E%d", row), b.number); err != nil {
			return err
		}
	}
	if err := b.f.SetColWidth(sheetNational, "C", "E", 11); err != nil {
		return err
	}
	end := start + len(l.DomainStats)
	return b.barChart(sheetNational, fmt.Sprintf("G%d", start), "National median by domain (%)", fmt.Sprintf("'%s'!$D$%d", sheetNational, start),
		fmt.Sprintf("'%s'!$A$%d:$A$%d", sheetNational, start+1, end), fmt.Sprintf("'%s'!$D$%d:$D$%d", sheetNational, start+1, end),
		uint(120+28*len(l.DomainStats)))
}

func leaguePeers(b *xlsxBook, l *League) error {
	cols := []xcol{
		{head: "Peer group", width: 32}, {head: "Type", width: 20}, {head: "Region", width: 18}, {head: "Rated", width: 8},
		{head: "Min (%)", width: 9, kind: "num"}, {head: "Q1 (%)", width: 9, kind: "num"}, {head: "Median (%)", width: 10, kind: "num"},
		{head: "Q3 (%)", width: 9, kind: "num"}, {head: "Max (%)", width: 9, kind: "num"},
		{head: "Statistics withheld", width: 40, kind: "wrap"},
	}
	for _, d := range l.Domains {
		cols = append(cols, xcol{head: d.Title + " median (%)", width: 14, kind: "num"})
	}
	rows := make([][]any, 0, len(l.Peers))
	for _, p := range l.Peers {
		dist := p.Distribution
		row := []any{p.Key, OrgTypeLabel(p.OrgType), p.Region, p.Size}
		if p.Size > 0 {
			row = append(row, dist.Min, statOrNil(dist, dist.Q1), statOrNil(dist, dist.Median), statOrNil(dist, dist.Q3), dist.Max)
		} else {
			row = append(row, nil, nil, nil, nil, nil)
		}
		row = append(row, dist.Withheld)
		for _, d := range l.Domains {
			var v any
			for _, ds := range p.Domains {
				if ds.ID == d.ID {
					v = statOrNil(ds.Distribution, ds.Median)
				}
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	if err := b.table(sheetPeers, cols, rows); err != nil {
		return err
	}
	return b.percentBands(sheetPeers, 7, len(rows))
}

func leagueDomainSheet(b *xlsxBook, l *League, d DomainRef, name string) error {
	type scored struct {
		row scoring.LeagueRow
		pct float64
	}
	var list []scored
	for _, r := range l.Rows {
		if p := domainPercent(r, d.ID); p != nil {
			list = append(list, scored{r, *p})
		}
	}
	slices.SortStableFunc(list, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.pct, a.pct), strings.Compare(a.row.Name, b.row.Name), strings.Compare(a.row.ODS, b.row.ODS))
	})
	rows := make([][]any, 0, len(list))
	for _, s := range list {
		rank := 1
		for _, o := range list {
			if o.pct > s.pct {
				rank++
			}
		}
		rows = append(rows, []any{rank, s.row.ODS, s.row.Name, OrgTypeLabel(s.row.OrgType), s.row.Region, s.pct, s.row.Percent})
	}
	if err := b.table(name, []xcol{
		{head: "Domain rank", width: 8}, {head: "ODS", width: 9}, {head: "Organisation", width: 40, kind: "wrap"},
		{head: "Type", width: 20}, {head: "Region", width: 18},
		{head: d.Title + " (%)", width: 16, kind: "num"}, {head: "Overall score (%)", width: 12, kind: "num"},
	}, rows); err != nil {
		return err
	}
	return b.percentBands(name, 6, len(rows))
}

// uniqueSheetName makes a valid sheet name (at most 31 characters, none of []:*?/\) that no
// other sheet uses, comparing case-insensitively as Excel does.
func uniqueSheetName(want string, used map[string]bool) string {
	base := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\'`, r) {
			return '-'
		}
		return r
	}, want)
	if base == "" {
		base = "domain"
	}
	name := truncateRunes(base, maxSheetNameRune)
	for i := 2; used[strings.ToLower(name)]; i++ {
		suffix := fmt.Sprintf(" (%d)", i)
		name = truncateRunes(base, maxSheetNameRune-len(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// orNil leaves a statistic empty when nothing was rated.
func orNil(count int, v float64) any {
	if count == 0 {
		return nil
	}
	return v
}

// statOrNil leaves a statistic empty when the group is too small for it.
func statOrNil(d scoring.Distribution, v float64) any {
	if d.Count == 0 || d.Withheld != "" {
		return nil
	}
	return v
}
