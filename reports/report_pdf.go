package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// RenderPDF writes the assessment report as PDF.
func RenderPDF(w io.Writer, r *Report) error {
	org := r.Organisation
	d := newPDF(
		"Interoperability inspection report: "+org.Name,
		fmt.Sprintf("%s (%s)", org.Name, org.ODS),
		r.Checklist.Ref(),
		footerText(r.GeneratedAt, r.Generator),
		r.GeneratedAt,
	)
	d.f.SetSubject("Interoperability maturity assessment", true)
	reportCover(d, r)
	reportSummary(d, r)
	reportFindings(d, r)
	reportGaps(d, r)
	reportRecommendations(d, r)
	reportItems(d, r)
	reportEvidence(d, r)
	return d.output(w)
}

func footerText(at time.Time, generator string) string {
	if generator == "" {
		generator = "Jigsaw"
	}
	return "Generated " + at.UTC().Format("2 January 2006 15:04 MST") + " by " + generator
}

func reportCover(d *pdfDoc, r *Report) {
	f := d.f
	f.AddPage()
	d.fill(nhsBlue)
	f.Rect(0, 0, d.pageW, 8, "F")
	f.SetY(26)
	d.font("B", 11, nhsBlue)
	d.text(d.width(), 6, "INTEROPERABILITY INSPECTION REPORT", 1, "L")
	f.Ln(4)
	d.para(r.Organisation.Name, 24, "B", black)
	f.Ln(2)
	org := r.Organisation
	kv := [][2]string{
		{"ODS code", org.ODS},
		{"Organisation type", OrgTypeLabel(org.Type)},
	}
	if org.Region != "" {
		kv = append(kv, [2]string{"Region", org.Region})
	}
	kv = append(kv, [2]string{"Assessment date", dateRange(r.Assessment.StartedAt, r.Assessment.CompletedAt)})
	if r.Assessment.ID != "" {
		kv = append(kv, [2]string{"Assessment", r.Assessment.ID})
	}
	if r.Assessment.Cycle != "" {
		kv = append(kv, [2]string{"Cycle", r.Assessment.Cycle})
	}
	if r.Assessment.Assessor != "" {
		kv = append(kv, [2]string{"Assessor", r.Assessment.Assessor})
	}
	kv = append(kv, [2]string{"Checklist", r.Checklist.Ref() + " — " + r.Checklist.Title})
	if r.Checklist.SHA256 != "" {
		kv = append(kv, [2]string{"Checklist SHA-256", r.Checklist.SHA256})
	}
	for _, t := range r.Assessment.Targets {
		kv = append(kv, [2]string{t.Label(), t.Text()})
	}
	d.keyValues(42, kv)

	// Rating badge.
	f.Ln(8)
	y := f.GetY()
	s := r.Summary
	d.badge(d.left, y, 80, 22, ratingColour(s.Rating), s.RatingLabel, 16)
	d.font("B", 22, black)
	f.SetXY(d.left+88, y+2)
	d.text(60, 10, pct(s.Percent), 0, "L")
	d.font("", 9, darkGrey)
	f.SetXY(d.left+88, y+12)
	d.text(90, 5, "overall score", 0, "L")
	f.SetXY(d.left+88, y+16.5)
	d.text(90, 5, fmt.Sprintf("%d of %d applicable items scored", s.Completeness.Scored, s.Completeness.Applicable), 0, "L")
	f.SetXY(d.left, y+28)

	if s.WarningNotice.Flagged {
		noticeBox(d, s.WarningNotice)
	}
	if s.Completeness.Incomplete {
		d.para("Incomplete assessment: "+incompleteText(s.Completeness), 9.5, "B", warnAmber)
	}
}

