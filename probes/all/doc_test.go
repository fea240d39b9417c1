package all_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

// docs/probes.md is generated from the registry: it must name every probe and match exactly.
func TestProbesDocIsCurrent(t *testing.T) {
	r := all.Registry()
	want := all.Markdown(r)
	got, err := os.ReadFile(filepath.Join("..", "..", all.DocPath))
	if err != nil {
		t.Fatalf("read %s: %v (run go generate ./probes/all)", all.DocPath, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./probes/all", all.DocPath)
	}
	for _, id := range r.IDs() {
		if !strings.Contains(string(want), "#### `"+id+"`") {
			t.Errorf("%s has no section", id)
		}
	}
}
