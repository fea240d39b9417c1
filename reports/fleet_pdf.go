package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RenderFleetPDF writes the fleet report as PDF: a summary with availability over time,
// conformance levels and regions, the worst offenders, rule failures, CapabilityStatement
// changes and every endpoint.
func RenderFleetPDF(w io.Writer, f *Fleet) error {
	right := ""
	if f.LatestRun != nil {
		right = "Run " + strconv.FormatInt(f.LatestRun.ID, 10) + "  " + f.LatestRun.StartedAt.UTC().Format("2006-01-02 15:04")
	}
	d := newPDF(f.Title, f.Title, right, footerText(f.GeneratedAt, f.Generator), f.GeneratedAt)
	d.f.SetSubject("National FHIR endpoint availability and conformance", true)
	fleetSummary(d, f)

	d.heading("Worst offenders")
	d.para("Least available first, then least conformant, then slowest. Availability counts every run that reached the endpoint.", 9, "", darkGrey)
	d.f.Ln(2)
	fleetEndpointTable(d, f.WorstOffenders)

	if len(f.Changes) > 0 {
		d.heading("CapabilityStatement changes")
		rows := make([][]cell, 0, len(f.Changes))
		for _, c := range f.Changes {
			var parts []string
			for _, ch := range c.Changes {
				parts = append(parts, describeChange(ch))
			}
			rows = append(rows, []cell{txt(c.ODS), txt(c.BaseURL), txt(c.ObservedAt.UTC().Format("2006-01-02 15:04")), txt(strings.Join(parts, "\n"))})
		}
		d.table([]column{{head: "ODS", width: 16}, {head: "Base URL", width: 52}, {head: "Seen", width: 26}, {head: "What changed", width: 86}}, rows)
	}

	d.heading("All endpoints")
	fleetEndpointTable(d, f.All)
	return d.output(w)
}

func fleetSummary(d *pdfDoc, f *Fleet) {
	pdf := d.f
	pdf.AddPage()
	d.fill(nhsBlue)
	pdf.Rect(0, 0, d.pageW, 8, "F")
	pdf.SetY(24)
	pdf.Bookmark("Summary", 0, -1)
	d.para(f.Title, 20, "B", black)
	pdf.Ln(2)
	kv := [][2]string{}
	if r := f.LatestRun; r != nil {
		kv = append(kv,
			[2]string{"Latest run", fmt.Sprintf("%d, %s to %s", r.ID, r.StartedAt.UTC().Format("2006-01-02 15:04:05"), r.FinishedAt.UTC().Format("15:04:05 MST"))},
			[2]string{"Directory", fmt.Sprintf("%s (SHA-256 %.12s…)", r.Directory, r.DirectorySHA256)},
			[2]string{"Crawl", fmt.Sprintf("%d at once, %s requests per second per host, User-Agent %q", r.Concurrency, strconv.FormatFloat(r.PerHostRate, 'g', 4, 64), r.UserAgent)},
		)
	}
	kv = append(kv,
		[2]string{"Endpoints", strconv.Itoa(f.Endpoints)},
		[2]string{"Up (HTTP 200)", fmt.Sprintf("%d (%s)", f.Up, percentOf(f.Availability))},
		[2]string{"Median latency", strconv.FormatFloat(f.MedianLatencyMS, 'f', 0, 64) + " ms"},
		[2]string{"Certificates ending within 30 days", strconv.Itoa(f.CertificatesExpiring)},
		[2]string{"Runs recorded", strconv.Itoa(len(f.History))},
	)
	d.keyValues(62, kv)

	d.subheading("Conformance levels")
	rows := make([][]cell, 0, len(f.Levels))
	for _, l := range f.Levels {
		c := levelInk(l.Secure, l.Conformant)
		share := "–"
		if f.Endpoints > 0 {
			share = percentOf(float64(l.Count) / float64(f.Endpoints))
		}
		rows = append(rows, []cell{{text: fmt.Sprintf("L%d %s", l.Level, l.Name), ink: &c, bold: true}, txt(strconv.Itoa(l.Count)), txt(share)})
	}
	d.table([]column{{head: "Level", width: 70}, {head: "Endpoints", width: 30, align: "R"}, {head: "Share", width: 30, align: "R"}}, rows)
	d.para("L0 no usable answer (DNS, connection, TLS, timeout or HTTP 5xx); L1 answers; L2 TLS 1.2+ with a verified certificate; L3 serves a CapabilityStatement; L4 the CapabilityStatement passes every rule.", 8, "", midGrey)

	d.subheading("Availability over time")
	history := f.History
	if len(history) > 20 {
		history = history[len(history)-20:]
	}
	availabilityBars(d, history)

	if len(f.Regions) > 0 {
		d.subheading("Regions")
		rows := make([][]cell, 0, len(f.Regions))
		for _, g := range f.Regions {
			rows = append(rows, []cell{txt(g.Name), txt(strconv.Itoa(g.Endpoints)), txt(strconv.Itoa(g.Up)), txt(percentOf(g.Availability)), txt(strconv.Itoa(g.Conformant))})
		}
		d.table([]column{{head: "Region", width: 70}, {head: "Endpoints", width: 25, align: "R"}, {head: "Up", width: 25, align: "R"},
			{head: "Availability", width: 30, align: "R"}, {head: "Conformant (L4)", width: 30, align: "R"}}, rows)
	}
	if len(f.RuleFailures) > 0 {
		d.subheading("Rules broken")
		rows := make([][]cell, 0, len(f.RuleFailures))
		for _, r := range f.RuleFailures {
			rows = append(rows, []cell{txt(r.Rule), txt(strconv.Itoa(r.Count))})
		}
		d.table([]column{{head: "Rule", width: 80}, {head: "Endpoints", width: 30, align: "R"}}, rows)
	}
}