func noticeBox(d *pdfDoc, wn scoring.WarningNotice) {
	f := d.f
	title := "Flagged for Warning Notice consideration"
	if wn.Section != "" {
		title += " (Health and Social Care Act 2008, section " + wn.Section + ")"
	}
	d.font("B", 11, failRed)
	titleLines := d.wrap(title, d.width()-8)
	d.font("", 9, black)
	var lines []string
	for _, reason := range wn.Reasons {
		lines = append(lines, d.wrap("• "+reason, d.width()-8)...)
	}
	lines = append(lines, d.wrap("Jigsaw flags critical failures for the regulator's judgement; it does not issue notices.", d.width()-8)...)
	lh := lineHeight(9)
	titleH := 6 * float64(len(titleLines))
	h := titleH + 4 + float64(len(lines))*lh + 3
	d.ensure(h)
	y := f.GetY()
	d.fill(rgb{253, 236, 234})
	d.draw(failRed)
	f.SetLineWidth(0.6)
	f.Rect(d.left, y, d.width(), h, "FD")
	f.SetLineWidth(0.2)
	d.font("B", 11, failRed)
	for i, line := range titleLines {
		f.SetXY(d.left+4, y+2.5+6*float64(i))
		d.text(d.width()-8, 6, line, 0, "L")
	}
	d.font("", 9, black)
	for i, line := range lines {
		f.SetXY(d.left+4, y+titleH+3+float64(i)*lh)
		d.text(d.width()-8, lh, line, 0, "L")
	}
	f.SetXY(d.left, y+h+3)
}

func incompleteText(c scoring.Completeness) string {
	if c.Applicable == 0 {
		return "no applicable item was assessed."
	}
	s := fmt.Sprintf("%d of %d applicable items were not reviewed or are in error (%s).", len(c.Missing), c.Applicable, strings.Join(c.Missing, ", "))
	if len(c.MissingMandatory) > 0 {
		s += " Mandatory items missing: " + strings.Join(c.MissingMandatory, ", ") + "."
	}
	return s
}

func reportSummary(d *pdfDoc, r *Report) {
	s := r.Summary
	d.heading("Executive summary")
	kv := [][2]string{
		{"Rating", s.RatingLabel},
		{"Overall score", pct(s.Percent)},
		{"Score band", s.BandRating.Label()},
	}
	for _, l := range s.Limiters {
		kv = append(kv, [2]string{"Limiter", l})
	}
	kv = append(kv,
		[2]string{"Completeness", fmt.Sprintf("%d of %d applicable items scored (%.0f%%); %d not applicable, %d not reviewed, %d waived, %d in error",
			s.Completeness.Scored, s.Completeness.Applicable, s.Completeness.Share*100, s.Completeness.NotApplicable,
			s.Completeness.NotReviewed, s.Completeness.Waived, s.Completeness.Errored)},
		[2]string{"Probes", fmt.Sprintf("%d run: %d pass, %d fail, %d warn, %d skip, %d error",
			s.Probes.Total, s.Probes.Pass, s.Probes.Fail, s.Probes.Warn, s.Probes.Skip, s.Probes.Error)},
		[2]string{"Claims vs probes", fmt.Sprintf("%d over-claimed, %d unverified", s.OverClaims, s.Unverified)},
	)
	if s.WarningNotice.Flagged {
		kv = append(kv, [2]string{"Warning Notice", "flagged: " + strings.Join(s.WarningNotice.Reasons, "; ")})
	}
	d.keyValues(38, kv)

	d.subheading("Domains")
	rows := make([][]cell, 0, len(r.Domains))
	for _, dm := range r.Domains {
		level := "–"
		if dm.Level > 0 {
			level = strconv.Itoa(dm.Level)
		}
		c := cell{text: pct(dm.Percent), bold: true}
		if dm.Percent != nil {
			ink := ratingColour(bandOf(*dm.Percent))
			c.ink = &ink
		}
		rows = append(rows, []cell{
			txt(dm.Title), txt(fmt.Sprintf("%d / %d", dm.Scored, dm.Applicable)), c, txt(level), txt(dm.LevelReason),
		})
	}
	d.table([]column{
		{head: "Domain", width: 52},
		{head: "Scored / applicable", width: 22, align: "C"},
		{head: "Score", width: 17, align: "R"},
		{head: "Level (1–5)", width: 16, align: "C"},
		{head: "What stops the next level", width: 73},
	}, rows)

	d.ensure(barChartHeight(len(r.Domains)) + 20) // keep the heading with its chart
	d.subheading("Domain scores")
	labels := make([]string, len(r.Domains))
	values := make([]*float64, len(r.Domains))
	for i, dm := range r.Domains {
		labels[i], values[i] = dm.Title, dm.Percent
	}
	d.barChart(labels, values)
	d.para("Dashed lines mark the CQC-style bands: 39% Requires improvement, 63% Good, 88% Outstanding. An item at level 1–4 scores 25/50/75/100%.", 8, "", midGrey)

	var layerRows [][]cell
	for _, l := range r.Layers {
		if l.Items == 0 {
			continue
		}
		c := cell{text: pct(l.Percent), bold: true}
		if l.Percent != nil {
			ink := ratingColour(bandOf(*l.Percent))
			c.ink = &ink
		}
		layerRows = append(layerRows, []cell{txt(l.Title), txt(fmt.Sprintf("%d / %d", l.Scored, l.Items)), c})
	}
	if len(layerRows) > 0 {
		d.subheading("Interoperability layers")
		d.table([]column{
			{head: "Layer", width: 110},
			{head: "Items scored", width: 35, align: "C"},
			{head: "Score", width: 35, align: "R"},
		}, layerRows)
	}
}

