package checklist

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestShippedChecklists loads and validates every checklist in the embedded catalogue
// (kube-bench's TestYamlFiles guard).
func TestShippedChecklists(t *testing.T) {
	entries, err := List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("the embedded catalogue is empty")
	}
	for _, e := range entries {
		t.Run(e.Ref(), func(t *testing.T) {
			c, err := Lookup(e.Ref())
			if err != nil {
				t.Fatal(err)
			}
			// Probe links are checked against the live registry in registry_test.go.
			if err := Validate(c, nil); err != nil {
				t.Fatalf("shipped checklist is invalid:\n%v", err)
			}
			if c.SHA256 != e.SHA256 || len(c.SHA256) != 64 {
				t.Errorf("hash %q does not match the listing %q", c.SHA256, e.SHA256)
			}
			for _, d := range c.Domains {
				for _, it := range d.Items {
					if it.Layer == "" {
						t.Errorf("%s has no layer", it.ID)
					}
					for _, r := range it.References {
						if r.URL != "" && !strings.HasPrefix(r.URL, "https://") {
							t.Errorf("%s: reference URL %s is not https", it.ID, r.URL)
						}
					}
				}
			}
		})
	}
}

func TestNHSInterop2026Coverage(t *testing.T) {
	c, err := Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Domains) < 12 || c.ItemCount() < 60 {
		t.Errorf("nhs-interop@2026.1 has %d domains and %d items; want at least 12 and 60", len(c.Domains), c.ItemCount())
	}
	linked := map[string]bool{}
	mandatory := map[OrgType]int{}
	var critical []string
	for _, d := range c.Domains {
		for _, it := range d.Items {
			for _, p := range it.Probes {
				linked[p] = true
			}
			for _, t := range it.MandatoryFor {
				mandatory[t]++
			}
			if it.Critical {
				critical = append(critical, it.ID)
			}
		}
	}
	// That every registered probe is linked is checked against the live registry in
	// registry_test.go.
	for _, ot := range OrgTypes() {
		if mandatory[ot] < 5 {
			t.Errorf("only %d items are mandatory for %s", mandatory[ot], ot)
		}
	}
	// Patient data served without authentication, or over plain HTTP, is a critical failure.
	for _, id := range []string{"IAM-01", "CYB-01"} {
		if !slices.Contains(critical, id) {
			t.Errorf("%s must be critical; critical items are %v", id, critical)
		}
	}
	// GP Connect provider items are for GP practices; ambulance handover for ambulance trusts.
	for id, want := range map[string][]OrgType{"NAT-01": {GPPractice}, "SHCR-04": {AmbulanceTrust}} {
		it, _, ok := c.Item(id)
		if !ok || !reflect.DeepEqual(it.MandatoryFor, want) {
			t.Errorf("%s mandatory_for = %v, want %v", id, it.MandatoryFor, want)
		}
	}
}

func TestLookup(t *testing.T) {
	fsys := fstest.MapFS{
		"catalog/demo/2026.2.yaml":  {Data: []byte(strings.Replace(strings.Replace(valid, "test-list", "demo", 1), "2026.1", "2026.2", 1))},
		"catalog/demo/2026.10.yaml": {Data: []byte(strings.Replace(strings.Replace(valid, "test-list", "demo", 1), "2026.1", "2026.10", 1))},
		"catalog/wrong/2026.1.yaml": {Data: []byte(valid)}, // declares test-list, not wrong
	}
	r := NewRegistry(fsys)
	tests := []struct {
		ref     string
		want    string
		wantErr string
	}{
		{ref: "demo", want: "demo@2026.10"},
		{ref: "demo@2026.2", want: "demo@2026.2"},
		{ref: "demo@2026.3", wantErr: `no version 2026.3 of checklist "demo" in the catalogue (have: 2026.2, 2026.10)`},
		{ref: "nope", wantErr: `no checklist "nope" in the catalogue (have: demo@2026.2, demo@2026.10, wrong@2026.1)`},
		{ref: "Demo@x", wantErr: `"Demo@x" is not a checklist reference`},
		{ref: "wrong", wantErr: "catalog/wrong/2026.1.yaml: declares test-list@2026.1; the file name must match its id and version"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			c, err := r.Lookup(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Lookup(%q) error = %v, want %q", tt.ref, err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Ref() != tt.want {
				t.Fatalf("Lookup(%q) = %v, %v; want %s", tt.ref, c, err, tt.want)
			}
			if c.Source != "catalog/demo/"+c.Version+".yaml" {
				t.Errorf("Source = %s", c.Source)
			}
		})
	}
}

func TestEmbeddedLookupLatest(t *testing.T) {
	latest, err := Lookup("nhs-interop")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := List()
	var newest string
	for _, e := range entries {
		if e.ID == "nhs-interop" && (newest == "" || CompareVersions(e.Version, newest) > 0) {
			newest = e.Version
		}
	}
	if latest.Version != newest {
		t.Errorf("Lookup(nhs-interop) = %s, want the newest version %s", latest.Version, newest)
	}
}

func BenchmarkLookupCatalogue(b *testing.B) {
	for b.Loop() {
		if _, err := Lookup("nhs-interop@2026.1"); err != nil {
			b.Fatal(err)
		}
	}
}
