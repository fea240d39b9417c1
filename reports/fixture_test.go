package reports

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

var (
	fixtureStart = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	fixtureEnd   = time.Date(2026, 3, 10, 13, 5, 0, 0, time.UTC)
	fixtureGen   = time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)
)

func levels(id string) checklist.Levels {
	return checklist.Levels{
		NotAchieved:       id + ": not achieved.",
		PartiallyAchieved: id + ": partially achieved — some controls are in place.",
		Achieved:          id + ": achieved — controls are in place and evidenced.",
		Exceeds:           id + ": exceeds — controls are measured and improved.",
	}
}

func fxItem(id, title string, weight int, critical bool, mandatory bool, probeIDs ...string) checklist.Item {
	layer := checklist.Organisational
	if len(probeIDs) > 0 {
		layer = checklist.Foundational
		if strings.HasPrefix(probeIDs[0], "fhir.") {
			layer = checklist.Structural
		}
	}
	it := checklist.Item{
		Layer: layer,
		ID:    id, Title: title, Question: "Is " + title + " in place?", Guidance: "Look for evidence.",
		Evidence: []string{"Policy document"}, Levels: levels(id), Weight: weight, Critical: critical,
		References: []checklist.Reference{{Framework: "CQC SAF", Clause: "Safe systems, pathways and transitions"}},
		Probes:     probeIDs,
	}
	if mandatory {
		it.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust}
	}
	return it
}

// fixtureChecklist is a small checklist touching every status and rule.
func fixtureChecklist() *checklist.Checklist {
	return &checklist.Checklist{
		ID: "nhs-interop", Version: "2026.1", Title: "NHS interoperability maturity",
		Domains: []checklist.Domain{
			{ID: "security", Title: "Identity and access", Items: []checklist.Item{
				fxItem("SEC-01", "Patient data requires authentication", 3, true, true, "security.auth.required", "security.auth.invalid-token"),
				fxItem("SEC-02", "Transport security (TLS 1.2+, HSTS)", 2, false, true, "transport.tls.version", "transport.hsts"),
			}},
			{ID: "fhir-api", Title: "FHIR/API conformance", Items: []checklist.Item{
				fxItem("API-01", "CapabilityStatement published and accurate", 2, false, false, "fhir.capability.present", "fhir.capability.version"),
				fxItem("API-02", "Errors carry OperationOutcome", 1, false, false, "fhir.errors.operation-outcome"),
				fxItem("API-03", "Search paging", 1, false, false, "fhir.search.paging"),
			}},
			{ID: "governance", Title: "Information governance and lawful sharing", Items: []checklist.Item{
				fxItem("IG-01", "Data sharing agreements in place", 2, false, true),
				fxItem("IG-02", "DPIAs published", 1, false, false),
				fxItem("IG-03", "Caldicott Guardian registered", 1, false, false),
				fxItem("IG-04", "Records retention schedule", 1, false, false),
			}},
			{ID: "national", Title: "National services (GP Connect, NRL, PDS)", Items: []checklist.Item{
				fxItem("NAT-01", "GP Connect Access Record", 1, false, false),
			}},
		},
	}
}

func fixtureClaims() []scoring.Claim {
	return []scoring.Claim{
		{ItemID: "SEC-01", Status: scoring.Answered, Level: 4, Provenance: scoring.SelfAssessed},
		{ItemID: "SEC-02", Status: scoring.Answered, Level: 4, Provenance: scoring.InspectorVerified},
		{ItemID: "API-01", Status: scoring.Answered, Level: 3, Provenance: scoring.SelfAssessed},
		// API-02 has no claim: scored from its probe alone.
		{ItemID: "API-03", Status: scoring.Answered, Level: 2, Provenance: scoring.SelfAssessed},
		{ItemID: "IG-01", Status: scoring.Answered, Level: 1, Provenance: scoring.InspectorVerified},
		{ItemID: "IG-02", Status: scoring.Waived, Waiver: &scoring.Waiver{Reason: "DPIA register moving to the new EPR", Expires: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}},
		// IG-03 not reviewed.
		{ItemID: "IG-04", Status: scoring.Answered, Level: 3, Provenance: scoring.InspectorVerified},
		{ItemID: "NAT-01", Status: scoring.NotApplicable},
	}
}

func result(id, title, pack string, st verdict.Status, sev verdict.Severity, exp, obs, spec string, _ time.Duration, exchanges ...string) ProbeResult {
	return ProbeResult{
		ProbeID: id, Title: title, Pack: pack, Status: st, Severity: sev, Expected: exp, Observed: obs, SpecRef: spec,
		DurationMS: 120, Exchanges: exchanges,
	}
}

// outcomes is what scoring reads of the fixture's probe rows.
func outcomes(rows []ProbeResult) []scoring.ProbeOutcome {
	out := make([]scoring.ProbeOutcome, 0, len(rows))
	for _, r := range rows {
		out = append(out, scoring.ProbeOutcome{ProbeID: r.ProbeID, Status: r.Status, Severity: r.Severity})
	}
	return out
}