func reportFindings(d *pdfDoc, r *Report) {
	d.heading("Findings")
	if len(r.Findings) == 0 {
		d.para("No probe failed or warned.", 10, "", black)
		return
	}
	d.para(fmt.Sprintf("%d probes failed or warned, most severe first.", len(r.Findings)), 9.5, "", darkGrey)
	for _, fd := range r.Findings {
		d.ensure(34)
		d.f.Ln(2)
		y := d.f.GetY()
		c := statusColour(fd.Status)
		d.badge(d.left, y, 30, 6, c, strings.ToUpper(string(fd.Status))+" · "+string(fd.Severity), 7.5)
		d.font("B", 10, black)
		d.f.SetXY(d.left+33, y)
		d.text(d.width()-33, 6, truncate(d, fd.ProbeID+" — "+clean(fd.Title), d.width()-34), 1, "L")
		d.f.Ln(1)
		kv := [][2]string{{"Expected", fd.Expected}, {"Observed", fd.Observed}}
		if fd.SpecRef != "" {
			kv = append(kv, [2]string{"Specification", fd.SpecRef})
		}
		if len(fd.Items) > 0 {
			kv = append(kv, [2]string{"Items", strings.Join(fd.Items, ", ")})
		}
		if len(fd.Exchanges) > 0 {
			kv = append(kv, [2]string{"Evidence", strings.Join(fd.Exchanges, ", ")})
		}
		d.keyValues(30, kv)
		d.draw(lineGrey)
		d.f.Line(d.left, d.f.GetY()+1.5, d.pageW-d.right, d.f.GetY()+1.5)
		d.f.Ln(2)
	}
}

func reportGaps(d *pdfDoc, r *Report) {
	d.heading("Claimed vs verified")
	reportDomainGaps(d, r)
	if len(r.Gaps) == 0 {
		d.para("No item had both a claim and a probe-verified level.", 10, "", black)
		return
	}
	d.para("Items with both a claimed level and a level verified by probes, largest over-claim first. The final level is the lower of the two.", 9.5, "", darkGrey)
	rows := make([][]cell, 0, len(r.Gaps))
	for _, g := range r.Gaps {
		gc := cell{text: signed(g.Gap), bold: g.Gap > 0}
		if g.Gap > 0 {
			gc.ink = &failRed
		}
		rows = append(rows, []cell{
			txt(g.ItemID), txt(g.Title), txt(strconv.Itoa(g.Claimed)), txt(strconv.Itoa(g.Verified)),
			txt(strconv.Itoa(g.Final)), gc, txt(string(g.ClaimProvenance)),
		})
	}
	d.table([]column{
		{head: "Item", width: 20},
		{head: "Title", width: 62},
		{head: "Claimed", width: 17, align: "C"},
		{head: "Verified", width: 17, align: "C"},
		{head: "Final", width: 13, align: "C"},
		{head: "Gap", width: 12, align: "C"},
		{head: "Claim by", width: 39},
	}, rows)
}

