package league

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportIsAllOrNothingWithItsKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pub, priv := newKeys(t)
	files := writeSynthetic(t, dir, priv, 2, 1)
	data, _ := os.ReadFile(files[0])
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(data), "Synthetic organisation 0", "Synthetic organisation 9", 1)), 0o600)
	st, err := Open(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetChecklistFinder(synthFinder)

	res, err := st.ImportWithKeys(ctx, []string{files[1], tampered}, []Key{NewKey(pub, "", "inspectorate.pub")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != NotImported || res[1].Status != Refused {
		t.Fatalf("got %s and %s, want not-imported and refused", res[0].Status, res[1].Status)
	}
	if events, _ := st.KeyEvents(ctx); len(events) != 0 {
		t.Errorf("the refused import registered keys: %+v", events)
	}
	res, _ = st.Import(ctx, files[1:2])
	if res[0].Status != Refused || !strings.Contains(res[0].Reason, "no organisation keys") {
		t.Errorf("the key of a refused import was kept: %+v", res[0])
	}

	// Without the bad file, the same import goes through whole.
	res, err = st.ImportWithKeys(ctx, files, []Key{NewKey(pub, "", "inspectorate.pub")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != Imported {
			t.Errorf("%s: %s %s", r.File, r.Status, r.Reason)
		}
	}
}

func TestSecondKeyNeedsRotation(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetChecklistFinder(synthFinder)
	first, _ := newKeys(t)
	second, _ := newKeys(t)
	third, _ := newKeys(t)
	if err := st.AddKeys(ctx, []Key{NewKey(first, "RX1", "RX1.pub")}); err != nil {
		t.Fatal(err)
	}
	err = st.AddKeys(ctx, []Key{NewKey(second, "RX1", "RX1-new.pub")})
	if !errors.Is(err, ErrSecondKey) || !strings.Contains(err.Error(), "jigsaw league keys rotate") {
		t.Fatalf("a second key for RX1 was not refused with the way to rotate: %v", err)
	}
	if err := st.AddKeys(ctx, []Key{NewKey(second, "RX2", "a.pub"), NewKey(third, "RX2", "b.pub")}); !errors.Is(err, ErrSecondKey) {
		t.Fatalf("two keys for one organisation in one batch: %v", err)
	}
	if _, err := st.RotateKey(ctx, "RX1", NewKey(second, "", "RX1-new.pub"), ""); err == nil {
		t.Fatal("a rotation without a reason was accepted")
	}
	e, err := st.RotateKey(ctx, "rx1", NewKey(second, "", "RX1-new.pub"), "old key on a lost laptop")
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != "rotate" || e.ODS != "RX1" || e.PreviousKeyID != NewKey(first, "", "").KeyID || e.KeyID != NewKey(second, "", "").KeyID {
		t.Fatalf("rotation event %+v", e)
	}
	keys, _, err := st.keys(ctx, st.db)
	if err != nil {
		t.Fatal(err)
	}
	if keys[e.PreviousKeyID].RetiredAt == "" || keys[e.KeyID].RetiredAt != "" || keys[e.KeyID].ODS != "RX1" {
		t.Errorf("after rotation: old %+v, new %+v", keys[e.PreviousKeyID], keys[e.KeyID])
	}
	events, err := st.KeyEvents(ctx)
	if err != nil || len(events) != 2 {
		t.Fatalf("events %+v, %v; want register and rotate", events, err)
	}
	// The record is a hash chain: an edited reason shows.
	if _, err := st.db.Exec(`UPDATE league_key_events SET reason = 'routine' WHERE action = 'rotate'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.KeyEvents(ctx); err == nil {
		t.Error("an altered key event was not noticed")
	}
}

func TestOversizeSubmissionIsNotRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: 300 MB to stat, nothing on disk.
	if err := f.Truncate(300 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, err := Open(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetChecklistFinder(synthFinder)
	res, err := st.Import(ctx, []string{big})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != Refused || !strings.Contains(res[0].Reason, "larger than the 256 MiB limit") || !strings.Contains(res[0].Reason, "not read") {
		t.Errorf("got %+v", res[0])
	}
}