// availabilityBars draws one horizontal bar per run: the share of endpoints up.
func availabilityBars(d *pdfDoc, runs []FleetRunPoint) {
	if len(runs) == 0 {
		d.para("No runs recorded yet.", 9, "", midGrey)
		return
	}
	const labelW, valueW, rowH, barH = 48.0, 30.0, 6.0, 4.2
	chartW := d.width() - labelW - valueW
	d.ensure(float64(len(runs))*rowH + 6)
	y0 := d.f.GetY() + 1
	for i, r := range runs {
		y := y0 + float64(i)*rowH
		d.font("", 8, black)
		d.f.SetXY(d.left, y)
		d.text(labelW-2, rowH, fmt.Sprintf("Run %d  %s", r.RunID, r.StartedAt.UTC().Format("2006-01-02")), 0, "R")
		d.fill(paleGrey)
		d.f.Rect(d.left+labelW, y+(rowH-barH)/2, chartW, barH, "F")
		c := passGreen
		switch {
		case r.Availability < 0.9:
			c = failRed
		case r.Availability < 0.99:
			c = warnAmber
		}
		d.fill(c)
		d.f.Rect(d.left+labelW, y+(rowH-barH)/2, chartW*r.Availability, barH, "F")
		d.font("B", 8, darkGrey)
		d.f.SetXY(d.left+labelW+chartW+1, y)
		d.text(valueW, rowH, fmt.Sprintf("%s (%d/%d)", percentOf(r.Availability), r.Up, r.Endpoints), 0, "L")
	}
	d.f.SetXY(d.left, y0+float64(len(runs))*rowH+3)
}

func fleetEndpointTable(d *pdfDoc, eps []FleetEndpoint) {
	if len(eps) == 0 {
		d.para("None.", 9, "", midGrey)
		return
	}
	rows := make([][]cell, 0, len(eps))
	for _, e := range eps {
		o := e
		status := "no answer"
		if o.HTTPStatus != 0 {
			status = "HTTP " + strconv.Itoa(o.HTTPStatus)
		}
		problem := e.Problem
		if len(e.FailedRules) > 0 {
			problem = strings.TrimPrefix(problem+"; rules: "+strings.Join(e.FailedRules, ", "), "; ")
		}
		lc := levelInk(e.Secure, e.Conformant)
		tlsText := "–"
		if e.TLSVersion != "" {
			tlsText = e.TLSVersion
		}
		rows = append(rows, []cell{
			txt(e.ODS + "\n" + e.Name), txt(e.BaseURL), txt(percentOf(e.Availability) + "\n" + strconv.Itoa(e.ChecksUp) + "/" + strconv.Itoa(e.Checks)),
			txt(status), txt(strconv.FormatFloat(o.LatencyMS, 'f', 0, 64)), txt(tlsText),
			{text: "L" + strconv.Itoa(o.Level), ink: &lc, bold: true}, txt(problem),
		})
	}
	d.table([]column{
		{head: "Organisation", width: 30}, {head: "Base URL", width: 40}, {head: "Avail.", width: 16, align: "R"},
		{head: "Status", width: 16}, {head: "ms", width: 11, align: "R"}, {head: "TLS", width: 14},
		{head: "Level", width: 11}, {head: "Problem", width: 42},
	}, rows)
}

func levelInk(secure, conformant bool) rgb {
	switch {
	case conformant:
		return passGreen
	case secure:
		return warnAmber
	}
	return failRed
}

func describeChange(c FieldChange) string {
	switch c.Kind {
	case "added":
		return c.Field + " + " + c.After
	case "removed":
		return c.Field + " − " + c.Before
	case "changed":
		return c.Field + ": " + c.Before + " → " + c.After
	}
	return c.Field + " " + c.Kind + " " + c.After
}