// reportDomainGaps shows, per domain, the score the claims alone would give beside the score
// the evidence supports, largest over-claim first.
func reportDomainGaps(d *pdfDoc, r *Report) {
	doms := make([]Domain, 0, len(r.Domains))
	for _, dom := range r.Domains {
		if dom.OverClaim != nil {
			doms = append(doms, dom)
		}
	}
	if len(doms) == 0 {
		return
	}
	slices.SortStableFunc(doms, func(a, b Domain) int { return cmp.Compare(*b.OverClaim, *a.OverClaim) })
	d.para("By domain: the score if every claim were accepted as made, beside the score the evidence supports, largest over-claim first.", 9.5, "", darkGrey)
	rows := make([][]cell, 0, len(doms))
	for _, dom := range doms {
		gc := cell{text: fmt.Sprintf("%+.1f", *dom.OverClaim), bold: *dom.OverClaim > 0.05}
		if *dom.OverClaim > 0.05 {
			gc.ink = &failRed
		}
		rows = append(rows, []cell{txt(dom.Title), txt(pct(dom.ClaimedPercent)), txt(pct(dom.Percent)), gc})
	}
	d.table([]column{
		{head: "Domain", width: 98},
		{head: "Claimed", width: 28, align: "C"},
		{head: "Verified", width: 28, align: "C"},
		{head: "Over-claim (points)", width: 26, align: "C"},
	}, rows)
	d.f.Ln(3)
}

func reportRecommendations(d *pdfDoc, r *Report) {
	d.heading("Recommendations")
	if len(r.Recommendations) == 0 {
		d.para("Every scored item is achieved (level 3 or 4).", 10, "", black)
		return
	}
	d.para("For each item not yet achieved, what the next level looks like. Critical and mandatory items first.", 9.5, "", darkGrey)
	rows := make([][]cell, 0, len(r.Recommendations))
	for _, rec := range r.Recommendations {
		var flags []string
		if rec.Critical {
			flags = append(flags, "critical")
		}
		if rec.Mandatory {
			flags = append(flags, "mandatory")
		}
		title := rec.Title
		if len(flags) > 0 {
			title += " (" + strings.Join(flags, ", ") + ")"
		}
		next := rec.Statement
		if len(rec.FailedProbes) > 0 {
			next += "\nProbes to fix: " + strings.Join(rec.FailedProbes, ", ")
		}
		rows = append(rows, []cell{
			txt(strconv.Itoa(rec.Priority)), txt(rec.ItemID), txt(title),
			txt(fmt.Sprintf("%d → %d", rec.CurrentLevel, rec.TargetLevel)), txt(next),
		})
	}
	d.table([]column{
		{head: "#", width: 8, align: "C"},
		{head: "Item", width: 18},
		{head: "Title", width: 46},
		{head: "Level", width: 14, align: "C"},
		{head: "Next level", width: 94},
	}, rows)
}

func reportItems(d *pdfDoc, r *Report) {
	d.heading("Item results")
	titles := map[string]string{}
	for _, dm := range r.Domains {
		titles[dm.ID] = dm.Title
	}
	rows := make([][]cell, 0, len(r.Items))
	for _, it := range r.Items {
		status := string(it.Status)
		if it.Unverified {
			status += " (unverified)"
		}
		final := cell{text: level(it.Final), bold: true}
		if it.Final > 0 {
			c := levelColour(it.Final)
			final.ink = &c
		}
		rows = append(rows, []cell{
			txt(it.ID), txt(it.Title), txt(status), txt(level(it.Claimed)), txt(level(it.Verified)), final, txt(string(it.Provenance)),
		})
	}
	d.table([]column{
		{head: "Item", width: 17},
		{head: "Title", width: 56},
		{head: "Status", width: 27},
		{head: "Claimed", width: 17, align: "C"},
		{head: "Verified", width: 17, align: "C"},
		{head: "Final", width: 13, align: "C"},
		{head: "Provenance", width: 33},
	}, rows)
}

