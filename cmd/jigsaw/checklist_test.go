package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/schemas"
)

var updateChecklistGolden = flag.Bool("update-checklist-golden", false, "rewrite the checklist command golden files")

// runJigsaw runs the CLI as a user would and returns its exit code and output.
func runJigsaw(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != exitUsage {
		checkJSONOutput(t, args, out.String())
	}
	return code, out.String(), errOut.String()
}

func catalogueFile(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "checklist", "catalog", "nhs-interop", "2026.1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChecklistList(t *testing.T) {
	code, out, _ := runJigsaw(t, "checklist", "list")
	if code != 0 || !strings.Contains(out, "nhs-interop  2026.1   12       72") {
		t.Fatalf("exit %d, table:\n%s", code, out)
	}
	code, out, _ = runJigsaw(t, "checklist", "list", "-o", "json")
	var entries []checklist.Entry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) == 0 || entries[0].Ref() != "nhs-interop@2026.1" {
		t.Fatalf("exit %d, json:\n%s", code, out)
	}
}

func TestChecklistShowGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"show-item-IAM-01.golden", []string{"checklist", "show", "nhs-interop@2026.1", "--item", "IAM-01"}},
		{"show-item-TERM-03.json.golden", []string{"checklist", "show", "nhs-interop@2026.1", "--item", "TERM-03", "-o", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			code, out, errOut := runJigsaw(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			path := filepath.Join("testdata", "checklist", tt.golden)
			if *updateChecklistGolden {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-checklist-golden to create it)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (run with -update-checklist-golden after checking the change):\n%s", path, out)
			}
		})
	}
}

