package reports

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

// DejaVu Sans covers Welsh (ŵ, ŷ) and the rest of Latin Extended, which the PDF core fonts
// (cp1252) cannot show. The files and their licence are in fonts/.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

const fontFamily = "DejaVu"

type rgb struct{ r, g, b int }

var (
	nhsBlue   = rgb{0, 94, 184}
	darkGrey  = rgb{66, 84, 98}
	midGrey   = rgb{118, 134, 146}
	lineGrey  = rgb{216, 221, 224}
	paleGrey  = rgb{240, 244, 245}
	white     = rgb{255, 255, 255}
	black     = rgb{33, 43, 50}
	passGreen = rgb{0, 112, 60}
	warnAmber = rgb{237, 139, 0}
	failRed   = rgb{218, 41, 28}
)

// pdfDoc wraps fpdf with the house layout: A4 portrait, DejaVu Sans, running header and footer.
type pdfDoc struct {
	f                    *fpdf.Fpdf
	pageW, pageH         float64
	left, right, bottom  float64
	headerLeft, headerRt string
	footerLeft           string
}

// newPDF starts a document. created fixes the metadata dates so output is reproducible.
func newPDF(title, headerLeft, headerRight, footerLeft string, created time.Time) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCompression(true)
	f.AddUTF8FontFromBytes(fontFamily, "", dejaVuSans)
	f.AddUTF8FontFromBytes(fontFamily, "B", dejaVuSansBold)
	f.SetTitle(clean(title), true)
	f.SetCreator("Jigsaw", true)
	f.SetProducer("Jigsaw (go-pdf/fpdf)", true)
	f.SetLang("en-GB")
	f.AliasNbPages("{nb}")
	f.SetMargins(15, 20, 15)
	f.SetAutoPageBreak(true, 18)
	// Tables pad their own cells; fpdf's extra cell margin would make SplitText wrap narrower
	// than the text is drawn.
	f.SetCellMargin(0)
	w, h := f.GetPageSize()
	d := &pdfDoc{f: f, pageW: w, pageH: h, left: 15, right: 15, bottom: 18,
		headerLeft: headerLeft, headerRt: headerRight, footerLeft: footerLeft}
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)
	return d
}

func (d *pdfDoc) header() {
	if d.f.PageNo() == 1 {
		return
	}
	f := d.f
	f.SetY(9)
	d.font("", 8, midGrey)
	w := d.width()
	d.text(w*0.7, 4, clean(d.headerLeft), 0, "L")
	d.text(w*0.3, 4, clean(d.headerRt), 1, "R")
	d.draw(lineGrey)
	f.Line(d.left, 14, d.pageW-d.right, 14)
	f.SetY(20)
}

func (d *pdfDoc) footer() {
	f := d.f
	f.SetY(-13)
	d.font("", 8, midGrey)
	w := d.width()
	d.text(w*0.7, 4, clean(d.footerLeft), 0, "L")
	d.text(w*0.3, 4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), 0, "R")
}

func (d *pdfDoc) output(w io.Writer) error {
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	return nil
}

// text draws one line of text; every string reaches fpdf through here or wrap, so it is
// always cleaned.
func (d *pdfDoc) text(w, h float64, s string, ln int, align string) {
	d.f.CellFormat(w, h, clean(s), "", ln, align, false, 0, "")
}

func (d *pdfDoc) width() float64 { return d.pageW - d.left - d.right }

func (d *pdfDoc) font(style string, size float64, c rgb) {
	d.f.SetFont(fontFamily, style, size)
	d.f.SetTextColor(c.r, c.g, c.b)
}

func (d *pdfDoc) fill(c rgb) { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *pdfDoc) draw(c rgb) { d.f.SetDrawColor(c.r, c.g, c.b) }

// ensure starts a new page unless h millimetres are left above the bottom margin.
func (d *pdfDoc) ensure(h float64) {
	if d.f.GetY()+h > d.pageH-d.bottom {
		d.f.AddPage()
	}
}

// heading starts a section on a new page and bookmarks it.
func (d *pdfDoc) heading(title string) {
	d.f.AddPage()
	d.f.Bookmark(title, 0, -1)
	d.font("B", 16, nhsBlue)
	d.text(d.width(), 9, clean(title), 1, "L")
	d.f.Ln(2)
}

func (d *pdfDoc) subheading(title string) {
	d.ensure(16)
	d.f.Ln(2)
	d.font("B", 11.5, nhsBlue)
	d.text(d.width(), 7, clean(title), 1, "L")
	d.f.Ln(1)
}

// para writes wrapped text across the full width.
func (d *pdfDoc) para(text string, size float64, style string, c rgb) {
	d.font(style, size, c)
	lh := lineHeight(size)
	for _, line := range d.wrap(text, d.width()) {
		d.ensure(lh)
		d.text(d.width(), lh, line, 1, "L")
	}
}

