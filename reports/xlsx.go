package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxBook wraps excelize with the house styles.
type xlsxBook struct {
	f        *excelize.File
	head     int
	wrap     int
	number   int // one decimal place
	label    int // bold label column on the summary sheet
	datetime int // real Excel date-times, shown as yyyy-mm-dd hh:mm:ss (UTC)
	cond     map[string]int
	firstUse bool
}

func newBook(title, subject string, created time.Time) (*xlsxBook, error) {
	f := excelize.NewFile()
	b := &xlsxBook{f: f, cond: map[string]int{}, firstUse: true}
	stamp := created.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: title, Subject: subject, Creator: "Jigsaw", LastModifiedBy: "Jigsaw",
		Created: stamp, Modified: stamp, Language: "en-GB",
	}); err != nil {
		return nil, fmt.Errorf("render XLSX: %w", err)
	}
	var err error
	styles := []struct {
		dst *int
		s   *excelize.Style
	}{
		{&b.head, &excelize.Style{
			Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		}},
		{&b.wrap, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&b.number, &excelize.Style{NumFmt: 0, CustomNumFmt: strPtr("0.0"), Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&b.label, &excelize.Style{Font: &excelize.Font{Bold: true, Color: "425462"}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&b.datetime, &excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd hh:mm:ss"), Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
	}
	for _, st := range styles {
		if *st.dst, err = f.NewStyle(st.s); err != nil {
			return nil, fmt.Errorf("render XLSX: %w", err)
		}
	}
	conds := map[string][2]string{ // font, fill
		"red":   {"9A0511", "FEC7CE"},
		"amber": {"7A4A00", "FFE6B3"},
		"green": {"09600B", "C7EECF"},
		"blue":  {"003087", "CCE0F5"},
		"grey":  {"425462", "E8EDEE"},
	}
	for _, name := range slices.Sorted(maps.Keys(conds)) { // sorted: style ids stay stable
		c := conds[name]
		id, err := f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: c[0]},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[1]}},
		})
		if err != nil {
			return nil, fmt.Errorf("render XLSX: %w", err)
		}
		b.cond[name] = id
	}
	return b, nil
}

func strPtr(s string) *string { return &s }

// sheet adds a sheet, renaming the default Sheet1 for the first one.
func (b *xlsxBook) sheet(name string) error {
	if b.firstUse {
		b.firstUse = false
		return b.f.SetSheetName("Sheet1", name)
	}
	_, err := b.f.NewSheet(name)
	return err
}

// xcol is one column of a table sheet.
type xcol struct {
	head  string
	width float64
	// kind: "" text, "wrap" wrapped text, "num" one decimal place, "int" whole number.
	kind string
}

// table writes a header row and rows to a new sheet, freezes the header, adds an autofilter
// and sets column widths. A nil value leaves the cell empty.
func (b *xlsxBook) table(name string, cols []xcol, rows [][]any) error {
	f := b.f
	if err := b.sheet(name); err != nil {
		return err
	}
	heads := make([]any, len(cols))
	for i, c := range cols {
		heads[i] = c.head
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(name, col, col, c.width); err != nil {
			return err
		}
		style := 0
		switch c.kind {
		case "wrap":
			style = b.wrap
		case "num":
			style = b.number
		}
		if style != 0 {
			if err := f.SetColStyle(name, col, style); err != nil {
				return err
			}
		}
	}
	if err := f.SetSheetRow(name, "A1", &heads); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := f.SetCellStyle(name, "A1", last+"1", b.head); err != nil {
		return err
	}
	if err := f.SetRowHeight(name, 1, 30); err != nil {
		return err
	}
	for i, row := range rows {
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = cleanCell(v)
		}
		if err := f.SetSheetRow(name, fmt.Sprintf("A%d", i+2), &vals); err != nil {
			return err
		}
		// Fractions in mixed columns (the Summary's values) get one decimal place too, and
		// times are real Excel date-times in UTC.
		for j, v := range vals {
			if _, isTime := v.(time.Time); isTime {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+2)
				if err := f.SetCellStyle(name, ref, ref, b.datetime); err != nil {
					return err
				}
				continue
			}
			if _, isFloat := v.(float64); isFloat && j < len(cols) && cols[j].kind != "num" {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+2)
				if err := f.SetCellStyle(name, ref, ref, b.number); err != nil {
					return err
				}
			}
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	return f.AutoFilter(name, fmt.Sprintf("A1:%s%d", last, max(len(rows)+1, 2)), nil)
}

