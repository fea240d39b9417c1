package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/sandbox"
	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// jsonSchemaName names the published schema of what args print with -o json: cli- and the
// command path, with the variants a flag or argument selects.
func jsonSchemaName(t *testing.T, args []string) string {
	t.Helper()
	root := newRootCmd(IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	c, rest, err := root.Find(args)
	if err != nil {
		t.Fatalf("find %v: %v", args, err)
	}
	if err := c.ParseFlags(rest); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	name := "cli-" + strings.ReplaceAll(strings.TrimPrefix(c.CommandPath(), "jigsaw "), " ", "-")
	flagSet := func(n string) bool { f := c.Flags().Lookup(n); return f != nil && f.Changed }
	switch {
	case name == "cli-probe" && flagSet("list"):
		name += "-list"
	case name == "cli-checklist-show" && flagSet("item"):
		name += "-item"
	case name == "cli-verify" && len(c.Flags().Args()) == 1:
		name += "-submission"
	}
	return name
}

// checkJSONOutput validates stdout of a command run with -o json against its published schema.
func checkJSONOutput(t *testing.T, args []string, stdout string) {
	t.Helper()
	if !isJSONRun(args) || strings.TrimSpace(stdout) == "" {
		return
	}
	checkJSONAgainst(t, jsonSchemaName(t, args), "jigsaw "+strings.Join(args, " "), stdout)
}

// checkJSONAgainst validates stdout against the named published schema; label names the run.
func checkJSONAgainst(t *testing.T, name, label, stdout string) {
	t.Helper()
	sch, err := schemas.Compile(name)
	if err != nil {
		t.Errorf("%s has no schema: %v", label, err)
		return
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s printed invalid JSON: %v", label, err)
		return
	}
	if name == "cli-validate" {
		// One file holding one resource prints its OperationOutcome, a FHIR resource.
		if m, ok := doc.(map[string]any); ok && m["resourceType"] == "OperationOutcome" {
			return
		}
	}
	if ps := yamldoc.CheckValue(sch, doc); len(ps) > 0 {
		t.Errorf("%s does not match schemas/%s: %v", label, schemas.FileName(name), ps)
	}
}

func isJSONRun(args []string) bool {
	for i, a := range args {
		if a == "-ojson" || a == "--output=json" || a == "-o=json" ||
			((a == "-o" || a == "--output") && i+1 < len(args) && args[i+1] == "json") {
			return true
		}
	}
	return false
}

// Every command that takes -o has a published schema for what it prints.
func TestEveryPrintingCommandHasASchema(t *testing.T) {
	root := newRootCmd(IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if c.Runnable() && (c.Flags().Lookup("output") != nil || c.InheritedFlags().Lookup("output") != nil) {
			seen++
			name := "cli-" + strings.ReplaceAll(strings.TrimPrefix(c.CommandPath(), "jigsaw "), " ", "-")
			if !slices.Contains(schemas.Names(), name) {
				t.Errorf("%s takes -o json but there is no schemas/%s: add it to schemas/registry", c.CommandPath(), schemas.FileName(name))
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if seen < 20 {
		t.Errorf("only %d commands take -o: the walk is broken", seen)
	}
}

// TestJSONOutputsMatchSchemas runs the commands a real inspection uses, one after another on
// one sandbox, each with -o json, and checks each output against its schema (runCLI does).
func TestJSONOutputsMatchSchemas(t *testing.T) {
	srv := startSandbox(t, sandbox.Typical)
	dir := t.TempDir()
	db := filepath.Join(dir, "inspection.db")
	central := filepath.Join(dir, "central.db")
	key := filepath.Join(dir, "trust.key")
	sub := filepath.Join(dir, "7A9.json")
	wb := filepath.Join(dir, "self.xlsx")
	t.Setenv("JIGSAW_TOKEN", srv.Token)
	steps := [][]string{
		{"assess", "--org", "7A9", "--name", srv.Org.Name, "--type", "acute-trust", "--target", srv.BaseURL(), "--ca", srv.CAFile,
			"--patient", srv.TestNHSNumber, "--db", db, "--no-progress", "-o", "json"},
		{"answers", "import", "../../answers/examples/typical.yaml", "--db", db, "-o", "json"},
		{"report", "--db", db, "--out", filepath.Join(dir, "reports"), "--format", "json", "-o", "json"},
		{"keys", "generate", "--out", key, "-o", "json"},
		{"export", "--db", db, "--key", key, "--out", sub, "-o", "json"},
		{"verify", "--db", db, "-o", "json"},
		{"verify", sub, "--pubkey", key + ".pub", "-o", "json"},
		{"league", "import", sub, "--db", central, "--keys", key + ".pub", "-o", "json"},
		{"league", "table", "--db", central, "--out", filepath.Join(dir, "league"), "--format", "json", "-o", "json"},
		{"league", "show", "7A9", "--db", central, "-o", "json"},
		{"checklist", "template", "--xlsx", wb, "--type", "acute-trust", "-o", "json"},
		{"checklist", "list", "-o", "json"},
		{"checklist", "show", "nhs-interop", "-o", "json"},
		{"checklist", "show", "nhs-interop", "--item", "TERM-03", "-o", "json"},
		{"checklist", "diff", "nhs-interop", "nhs-interop", "-o", "json"},
		{"schema", "-o", "json"},
		{"probe", "--list", "-o", "json"},
		{"validate", "testdata/validate/good.ndjson", "-o", "json"},
		{"terminology", "testdata/validate/coded.ndjson", "-o", "json"},
	}
	for _, args := range steps {
		code, stdout, stderr := runCLI(t, args...)
		if code == exitUsage || strings.TrimSpace(stdout) == "" {
			t.Fatalf("jigsaw %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}