// keyValues writes label: value rows with wrapped values. Long values run on across pages.
func (d *pdfDoc) keyValues(labelW float64, pairs [][2]string) {
	lh := lineHeight(9.5)
	for _, kv := range pairs {
		d.font("", 9.5, black)
		lines := d.wrap(kv[1], d.width()-labelW)
		d.ensure(lh * float64(min(len(lines), 3)))
		d.font("B", 9.5, darkGrey)
		d.f.SetX(d.left)
		d.text(labelW, lh, clean(kv[0]), 0, "L")
		d.font("", 9.5, black)
		for i, line := range lines {
			if i > 0 {
				d.ensure(lh)
			}
			d.f.SetX(d.left + labelW)
			d.text(d.width()-labelW, lh, line, 1, "L")
		}
	}
}

// wrap splits text into lines no wider than w in the current font. Explicit newlines are kept.
func (d *pdfDoc) wrap(text string, w float64) []string {
	var out []string
	for _, para := range strings.Split(clean(text), "\n") {
		lines := d.f.SplitText(para, w)
		if len(lines) == 0 {
			lines = []string{""}
		}
		out = append(out, lines...)
	}
	return out
}

func lineHeight(size float64) float64 { return size * 0.47 }

// maxRowLines keeps a table row shorter than a page.
const maxRowLines = 45

// column is one table column; width in millimetres.
type column struct {
	head  string
	width float64
	align string
}

// cell is one table cell. A nil colour keeps the default.
type cell struct {
	text string
	fill *rgb
	ink  *rgb
	bold bool
}

func txt(s string) cell { return cell{text: s} }

// table draws a table whose cells wrap; rows never split across pages and the header repeats.
func (d *pdfDoc) table(cols []column, rows [][]cell) {
	const size = 8.5
	lh := lineHeight(size)
	pad := 1.2
	drawHeader := func() {
		d.font("B", 8, white)
		d.fill(nhsBlue)
		d.draw(nhsBlue)
		heads := make([][]string, len(cols))
		maxLines := 1
		for i, c := range cols {
			heads[i] = d.wrap(c.head, c.width-2*pad)
			maxLines = max(maxLines, len(heads[i]))
		}
		h := float64(maxLines)*lh + 2*pad
		x, y := d.left, d.f.GetY()
		for i, c := range cols {
			d.f.Rect(x, y, c.width, h, "F")
			for j, line := range heads[i] {
				d.f.SetXY(x+pad, y+pad+float64(j)*lh)
				d.f.CellFormat(c.width-2*pad, lh, line, "", 0, alignOf(c), false, 0, "")
			}
			x += c.width
		}
		d.f.SetXY(d.left, y+h)
	}
	cols = d.fitColumns(cols, rows, size, pad)
	d.ensure(20)
	drawHeader()
	for ri, row := range rows {
		lines := make([][]string, len(cols))
		maxLines := 1
		for i, c := range cols {
			if i >= len(row) {
				continue
			}
			d.font(styleOf(row[i]), size, black)
			lines[i] = d.wrap(row[i].text, c.width-2*pad)
			maxLines = max(maxLines, len(lines[i]))
		}
		if maxLines > maxRowLines {
			// A row must fit on a page; the JSON and XLSX keep the full text.
			for i := range lines {
				if len(lines[i]) > maxRowLines {
					lines[i] = append(lines[i][:maxRowLines-1], "… (truncated)")
				}
			}
			maxLines = maxRowLines
		}
		h := float64(maxLines)*lh + 2*pad
		if d.f.GetY()+h > d.pageH-d.bottom {
			d.f.AddPage()
			drawHeader()
		}
		x, y := d.left, d.f.GetY()
		for i, c := range cols {
			var cl cell
			if i < len(row) {
				cl = row[i]
			}
			bg := white
			if ri%2 == 1 {
				bg = paleGrey
			}
			if cl.fill != nil {
				bg = *cl.fill
			}
			d.fill(bg)
			d.draw(lineGrey)
			d.f.Rect(x, y, c.width, h, "FD")
			ink := black
			if cl.ink != nil {
				ink = *cl.ink
			}
			d.font(styleOf(cl), size, ink)
			for j, line := range lines[i] {
				d.f.SetXY(x+pad, y+pad+float64(j)*lh)
				d.f.CellFormat(c.width-2*pad, lh, line, "", 0, alignOf(c), false, 0, "")
			}
			x += c.width
		}
		d.f.SetXY(d.left, y+h)
	}
	d.f.Ln(2)
}

// fitColumns widens columns whose longest word (up to maxWord millimetres: longer ones such
// as URLs and hashes are allowed to break) would otherwise be split, taking the room from
// columns with slack, so "Outstanding" never wraps mid-word while a long title does.
func (d *pdfDoc) fitColumns(cols []column, rows [][]cell, size, pad float64) []column {
	const maxWord = 32.0
	out := append([]column(nil), cols...)
	need := make([]float64, len(cols))
	measure := func(i int, text, style string, sz float64) {
		d.f.SetFont(fontFamily, style, sz)
		for _, word := range strings.Fields(clean(text)) {
			need[i] = max(need[i], min(d.f.GetStringWidth(word)+2*pad+0.5, maxWord))
		}
	}
	for i, c := range cols {
		measure(i, c.head, "B", 8)
		for _, row := range rows {
			if i < len(row) {
				measure(i, row[i].text, styleOf(row[i]), size)
			}
		}
	}
	var deficit, slack float64
	for i, c := range out {
		if need[i] > c.width {
			deficit += need[i] - c.width
		} else {
			slack += c.width - need[i]
		}
	}
	if deficit == 0 || slack == 0 {
		return out
	}
	take := min(deficit, slack)
	for i, c := range out {
		switch {
		case need[i] > c.width:
			out[i].width += (need[i] - c.width) * take / deficit
		default:
			out[i].width -= (c.width - need[i]) * take / slack
		}
	}
	return out
}