func fixtureProbes() []ProbeResult {
	return []ProbeResult{
		result("security.auth.required", "Patient data requires authentication", "security", verdict.Fail, verdict.Critical,
			"401 or 403 and no patient data without credentials", "200 with a Bundle of 3 Patients", "SMART App Launch; RFC 6750 §3", time.Minute, "ex-0003", "ex-0004"),
		result("security.auth.invalid-token", "Forged token refused", "security", verdict.Pass, verdict.Critical,
			"401 for a forged bearer token", "401", "RFC 6750 §3.1", 2*time.Minute, "ex-0005"),
		result("transport.tls.version", "TLS 1.2 or newer", "transport", verdict.Pass, verdict.High,
			"TLS 1.2+ negotiated; TLS 1.0/1.1 refused", "TLS 1.3 negotiated; TLS 1.1 refused", "NCSC TLS guidance", 0, "ex-0001"),
		result("transport.hsts", "HSTS with a year's max-age", "transport", verdict.Warn, verdict.Low,
			"Strict-Transport-Security max-age >= 31536000", "max-age=86400", "RFC 6797 §6.1", 10*time.Second, "ex-0002"),
		result("fhir.capability.present", "CapabilityStatement at /metadata", "fhir", verdict.Pass, verdict.High,
			"200 CapabilityStatement", "200 CapabilityStatement (status active, kind instance)", "FHIR R4 http.html#capabilities", 3*time.Minute, "ex-0006"),
		result("fhir.capability.version", "fhirVersion matches", "fhir", verdict.Error, verdict.High,
			"fhirVersion 4.0.x", "could not parse CapabilityStatement: unexpected EOF", "FHIR R4 capabilitystatement.html", 4*time.Minute),
		result("fhir.errors.operation-outcome", "Errors carry OperationOutcome", "fhir", verdict.Fail, verdict.Medium,
			"OperationOutcome with issue.severity and issue.code", "text/html error page for GET /Foo", "FHIR R4 http.html#Status-Codes", 5*time.Minute, "ex-0007"),
		result("fhir.search.paging", "Search paging", "fhir", verdict.Skip, verdict.Low,
			"_count=1 honoured", "no test patient found", "FHIR R4 search.html#count", 6*time.Minute),
	}
}

