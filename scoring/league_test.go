package scoring

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

func entry(ods string, t checklist.OrgType, region string, percent float64, domains ...DomainPercent) LeagueEntry {
	return LeagueEntry{ODS: ods, Name: "Org " + ods, OrgType: t, Region: region, Percent: &percent, Rating: BandFor(percent), Domains: domains}
}

func rowsByODS(t LeagueTable) map[string]LeagueRow {
	m := map[string]LeagueRow{}
	for _, r := range t.Rows {
		m[r.ODS] = r
	}
	return m
}

func TestLeagueRanksTiesAndPercentiles(t *testing.T) {
	const acute, nw = checklist.AcuteTrust, "North West"
	table, err := League([]LeagueEntry{
		entry("RAA", acute, nw, 60),
		entry("RBB", acute, nw, 70.04), // rounds to 70.0: ties with RCC
		entry("RCC", acute, nw, 69.96),
		entry("RDD", acute, nw, 80),
		entry("REE", acute, nw, 50),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		rank       int
		percentile float64
		quartile   int
	}
	// Scores 50, 60, 70, 70, 80: Q1 60, median 70, Q3 70.
	wants := map[string]want{
		"RDD": {1, 90, 4},
		"RBB": {2, 60, 4},
		"RCC": {2, 60, 4},
		"RAA": {4, 30, 2},
		"REE": {5, 10, 1},
	}
	var order []string
	for _, r := range table.Rows {
		order = append(order, r.ODS)
		w := wants[r.ODS]
		if r.Rank != w.rank || r.Percentile == nil || *r.Percentile != w.percentile || r.Quartile != w.quartile {
			t.Errorf("%s: rank %d percentile %v quartile %d; want %+v", r.ODS, r.Rank, fmtPtr(r.Percentile), r.Quartile, w)
		}
		if r.PeerRank != w.rank || r.PeerPercentile == nil || *r.PeerPercentile != w.percentile || r.PeerSize != 5 || r.PeerGroup != "acute-trust / North West" {
			t.Errorf("%s: peer rank %d percentile %v size %d group %q", r.ODS, r.PeerRank, fmtPtr(r.PeerPercentile), r.PeerSize, r.PeerGroup)
		}
	}
	// Ties are ordered by name, then ODS.
	if got := strings.Join(order, ","); got != "RDD,RBB,RCC,RAA,REE" {
		t.Errorf("order = %s", got)
	}
	wantDist := Distribution{Count: 5, Min: 50, Q1: 60, Median: 70, Q3: 70, Max: 80, Mean: 66}
	if table.National != wantDist {
		t.Errorf("national = %+v, want %+v", table.National, wantDist)
	}
	if table.HasHistory {
		t.Error("HasHistory without previous entries")
	}
}

func TestLeagueQuantiles(t *testing.T) {
	tests := []struct {
		scores []float64
		want   Distribution
	}{
		{[]float64{10, 20, 30, 40, 50}, Distribution{Count: 5, Min: 10, Q1: 20, Median: 30, Q3: 40, Max: 50, Mean: 30}},
		{[]float64{60, 10, 30, 20, 50, 40}, Distribution{Count: 6, Min: 10, Q1: 22.5, Median: 35, Q3: 47.5, Max: 60, Mean: 35}},
		// Below the minimum group size: no median, quartiles or mean, and the reason.
		{[]float64{40, 10, 30, 20}, Distribution{Count: 4, Min: 10, Max: 40, Withheld: withheldNote(4)}},
		{[]float64{50}, Distribution{Count: 1, Min: 50, Max: 50, Withheld: withheldNote(1)}},
		{nil, Distribution{Withheld: withheldNote(0)}},
	}
	for _, tt := range tests {
		if got := distribution(tt.scores); got != tt.want {
			t.Errorf("distribution(%v) = %+v, want %+v", tt.scores, got, tt.want)
		}
	}
	if !strings.Contains(withheldNote(1), "1 rated organisation:") || !strings.Contains(withheldNote(4), "groups of 5 or more") {
		t.Errorf("notes: %q / %q", withheldNote(1), withheldNote(4))
	}
}

// An organisation alone in its group is ranked, but gets no percentile or "top quartile".
func TestLeagueSingleOrganisation(t *testing.T) {
	table, err := League([]LeagueEntry{entry("Y0001", checklist.GPPractice, "Wales", 30)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := table.Rows[0]
	if r.Rank != 1 || r.Percentile != nil || r.Quartile != 0 || r.PeerRank != 1 || r.PeerSize != 1 || r.PeerPercentile != nil || r.PeerQuartile != 0 {
		t.Errorf("single row = %+v", r)
	}
	if table.National.Median != 0 || table.National.Count != 1 || table.National.Withheld == "" || table.Peers[0].Distribution.Withheld == "" {
		t.Errorf("national = %+v, peers = %+v", table.National, table.Peers)
	}
}

func TestLeagueAllTied(t *testing.T) {
	var entries []LeagueEntry
	for _, ods := range []string{"A", "B", "C", "D", "E"} {
		entries = append(entries, entry(ods, checklist.ICB, "London", 75))
	}
	table, err := League(entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range table.Rows {
		if r.Rank != 1 || *r.Percentile != 50 || r.Quartile != 4 {
			t.Errorf("%s: rank %d percentile %v quartile %d; want 1, 50, 4", r.ODS, r.Rank, *r.Percentile, r.Quartile)
		}
	}
}

func TestLeaguePeerGroupsAndUnrated(t *testing.T) {
	prov := 91.0
	// Not rated, with a provisional figure above everyone's: listed apart, never ranked.
	unrated := LeagueEntry{ODS: "RZZ", Name: "Aardvark Trust", OrgType: checklist.AcuteTrust, Region: "London", Rating: NotRated, Percent: &prov,
		Assessment: "AS-000009", Completeness: 0.17, Status: "incomplete"}
	table, err := League([]LeagueEntry{
		entry("RAA", checklist.AcuteTrust, "London", 90),
		unrated,
		entry("RBB", checklist.AcuteTrust, "London", 50),
		entry("RCC", checklist.AcuteTrust, "Midlands", 70),
		entry("RDD", checklist.MentalHealthTrust, "London", 60),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsByODS(table)
	last := table.Rows[len(table.Rows)-1]
	if last.ODS != "RZZ" || last.Rank != 0 || last.Percent != nil || last.Percentile != nil || last.Quartile != 0 ||
		last.ProvisionalPercent == nil || *last.ProvisionalPercent != 91 || last.Assessment != "AS-000009" || last.Completeness != 0.17 || last.Status != "incomplete" {
		t.Errorf("unrated row should come last, unranked, with its provisional figure and assessment: %+v", last)
	}
	if r := rows["RZZ"]; r.PeerSize != 2 || r.PeerRank != 0 {
		t.Errorf("unrated peer fields: %+v", r)
	}
	if table.National.Count != 4 {
		t.Errorf("national count %d: the unrated organisation must not count", table.National.Count)
	}
	checks := []struct {
		ods                string
		rank, peerRank, sz int
	}{
		{"RAA", 1, 1, 2},
		{"RCC", 2, 1, 1},
		{"RDD", 3, 1, 1},
		{"RBB", 4, 2, 2},
	}
	for _, c := range checks {
		r := rows[c.ods]
		// Groups of fewer than five: ranks, never percentiles or quartiles.
		if r.Rank != c.rank || r.PeerRank != c.peerRank || r.PeerSize != c.sz || r.PeerPercentile != nil || r.PeerQuartile != 0 || r.Percentile != nil {
			t.Errorf("%s: rank %d peer %d/%d percentile %v; want %+v", c.ods, r.Rank, r.PeerRank, r.PeerSize, fmtPtr(r.PeerPercentile), c)
		}
	}
	var keys []string
	for _, p := range table.Peers {
		keys = append(keys, p.Key)
	}
	want := []string{"acute-trust / London", "acute-trust / Midlands", "mental-health-trust / London"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("peer keys = %q, want %q", keys, want)
	}
	if p := table.Peers[0]; p.Size != 2 || p.Distribution.Median != 0 || p.Distribution.Withheld == "" {
		t.Errorf("London acute peers = %+v", p)
	}
	wantRatings := []RatingCount{{Outstanding, 1}, {Good, 1}, {RequiresImprovement, 2}, {Inadequate, 0}, {NotRated, 1}}
	if !reflect.DeepEqual(table.Ratings, wantRatings) {
		t.Errorf("ratings = %+v, want %+v", table.Ratings, wantRatings)
	}
}

func TestLeagueRefusesMixedChecklists(t *testing.T) {
	a, b := entry("A", checklist.ICB, "X", 50), entry("B", checklist.ICB, "X", 60)
	a.Checklist, b.Checklist = "nhs-interop@2026.1", "nhs-interop@2027.1"
	if _, err := League([]LeagueEntry{a, b}, nil); err == nil || !strings.Contains(err.Error(), "nhs-interop@2026.1 (1), nhs-interop@2027.1 (1)") {
		t.Errorf("mixed checklists: err = %v", err)
	}
	b.Checklist = a.Checklist
	old := entry("A", checklist.ICB, "X", 40)
	old.Checklist = "nhs-interop@2025.1"
	if _, err := League([]LeagueEntry{a, b}, []LeagueEntry{old}); err == nil || !strings.Contains(err.Error(), "only compared within one checklist version") {
		t.Errorf("history across checklists: err = %v", err)
	}
}

func TestLeagueDomainMedians(t *testing.T) {
	id := func(p float64) DomainPercent {
		return DomainPercent{ID: "identity", Title: "Patient identity", Percent: p}
	}
	term := func(p float64) DomainPercent {
		return DomainPercent{ID: "terminology", Title: "Terminology", Percent: p}
	}
	table, err := League([]LeagueEntry{
		entry("A", checklist.AcuteTrust, "London", 70, id(50), term(100)),
		entry("B", checklist.AcuteTrust, "London", 60, id(75)),
		entry("C", checklist.AcuteTrust, "North", 80, id(100), term(66.666)),
		entry("D", checklist.AcuteTrust, "North", 65, id(25)),
		entry("E", checklist.AcuteTrust, "North", 75, id(80)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Domains) != 2 || table.Domains[0].ID != "identity" || table.Domains[1].ID != "terminology" {
		t.Fatalf("domains = %+v", table.Domains)
	}
	if d := table.Domains[0]; d.Count != 5 || d.Median != 75 || d.Title != "Patient identity" {
		t.Errorf("identity national = %+v", d)
	}
	if d := table.Domains[1]; d.Count != 2 || d.Median != 0 || d.Withheld == "" || d.Min != 66.7 {
		t.Errorf("terminology national (two scores: withheld) = %+v", d)
	}
	london := table.Peers[0]
	if london.Key != "acute-trust / London" || london.Domains[0].Withheld == "" || london.Domains[1].Count != 1 {
		t.Errorf("London peer domains = %+v", london.Domains)
	}
	if got := rowsByODS(table)["C"].Domains[1].Percent; got != 66.7 {
		t.Errorf("row domain percent = %v, want rounded 66.7", got)
	}
}

func TestLeagueHistory(t *testing.T) {
	d := func(p float64) DomainPercent { return DomainPercent{ID: "identity", Title: "Identity", Percent: p} }
	prevUnrated := LeagueEntry{ODS: "RCC", Name: "Org RCC", OrgType: checklist.AcuteTrust, Region: "X", Rating: NotRated}
	table, err := League(
		[]LeagueEntry{entry("RAA", checklist.AcuteTrust, "X", 80, d(90)), entry("RBB", checklist.AcuteTrust, "X", 60), entry("RCC", checklist.AcuteTrust, "X", 70), entry("RNEW", checklist.AcuteTrust, "X", 50)},
		[]LeagueEntry{entry("RAA", checklist.AcuteTrust, "X", 55.56, d(60)), entry("RBB", checklist.AcuteTrust, "X", 65), prevUnrated, entry("RGONE", checklist.AcuteTrust, "X", 99)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if !table.HasHistory {
		t.Error("HasHistory = false")
	}
	rows := rowsByODS(table)
	a := rows["RAA"].Change
	if a == nil || *a.PreviousPercent != 55.6 || *a.DeltaPercent != 24.4 || a.PreviousRank != 3 || a.RankChange != 2 || a.PreviousRating != RequiresImprovement {
		t.Errorf("RAA change = %+v", a)
	}
	if !reflect.DeepEqual(a.Domains, []DomainChange{{ID: "identity", Previous: 60, Delta: 30}}) {
		t.Errorf("RAA domain change = %+v", a.Domains)
	}
	b := rows["RBB"].Change
	if b == nil || *b.DeltaPercent != -5 || b.PreviousRank != 2 || b.RankChange != -1 {
		t.Errorf("RBB change = %+v", b)
	}
	c := rows["RCC"].Change
	if c == nil || c.PreviousPercent != nil || c.DeltaPercent != nil || c.PreviousRating != NotRated || c.PreviousRank != 0 || c.RankChange != 0 {
		t.Errorf("RCC change (previously unrated) = %+v", c)
	}
	if rows["RNEW"].Change != nil {
		t.Errorf("new organisation has a change: %+v", rows["RNEW"].Change)
	}
}

func TestLeagueEmpty(t *testing.T) {
	table, err := League(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 0 || table.National.Count != 0 || len(table.Peers) != 0 {
		t.Errorf("empty table = %+v", table)
	}
}

func TestLeagueErrors(t *testing.T) {
	bad := 101.0
	tests := []struct {
		name     string
		cur, old []LeagueEntry
		want     string
	}{
		{"empty ODS", []LeagueEntry{entry(" ", checklist.ICB, "X", 50)}, nil, "league entry 1 (ODS \" \"): ODS code is empty"},
		{"duplicate ODS", []LeagueEntry{entry("A", checklist.ICB, "X", 50), entry("A", checklist.ICB, "X", 60)}, nil, "already used by entry 1"},
		{"duplicate in history", nil, []LeagueEntry{entry("A", checklist.ICB, "X", 50), entry("A", checklist.ICB, "X", 60)}, "league previous entry 2"},
		{"percent out of range", []LeagueEntry{{ODS: "A", Percent: &bad, Rating: Good}}, nil, "percent 101 is outside 0-100"},
		{"bad rating", []LeagueEntry{{ODS: "A", Rating: "excellent"}}, nil, `rating "excellent"`},
		{"bad domain", []LeagueEntry{entry("A", checklist.ICB, "X", 50, DomainPercent{ID: "d", Percent: -1})}, nil, "domain d percent -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := League(tt.cur, tt.old)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEntryFromResult(t *testing.T) {
	cl := list(domain("a", item("A-01", 1)), domain("b", item("B-01", 1)))
	res, err := Score(Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{answered("A-01", 3, SelfAssessed), answered("B-01", 2, SelfAssessed)}})
	if err != nil {
		t.Fatal(err)
	}
	e := EntryFromResult("7A1", "Ysbyty Gwynedd, Bangor", "Wales", res)
	want := LeagueEntry{ODS: "7A1", Name: "Ysbyty Gwynedd, Bangor", OrgType: checklist.AcuteTrust, Region: "Wales",
		Percent: ptrF(62.5), Rating: Good, Domains: []DomainPercent{{ID: "a", Title: "Domain a", Percent: 75}, {ID: "b", Title: "Domain b", Percent: 50}},
		Completeness: 1, Status: CompleteWord, Checklist: "test@2026.1"}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
}
