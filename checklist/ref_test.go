package checklist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in      string
		want    Ref
		wantErr bool
	}{
		{in: "nhs-interop@2026.1", want: Ref{ID: "nhs-interop", Version: "2026.1"}},
		{in: "nhs-interop", want: Ref{ID: "nhs-interop"}},
		{in: "nhs-interop@2026.10", want: Ref{ID: "nhs-interop", Version: "2026.10"}},
		{in: "", wantErr: true},
		{in: "NHS@2026.1", wantErr: true},
		{in: "nhs-interop@", wantErr: true},
		{in: "nhs-interop@26.1", wantErr: true},
		{in: "nhs-interop@2026.1@x", wantErr: true},
	}
	for _, c := range cases {
		got, err := ParseRef(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("ParseRef(%q) error %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), Current) {
				t.Errorf("ParseRef(%q) error %q does not show an example", c.in, err)
			}
			continue
		}
		if got != c.want {
			t.Errorf("ParseRef(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if got.String() != c.in {
			t.Errorf("ParseRef(%q).String() = %q", c.in, got.String())
		}
	}
}

// Current names a catalogue checklist, and the latest version of its id: adding a version to
// the catalogue means moving Current, in its one place.
func TestCurrentIsTheLatestCatalogueVersion(t *testing.T) {
	ref, err := ParseRef(Current)
	if err != nil || ref.Version == "" {
		t.Fatalf("Current %q is not id@version: %v", Current, err)
	}
	c, err := Lookup(Current)
	if err != nil {
		t.Fatalf("Current %q is not in the catalogue: %v", Current, err)
	}
	latest, err := Lookup(ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Ref() != c.Ref() {
		t.Errorf("Current is %s but the catalogue's latest %s is %s", Current, ref.ID, latest.Ref())
	}
	if got := c.Reference(); got.ID != ref.ID || got.Version != ref.Version || len(got.SHA256) != 64 {
		t.Errorf("Reference() = %+v", got)
	}
}

func TestResolveFileOrRef(t *testing.T) {
	byRef, err := Resolve(Current)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("catalog", byRef.ID, byRef.Version+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	byFile, err := Resolve(file)
	if err != nil {
		t.Fatal(err)
	}
	if byFile.Reference() != byRef.Reference() || byFile.Source != file {
		t.Errorf("file resolved to %+v from %s, want %+v from %s", byFile.Reference(), byFile.Source, byRef.Reference(), file)
	}
	if _, err := Resolve(Current, WithKnownProbes(func(string) bool { return false })); err == nil || !strings.Contains(err.Error(), "does not match this build's probes") {
		t.Errorf("a built-in checklist with unknown probes resolved: %v", err)
	}
	if _, err := Resolve("no-such-checklist@2026.1"); err == nil {
		t.Error("an unknown reference resolved")
	}

	find := Catalog().Finder(byFile)
	if c, err := find(Current); err != nil || c != byFile {
		t.Errorf("Finder did not prefer the file it was given: %v", err)
	}
	if c, err := Catalog().Finder(nil)(Current); err != nil || c.Source == file {
		t.Errorf("Finder without a file did not use the catalogue: %v", err)
	}
}