func fixtureExchanges() []Evidence {
	ex := func(n int, probe, method, url string, status int, at time.Duration) Evidence {
		return Evidence{
			ExchangeID: fmt.Sprintf("ex-%04d", n), ProbeID: probe, Method: method, URL: url, StatusCode: status,
			SHA256: fmt.Sprintf("%064x", n*7919), Size: int64(100 * n),
			StartedAt: fixtureStart.Add(at), DurationMS: float64(n * 10), TLSVersion: "TLS 1.3",
		}
	}
	list := []Evidence{
		ex(7, "fhir.errors.operation-outcome", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/Foo", 404, 5*time.Minute),
		ex(1, "transport.tls.version", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/metadata", 200, 0),
		ex(2, "transport.hsts", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/metadata", 200, 10*time.Second),
		ex(3, "security.auth.required", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/Patient?_count=5", 200, time.Minute),
		ex(4, "security.auth.required", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/Patient/9990000018", 200, time.Minute+time.Second),
		ex(5, "security.auth.invalid-token", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/Patient?_count=5", 401, 2*time.Minute),
		ex(6, "fhir.capability.present", "GET", "https://fhir.ysbyty-gwynedd.example.wales/R4/metadata", 200, 3*time.Minute),
	}
	list = append(list, Evidence{
		ExchangeID: "ex-0008", ProbeID: "fhir.capability.version", Method: "GET", URL: "https://fhir.ysbyty-gwynedd.example.wales/R4/metadata",
		StartedAt: fixtureStart.Add(4 * time.Minute), Error: "read: connection reset by peer",
	})
	return list
}

func fixtureAttestations() []Attestation {
	return []Attestation{
		{ID: "att-0002", ItemID: "IG-04", Who: "Rhys Ap Gwilym", Role: "Head of Records", When: fixtureStart.Add(3 * time.Hour),
			What: "Records retention schedule seen, reviewed 2025; covers tŷ and dŵr services (ŵ ŷ Ŵ Ŷ)."},
		{ID: "att-0001", ItemID: "IG-01", Who: "Siân Morgan", Role: "Information Governance Lead", When: fixtureStart.Add(2 * time.Hour),
			What:  "No data sharing agreement with the ShCR programme could be produced.",
			Files: []AttachedFile{{Name: "DSA-register-2026.xlsx", Size: 48213, SHA256: "9f2c8e1a7b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"}}},
	}
}

// fixtureReport scores the fixture and builds its report.
func fixtureReport(t testing.TB) *Report {
	t.Helper()
	cl := fixtureChecklist()
	results := fixtureProbes()
	score, err := scoring.Score(scoring.Input{
		Checklist: cl, OrgType: checklist.AcuteTrust, AsOf: fixtureEnd,
		Claims: fixtureClaims(), Probes: outcomes(results),
	})
	if err != nil {
		t.Fatalf("score fixture: %v", err)
	}
	r, err := Build(Input{
		Organisation: Organisation{ODS: "7A1A4", Name: "Ysbyty Gwynedd, Bangor", Type: checklist.AcuteTrust, Region: "Cymru / Wales"},
		Assessment: AssessmentInfo{
			ID: "asm-2026-0042", Cycle: "2026-Q1", Assessor: "Dr Gwenllian Prŷs (digital inspector)",
			StartedAt: fixtureStart, CompletedAt: fixtureEnd,
			Targets: []Target{
				{URL: "https://fhir.ysbyty-gwynedd.example.wales/R4", FHIRVersion: "R4", Role: "FHIR server"},
				{URL: "https://gpconnect.ysbyty-gwynedd.example.wales/B82617/STU3/1/gpconnect/fhir", FHIRVersion: "STU3", Role: "GP Connect provider"},
			},
		},
		Checklist:       cl,
		ChecklistSHA256: "3b1f5a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
		Score:           score,
		Probes:          results,
		Evidence:        fixtureExchanges(),
		Attestations:    fixtureAttestations(),
		GeneratedAt:     fixtureGen,
		Generator:       "jigsaw test",
	})
	if err != nil {
		t.Fatalf("build fixture report: %v", err)
	}
	return r
}

// fixtureLeague is a small national table with ties, an unrated organisation, two regions and
// history.
func fixtureLeague(t testing.TB) *League {
	t.Helper()
	dom := func(id, title string, p float64) scoring.DomainPercent {
		return scoring.DomainPercent{ID: id, Title: title, Percent: p}
	}
	e := func(ods, name string, typ checklist.OrgType, region string, p float64, wn bool, ds ...scoring.DomainPercent) scoring.LeagueEntry {
		rating := scoring.BandFor(p)
		if wn {
			rating = scoring.Inadequate
		}
		return scoring.LeagueEntry{ODS: ods, Name: name, OrgType: typ, Region: region, Percent: &p, Rating: rating, WarningNotice: wn, Domains: ds}
	}
	const sec, ig = "security", "governance"
	const secT, igT = "Identity and access", "Information governance and lawful sharing"
	cur := []scoring.LeagueEntry{
		e("7A1A4", "Ysbyty Gwynedd, Bangor", checklist.AcuteTrust, "Cymru / Wales", 62.5, true, dom(sec, secT, 43.75), dom(ig, igT, 58.3)),
		e("7A3", "Bwrdd Iechyd Prifysgol Bae Abertawe", checklist.AcuteTrust, "Cymru / Wales", 81.25, false, dom(sec, secT, 87.5), dom(ig, igT, 75)),
		e("7A6", "Ysbyty Ystrad Fawr, Ystrad Mynach", checklist.AcuteTrust, "Cymru / Wales", 81.25, false, dom(sec, secT, 75), dom(ig, igT, 87.5)),
		e("RBT", "Mid Cheshire Hospitals NHS Foundation Trust", checklist.AcuteTrust, "North West", 92, false, dom(sec, secT, 100), dom(ig, igT, 84)),
		e("RW4", "Mersey Care NHS Foundation Trust", checklist.MentalHealthTrust, "North West", 55, false, dom(sec, secT, 50)),
		{ODS: "Y02345", Name: "Ty Newydd Surgery", OrgType: checklist.GPPractice, Region: "North West", Rating: scoring.NotRated},
	}
	prev := []scoring.LeagueEntry{
		e("7A1A4", "Ysbyty Gwynedd, Bangor", checklist.AcuteTrust, "Cymru / Wales", 70, false, dom(sec, secT, 62.5)),
		e("7A3", "Bwrdd Iechyd Prifysgol Bae Abertawe", checklist.AcuteTrust, "Cymru / Wales", 75, false),
		e("RBT", "Mid Cheshire Hospitals NHS Foundation Trust", checklist.AcuteTrust, "North West", 88, false),
	}
	table, err := scoring.League(cur, prev)
	if err != nil {
		t.Fatalf("league fixture: %v", err)
	}
	l, err := BuildLeague(LeagueMeta{
		Title: "Interoperability maturity league table", Cycle: "2026-Q1", PreviousCycle: "2025-Q3",
		Checklist: "nhs-interop@2026.1", Generator: "jigsaw test", GeneratedAt: fixtureGen,
	}, table)
	if err != nil {
		t.Fatalf("build league: %v", err)
	}
	return l
}