// highlight colours cells in column col (1-based) of a table sheet whose value equals one of
// the keys, using the named conditional style.
func (b *xlsxBook) highlight(sheet string, col, rows int, rules map[string]string) error {
	if rows == 0 {
		return nil
	}
	name, _ := excelize.ColumnNumberToName(col)
	ref := fmt.Sprintf("%s2:%s%d", name, name, rows+1)
	var opts []excelize.ConditionalFormatOptions
	for _, value := range sortedKeys(rules) {
		style := b.cond[rules[value]]
		opts = append(opts, excelize.ConditionalFormatOptions{
			Type: "cell", Criteria: "==", Value: `"` + strings.ReplaceAll(value, `"`, `""`) + `"`, Format: &style,
		})
	}
	return b.f.SetConditionalFormat(sheet, ref, opts)
}

// levelScale colours whole-number levels 1–4 red, amber, green, blue.
func (b *xlsxBook) levelScale(sheet string, col, rows int) error {
	if rows == 0 {
		return nil
	}
	name, _ := excelize.ColumnNumberToName(col)
	ref := fmt.Sprintf("%s2:%s%d", name, name, rows+1)
	var opts []excelize.ConditionalFormatOptions
	for lvl, c := range []string{"red", "amber", "green", "blue"} {
		style := b.cond[c]
		opts = append(opts, excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: fmt.Sprint(lvl + 1), Format: &style})
	}
	return b.f.SetConditionalFormat(sheet, ref, opts)
}

// percentBands colours percentages by CQC band.
func (b *xlsxBook) percentBands(sheet string, col, rows int) error {
	if rows == 0 {
		return nil
	}
	name, _ := excelize.ColumnNumberToName(col)
	ref := fmt.Sprintf("%s2:%s%d", name, name, rows+1)
	red, amber, green, blue := b.cond["red"], b.cond["amber"], b.cond["green"], b.cond["blue"]
	return b.f.SetConditionalFormat(sheet, ref, []excelize.ConditionalFormatOptions{
		{Type: "cell", Criteria: ">=", Value: "87.5", Format: &blue, StopIfTrue: true},
		{Type: "cell", Criteria: ">=", Value: "62.5", Format: &green, StopIfTrue: true},
		{Type: "cell", Criteria: ">=", Value: "38.5", Format: &amber, StopIfTrue: true},
		{Type: "cell", Criteria: ">=", Value: "0", Format: &red},
	})
}

// barChart adds a horizontal bar chart of percentages. name is a reference to the cell that
// names the series; categories and values are range references.
func (b *xlsxBook) barChart(sheet, anchor, title, name, categories, values string, height uint) error {
	maxV, minV := 100.0, 0.0
	gap := uint(60)
	vary := false
	return b.f.AddChart(sheet, anchor, &excelize.Chart{
		Type:       excelize.Bar,
		VaryColors: &vary,
		Series: []excelize.ChartSeries{{
			Name: name, Categories: categories, Values: values,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		XAxis:     excelize.ChartAxis{ReverseOrder: true},
		YAxis:     excelize.ChartAxis{Maximum: &maxV, Minimum: &minV, MajorGridLines: true},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 640, Height: height},
		GapWidth:  &gap,
		Format:    excelize.GraphicOptions{AltText: title},
	})
}

func (b *xlsxBook) write(w io.Writer, first string) error {
	idx, err := b.f.GetSheetIndex(first)
	if err != nil {
		return fmt.Errorf("render XLSX: %w", err)
	}
	b.f.SetActiveSheet(idx)
	if err := b.f.Write(w); err != nil {
		return fmt.Errorf("render XLSX: %w", err)
	}
	return b.f.Close()
}

// cleanCell turns nil pointers into empty cells and strips control characters from text,
// which the XML of a workbook cannot hold.
func cleanCell(v any) any {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case string:
		return xmlSafe(x)
	case time.Time:
		if x.IsZero() {
			return nil
		}
		// Excel has no time zones: write the UTC wall-clock time.
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC).UTC()
	}
	return v
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// intOrNil leaves level 0 ("none") empty.
func intOrNil(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func ptrIntOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
