package league

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/observed"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

var synthDomains = []struct{ id, title string }{
	{"leadership", "Leadership and strategy"}, {"ig", "Information governance"}, {"identity", "Patient identity"},
	{"terminology", "Terminology"}, {"fhir", "FHIR/API conformance"}, {"security", "Cyber resilience"},
}

var synthRegions = []string{"London", "North East and Yorkshire", "North West", "Midlands", "East of England", "South East", "South West"}

// synthChecklist is the checklist synthetic submissions are scored against: two items per
// domain. Its SHA-256 is fixed so submissions can name it.
func synthChecklist() *checklist.Checklist {
	c := &checklist.Checklist{ID: "nhs-interop", Version: "2026.1", Title: "Synthetic", SHA256: fmt.Sprintf("%064x", 1)}
	for n, d := range synthDomains {
		dom := checklist.Domain{ID: d.id, Title: d.title}
		for i := range 2 {
			dom.Items = append(dom.Items, checklist.Item{ID: fmt.Sprintf("%s-%02d", strings.Repeat(string(rune('A'+n)), 2), i+1), Title: d.title, Weight: 1})
		}
		// One probed item per domain, so claimed and verified levels can be compared.
		dom.Items[0].Probes = []string{"synth." + d.id}
		c.Domains = append(c.Domains, dom)
	}
	return c
}

// synthFinder resolves the synthetic checklist for re-scoring on import.
func synthFinder(ref string) (*checklist.Checklist, error) {
	if c := synthChecklist(); ref == c.Ref() {
		return c, nil
	}
	return nil, fmt.Errorf("unknown checklist %s", ref)
}

// synthPayload is a deterministic synthetic assessment of organisation n in a cycle: genuine
// answers and probe results, chained as an export would chain them, and the score they give.
func synthPayload(t testing.TB, n, cycle int) *submission.Payload {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(cycle)))
	types := checklist.OrgTypes()
	ods, name, orgType := fmt.Sprintf("S%05d", n), fmt.Sprintf("Synthetic organisation %d", n), types[n%len(types)]
	c := synthChecklist()
	started := time.Date(2024+cycle/4, time.Month(1+3*(cycle%4)), 10, 9, 0, 0, 0, time.UTC)
	p := &submission.Payload{
		ExportedAt: started.Add(48 * time.Hour), ToolVersion: "synthetic",
		Organisation: submission.Organisation{ODS: ods, Name: name,
			Type: string(orgType), Region: synthRegions[(n/7)%len(synthRegions)]},
		Assessment: submission.Assessment{ID: "AS-000001", Cycle: fmt.Sprintf("2026-C%d", cycle+1), Status: "complete",
			TargetURL: "https://fhir.example.nhs.uk/R4", FHIRVersion: "R4", StartedAt: started, FinishedAt: started.Add(time.Hour)},
		Checklist: submission.Checklist{ID: c.ID, Version: c.Version, SHA256: c.SHA256},
		Exchanges: []evidence.ExchangeSummary{}, Files: []evidence.AttachedFile{},
	}
	// Organisations differ in how good they are, and improve a little each cycle.
	base := 1 + rng.IntN(3)
	var answers []evidence.StoredAttestation
	for _, d := range c.Domains {
		for _, it := range d.Items {
			level := min(max(base+rng.IntN(2)+cycle%2, 1), 4)
			answers = append(answers, evidence.StoredAttestation{Attestation: evidence.Attestation{ItemID: it.ID, Status: evidence.Answered,
				Level: level, Provenance: evidence.SelfAssessed, AnsweredBy: "synthetic", EvidenceRefs: []string{"policy.pdf"}}})
		}
	}
	for _, d := range synthDomains {
		st := verdict.Pass
		if rng.IntN(3) == 0 {
			st = verdict.Fail
		}
		p.Results = append(p.Results, evidence.StoredResult{Result: observed.Result{ProbeID: "synth." + d.id, Status: st, Severity: verdict.Medium}})
	}
	return rechain(t, p, answers, c)
}

// rechain gives p's answers and results evidence rows chained as an export chains them, and
// sets its score to what they give against c.
func rechain(t testing.TB, p *submission.Payload, answers []evidence.StoredAttestation, c *checklist.Checklist) *submission.Payload {
	var rows []evidence.ExportedRow
	var links []evidence.ChainLink
	add := func(kind evidence.Kind, table string, fields map[string]any) string {
		id := evidence.FormatID(kind, int64(len(links)+1))
		raw, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		canonical, err := submission.Canonicalize(raw)
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, evidence.ChainLink{Seq: int64(len(links) + 1), ContentSHA256: evidence.ContentSHA256(canonical)})
		rows = append(rows, evidence.ExportedRow{ID: id, Table: table, Canonical: string(canonical)})
		return id
	}
	add(evidence.KindAssessment, "assessments", map[string]any{"_table": "assessments", "ods_code": p.Organisation.ODS, "org_name": p.Organisation.Name,
		"org_type": p.Organisation.Type, "checklist_id": p.Checklist.ID, "checklist_version": p.Checklist.Version,
		"checklist_sha256": p.Checklist.SHA256, "cycle": p.Assessment.Cycle})
	p.Answers = nil
	for _, a := range answers {
		refs, _ := json.Marshal(a.EvidenceRefs)
		a.ID = add(evidence.KindAttestation, "attestations", map[string]any{"_table": "attestations", "assessment_id": 1, "item_id": a.ItemID,
			"status": string(a.Status), "level": a.Level, "provenance": string(a.Provenance), "answered_by": a.AnsweredBy,
			"evidence_refs": string(refs), "waiver_expiry": ""})
		p.Answers = append(p.Answers, a)
	}
	for i, r := range p.Results {
		p.Results[i].ID = add(evidence.KindResult, "probe_results", map[string]any{"_table": "probe_results", "assessment_id": 1,
			"probe_id": r.ProbeID, "status": string(r.Status), "severity": string(r.Severity)})
	}
	head, err := evidence.RecomputeChain(links)
	if err != nil {
		t.Fatal(err)
	}
	p.Evidence = submission.Evidence{Head: head, Links: links, Rows: rows}
	a := evidence.Assessment{StartedAt: p.Assessment.StartedAt, FinishedAt: p.Assessment.FinishedAt}
	a.Org.Type = checklist.OrgType(p.Organisation.Type)
	if p.Score, err = scoring.Score(evidence.ScoringInput(a, p.Answers, p.Results, nil, c)); err != nil {
		t.Fatal(err)
	}
	return p
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
