package reports

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// RenderLeaguePDF writes the league table as PDF: a national summary with the score
// distribution, the full table, then one page per region.
func RenderLeaguePDF(w io.Writer, l *League) error {
	right := l.Cycle
	if l.Checklist != "" {
		right = l.Checklist + "  " + l.Cycle
	}
	d := newPDF(l.Title, l.Title, right, footerText(l.GeneratedAt, l.Generator), l.GeneratedAt)
	d.f.SetSubject("National interoperability league table", true)
	leagueSummary(d, l)
	rated, unrated := splitRated(l.Rows)
	leagueTable(d, l, "League table", rated, false)
	leagueUnrated(d, unrated)
	for _, region := range l.Regions {
		leagueRegion(d, l, region)
	}
	return d.output(w)
}

func leagueSummary(d *pdfDoc, l *League) {
	f := d.f
	f.AddPage()
	d.fill(nhsBlue)
	f.Rect(0, 0, d.pageW, 8, "F")
	f.SetY(24)
	f.Bookmark("National summary", 0, -1)
	d.para(l.Title, 20, "B", black)
	f.Ln(2)
	rated := l.National.Count
	kv := [][2]string{}
	if l.Cycle != "" {
		kv = append(kv, [2]string{"Cycle", l.Cycle})
	}
	if l.PreviousCycle != "" {
		kv = append(kv, [2]string{"Compared with", l.PreviousCycle})
	}
	if l.Checklist != "" {
		kv = append(kv, [2]string{"Checklist", l.Checklist})
	}
	kv = append(kv,
		[2]string{"Organisations", fmt.Sprintf("%d (%d rated)", len(l.Rows), rated)},
		[2]string{"Regions", strconv.Itoa(len(l.Regions))},
	)
	if n := l.National; n.Withheld != "" {
		kv = append(kv, [2]string{"Median, quartiles", "withheld: " + n.Withheld})
		if rated > 0 {
			kv = append(kv, [2]string{"Range", num(n.Min) + "% to " + num(n.Max) + "%"})
		}
	} else if rated > 0 {
		kv = append(kv,
			[2]string{"Median score", num(n.Median) + "%"},
			[2]string{"Interquartile range", num(n.Q1) + "% to " + num(n.Q3) + "%"},
			[2]string{"Mean", num(n.Mean) + "%"},
			[2]string{"Range", num(n.Min) + "% to " + num(n.Max) + "%"},
		)
	}
	kv = append(kv, [2]string{"Warning Notice flags", strconv.Itoa(l.WarningNotices)})
	d.keyValues(44, kv)

	d.subheading("Ratings")
	rows := make([][]cell, 0, len(l.Ratings))
	for _, rc := range l.Ratings {
		c := ratingColour(rc.Rating)
		share := "–"
		if len(l.Rows) > 0 {
			share = strconv.FormatFloat(float64(rc.Count)/float64(len(l.Rows))*100, 'f', 1, 64) + "%"
		}
		rows = append(rows, []cell{{text: rc.Rating.Label(), ink: &c, bold: true}, txt(strconv.Itoa(rc.Count)), txt(share)})
	}
	d.table([]column{{head: "Rating", width: 60}, {head: "Organisations", width: 30, align: "R"}, {head: "Share", width: 30, align: "R"}}, rows)

	d.subheading("Score distribution")
	var scores []float64
	for _, r := range l.Rows {
		if r.Percent != nil {
			scores = append(scores, *r.Percent)
		}
	}
	histogram(d, scores)

	if len(l.DomainStats) > 0 && l.National.Withheld != "" {
		d.subheading("Domains nationally")
		d.para("Domain medians and quartiles withheld: "+l.National.Withheld+".", 9, "", darkGrey)
	} else if len(l.DomainStats) > 0 {
		d.subheading("Domains nationally")
		rows := make([][]cell, 0, len(l.DomainStats))
		for _, ds := range l.DomainStats {
			rows = append(rows, []cell{txt(ds.Title), txt(strconv.Itoa(ds.Count)), txt(stat(ds.Distribution, ds.Q1)), {text: stat(ds.Distribution, ds.Median), bold: true}, txt(stat(ds.Distribution, ds.Q3))})
		}
		d.table([]column{
			{head: "Domain", width: 92}, {head: "Count", width: 22, align: "R"},
			{head: "Q1 (%)", width: 22, align: "R"}, {head: "Median (%)", width: 22, align: "R"}, {head: "Q3 (%)", width: 22, align: "R"},
		}, rows)
	}
}