func TestChecklistShowWholeChecklist(t *testing.T) {
	code, out, _ := runJigsaw(t, "checklist", "show", "nhs-interop")
	if code != 0 || !strings.HasPrefix(out, "nhs-interop@2026.1  NHS interoperability maturity\n") ||
		!strings.Contains(out, "  IAM-01  5       yes       acute,mental-health,community,ambulance,gp,icb") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runJigsaw(t, "checklist", "show", "nhs-interop@2026.1", "-o", "json")
	var v struct {
		Ref     string `json:"ref"`
		SHA256  string `json:"sha256"`
		Domains []struct {
			ID string `json:"id"`
		} `json:"domains"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Ref != "nhs-interop@2026.1" || len(v.SHA256) != 64 || len(v.Domains) != 12 {
		t.Fatalf("exit %d, json %+v", code, v)
	}
}

func TestChecklistValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, catalogueFile(t), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runJigsaw(t, "checklist", "validate", good)
	if code != 0 || !strings.Contains(out, "good.yaml: valid nhs-interop@2026.1 (12 domains, 72 items, sha256 ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	bad := strings.Replace(string(catalogueFile(t)), "        weight: 3\n", "        weight: 9\n", 1)
	bad = strings.Replace(bad, "          - security.auth.required\n", "          - security.auth.requird\n", 1)
	bad = strings.Replace(bad, "version: \"2026.1\"", "version: 2026.1", 1)
	badPath := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	// The misspelt probe's line is found in the file, so edits elsewhere in the catalogue do not
	// move the expectation; its column and field are what the test pins.
	probeLine := strings.Count(bad[:strings.Index(bad, "security.auth.requird")], "\n") + 1
	code, out, errOut := runJigsaw(t, "checklist", "validate", badPath)
	want := badPath + ":9:10: version: must be a string, not a number (put the value in quotes)\n" +
		badPath + ":56:17: domains[0].items[0].weight: 9 is above the maximum 5\n" +
		badPath + ":" + strconv.Itoa(probeLine) + ":13: domains[6].items[0].probes[0]: unknown probe id \"security.auth.requird\": no probe with this id is registered\n"
	if code != 1 || out != want || !strings.Contains(errOut, badPath+": 3 problems") {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, out, want, errOut)
	}
	code, out, _ = runJigsaw(t, "checklist", "validate", badPath, "-o", "json")
	var res checklistValidation
	if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.Valid || len(res.Errors) != 3 ||
		res.Errors[1].Line != 56 || res.Errors[1].Column != 17 || res.Errors[1].Field != "domains[0].items[0].weight" {
		t.Fatalf("exit %d json %+v", code, res)
	}
	if code, _, errOut := runJigsaw(t, "checklist", "validate", filepath.Join(dir, "missing.yaml")); code != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d, %s", code, errOut)
	}
}

func TestChecklistDiff(t *testing.T) {
	dir := t.TempDir()
	draft := strings.Replace(string(catalogueFile(t)), `version: "2026.1"`, `version: "2026.2"`, 1)
	draft = strings.Replace(draft, "        weight: 5\n        mandatory_for: [gp-practice]\n", "        weight: 4\n        mandatory_for: [gp-practice, icb]\n", 1)
	path := filepath.Join(dir, "draft.yaml")
	if err := os.WriteFile(path, []byte(draft), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runJigsaw(t, "checklist", "diff", "nhs-interop@2026.1", path)
	want := "nhs-interop@2026.1 -> nhs-interop@2026.2\n\nchanged items (1)\n" +
		"  ~ NAT-01   national-services      GP Connect provider capabilities enabled\n" +
		"      weight: 5 -> 4\n      mandatory_for: +icb\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d (%s)\n got:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	code, out, _ = runJigsaw(t, "checklist", "diff", "nhs-interop", "nhs-interop@2026.1")
	if code != 0 || !strings.Contains(out, "no differences") {
		t.Errorf("self diff: exit %d %s", code, out)
	}
	code, out, _ = runJigsaw(t, "checklist", "diff", "nhs-interop@2026.1", path, "-o", "json")
	var d checklist.VersionDiff
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || len(d.Changed) != 1 || d.Changed[0].Fields[0].Field != "weight" {
		t.Errorf("json diff: exit %d %+v", code, d)
	}
}

func TestChecklistUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"checklist", "show"}, "accepts 1 arg"},
		{[]string{"checklist", "show", "nhs-interop", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"checklist", "show", "nope"}, `no checklist "nope" in the catalogue`},
		{[]string{"checklist", "show", "nhs-interop", "--item", "XX-99"}, `nhs-interop@2026.1 has no item "XX-99"`},
		{[]string{"checklist", "diff", "nhs-interop"}, "accepts 2 arg"},
		{[]string{"checklist", "list", "extra"}, "unknown command"},
		{[]string{"schema", "nope"}, `no schema named "nope"`},
		{[]string{"schema", "-o", "xml"}, `unknown output format "xml"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runJigsaw(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tt.want)
			}
		})
	}
}

// TestCatalogueAgainstLiveProbeRegistry checks every probe the catalogue links is one the
// probe engine actually registers.
func TestCatalogueAgainstLiveProbeRegistry(t *testing.T) {
	reg := all.Registry()
	entries, err := checklist.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		c, err := checklist.Lookup(e.Ref())
		if err != nil {
			t.Fatal(err)
		}
		if err := checklist.Validate(c, reg.Has); err != nil {
			t.Errorf("%s links probes the registry does not have:\n%v", e.Ref(), err)
		}
	}
}

func TestSchemaCommand(t *testing.T) {
	code, out, _ := runJigsaw(t, "schema")
	for _, name := range []string{"answers", "checklist", "probe-result"} {
		if code != 0 || !strings.Contains(out, name) {
			t.Fatalf("exit %d, list:\n%s", code, out)
		}
	}
	code, out, _ = runJigsaw(t, "schema", "checklist")
	want, _ := schemas.JSON("checklist")
	if code != 0 || out != string(want) {
		t.Fatalf("exit %d: schema output differs from the published file", code)
	}
	code, out, _ = runJigsaw(t, "schema", "-o", "json")
	var list []schemaSummary
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != len(schemas.Names()) || list[1].Title != "Jigsaw checklist" {
		t.Fatalf("exit %d json %+v", code, list)
	}
}
