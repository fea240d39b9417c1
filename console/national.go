package console

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

func (s *Server) needCentral(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.League == nil {
		s.refuse(w, r, http.StatusNotFound, "The national view needs the central database: start the console with jigsaw serve --central central.db.")
		return false
	}
	return true
}

// bar is one bar of a server-rendered SVG chart.
type bar struct {
	Label       string
	Value       string
	X, Y, W, H  float64
	LabelX      float64
	Class       string
	Description string
}

// chart is a server-rendered SVG bar chart (no script, no inline style: it satisfies the CSP).
type chart struct {
	Title, Desc   string
	Width, Height float64
	Bars          []bar
	Axis          []tick
	BaseY         float64
}

type tick struct {
	X     float64
	Label string
}

// distributionChart is a histogram of league scores in 10-point bins.
func distributionChart(rows []scoring.LeagueRow) chart {
	var bins [10]int
	max := 0
	for _, r := range rows {
		if r.Percent == nil {
			continue
		}
		i := int(*r.Percent / 10)
		if i > 9 {
			i = 9
		}
		bins[i]++
		if bins[i] > max {
			max = bins[i]
		}
	}
	c := chart{Title: "Distribution of league scores", Width: 640, Height: 220, BaseY: 180,
		Desc: "Number of rated organisations in each 10-point band of overall score."}
	if max == 0 {
		return c
	}
	bw := 56.0
	for i, n := range bins {
		h := 150 * float64(n) / float64(max)
		x := 40 + float64(i)*60
		c.Bars = append(c.Bars, bar{Label: fmt.Sprintf("%d–%d %%", i*10, i*10+10), Value: strconv.Itoa(n),
			X: x, Y: 180 - h, W: bw, H: h, LabelX: x + bw/2, Class: "bar-peer",
			Description: fmt.Sprintf("%d organisations scored %d to %d %%", n, i*10, i*10+10)})
		c.Axis = append(c.Axis, tick{X: x + bw/2, Label: fmt.Sprintf("%d", i*10)})
	}
	return c
}

// percentileChart shows each row's peer percentile as a horizontal bar.
func percentileChart(rows []scoring.LeagueRow) chart {
	c := chart{Title: "Peer percentile", Width: 640, Desc: "Each rated organisation's percentile rank within its peer group (organisation type and region)."}
	y := 10.0
	for _, r := range rows {
		if r.PeerPercentile == nil {
			continue
		}
		w := 4 * *r.PeerPercentile
		c.Bars = append(c.Bars, bar{Label: r.Name, Value: fmt.Sprintf("%.0f", *r.PeerPercentile), X: 220, Y: y, W: w, H: 18,
			LabelX: 214, Class: "bar-peer", Description: fmt.Sprintf("%s: peer percentile %.0f in %s", r.Name, *r.PeerPercentile, r.PeerGroup)})
		y += 24
	}
	c.Height = y + 20
	c.BaseY = y
	for p := 0; p <= 100; p += 25 {
		c.Axis = append(c.Axis, tick{X: 220 + 4*float64(p), Label: strconv.Itoa(p)})
	}
	return c
}