// histogram draws the count of organisations in each 10-point score bin as vertical bars.
func histogram(d *pdfDoc, scores []float64) {
	const bins, chartH = 10, 45.0
	counts := make([]int, bins)
	for _, s := range scores {
		counts[min(int(s/10), bins-1)]++
	}
	top := 1
	for _, c := range counts {
		top = max(top, c)
	}
	d.ensure(chartH + 16)
	f := d.f
	x0, y0 := d.left+10, f.GetY()+2
	colW := (d.width() - 10) / bins
	d.draw(lineGrey)
	f.Line(x0, y0+chartH, x0+colW*bins, y0+chartH)
	d.font("", 7, midGrey)
	for _, tick := range []int{0, top} {
		y := y0 + chartH - chartH*float64(tick)/float64(top)
		f.SetXY(d.left, y-2)
		d.text(9, 4, strconv.Itoa(tick), 0, "R")
	}
	for i, c := range counts {
		x := x0 + float64(i)*colW
		h := chartH * float64(c) / float64(top)
		mid := float64(i*10) + 5
		d.fill(ratingColour(scoring.BandFor(mid)))
		if c > 0 {
			f.Rect(x+1.5, y0+chartH-h, colW-3, h, "F")
			d.font("B", 7.5, darkGrey)
			f.SetXY(x, y0+chartH-h-4.5)
			d.text(colW, 4, strconv.Itoa(c), 0, "C")
		}
		d.font("", 7, midGrey)
		f.SetXY(x, y0+chartH+0.8)
		label := fmt.Sprintf("%d–%d", i*10, i*10+10)
		d.text(colW, 4, label, 0, "C")
	}
	f.SetXY(d.left, y0+chartH+6)
	d.para("Organisations per 10-point score band (%), coloured by the CQC-style rating band of the bin.", 8, "", midGrey)
}

func leagueTable(d *pdfDoc, l *League, title string, rows []scoring.LeagueRow, peer bool) {
	if title != "" {
		d.heading(title)
	}
	out := make([][]cell, 0, len(rows))
	for _, r := range rows {
		c := ratingColour(r.Rating)
		rating := r.Rating.Label()
		if r.WarningNotice {
			rating += " (WN)"
		}
		rank, pctl := strconv.Itoa(r.Rank), pctOrDash(r.PeerPercentile)
		if r.Rank == 0 {
			rank = "–"
		}
		if peer {
			rank = fmt.Sprintf("%s (%s)", dashIfZero(r.PeerRank), rank)
		}
		out = append(out, []cell{
			txt(rank), txt(r.ODS), txt(r.Name + "\n" + OrgTypeLabel(r.OrgType) + ", " + r.Region), txt(assessmentText(r)),
			txt(completenessText(r)), {text: pct(r.Percent), bold: true}, {text: rating, ink: &c, bold: true}, txt(pctl), txt(change(l, r)),
		})
	}
	rankHead := "Rank"
	if peer {
		rankHead = "Peer rank (nat.)"
	}
	d.table([]column{
		{head: rankHead, width: 15, align: "C"},
		{head: "ODS", width: 14},
		{head: "Organisation", width: 45},
		{head: "Assessment", width: 23},
		{head: "Assessed", width: 20},
		{head: "Score", width: 15, align: "R"},
		{head: "Rating", width: 24},
		{head: "Peer pctl", width: 12, align: "R"},
		{head: "Change", width: 12, align: "R"},
	}, out)
	d.para(fmt.Sprintf("Only rated organisations are ranked. Peer pctl is the percentile rank within organisations of the same type in the same region, given only for groups of %d or more rated organisations. Assessed: share of applicable items assessed, and whether the assessment was complete. WN: flagged for Warning Notice consideration.", scoring.MinGroupForStatistics), 7.5, "", midGrey)
}

// leagueUnrated lists the not-rated organisations apart: never ranked, with their provisional
// figure and why it is not a rating.
func leagueUnrated(d *pdfDoc, rows []scoring.LeagueRow) {
	if len(rows) == 0 {
		return
	}
	d.subheading("Not rated: listed apart, never ranked")
	d.para("The evidence did not support a rating (too little assessed, a mandatory item not assessed, or a rating that depended on evidence that could not be obtained). The provisional figure is not a score to compare.", 8.5, "", darkGrey)
	out := make([][]cell, 0, len(rows))
	for _, r := range rows {
		wn := ""
		if r.WarningNotice {
			wn = " (WN)"
		}
		out = append(out, []cell{
			txt(r.ODS), txt(r.Name + "\n" + OrgTypeLabel(r.OrgType) + ", " + r.Region), txt(assessmentText(r)), txt(completenessText(r)),
			{text: pct(r.ProvisionalPercent) + " provisional"}, txt("Not rated" + wn),
		})
	}
	d.table([]column{
		{head: "ODS", width: 14}, {head: "Organisation", width: 58}, {head: "Assessment", width: 26}, {head: "Assessed", width: 24},
		{head: "Figure", width: 28}, {head: "Rating", width: 30},
	}, out)
}

