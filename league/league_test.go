package league

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
