package evidence

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

// The exchange summary a report reads carries the TLS version, cipher and truncation the
// exchange recorded.
func TestExchangeSummaryCarriesTLSAndTruncation(t *testing.T) {
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	ctx := context.Background()
	cut := sampleExchange("ex-1", "p.cut", []byte(`{"resourceType":"Bundle"}`))
	cut.ResponseTruncated = true
	plain := sampleExchange("ex-2", "p.plain", nil)
	plain.TLS = nil
	for _, ex := range []probes.Exchange{cut, plain} {
		if _, err := s.RecordProbeResult(ctx, a.ID, sampleResult(ex.ProbeID, probes.Pass, ex.ID), []probes.Exchange{ex}); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := s.Load(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ExchangeSummary{}
	for _, e := range snap.Exchanges {
		got[e.ProbeID] = e
	}
	if e := got["p.cut"]; !e.ResponseTruncated || e.TLSVersion != "TLS 1.3" || e.TLSCipher != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("truncated TLS exchange summary = %+v", e)
	}
	if e := got["p.plain"]; e.ResponseTruncated || e.TLSVersion != "" || e.TLSCipher != "" {
		t.Errorf("plain exchange summary = %+v", e)
	}
	full, err := s.Exchange(ctx, got["p.cut"].ID)
	if err != nil || !full.ResponseTruncated || full.TLS == nil || full.TLS.Version != "TLS 1.3" {
		t.Errorf("full exchange = %+v, %v", full, err)
	}
}

// Every target is stored, credentials stripped, and hashed into the chain; an assessment that
// names none lists its TargetURL alone.
func TestAssessmentTargets(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	if err := s.UpsertOrganisation(ctx, Organisation{ODSCode: "B82617", Name: "Surgery", Type: checklist.GPPractice}); err != nil {
		t.Fatal(err)
	}
	two := []Target{
		{Role: TargetFHIR, URL: "https://127.0.0.1:8443/fhir", FHIRVersion: "R4"},
		{Role: TargetGPConnect, URL: "https://user:pw@127.0.0.1:8443/gpc?access_token=sekrit", FHIRVersion: "STU3"},
	}
	a, err := s.CreateAssessment(ctx, NewAssessment{
		ODSCode: "B82617", ChecklistID: "nhs-interop", ChecklistVersion: "2026.1", ChecklistSHA256: checklistSum(),
		TargetURL: two[0].URL, FHIRVersion: "R4", Targets: two, ToolVersion: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Targets) != 2 || a.Targets[1].Role != TargetGPConnect || a.Targets[1].FHIRVersion != "STU3" {
		t.Fatalf("targets = %+v", a.Targets)
	}
	for _, secret := range []string{"pw", "sekrit"} {
		if strings.Contains(a.Targets[1].URL, secret) {
			t.Errorf("stored GP Connect URL %q keeps %q", a.Targets[1].URL, secret)
		}
	}
	one := newAssessment(t, s, "RX1", false)
	if want := []Target{{Role: TargetFHIR, URL: one.TargetURL, FHIRVersion: one.FHIRVersion}}; !reflect.DeepEqual(one.Targets, want) {
		t.Errorf("single-target assessment lists %+v, want %+v", one.Targets, want)
	}
	if rep, err := s.VerifyChain(ctx); err != nil || !rep.OK {
		t.Fatalf("chain: %+v, %v", rep, err)
	}

	// The targets are evidence: changing them breaks the chain (and the trigger refuses it).
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE assessments SET targets = '[]' WHERE seq = ?`, a.ID); err == nil {
		t.Error("targets of a recorded assessment could be updated")
	}
	if _, err := db.Exec(`DROP TRIGGER assessments_append_only_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE assessments SET targets = '[]' WHERE seq = ?`, a.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyChain(ctx); err != nil || rep.OK {
		t.Errorf("chain still verifies after the targets were rewritten: %+v, %v", rep, err)
	}
}
