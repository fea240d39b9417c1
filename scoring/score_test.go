package scoring

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

var (
	asOf = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	day  = 24 * time.Hour
	ptrF = func(f float64) *float64 { return &f }
	ptrI = func(i int) *int { return &i }
	pass = func(id string, sev verdict.Severity) ProbeOutcome {
		return ProbeOutcome{ProbeID: id, Status: verdict.Pass, Severity: sev}
	}
	fail = func(id string, sev verdict.Severity) ProbeOutcome {
		return ProbeOutcome{ProbeID: id, Status: verdict.Fail, Severity: sev}
	}
	outcome = func(id string, status verdict.Status, sev verdict.Severity) ProbeOutcome {
		return ProbeOutcome{ProbeID: id, Status: status, Severity: sev}
	}
	answered = func(id string, level int, prov Provenance) Claim {
		return Claim{ItemID: id, Status: Answered, Level: level, Provenance: prov}
	}
)

// item makes a checklist item with the fields scoring reads.
func item(id string, weight int, probes ...string) checklist.Item {
	return checklist.Item{ID: id, Title: "Title of " + id, Weight: weight, Probes: probes}
}

func list(domains ...checklist.Domain) *checklist.Checklist {
	return &checklist.Checklist{ID: "test", Version: "2026.1", Title: "Test", Domains: domains}
}

func domain(id string, items ...checklist.Item) checklist.Domain {
	return checklist.Domain{ID: id, Title: "Domain " + id, Items: items}
}

// oneItem scores a single item in a single domain and returns its result.
func oneItem(t *testing.T, it checklist.Item, claims []Claim, probes []ProbeOutcome) ItemResult {
	t.Helper()
	res, err := Score(Input{Checklist: list(domain("d", it)), OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: claims, Probes: probes})
	if err != nil {
		t.Fatalf("Score: %v", err)
	}
	return res.Items[0]
}