func alignOf(c column) string {
	if c.align == "" {
		return "L"
	}
	return c.align
}

func styleOf(c cell) string {
	if c.bold {
		return "B"
	}
	return ""
}

// badge draws a filled rounded box with centred white text.
func (d *pdfDoc) badge(x, y, w, h float64, c rgb, text string, size float64) {
	d.fill(c)
	d.draw(c)
	d.f.RoundedRect(x, y, w, h, 2, "1234", "F")
	d.font("B", size, white)
	d.f.SetXY(x, y)
	d.text(w, h, clean(text), 0, "C")
}

// barChart draws horizontal bars of percentages (nil = not scored), with dashed lines at the
// CQC band boundaries.
func (d *pdfDoc) barChart(labels []string, values []*float64) {
	const labelW, barH, valueW = 62.0, 4.6, 14.0
	chartW := d.width() - labelW - valueW
	d.ensure(barChartHeight(len(labels)))
	x0, y0 := d.left+labelW, d.f.GetY()+2

	// Band guides and scale.
	d.f.SetLineWidth(0.2)
	for _, g := range []struct {
		at    float64
		label string
	}{{0, "0%"}, {39, "39%"}, {63, "63%"}, {88, "88%"}, {100, "100%"}} {
		x := x0 + chartW*g.at/100
		d.draw(midGrey)
		if g.at != 0 {
			d.f.SetDashPattern([]float64{0.8, 0.8}, 0)
		}
		d.f.Line(x, y0, x, y0+float64(len(labels))*chartRowH)
		d.f.SetDashPattern([]float64{}, 0)
		d.font("", 7, midGrey)
		d.f.SetXY(x-8, y0+float64(len(labels))*chartRowH+0.5)
		d.text(16, 4, g.label, 0, "C")
	}
	for i, label := range labels {
		y := y0 + float64(i)*chartRowH
		d.chartLabel(clean(label), d.left, y, labelW-3)
		v := values[i]
		if v == nil {
			d.font("", 8, midGrey)
			d.f.SetXY(x0+1, y)
			d.text(chartW, chartRowH, "not scored", 0, "L")
			continue
		}
		c := ratingColour(bandOf(*v))
		d.fill(c)
		d.f.Rect(x0, y+(chartRowH-barH)/2, chartW**v/100, barH, "F")
		d.font("B", 8, darkGrey)
		d.f.SetXY(x0+chartW+1, y)
		d.text(valueW, chartRowH, pct(v), 0, "L")
	}
	d.f.SetXY(d.left, y0+float64(len(labels))*chartRowH+7)
}

const chartRowH = 7.0

func barChartHeight(bars int) float64 { return float64(bars)*chartRowH + 12 }

// clean makes text safe to hand to fpdf: valid UTF-8 (fpdf's UTF-16 writer panics on
// anything else), Basic Multilingual Plane only (it mis-encodes 4-byte sequences such as
// emoji), and no control characters other than newlines.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r > 0xFFFD:
			return '\uFFFD'
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// xmlSafe makes text safe for a workbook's XML: valid UTF-8 and no characters XML 1.0 forbids.
// Unlike clean it keeps characters outside the Basic Multilingual Plane.
func xmlSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}

// keyValuesHeight is the height keyValues would take for pairs.
func (d *pdfDoc) keyValuesHeight(labelW float64, pairs [][2]string) float64 {
	lh := lineHeight(9.5)
	d.font("", 9.5, black)
	n := 0
	for _, kv := range pairs {
		n += len(d.wrap(kv[1], d.width()-labelW))
	}
	return lh * float64(n)
}

// chartLabel writes a bar's label right-aligned in w millimetres, never truncated: on one line
// when it fits, else on two lines, shrinking the type until it does.
func (d *pdfDoc) chartLabel(label string, x, y, w float64) {
	d.font("", 8.5, black)
	if d.f.GetStringWidth(label) <= w {
		d.f.SetXY(x, y)
		d.text(w, chartRowH, label, 0, "R")
		return
	}
	for size := 7.5; ; size -= 0.5 {
		d.font("", size, black)
		lines := d.f.SplitText(label, w)
		if len(lines) <= 2 || size <= 5 {
			lh := lineHeight(size)
			top := y + (chartRowH-lh*float64(len(lines)))/2
			for i, line := range lines {
				d.f.SetXY(x, top+lh*float64(i))
				d.text(w, lh, line, 0, "R")
			}
			return
		}
	}
}