func splitRated(rows []scoring.LeagueRow) (rated, unrated []scoring.LeagueRow) {
	for _, r := range rows {
		if r.Rating == scoring.NotRated {
			unrated = append(unrated, r)
		} else {
			rated = append(rated, r)
		}
	}
	return rated, unrated
}

func assessmentText(r scoring.LeagueRow) string {
	s := r.Assessment
	if !r.AssessedAt.IsZero() {
		s += "\n" + r.AssessedAt.UTC().Format("2 Jan 2006")
	}
	if s == "" {
		return "–"
	}
	return s
}

func completenessText(r scoring.LeagueRow) string {
	s := strconv.FormatFloat(r.Completeness*100, 'f', 0, 64) + "%"
	if r.Status != "" {
		s += "\n" + r.Status
	}
	return s
}

// stat prints a group statistic, or "withheld" when the group is too small for it.
func stat(dist scoring.Distribution, v float64) string {
	if dist.Withheld != "" || dist.Count == 0 {
		return "withheld"
	}
	return num(v)
}

func leagueRegion(d *pdfDoc, l *League, region string) {
	d.heading("Region: " + region)
	var rows []scoring.LeagueRow
	for _, r := range l.Rows {
		if r.Region == region {
			rows = append(rows, r)
		}
	}
	rated, unrated := splitRated(rows)
	leagueTable(d, l, "", rated, true)
	leagueUnrated(d, unrated)
	for _, p := range l.Peers {
		if p.Region != region {
			continue
		}
		d.subheading(fmt.Sprintf("%s, %s: %d rated", OrgTypeLabel(p.OrgType), region, p.Size))
		if dist := p.Distribution; dist.Withheld != "" {
			d.para("Median and quartiles withheld: "+dist.Withheld+".", 9, "", darkGrey)
		} else if p.Size > 0 {
			d.para(fmt.Sprintf("Median %s%%, interquartile range %s%% to %s%%, range %s%% to %s%%.",
				num(dist.Median), num(dist.Q1), num(dist.Q3), num(dist.Min), num(dist.Max)), 9, "", darkGrey)
		}
		if len(p.Domains) == 0 {
			continue
		}
		national := map[string]scoring.Distribution{}
		for _, ds := range l.DomainStats {
			national[ds.ID] = ds.Distribution
		}
		rows := make([][]cell, 0, len(p.Domains))
		for _, ds := range p.Domains {
			nat := national[ds.ID]
			diff := "–"
			if ds.Count > 0 && ds.Withheld == "" && nat.Count > 0 && nat.Withheld == "" {
				diff = signedNum(ds.Median - nat.Median)
			}
			rows = append(rows, []cell{txt(ds.Title), txt(strconv.Itoa(ds.Count)), {text: stat(ds.Distribution, ds.Median), bold: true}, txt(stat(nat, nat.Median)), txt(diff)})
		}
		d.table([]column{
			{head: "Domain", width: 84}, {head: "Count", width: 20, align: "R"},
			{head: "Peer median (%)", width: 26, align: "R"}, {head: "National median (%)", width: 28, align: "R"},
			{head: "Difference", width: 22, align: "R"},
		}, rows)
	}
}

func change(l *League, r scoring.LeagueRow) string {
	if !l.HasHistory {
		return ""
	}
	if r.Change == nil {
		return "new"
	}
	if r.Change.DeltaPercent == nil {
		return "–"
	}
	return signedNum(*r.Change.DeltaPercent)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func signedNum(f float64) string {
	f = math.Round(f*10) / 10
	if f > 0 {
		return "+" + num(f)
	}
	if f == 0 {
		return "0.0"
	}
	return num(f)
}

func pctOrDash(p *float64) string {
	if p == nil {
		return "–"
	}
	return num(*p)
}

func dashIfZero(n int) string {
	if n == 0 {
		return "–"
	}
	return strconv.Itoa(n)
}
