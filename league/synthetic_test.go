package league

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

var synthDomains = []struct{ id, title string }{
	{"leadership", "Leadership and strategy"}, {"ig", "Information governance"}, {"identity", "Patient identity"},
	{"terminology", "Terminology"}, {"fhir", "FHIR/API conformance"}, {"security", "Cyber resilience"},
}

var synthRegions = []string{"London", "North East and Yorkshire", "North West", "Midlands", "East of England", "South East", "South West"}

// synthPayload is a deterministic synthetic scored assessment of organisation n in a cycle.
func synthPayload(t testing.TB, n, cycle int) *submission.Payload {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(cycle)))
	types := checklist.OrgTypes()
	ods, name, orgType := fmt.Sprintf("S%05d", n), fmt.Sprintf("Synthetic organisation %d", n), string(types[n%len(types)])
	cycleName := fmt.Sprintf("2026-C%d", cycle+1)
	row, err := json.Marshal(map[string]any{"_table": "assessments", "ods_code": ods, "org_name": name, "org_type": orgType,
		"checklist_id": "nhs-interop", "checklist_version": "2026.1", "checklist_sha256": fmt.Sprintf("%064x", 1), "cycle": cycleName})
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := submission.Canonicalize(row)
	if err != nil {
		t.Fatal(err)
	}
	links := []evidence.ChainLink{{Seq: 1, ContentSHA256: evidence.ContentSHA256(canonical)}}
	head, err := evidence.RecomputeChain(links)
	if err != nil {
		t.Fatal(err)
	}
	base := 30 + rng.Float64()*60
	var domains []scoring.DomainResult
	for _, d := range synthDomains {
		p := min(max(base+rng.NormFloat64()*10, 0), 100)
		domains = append(domains, scoring.DomainResult{ID: d.id, Title: d.title, Percent: &p, Level: 1 + int(p/25)})
	}
	overall := min(max(base+float64(cycle)*2+rng.NormFloat64()*3, 0), 100)
	var items []scoring.ItemResult
	for i := range 5 {
		gap := rng.IntN(3) - 1
		items = append(items, scoring.ItemResult{ItemID: fmt.Sprintf("item-%d", i), DomainID: "fhir", Status: scoring.Answered,
			Claimed: 3, Verified: 3 - gap, Final: 3 - gap, Gap: &gap, Weight: 1})
	}
	started := time.Date(2024+cycle/4, time.Month(1+3*(cycle%4)), 10, 9, 0, 0, 0, time.UTC)
	return &submission.Payload{
		ExportedAt: started.Add(48 * time.Hour), ToolVersion: "synthetic",
		Organisation: submission.Organisation{ODS: ods, Name: name,
			Type: orgType, Region: synthRegions[(n/7)%len(synthRegions)]},
		Assessment: submission.Assessment{ID: "AS-000001", Cycle: cycleName, Status: "complete",
			TargetURL: "https://fhir.example.nhs.uk/R4", FHIRVersion: "R4", StartedAt: started, FinishedAt: started.Add(time.Hour)},
		Checklist: submission.Checklist{ID: "nhs-interop", Version: "2026.1", SHA256: fmt.Sprintf("%064x", 1)},
		Score: scoring.Result{Checklist: "nhs-interop@2026.1", OrgType: types[n%len(types)], AsOf: started, Percent: &overall,
			BandRating: scoring.BandFor(overall), Rating: scoring.BandFor(overall), Domains: domains, Items: items, Layers: []scoring.LayerResult{}},
		Answers: []evidence.StoredAttestation{}, Results: []evidence.StoredResult{}, Exchanges: []evidence.ExchangeSummary{},
		Files: []evidence.AttachedFile{}, Evidence: submission.Evidence{Head: head, Links: links,
			Rows: []evidence.ExportedRow{{ID: "AS-000001", Table: "assessments", Canonical: string(canonical)}}},
	}
}

// writeSynthetic writes orgs × cycles signed submissions to dir and returns their paths.
func writeSynthetic(t testing.TB, dir string, priv ed25519.PrivateKey, orgs, cycles int) []string {
	var files []string
	for c := range cycles {
		for n := range orgs {
			data, err := submission.Sign(synthPayload(t, n, c), priv)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, fmt.Sprintf("S%05d-c%d.json", n, c+1))
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	return files
}
