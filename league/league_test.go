package league

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

func newKeys(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestImportVerifiesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pub, priv := newKeys(t)
	files := writeSynthetic(t, dir, priv, 21, 2)
	st, err := Open(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetChecklistFinder(synthFinder)
	defer st.Close()

	res, err := st.Import(ctx, files[:1])
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != Refused || !strings.Contains(res[0].Reason, "no organisation keys") {
		t.Fatalf("import without keys: %+v", res[0])
	}
	if err := st.AddKeys(ctx, []Key{NewKey(pub, "", "inspectorate.pub")}); err != nil {
		t.Fatal(err)
	}
	res, err = st.Import(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != Imported {
			t.Fatalf("%s: %s %s", r.File, r.Status, r.Reason)
		}
	}
	res, _ = st.Import(ctx, files[:3])
	for _, r := range res {
		if r.Status != Unchanged {
			t.Fatalf("re-import %s: %s", r.File, r.Status)
		}
	}

	// A flipped byte, an unknown key and a key bound to another organisation are refused.
	data, _ := os.ReadFile(files[0])
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(data), "Synthetic organisation 0", "Synthetic organisation 9", 1)), 0o600)
	_, otherPriv := newKeys(t)
	stranger := writeSynthetic(t, t.TempDir(), otherPriv, 1, 3)[2]
	boundPub, boundPriv := newKeys(t)
	if err := st.AddKeys(ctx, []Key{NewKey(boundPub, "RX1", "RX1.pub")}); err != nil {
		t.Fatal(err)
	}
	wrongOrg := writeSynthetic(t, t.TempDir(), boundPriv, 1, 3)[2]
	res, err = st.Import(ctx, []string{tampered, stranger, wrongOrg})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"does not verify", "not among the", "registered to RX1"} {
		if res[i].Status != Refused || !strings.Contains(res[i].Reason, want) {
			t.Errorf("%s: %s %q, want refused with %q", res[i].File, res[i].Status, res[i].Reason, want)
		}
	}
	if err := st.AddKeys(ctx, []Key{NewKey(boundPub, "RX2", "other.pub")}); err == nil {
		t.Error("a key was re-bound to another organisation")
	}

	b, err := st.Benchmark(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cycle != "2026-C2" || b.PreviousCycle != "2026-C1" || len(b.Table.Rows) != 21 || !b.Table.HasHistory {
		t.Fatalf("benchmark: cycle %s prev %s rows %d", b.Cycle, b.PreviousCycle, len(b.Table.Rows))
	}
	if b.Table.Rows[0].Rank != 1 || b.Table.Rows[0].Change == nil || len(b.Gaps) != 21 {
		t.Fatalf("top row %+v, gaps %d", b.Table.Rows[0], len(b.Gaps))
	}
	f, err := st.Benchmark(ctx, Filter{Cycle: "2026-C1", OrgType: "icb"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Table.Rows {
		if r.OrgType != "icb" {
			t.Fatalf("filter kept %s", r.OrgType)
		}
	}
	if len(f.Table.Rows) != 3 {
		t.Fatalf("icb rows %d, want 3", len(f.Table.Rows))
	}
	h, err := st.Show(ctx, "S00004")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Positions) != 2 || h.Positions[1].Row.Change == nil || h.Positions[0].Gap == nil {
		t.Fatalf("history %+v", h)
	}
}

// A submission whose signed score was altered and signed again with a registered key verifies
// as a file, but re-scoring its signed answers and probe results gives another score: refused.
func TestImportRefusesAlteredScore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pub, priv := newKeys(t)
	st, err := Open(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetChecklistFinder(synthFinder)
	if err := st.AddKeys(ctx, []Key{NewKey(pub, "", "inspectorate.pub")}); err != nil {
		t.Fatal(err)
	}
	write := func(name string, p *submission.Payload) string {
		data, err := submission.Sign(p, priv)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	honest := synthPayload(t, 3, 0)
	inflated := synthPayload(t, 4, 0)
	better := 97.5
	inflated.Score.Percent, inflated.Score.BandRating, inflated.Score.Rating, inflated.Score.ProvisionalRating = &better, scoring.Outstanding, scoring.Outstanding, scoring.Outstanding
	oneItem := synthPayload(t, 5, 0)
	oneItem.Score.Items[0].Final = 4
	otherList := synthPayload(t, 6, 0)
	otherList.Checklist.SHA256 = fmt.Sprintf("%064x", 2)

	// An import is all or nothing, so the honest submission goes in on its own.
	res, err := st.Import(ctx, []string{write("honest.json", honest)})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != Imported {
		t.Fatalf("honest submission: %s %s", res[0].Status, res[0].Reason)
	}
	res, err = st.Import(ctx, []string{write("inflated.json", inflated), write("item.json", oneItem), write("list.json", otherList)})
	if err != nil {
		t.Fatal(err)
	}
	res = append([]ImportResult{{}}, res...)
	for i, want := range []string{
		"the signed score disagrees with re-scoring the signed answers and probe results: rating Outstanding signed",
		"the signed score disagrees with re-scoring",
		"",
	} {
		r := res[i+1]
		if r.Status != Refused || !strings.Contains(r.Reason, want) {
			t.Errorf("%s: %s %q, want refused with %q", r.File, r.Status, r.Reason, want)
		}
	}
	t.Logf("refusals: %q / %q / %q", res[1].Reason, res[2].Reason, res[3].Reason)
	// The altered checklist hash fails verification of the assessment row, before re-scoring.
	if res[3].Status != Refused || !strings.Contains(res[3].Reason, "checklist_sha256 is") {
		t.Errorf("other checklist: %q", res[3].Reason)
	}
}

// Not-rated submissions are listed apart and never ranked; a cycle mixing checklists is never
// ranked as one table.
func TestBenchmarkNotRatedAndChecklists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pub, priv := newKeys(t)
	st, err := Open(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other := synthChecklist()
	other.Version, other.SHA256 = "2027.1", fmt.Sprintf("%064x", 3)
	st.SetChecklistFinder(func(ref string) (*checklist.Checklist, error) {
		if ref == other.Ref() {
			return other, nil
		}
		return synthFinder(ref)
	})
	if err := st.AddKeys(ctx, []Key{NewKey(pub, "", "inspectorate.pub")}); err != nil {
		t.Fatal(err)
	}
	var files []string
	for n := range 6 {
		p := synthPayload(t, n, 0)
		if n == 5 {
			// Half the answers withdrawn: re-scored, this is Not rated.
			p = withAnswers(t, p, p.Answers[:6], synthChecklist())
		}
		data, err := submission.Sign(p, priv)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", n))
		os.WriteFile(f, data, 0o600)
		files = append(files, f)
	}
	res, err := st.Import(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != Imported {
			t.Fatalf("%s: %s %s", r.File, r.Status, r.Reason)
		}
	}
	b, err := st.Benchmark(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	last := b.Table.Rows[len(b.Table.Rows)-1]
	if last.ODS != "S00005" || last.Rating != scoring.NotRated || last.Rank != 0 || last.Percent != nil || last.ProvisionalPercent == nil ||
		last.Assessment != "AS-000001" || last.AssessedAt.IsZero() || last.Completeness != 0.75 || last.Status != scoring.IncompleteWord {
		t.Errorf("not-rated row = %+v", last)
	}
	if b.Table.National.Count != 5 {
		t.Errorf("national count %d, want the 5 rated", b.Table.National.Count)
	}

	// A submission scored against another checklist version in the same cycle.
	p := withChecklist(t, synthPayload(t, 9, 0), other)
	data, err := submission.Sign(p, priv)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "other.json")
	os.WriteFile(f, data, 0o600)
	if res, err := st.Import(ctx, []string{f}); err != nil || res[0].Status != Imported {
		t.Fatalf("other checklist import: %+v %v", res, err)
	}
	if _, err := st.Benchmark(ctx, Filter{}); err == nil || !strings.Contains(err.Error(), "never ranked together") {
		t.Errorf("mixed cycle: err = %v", err)
	}
	one, err := st.Benchmark(ctx, Filter{Checklist: other.Ref()})
	if err != nil || len(one.Table.Rows) != 1 || one.Checklist != other.Ref() {
		t.Fatalf("one checklist: %+v %v", one, err)
	}
}

// withAnswers re-chains p with only the given answers and re-scores it against c.
func withAnswers(t *testing.T, p *submission.Payload, answers []evidence.StoredAttestation, c *checklist.Checklist) *submission.Payload {
	t.Helper()
	return rechain(t, p, slices.Clone(answers), c)
}

// withChecklist re-chains p as scored against c.
func withChecklist(t *testing.T, p *submission.Payload, c *checklist.Checklist) *submission.Payload {
	t.Helper()
	p.Checklist = submission.Checklist{ID: c.ID, Version: c.Version, SHA256: c.SHA256}
	return rechain(t, p, p.Answers, c)
}
