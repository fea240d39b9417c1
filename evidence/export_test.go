package evidence

import (
	"context"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

func TestExportEvidence(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	other := newAssessment(t, s, "A12345", false)
	recordSample(t, s, a.ID, "p1")
	recordSample(t, s, other.ID, "p1")
	recordSample(t, s, a.ID, "p2")

	ev, err := s.ExportEvidence(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.ChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Head != head || int64(len(ev.Links)) != head.Seq {
		t.Fatalf("head %s with %d links, store head %s", ev.Head, len(ev.Links), head)
	}
	if got, err := RecomputeChain(ev.Links); err != nil || got != head {
		t.Fatalf("RecomputeChain = %s, %v; want %s", got, err, head)
	}
	// The assessment row, two results and their two exchanges; nothing of the other assessment.
	if len(ev.Rows) != 5 || ev.Rows[0].ID != a.Ref {
		t.Fatalf("rows: %+v", ev.Rows)
	}
	for _, r := range ev.Rows {
		_, seq, _ := ParseID(r.ID)
		if ContentSHA256([]byte(r.Canonical)) != ev.Links[seq-1].ContentSHA256 {
			t.Errorf("row %s does not hash to its link", r.ID)
		}
		if strings.Contains(r.Canonical, "A12345") {
			t.Errorf("row %s belongs to the other assessment", r.ID)
		}
	}

	// A tampered row is not exported.
	db := rawDB(t, path)
	if _, err := db.Exec(`DROP TRIGGER probe_results_append_only_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE probe_results SET status = 'fail' WHERE probe_id = 'p2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExportEvidence(ctx, a.ID); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("exported a tampered row: %v", err)
	}
}

func TestRecomputeChainRejectsGaps(t *testing.T) {
	links := []ChainLink{{Seq: 1, ContentSHA256: strings.Repeat("a", 64)}, {Seq: 3, ContentSHA256: strings.Repeat("b", 64)}}
	if _, err := RecomputeChain(links); err == nil {
		t.Error("a gap went unnoticed")
	}
	if _, err := RecomputeChain([]ChainLink{{Seq: 1, ContentSHA256: "zz"}}); err == nil {
		t.Error("a bad digest went unnoticed")
	}
	if h, err := RecomputeChain(nil); err != nil || h.Hash != GenesisHash {
		t.Errorf("empty chain: %s, %v", h, err)
	}
}

// An inspector verifies a trust's claims after the probes ran and the assessment closed:
// attestations and files stay open on a complete assessment, probe results do not.
func TestLateEvidenceOnCompleteAssessment(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	if err := s.SetAssessmentStatus(ctx, a.ID, Complete); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordProbeResult(ctx, a.ID, sampleResult("late", probes.Pass), nil); err == nil || !strings.Contains(err.Error(), "complete") {
		t.Errorf("probe result added to a complete assessment: %v", err)
	}
	res, err := s.RecordAttestations(ctx, a.ID, AttestationSource{File: "verified.yaml", SHA256: strings.Repeat("c", 64)}, []Attestation{{
		ItemID: "IG-01", Status: Answered, Level: 2, Provenance: InspectorVerified, AnsweredBy: "Inspector",
	}})
	if err != nil || len(res.Added) != 1 {
		t.Fatalf("inspector attestation on a complete assessment: %+v, %v", res, err)
	}
	f, err := s.AttachFile(ctx, a.ID, FileInput{Name: "dpia.pdf", Content: strings.NewReader("dpia")})
	if err != nil || f.Size != 4 {
		t.Fatalf("file on a complete assessment: %+v, %v", f, err)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("chain after late evidence: %+v, %v", rep, err)
	}
}
