// Package archtest checks the import layers docs/design.md declares, with `go list`.
package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/nhs-jigsaw/jigsaw"

// repoRoot is two directories up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func goList(t *testing.T, args ...string) []byte {
	t.Helper()
	touchSources(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to read the import graph: %v", err)
	}
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// touchSources stats every Go file of the module, so that `go test` caches this package's
// result only until a source file changes (it cannot see what `go list` reads).
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(repoRoot(t), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != repoRoot(t) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// layerTable reads the layer table of docs/design.md: package (or "prefix/*") → layer.
func layerTable(t *testing.T) (exact, prefix map[string]int) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exact, prefix = map[string]int{}, map[string]int{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Layers"
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		layer, err := strconv.Atoi(strings.TrimSpace(cells[1]))
		if err != nil {
			continue // the header row
		}
		for _, p := range strings.Split(cells[2], ",") {
			p = strings.TrimSpace(p)
			if rest, ok := strings.CutSuffix(p, "/*"); ok {
				prefix[rest+"/"] = layer
			} else if p != "" {
				exact[p] = layer
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(exact) == 0 {
		t.Fatal("docs/design.md has no layer table under \"## Layers\"")
	}
	return exact, prefix
}

func layerOf(pkg string, exact, prefix map[string]int) (int, bool) {
	if l, ok := exact[pkg]; ok {
		return l, true
	}
	best, layer := "", 0
	for p, l := range prefix {
		if strings.HasPrefix(pkg, p) && len(p) > len(best) {
			best, layer = p, l
		}
	}
	return layer, best != ""
}

type listed struct {
	ImportPath string
	Imports    []string
}

// TestLayers: no package imports one on its own or a higher layer, and every package has a layer.
func TestLayers(t *testing.T) {
	exact, prefix := layerTable(t)
	dec := json.NewDecoder(bytes.NewReader(goList(t, "-json=ImportPath,Imports", "./...")))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if name == "internal/archtest" {
			continue
		}
		from, ok := layerOf(name, exact, prefix)
		if !ok {
			t.Errorf("package %s has no layer: add it to the table in docs/design.md (## Layers)", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module+"/")
			if !ours {
				continue
			}
			to, ok := layerOf(dep, exact, prefix)
			if !ok {
				continue // reported when the package itself is listed
			}
			if to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package may import only lower layers (docs/design.md ## Layers)", name, from, dep, to)
			}
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	return strings.Fields(string(goList(t, "-deps", pkg)))
}

// TestReportsRendersOnly: the renderers link no store and no network.
func TestReportsRendersOnly(t *testing.T) {
	for _, d := range deps(t, "./reports") {
		if d == "github.com/mattn/go-sqlite3" || d == "net/http" {
			t.Errorf("reports links %s: it must render only what it is given", d)
		}
	}
}

// TestLeagueLinksNoProbes: verifying and benchmarking submissions links neither the probe
// engine, the crawler nor the PDF renderer.
func TestLeagueLinksNoProbes(t *testing.T) {
	for _, d := range deps(t, "./league") {
		dep, ours := strings.CutPrefix(d, module+"/")
		if !ours {
			if strings.Contains(d, "fpdf") {
				t.Errorf("league links the PDF library %s", d)
			}
			continue
		}
		if dep == "probes" || strings.HasPrefix(dep, "probes/") || dep == "fleet" || dep == "reports" || dep == "assess" {
			t.Errorf("league links %s", dep)
		}
	}
}