func reportEvidence(d *pdfDoc, r *Report) {
	d.heading("Evidence appendix")
	d.para("Each HTTP exchange is stored in the evidence database under its id, with the SHA-256 of the response body as read.", 9.5, "", darkGrey)
	if len(r.Evidence) == 0 {
		d.para("No HTTP exchanges were recorded.", 10, "", black)
	} else {
		rows := make([][]cell, 0, len(r.Evidence))
		for _, e := range r.Evidence {
			status, digest := "–", cell{text: e.SHA256}
			if e.StatusCode != 0 {
				status = strconv.Itoa(e.StatusCode)
			}
			if e.Error != "" {
				digest = cell{text: "no response: " + e.Error, ink: &failRed}
			}
			rows = append(rows, []cell{txt(e.ExchangeID), txt(e.Method), txt(e.URL), txt(status), digest})
		}
		d.table([]column{
			{head: "Exchange", width: 22},
			{head: "Method", width: 16},
			{head: "URL", width: 62},
			{head: "Status", width: 14, align: "C"},
			{head: "Response SHA-256", width: 66},
		}, rows)
	}
	d.subheading("Attestations")
	if len(r.Attestations) == 0 {
		d.para("No attestations were recorded.", 10, "", black)
		return
	}
	rows := make([][]cell, 0, len(r.Attestations))
	for _, a := range r.Attestations {
		who := a.Who
		if a.Role != "" {
			who += ", " + a.Role
		}
		what := a.What
		for _, file := range a.Files {
			what += fmt.Sprintf("\n%s (%d bytes, SHA-256 %s)", file.Name, file.Size, file.SHA256)
		}
		rows = append(rows, []cell{txt(a.ID), txt(a.ItemID), txt(who), txt(a.When.UTC().Format("2006-01-02 15:04")), txt(what)})
	}
	d.table([]column{
		{head: "Id", width: 20},
		{head: "Item", width: 18},
		{head: "Who", width: 34},
		{head: "When (UTC)", width: 26},
		{head: "What was seen", width: 82},
	}, rows)
}

func dateRange(from, to time.Time) string {
	switch {
	case from.IsZero() && to.IsZero():
		return "not recorded"
	case from.IsZero():
		return to.UTC().Format("2 January 2006")
	case to.IsZero() || sameDay(from, to):
		return from.UTC().Format("2 January 2006")
	}
	return from.UTC().Format("2 January 2006") + " to " + to.UTC().Format("2 January 2006")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// pct prints a percentage to one decimal place, or a dash when absent.
func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

func level(l int) string {
	if l == 0 {
		return "–"
	}
	return strconv.Itoa(l)
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func bandOf(p float64) scoring.Rating { return scoring.BandFor(p) }

func ratingColour(r scoring.Rating) rgb {
	switch r {
	case scoring.Outstanding:
		return rgb{0, 94, 184}
	case scoring.Good:
		return passGreen
	case scoring.RequiresImprovement:
		return warnAmber
	case scoring.Inadequate:
		return failRed
	}
	return midGrey
}

func statusColour(s verdict.Status) rgb {
	switch s {
	case verdict.Pass:
		return passGreen
	case verdict.Warn:
		return warnAmber
	case verdict.Fail:
		return failRed
	}
	return midGrey
}

func levelColour(l int) rgb {
	switch l {
	case 1:
		return failRed
	case 2:
		return warnAmber
	case 3:
		return passGreen
	}
	return nhsBlue
}