func (s *Server) leaguePage(w http.ResponseWriter, r *http.Request) {
	if !s.needCentral(w, r) {
		return
	}
	q := r.URL.Query()
	filter := league.Filter{Cycle: q.Get("cycle"), OrgType: checklist.OrgType(q.Get("type")), Region: q.Get("region")}
	cycles, err := s.cfg.League.Cycles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Cycles": cycles, "Types": checklist.OrgTypes(), "F": filter}
	if len(cycles) == 0 {
		s.render(w, r, "league", "League table", data)
		return
	}
	b, err := s.cfg.League.Benchmark(r.Context(), filter)
	if err != nil {
		s.badRequest(w, r, err)
		return
	}
	// Regions are those of the whole cycle, so a filter can be changed back.
	all, err := s.cfg.League.Benchmark(r.Context(), league.Filter{Cycle: b.Cycle})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var regions []string
	for _, row := range all.Table.Rows {
		if row.Region != "" && !contains(regions, row.Region) {
			regions = append(regions, row.Region)
		}
	}
	data["B"] = b
	data["Regions"] = regions
	data["Dist"] = distributionChart(b.Table.Rows)
	data["Peer"] = percentileChart(b.Table.Rows)
	s.render(w, r, "league", "League table "+b.Cycle, data)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	if !s.needCentral(w, r) {
		return
	}
	h, err := s.cfg.League.Show(r.Context(), r.PathValue("ods"))
	if err != nil {
		s.refuse(w, r, http.StatusNotFound, err.Error())
		return
	}
	c := chart{Title: "Score by cycle", Width: 640, Height: 220, BaseY: 180, Desc: "Overall score in each cycle the organisation submitted to."}
	for i, p := range h.Positions {
		x := 40 + float64(i)*80
		if p.Row.Percent == nil {
			c.Axis = append(c.Axis, tick{X: x + 30, Label: p.Cycle})
			continue
		}
		hgt := 1.5 * *p.Row.Percent
		c.Bars = append(c.Bars, bar{Label: p.Cycle, Value: fmt.Sprintf("%.1f", *p.Row.Percent), X: x, Y: 180 - hgt, W: 60, H: hgt,
			LabelX: x + 30, Class: "bar-" + string(p.Row.Rating), Description: fmt.Sprintf("%s: %.1f %% (%s)", p.Cycle, *p.Row.Percent, p.Row.Rating.Label())})
		c.Axis = append(c.Axis, tick{X: x + 30, Label: p.Cycle})
	}
	s.render(w, r, "history", h.Name+" history", map[string]any{"H": h, "Chart": c})
}

func (s *Server) fleetSummary(r *http.Request) (*reports.Fleet, error) {
	sum, err := s.cfg.Fleet.Summary(r.Context(), 50)
	if err != nil {
		return nil, err
	}
	return assess.FleetReport(reports.FleetMeta{GeneratedAt: s.cfg.Now().UTC(), Generator: "jigsaw " + s.cfg.ToolVersion}, sum)
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request) {
	if !s.needCentral(w, r) {
		return
	}
	f, err := s.fleetSummary(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "fleet", "Fleet", map[string]any{"F": f})
}

// fleetDownload serves the fleet view as JSON (the fleet report's JSON) or CSV (one row per
// endpoint, the columns the page shows).
func (s *Server) fleetDownload(w http.ResponseWriter, r *http.Request) {
	if !s.needCentral(w, r) {
		return
	}
	f, err := s.fleetSummary(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	switch r.PathValue("format") {
	case "json":
		if err := reports.RenderFleetJSON(&buf, f); err != nil {
			s.fail(w, r, err)
			return
		}
		sendFile(w, "application/json", "fleet.json", buf.Bytes())
	case "csv":
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"ods", "name", "org_type", "region", "base_url", "kind", "up", "http_status", "latency_ms",
			"availability", "fhir_version", "tls_version", "level", "level_name", "failed_rules", "problem"})
		for _, e := range f.All {
			_ = cw.Write(csvSafe([]string{e.ODS, e.Name, string(e.OrgType), e.Region, e.BaseURL, e.Kind, strconv.FormatBool(e.Up),
				strconv.Itoa(e.HTTPStatus), strconv.FormatFloat(e.LatencyMS, 'f', 1, 64), strconv.FormatFloat(e.Availability, 'f', 4, 64),
				e.FHIRVersion, e.TLSVersion, strconv.Itoa(e.Level), e.LevelName, strings.Join(e.FailedRules, " "), e.Problem}))
		}
		cw.Flush()
		sendFile(w, "text/csv; charset=utf-8", "fleet.csv", buf.Bytes())
	default:
		s.refuse(w, r, http.StatusNotFound, "The fleet downloads as csv or json.")
	}
}

// csvSafe stops a spreadsheet from reading a cell taken from an endpoint's answers as a formula.
func csvSafe(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			if _, err := strconv.ParseFloat(c, 64); err != nil {
				cells[i] = "'" + c
			}
		}
	}
	return cells
}