func TestItemLevels(t *testing.T) {
	linked := item("API-01", 1, "p.a", "p.b")
	plain := item("GOV-01", 1)
	tests := []struct {
		name   string
		item   checklist.Item
		claims []Claim
		probes []ProbeOutcome
		want   ItemResult // only the level fields below are compared
	}{
		{"claim without probes stands, self-assessed by default", plain,
			[]Claim{{ItemID: "GOV-01", Status: Answered, Level: 3}}, nil,
			ItemResult{Status: Answered, Claimed: 3, Final: 3, ClaimProvenance: SelfAssessed, Provenance: SelfAssessed}},
		{"inspector-verified claim without probes", plain,
			[]Claim{answered("GOV-01", 4, InspectorVerified)}, nil,
			ItemResult{Status: Answered, Claimed: 4, Final: 4, ClaimProvenance: InspectorVerified, Provenance: InspectorVerified}},
		{"all pass verifies 3 and caps a self-assessed 4", linked,
			[]Claim{answered("API-01", 4, SelfAssessed)}, []ProbeOutcome{pass("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 3, Final: 3, Gap: ptrI(1), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"all pass verifies 4 for an inspector-verified 4", linked,
			[]Claim{answered("API-01", 4, InspectorVerified)}, []ProbeOutcome{pass("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 4, Final: 4, Gap: ptrI(0), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"inspector-verified 3 with all pass verifies 3", linked,
			[]Claim{answered("API-01", 3, InspectorVerified)}, []ProbeOutcome{pass("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 3, Final: 3, Gap: ptrI(0), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"critical fail verifies 1", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{fail("p.a", "critical"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 1, Final: 1, Gap: ptrI(2), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"high fail verifies 1", linked,
			[]Claim{answered("API-01", 4, InspectorVerified)}, []ProbeOutcome{pass("p.a", "high"), fail("p.b", "high")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 1, Final: 1, Gap: ptrI(3), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"medium fail caps at 2", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{fail("p.a", "medium"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 2, Final: 2, Gap: ptrI(1), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"low fail caps at 2", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{pass("p.a", "high"), fail("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 2, Final: 2, Gap: ptrI(1), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"info fail caps at 3", linked,
			[]Claim{answered("API-01", 4, InspectorVerified)}, []ProbeOutcome{pass("p.a", "high"), fail("p.b", "info")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 3, Final: 3, Gap: ptrI(1), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"warn of any severity caps at 3", linked,
			[]Claim{answered("API-01", 4, InspectorVerified)}, []ProbeOutcome{outcome("p.a", "warn", "critical"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 3, Final: 3, Gap: ptrI(1), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"worst outcome wins over several", linked,
			[]Claim{answered("API-01", 4, InspectorVerified)}, []ProbeOutcome{outcome("p.a", "warn", "high"), fail("p.b", "medium")},
			ItemResult{Status: Answered, Claimed: 4, Verified: 2, Final: 2, Gap: ptrI(2), ClaimProvenance: InspectorVerified, Provenance: ProbeVerified}},
		{"repeated probe id: every outcome counts", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{pass("p.a", "high"), fail("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 1, Final: 1, Gap: ptrI(2), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"under-claim: probes never raise a claim", linked,
			[]Claim{answered("API-01", 2, SelfAssessed)}, []ProbeOutcome{pass("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Claimed: 2, Verified: 3, Final: 2, Gap: ptrI(-1), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"skip and error never count: claim stands, unverified", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{outcome("p.a", "skip", "high"), outcome("p.b", "error", "critical")},
			ItemResult{Status: Answered, Claimed: 3, Final: 3, ClaimProvenance: SelfAssessed, Provenance: SelfAssessed, Unverified: true}},
		{"probes not run: claim stands, unverified", linked,
			[]Claim{answered("API-01", 2, InspectorVerified)}, nil,
			ItemResult{Status: Answered, Claimed: 2, Final: 2, ClaimProvenance: InspectorVerified, Provenance: InspectorVerified, Unverified: true}},
		{"an error beside a pass is ignored", linked,
			[]Claim{answered("API-01", 3, SelfAssessed)}, []ProbeOutcome{pass("p.a", "high"), outcome("p.b", "error", "low")},
			ItemResult{Status: Answered, Claimed: 3, Verified: 3, Final: 3, Gap: ptrI(0), ClaimProvenance: SelfAssessed, Provenance: ProbeVerified}},
		{"no claim: all pass scores 3 from probes", linked,
			nil, []ProbeOutcome{pass("p.a", "high"), pass("p.b", "low")},
			ItemResult{Status: Answered, Verified: 3, Final: 3, Provenance: ProbeVerified}},
		{"no claim: medium fail scores 2 from probes", linked,
			nil, []ProbeOutcome{pass("p.a", "high"), fail("p.b", "medium")},
			ItemResult{Status: Answered, Verified: 2, Final: 2, Provenance: ProbeVerified}},
		{"no claim: probes all errored is an error", linked,
			nil, []ProbeOutcome{outcome("p.a", "error", "high"), outcome("p.b", "error", "low")},
			ItemResult{Status: Errored, Unverified: true}},
		{"no claim: skipped probes leave it not reviewed", linked,
			nil, []ProbeOutcome{outcome("p.a", "skip", "high"), outcome("p.b", "error", "low")},
			ItemResult{Status: NotReviewed, Unverified: true}},
		{"no claim and no probes: not reviewed", plain, nil, nil,
			ItemResult{Status: NotReviewed}},
		{"not applicable is never scored, even with a failing probe", linked,
			[]Claim{{ItemID: "API-01", Status: NotApplicable}}, []ProbeOutcome{fail("p.a", "high")},
			ItemResult{Status: NotApplicable}},
		{"waiver in force", plain,
			[]Claim{{ItemID: "GOV-01", Status: Waived, Waiver: &Waiver{Reason: "EPR migration", Expires: asOf.Add(day)}}}, nil,
			ItemResult{Status: Waived}},
		{"waiver expiring today counts as not reviewed", plain,
			[]Claim{{ItemID: "GOV-01", Status: Waived, Waiver: &Waiver{Reason: "EPR migration", Expires: asOf}}}, nil,
			ItemResult{Status: NotReviewed}},
		{"expired waiver on a linked item: probes score it", linked,
			[]Claim{{ItemID: "API-01", Status: Waived, Waiver: &Waiver{Reason: "old", Expires: asOf.Add(-day)}}}, []ProbeOutcome{pass("p.a", "high")},
			ItemResult{Status: Answered, Verified: 3, Final: 3, Provenance: ProbeVerified}},
		{"explicit not-reviewed: probes score it", linked,
			[]Claim{{ItemID: "API-01", Status: NotReviewed}}, []ProbeOutcome{fail("p.a", "low")},
			ItemResult{Status: Answered, Verified: 2, Final: 2, Provenance: ProbeVerified}},
		{"error claim without probes stays an error", plain,
			[]Claim{{ItemID: "GOV-01", Status: Errored}}, nil,
			ItemResult{Status: Errored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oneItem(t, tt.item, tt.claims, tt.probes)
			levels := ItemResult{
				Status: got.Status, Claimed: got.Claimed, Verified: got.Verified, Final: got.Final, Gap: got.Gap,
				ClaimProvenance: got.ClaimProvenance, Provenance: got.Provenance, Unverified: got.Unverified,
			}
			if !reflect.DeepEqual(levels, tt.want) {
				t.Errorf("got  %+v (gap %v)\nwant %+v (gap %v)\nreasons: %q", levels, deref(levels.Gap), tt.want, deref(tt.want.Gap), got.Reasons)
			}
			if got.Status == Answered {
				if got.Percent == nil || *got.Percent != LevelPercent(got.Final) {
					t.Errorf("answered item percent = %v, want %v", got.Percent, LevelPercent(got.Final))
				}
			} else if got.Percent != nil {
				t.Errorf("unscored item has percent %v", *got.Percent)
			}
			if len(got.Reasons) == 0 {
				t.Errorf("no reasons given")
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestItemReasonsAndChecks(t *testing.T) {
	got := oneItem(t, item("API-01", 1, "p.a", "p.b", "p.c"),
		[]Claim{answered("API-01", 4, SelfAssessed)},
		[]ProbeOutcome{pass("p.a", "high"), outcome("p.b", "skip", "low")})
	wantChecks := []ProbeCheck{
		{ProbeID: "p.a", Status: "pass", Severity: "high", Counted: true},
		{ProbeID: "p.b", Status: "skip", Severity: "low"},
		{ProbeID: "p.c", Status: "not-run"},
	}
	if !reflect.DeepEqual(got.Probes, wantChecks) {
		t.Errorf("checks = %+v, want %+v", got.Probes, wantChecks)
	}
	joined := strings.Join(got.Reasons, "\n")
	for _, want := range []string{"claimed 4 (self-assessed), probes verify 3", "level 4 needs an inspector-verified claim", "probe p.b: skip, not counted", "probe p.c was not run"} {
		if !strings.Contains(joined, want) {
			t.Errorf("reasons %q lack %q", got.Reasons, want)
		}
	}

	w := oneItem(t, item("GOV-01", 1), []Claim{{ItemID: "GOV-01", Status: Waived, Waiver: &Waiver{Reason: "EPR go-live", Expires: asOf.Add(30 * day)}}}, nil)
	if w.Waiver == nil || w.Waiver.Reason != "EPR go-live" || !strings.Contains(w.Reasons[0], "waived until 2026-04-09: EPR go-live") {
		t.Errorf("waived item = %+v", w)
	}
}

func TestBandFor(t *testing.T) {
	tests := []struct {
		percent float64
		want    Rating
	}{
		{0, Inadequate}, {24.9, Inadequate}, {25, Inadequate}, {38, Inadequate}, {38.49, Inadequate},
		{38.5, RequiresImprovement}, {39, RequiresImprovement}, {62, RequiresImprovement}, {62.49, RequiresImprovement},
		{62.5, Good}, {63, Good}, {87, Good}, {87.49, Good},
		{87.5, Outstanding}, {88, Outstanding}, {100, Outstanding},
	}
	for _, tt := range tests {
		if got := BandFor(tt.percent); got != tt.want {
			t.Errorf("BandFor(%v) = %s, want %s", tt.percent, got, tt.want)
		}
	}
}

func TestLevelPercent(t *testing.T) {
	for level, want := range map[int]float64{1: 25, 2: 50, 3: 75, 4: 100} {
		if got := LevelPercent(level); got != want {
			t.Errorf("LevelPercent(%d) = %v, want %v", level, got, want)
		}
	}
}

func TestDomainAndOverallPercent(t *testing.T) {
	cl := list(
		domain("a", item("A-01", 1), item("A-02", 3), item("A-03", 5)),
		domain("b", item("B-01", 2)),
		domain("c", item("C-01", 1)),
	)
	res, err := Score(Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{
		answered("A-01", 4, SelfAssessed), // 100 × 1
		answered("A-02", 2, SelfAssessed), // 50 × 3
		{ItemID: "A-03", Status: NotApplicable},
		answered("B-01", 3, SelfAssessed),
		{ItemID: "C-01", Status: NotApplicable},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// a: (100 + 150) / 4 = 62.5; b: 75; c: not scored. Overall: mean of a and b = 68.75.
	wantDomains := []*float64{ptrF(62.5), ptrF(75), nil}
	for i, d := range res.Domains {
		if !reflect.DeepEqual(d.Percent, wantDomains[i]) {
			t.Errorf("domain %s percent = %v, want %v", d.ID, fmtPtr(d.Percent), fmtPtr(wantDomains[i]))
		}
	}
	if res.Domains[2].Level != 0 || res.Domains[2].LevelReason != "no item answered" {
		t.Errorf("all-N/A domain = %+v", res.Domains[2])
	}
	if res.Percent == nil || *res.Percent != 68.75 {
		t.Fatalf("overall = %v, want 68.75", fmtPtr(res.Percent))
	}
	if res.Rating != Good || res.BandRating != Good {
		t.Errorf("rating = %s/%s, want good", res.BandRating, res.Rating)
	}
	if res.Checklist != "test@2026.1" {
		t.Errorf("checklist ref = %q", res.Checklist)
	}
}

func fmtPtr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestDomainLevels(t *testing.T) {
	mand := func(id string) checklist.Item {
		it := item(id, 1)
		it.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust}
		return it
	}
	waiver := &Waiver{Reason: "r", Expires: asOf.Add(day)}
	tests := []struct {
		name      string
		items     []checklist.Item
		claims    []Claim
		level     int
		reasonHas string
	}{
		{"a level 1 item holds the domain at 1",
			[]checklist.Item{item("X-01", 1), item("X-02", 1)},
			[]Claim{answered("X-01", 4, SelfAssessed), answered("X-02", 1, SelfAssessed)}, 1, "X-02 is at level 1"},
		{"mandatory item at 2 holds it at 2",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{answered("X-01", 2, SelfAssessed), answered("X-02", 4, SelfAssessed)}, 2, "mandatory item achieved: X-01 is at level 2"},
		{"mandatory item not reviewed holds it at 2",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{answered("X-02", 4, SelfAssessed)}, 2, "X-01 is not-reviewed"},
		{"mandatory item waived holds it at 2",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{{ItemID: "X-01", Status: Waived, Waiver: waiver}, answered("X-02", 4, SelfAssessed)}, 2, "X-01 is waived"},
		{"mandatory item not applicable does not block",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{{ItemID: "X-01", Status: NotApplicable}, answered("X-02", 3, SelfAssessed)}, 4, "level 5 needs every item at level 4: X-02"},
		{"optional item at 2 holds it at 3",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{answered("X-01", 3, SelfAssessed), answered("X-02", 2, SelfAssessed)}, 3, "level 4 needs every item achieved: X-02 is at level 2"},
		{"an item not reviewed holds it at 3",
			[]checklist.Item{item("X-01", 1), item("X-02", 1)},
			[]Claim{answered("X-01", 4, SelfAssessed)}, 3, "level 4 needs every applicable item assessed: X-02 is not-reviewed"},
		{"an item in error holds it at 3",
			[]checklist.Item{item("X-01", 1), item("X-02", 1)},
			[]Claim{answered("X-01", 4, SelfAssessed), {ItemID: "X-02", Status: Errored}}, 3, "X-02 is error"},
		{"all achieved reaches 4",
			[]checklist.Item{mand("X-01"), item("X-02", 1)},
			[]Claim{answered("X-01", 3, SelfAssessed), answered("X-02", 4, SelfAssessed)}, 4, "X-01 is at level 3"},
		{"a waived item holds an all-4 domain at 4",
			[]checklist.Item{item("X-01", 1), item("X-02", 1)},
			[]Claim{answered("X-01", 4, SelfAssessed), {ItemID: "X-02", Status: Waived, Waiver: waiver}}, 4, "X-02 is waived"},
		{"all at 4 reaches 5",
			[]checklist.Item{mand("X-01"), item("X-02", 1), item("X-03", 1)},
			[]Claim{answered("X-01", 4, InspectorVerified), answered("X-02", 4, SelfAssessed), {ItemID: "X-03", Status: NotApplicable}}, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Score(Input{Checklist: list(domain("x", tt.items...)), OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: tt.claims})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Domains[0]
			if d.Level != tt.level {
				t.Errorf("level = %d, want %d (%s)", d.Level, tt.level, d.LevelReason)
			}
			if tt.reasonHas == "" && d.LevelReason != "" || !strings.Contains(d.LevelReason, tt.reasonHas) {
				t.Errorf("reason = %q, want it to contain %q", d.LevelReason, tt.reasonHas)
			}
		})
	}
}

func TestRatingLimiters(t *testing.T) {
	mandatory := item("ID-01", 1)
	mandatory.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust, checklist.GPPractice}
	critical := item("SEC-01", 1, "security.auth.required")
	critical.Critical = true
	cl := list(
		domain("a", mandatory, item("A-02", 1), item("A-03", 1), item("A-04", 1)),
		domain("s", critical, item("S-02", 1, "transport.hsts")),
	)
	allFour := func(except ...Claim) []Claim {
		claims := map[string]Claim{}
		for _, id := range []string{"ID-01", "A-02", "A-03", "A-04", "SEC-01", "S-02"} {
			claims[id] = answered(id, 4, InspectorVerified)
		}
		for _, c := range except {
			claims[c.ItemID] = c
		}
		var out []Claim
		for _, id := range []string{"ID-01", "A-02", "A-03", "A-04", "SEC-01", "S-02"} {
			out = append(out, claims[id])
		}
		return out
	}
	passing := []ProbeOutcome{pass("security.auth.required", "critical"), pass("transport.hsts", "low")}
	tests := []struct {
		name     string
		orgType  checklist.OrgType
		claims   []Claim
		probes   []ProbeOutcome
		band     Rating
		rating   Rating
		limiter  string
		flagged  bool
		section  string
		noticeOn string
	}{
		{"all 4 is outstanding", checklist.AcuteTrust, allFour(), passing, Outstanding, Outstanding, "", false, "", ""},
		{"mandatory at 1 caps outstanding at requires improvement", checklist.AcuteTrust,
			allFour(answered("ID-01", 1, InspectorVerified)), passing,
			Outstanding, RequiresImprovement, "mandatory item ID-01 at level 1", false, "", ""},
		{"the same item is optional for an ICB", checklist.ICB,
			allFour(answered("ID-01", 1, InspectorVerified)), passing,
			Outstanding, Outstanding, "", false, "", ""},
		{"an optional item at 1 does not cap", checklist.AcuteTrust,
			allFour(answered("A-02", 1, InspectorVerified)), passing,
			Outstanding, Outstanding, "", false, "", ""},
		{"a good band is capped too", checklist.AcuteTrust,
			allFour(answered("ID-01", 1, InspectorVerified), answered("A-02", 1, SelfAssessed)), passing,
			Good, RequiresImprovement, "mandatory item ID-01 at level 1", false, "", ""},
		{"critical probe failure is inadequate with a 29A notice for a trust", checklist.AcuteTrust,
			allFour(), []ProbeOutcome{fail("security.auth.required", "critical"), pass("transport.hsts", "low")},
			Good, Inadequate, "critical failure", true, "29A", "critical probe security.auth.required failed"},
		{"section 29 for a GP practice", checklist.GPPractice,
			allFour(), []ProbeOutcome{fail("security.auth.required", "critical")},
			Good, Inadequate, "critical failure", true, "29", "critical item SEC-01 is at level 1"},
		{"no section for an ICB", checklist.ICB,
			allFour(), []ProbeOutcome{fail("security.auth.required", "critical")},
			Good, Inadequate, "critical failure", true, "", "critical probe security.auth.required failed"},
		{"critical item self-assessed at 1", checklist.AcuteTrust,
			allFour(answered("SEC-01", 1, SelfAssessed)), nil,
			Good, Inadequate, "critical failure", true, "29A", "critical item SEC-01 is at level 1"},
		{"critical probe failure on an unlinked probe still counts", checklist.AcuteTrust,
			allFour(), append(passing, fail("fhir.new.probe", "critical")),
			Outstanding, Inadequate, "critical failure", true, "29A", "critical probe fhir.new.probe failed"},
		{"waiving the item does not hide a critical probe failure", checklist.AcuteTrust,
			allFour(Claim{ItemID: "SEC-01", Status: Waived, Waiver: &Waiver{Reason: "r", Expires: asOf.Add(day)}}),
			[]ProbeOutcome{fail("security.auth.required", "critical")},
			Outstanding, Inadequate, "critical failure", true, "29A", "critical probe security.auth.required failed"},
		{"a critical probe that errored is no failure", checklist.AcuteTrust,
			allFour(), []ProbeOutcome{outcome("security.auth.required", "error", "critical")},
			Outstanding, Outstanding, "", false, "", ""},
		{"a high failure is not critical", checklist.AcuteTrust,
			allFour(), []ProbeOutcome{fail("transport.hsts", "high")},
			Good, Good, "", false, "", ""},
		{"already inadequate by band: flagged without a limiter", checklist.AcuteTrust,
			[]Claim{answered("ID-01", 1, SelfAssessed), answered("A-02", 1, SelfAssessed), answered("SEC-01", 1, SelfAssessed)}, nil,
			Inadequate, Inadequate, "", true, "29A", "critical item SEC-01"},
		{"nothing answered is not rated", checklist.AcuteTrust, nil, nil, NotRated, NotRated, "", false, "", ""},
		{"not rated but a critical probe failed", checklist.AcuteTrust,
			[]Claim{{ItemID: "SEC-01", Status: NotApplicable}}, []ProbeOutcome{fail("security.auth.required", "critical")},
			NotRated, Inadequate, "critical failure", true, "29A", "critical probe security.auth.required failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Score(Input{Checklist: cl, OrgType: tt.orgType, AsOf: asOf, Claims: tt.claims, Probes: tt.probes})
			if err != nil {
				t.Fatal(err)
			}
			if res.BandRating != tt.band || res.Rating != tt.rating {
				t.Errorf("band/rating = %s/%s, want %s/%s (percent %v, limiters %q)", res.BandRating, res.Rating, tt.band, tt.rating, fmtPtr(res.Percent), res.Limiters)
			}
			lim := strings.Join(res.Limiters, "; ")
			if (tt.limiter == "") != (lim == "") || !strings.Contains(lim, tt.limiter) {
				t.Errorf("limiters = %q, want %q", res.Limiters, tt.limiter)
			}
			wn := res.WarningNotice
			if wn.Flagged != tt.flagged || wn.Section != tt.section || !strings.Contains(strings.Join(wn.Reasons, "; "), tt.noticeOn) {
				t.Errorf("warning notice = %+v, want flagged=%v section=%q reason ~%q", wn, tt.flagged, tt.section, tt.noticeOn)
			}
			if !wn.Flagged && len(wn.Reasons) > 0 {
				t.Errorf("reasons without a flag: %q", wn.Reasons)
			}
		})
	}
}

func TestMandatoryLimiterNamesEveryItem(t *testing.T) {
	a, b := item("A-01", 1), item("A-02", 1)
	a.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust}
	b.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust}
	var items []checklist.Item
	claims := []Claim{answered("A-01", 1, SelfAssessed), answered("A-02", 1, SelfAssessed)}
	items = append(items, a, b)
	for _, id := range []string{"A-03", "A-04", "A-05", "A-06", "A-07", "A-08", "A-09", "A-10", "A-11", "A-12"} {
		items = append(items, item(id, 1))
		claims = append(claims, answered(id, 4, SelfAssessed))
	}
	// (2 × 25 + 10 × 100) / 12 = 87.5 → Outstanding by band.
	res, err := Score(Input{Checklist: list(domain("a", items...)), OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mandatory items A-01, A-02 at level 1: rating capped at Requires improvement"}
	if res.BandRating != Outstanding || res.Rating != RequiresImprovement || !reflect.DeepEqual(res.Limiters, want) {
		t.Errorf("band %s rating %s limiters %q; want outstanding, requires-improvement, %q", res.BandRating, res.Rating, res.Limiters, want)
	}
}

func TestCompleteness(t *testing.T) {
	mand := item("M-01", 1)
	mand.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust}
	cl := list(domain("a", item("A-01", 1), item("A-02", 1), mand), domain("b", item("B-01", 1), item("B-02", 1), item("B-03", 1)))
	tests := []struct {
		name   string
		claims []Claim
		want   Completeness
	}{
		{"every status counted", []Claim{
			answered("A-01", 3, SelfAssessed),
			{ItemID: "A-02", Status: NotApplicable},
			{ItemID: "B-01", Status: Waived, Waiver: &Waiver{Reason: "r", Expires: asOf.Add(day)}},
			{ItemID: "B-02", Status: Errored},
		}, Completeness{Items: 6, Applicable: 5, Scored: 1, NotApplicable: 1, NotReviewed: 2, Waived: 1, Errored: 1,
			Share: 0.2, Incomplete: true, Missing: []string{"M-01", "B-02", "B-03"}, MissingMandatory: []string{"M-01"}}},
		{"waived items lower the share but do not flag", []Claim{
			answered("A-01", 3, SelfAssessed), answered("A-02", 3, SelfAssessed), answered("M-01", 3, SelfAssessed),
			answered("B-01", 3, SelfAssessed), answered("B-02", 3, SelfAssessed),
			{ItemID: "B-03", Status: Waived, Waiver: &Waiver{Reason: "r", Expires: asOf.Add(day)}},
		}, Completeness{Items: 6, Applicable: 6, Scored: 5, Waived: 1, Share: 5.0 / 6}},
		{"all not applicable is incomplete with share 0", []Claim{
			{ItemID: "A-01", Status: NotApplicable}, {ItemID: "A-02", Status: NotApplicable}, {ItemID: "M-01", Status: NotApplicable},
			{ItemID: "B-01", Status: NotApplicable}, {ItemID: "B-02", Status: NotApplicable}, {ItemID: "B-03", Status: NotApplicable},
		}, Completeness{Items: 6, NotApplicable: 6, Incomplete: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Score(Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: tt.claims})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Completeness, tt.want) {
				t.Errorf("got  %+v\nwant %+v", res.Completeness, tt.want)
			}
		})
	}
}

func TestAllNotApplicable(t *testing.T) {
	cl := list(domain("a", item("A-01", 1, "p.a")))
	res, err := Score(Input{Checklist: cl, OrgType: checklist.CommunityTrust, AsOf: asOf,
		Claims: []Claim{{ItemID: "A-01", Status: NotApplicable}}, Probes: []ProbeOutcome{pass("p.a", "high")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Percent != nil || res.Rating != NotRated || res.Domains[0].Percent != nil || res.Domains[0].Level != 0 {
		t.Errorf("all N/A scored: percent %v rating %s domain %+v", fmtPtr(res.Percent), res.Rating, res.Domains[0])
	}
}

func TestScoreInputErrors(t *testing.T) {
	cl := list(domain("a", item("A-01", 1), item("A-02", 1)))
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"nil checklist", Input{OrgType: checklist.AcuteTrust}, "no checklist"},
		{"no org type", Input{Checklist: cl}, "organisation type is required"},
		{"unknown org type", Input{Checklist: cl, OrgType: "hospice"}, `unknown organisation type "hospice"`},
		{"unknown item", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("ZZ-99", 3, "")}},
			`claim 1 (item "ZZ-99"): no such item in checklist test@2026.1`},
		{"duplicate claim", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("A-01", 3, ""), answered("A-01", 2, "")}},
			`claim 2 (item "A-01"): item already has a claim`},
		{"empty status", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{{ItemID: "A-01", Level: 3}}},
			`status "" is not one of`},
		{"level out of range", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("A-01", 5, "")}},
			"answered claim needs a level 1-4, got 5"},
		{"level missing", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("A-01", 0, "")}},
			"got 0"},
		{"probe-verified claim", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("A-01", 3, ProbeVerified)}},
			"provenance probe-verified is set by scoring"},
		{"unknown provenance", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{answered("A-01", 3, "peer")}},
			`provenance "peer"`},
		{"waiver missing", Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{{ItemID: "A-01", Status: Waived}}},
			"waived claim needs a waiver"},
		{"waiver without reason", Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{{ItemID: "A-01", Status: Waived, Waiver: &Waiver{Reason: " ", Expires: asOf}}}},
			"waiver needs a reason"},
		{"waiver without expiry", Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{{ItemID: "A-01", Status: Waived, Waiver: &Waiver{Reason: "r"}}}},
			"waiver needs an expiry date"},
		{"waiver without assessment date", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Claims: []Claim{{ItemID: "A-01", Status: Waived, Waiver: &Waiver{Reason: "r", Expires: asOf}}}},
			"set AsOf"},
		{"probe without id", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Probes: []ProbeOutcome{pass("", "high")}},
			"probe outcome 1 (\"\"): probe id is empty"},
		{"bad probe status", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Probes: []ProbeOutcome{outcome("p", "passed", "high")}},
			`status "passed" is not one of pass, fail, warn, info, skip, not-applicable, error`},
		{"bad severity", Input{Checklist: cl, OrgType: checklist.AcuteTrust, Probes: []ProbeOutcome{pass("p", "")}},
			`severity "" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Score(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRatingLabels(t *testing.T) {
	want := []string{"Outstanding", "Good", "Requires improvement", "Inadequate", "Not rated"}
	for i, r := range Ratings() {
		if r.Label() != want[i] {
			t.Errorf("%s.Label() = %q, want %q", r, r.Label(), want[i])
		}
	}
}

func TestLayers(t *testing.T) {
	tagged := func(id string, weight int, l checklist.Layer) checklist.Item {
		it := item(id, weight)
		it.Layer = l
		return it
	}
	cl := list(domain("a",
		tagged("A-01", 1, checklist.Foundational), tagged("A-02", 3, checklist.Foundational),
		tagged("A-03", 1, checklist.Organisational), tagged("A-04", 1, checklist.Semantic), item("A-05", 1)))
	res, err := Score(Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf, Claims: []Claim{
		answered("A-01", 4, SelfAssessed), answered("A-02", 2, SelfAssessed), answered("A-03", 1, SelfAssessed),
		{ItemID: "A-04", Status: NotApplicable}, answered("A-05", 4, SelfAssessed),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []LayerResult{
		{Layer: checklist.Foundational, Percent: ptrF(62.5), Items: 2, Scored: 2},
		{Layer: checklist.Structural},
		{Layer: checklist.Semantic, Items: 1},
		{Layer: checklist.Organisational, Percent: ptrF(25), Items: 1, Scored: 1},
	}
	if !reflect.DeepEqual(res.Layers, want) {
		t.Errorf("layers = %+v, want %+v", res.Layers, want)
	}
}

// A domain's claimed percentage takes every claim as made; its percentage takes what the
// evidence verified. The difference is the over-claim an inspector asks about.
func TestDomainClaimedPercent(t *testing.T) {
	cl := list(domain("a", item("A-01", 1, "p.a"), item("A-02", 1), item("A-03", 2, "p.b")))
	res, err := Score(Input{Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: asOf,
		Claims: []Claim{
			answered("A-01", 4, SelfAssessed), // probe fails (high): verified 1
			answered("A-02", 3, SelfAssessed), // no probe: taken as claimed
		},
		Probes: []ProbeOutcome{fail("p.a", "high"), pass("p.b", "medium")}, // A-03 unclaimed: probe-verified 3
	})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Domains[0]
	// claimed: (100×1 + 75×1 + 75×2) / 4 = 81.25; verified: (25 + 75 + 150) / 4 = 62.5
	if d.ClaimedPercent == nil || *d.ClaimedPercent != 81.25 || d.Percent == nil || *d.Percent != 62.5 {
		t.Fatalf("claimed %v, verified %v; want 81.25 and 62.5", fmtPtr(d.ClaimedPercent), fmtPtr(d.Percent))
	}
}
