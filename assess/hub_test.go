package assess

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// newStore makes an evidence store with one organisation and one two-endpoint assessment
// against the current catalogue checklist.
func newStore(t *testing.T) (*evidence.Store, evidence.Assessment, *checklist.Checklist) {
	t.Helper()
	ctx := context.Background()
	c, err := checklist.Lookup(checklist.Current)
	if err != nil {
		t.Fatal(err)
	}
	store, err := evidence.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.UpsertOrganisation(ctx, evidence.Organisation{ODSCode: "RX1", Name: "Test Trust", Type: checklist.AcuteTrust}); err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateAssessment(ctx, evidence.NewAssessment{
		ODSCode: "RX1", ChecklistID: c.ID, ChecklistVersion: c.Version, ChecklistSHA256: c.SHA256,
		TargetURL: "https://127.0.0.1:8443/fhir", FHIRVersion: "R4", ToolVersion: "test",
		Targets: []evidence.Target{
			{Role: evidence.TargetFHIR, URL: "https://127.0.0.1:8443/fhir", FHIRVersion: "R4"},
			{Role: evidence.TargetGPConnect, URL: "https://127.0.0.1:8443/gpc", FHIRVersion: "STU3"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return store, a, c
}

func answersCiting(item, doc, sum string) *answers.File {
	return &answers.File{
		Checklist: checklist.Current, Organisation: answers.Organisation{ODS: "RX1", Name: "Test Trust", Type: checklist.AcuteTrust},
		AnsweredBy: "Inspector", AnsweredAt: "2026-07-01", Source: "answers.yaml", SHA256: strings.Repeat("a", 64),
		Answers: []answers.Answer{{Item: item, Status: answers.Answered, Level: 3, Provenance: answers.InspectorVerified,
			Evidence: []answers.Document{{Name: doc, SHA256: sum}}}},
	}
}

func TestImportAnswersWithFiles(t *testing.T) {
	content := []byte("data sharing agreement, signed 2026")
	sum := sha256.Sum256(content)
	right := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("0", 64)
	tests := []struct {
		name     string
		sum      string
		wantErr  string
		wantRows bool
	}{
		{name: "digest matches", sum: right, wantRows: true},
		{name: "no digest stated", sum: "", wantRows: true},
		{name: "digest differs", sum: wrong, wantErr: "nothing was recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, a, c := newStore(t)
			ctx := context.Background()
			item := c.Domains[0].Items[0].ID
			before, err := store.ChainHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			imp, err := ImportAnswersWithFiles(ctx, store, a.ID, answersCiting(item, "dsa.pdf", tt.sum),
				[]Attachment{{Name: "dsa.pdf", Content: content}}, false, "test")
			after, herr := store.ChainHead(ctx)
			if herr != nil {
				t.Fatal(herr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				if after != before {
					t.Errorf("a refused import moved the chain head from %s to %s: rows were written", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(imp.Files) != 1 || imp.Files[0].SHA256 != right || len(imp.Result.Added) != 1 {
				t.Fatalf("import = %+v", imp)
			}
			snap, err := store.Load(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if refs := snap.Attestations[0].EvidenceRefs; len(refs) != 1 || refs[0] != imp.Files[0].ID {
				t.Errorf("answer cites %v, want the attached file's id %s", refs, imp.Files[0].ID)
			}
		})
	}
}

func TestFindChecklist(t *testing.T) {
	_, a, c := newStore(t)
	other := *c
	other.SHA256 = strings.Repeat("f", 64)
	tests := []struct {
		name    string
		find    ChecklistFinder
		wantErr string
	}{
		{name: "catalogue has the exact text", find: checklist.Lookup},
		{name: "file with another text", find: func(string) (*checklist.Checklist, error) { return &other, nil }, wantErr: "has sha256 " + other.SHA256},
		{name: "not found", find: checklist.NewRegistry(fstest.MapFS{}).Finder(nil), wantErr: "used checklist " + checklist.Current},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindChecklist(a, tt.find)
			if tt.wantErr == "" {
				if err != nil || got.Reference() != a.Checklist() {
					t.Fatalf("FindChecklist = %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// One probe result goes from the store to the scoring input and the report row with its
// status and severity unchanged, whatever the status.
func TestProbeResultRoute(t *testing.T) {
	for _, st := range verdict.Statuses {
		t.Run(string(st), func(t *testing.T) {
			store, a, c := newStore(t)
			ctx := context.Background()
			res := probes.Result{ProbeID: "fhir.capability.present", Title: "CapabilityStatement", Pack: "fhir", Status: st, Severity: verdict.High,
				Expected: "200", Observed: "200", SpecRef: "https://hl7.org/fhir/R4/http.html#capabilities",
				StartedAt: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), Duration: 1500 * time.Microsecond, Exchanges: []string{"x"}}
			ex := probes.Exchange{ID: "x", ProbeID: res.ProbeID, Method: "GET", URL: "https://127.0.0.1:8443/fhir/metadata", StatusCode: 200,
				ResponseBody: []byte(`{"resourceType":"CapabilityStatement"}`), ResponseSize: 38, ResponseTruncated: true,
				TLS: &probes.TLSFacts{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"}, StartedAt: res.StartedAt}
			if _, err := store.RecordProbeResult(ctx, a.ID, res, []probes.Exchange{ex}); err != nil {
				t.Fatal(err)
			}
			snap, err := store.Load(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			in := ScoringInput(snap, c)
			if len(in.Probes) != 1 || in.Probes[0].Status != st || in.Probes[0].Severity != verdict.High {
				t.Errorf("scoring input = %+v", in.Probes)
			}
			rows := ProbeRows([]probes.Result{snap.Results[0].Result})
			if rows[0].Status != st || rows[0].DurationMS != 1.5 || len(rows[0].Exchanges) != 1 {
				t.Errorf("report row = %+v", rows[0])
			}
			ev := EvidenceRows(snap.Exchanges)
			if len(ev) != 1 || ev[0].TLSVersion != "TLS 1.3" || ev[0].TLSCipher != "TLS_AES_128_GCM_SHA256" || !ev[0].Truncated {
				t.Errorf("evidence row = %+v", ev)
			}
			targets := reportTargets(snap.Assessment)
			if len(targets) != 2 || targets[1].Role != "GP Connect provider" || targets[1].FHIRVersion != "STU3" {
				t.Errorf("report targets = %+v", targets)
			}
		})
	}
}
