// Package registry maps each published schema name to the Go type it is generated from, and
// generates the schema documents with invopop/jsonschema. `go generate ./schemas` writes them;
// a test fails when the committed files are stale.
package registry

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

// Entry is one published schema.
type Entry struct {
	Name  string
	Title string
	Type  any // a value of the Go type the schema describes
}

// Entries lists every published schema. Add a format with one line here, then run
// `go generate ./schemas`.
func Entries() []Entry {
	entries := []Entry{
		{Name: "checklist", Title: "Jigsaw checklist", Type: checklist.Checklist{}},
		{Name: "answers", Title: "Jigsaw self-assessment answers", Type: answers.File{}},
		{Name: "probe-result", Title: "Jigsaw probe result with its HTTP exchanges", Type: ProbeResult{}},
		{Name: "submission", Title: "Jigsaw signed submission", Type: submission.Submission{}},
		{Name: "report", Title: "Jigsaw assessment report (the model the PDF, XLSX and JSON reports render)", Type: reports.Report{}},
		{Name: "league", Title: "Jigsaw league table", Type: reports.League{}},
	}
	return append(entries, cliEntries()...)
}

// cliEntries are the documents the jigsaw command prints with -o json, one per command.
func cliEntries() []Entry {
	cli := func(cmd string, v any) Entry {
		return Entry{Name: "cli-" + strings.ReplaceAll(cmd, " ", "-"), Title: "jigsaw " + cmd + " -o json", Type: v}
	}
	return []Entry{
		cli("answers import", cliout.AnswersImport{}),
		cli("assess", cliout.Assess{}),
		cli("checklist diff", checklist.VersionDiff{}),
		cli("checklist list", []checklist.Entry{}),
		cli("checklist show", cliout.ChecklistShow{}),
		cli("checklist show item", cliout.ChecklistItem{}),
		cli("checklist template", cliout.Template{}),
		cli("checklist validate", cliout.ChecklistValidate{}),
		cli("demo", cliout.Demo{}),
		cli("export", cliout.Export{}),
		cli("fleet report", cliout.FleetReport{}),
		cli("fleet scan", cliout.FleetScan{}),
		cli("keys generate", cliout.KeysGenerate{}),
		cli("league import", []league.ImportResult{}),
		cli("league keys list", []league.KeyEvent{}),
		cli("league show", league.History{}),
		cli("league table", cliout.LeagueTable{}),
		cli("probe", cliout.Probe{}),
		cli("probe list", []cliout.ProbeListing{}),
		cli("report", cliout.Report{}),
		cli("sandbox", cliout.Sandbox{}),
		cli("schema", []cliout.SchemaSummary{}),
		cli("terminology", cliout.Terminology{}),
		cli("validate", cliout.ValidateFile{}),
		cli("verify", cliout.Verify{}),
		cli("verify submission", submission.Report{}),
		cli("version", cliout.Version{}),
	}
}

// ProbeResult is one probe result together with the HTTP exchanges it cites.
type ProbeResult struct {
	Result    probes.Result     `json:"result"`
	Exchanges []probes.Exchange `json:"exchanges,omitempty"`
}

// enums gives named string types their closed set of values, taken from the Go constants so
// the schema cannot drift from the code.
func enums() map[reflect.Type][]string {
	m := map[reflect.Type][]string{}
	add := func(t reflect.Type, values []string) { m[t] = values }
	add(reflect.TypeFor[checklist.OrgType](), strs(checklist.OrgTypes()))
	add(reflect.TypeFor[checklist.Layer](), strs(checklist.Layers()))
	add(reflect.TypeFor[answers.Status](), strs(answers.Statuses()))
	add(reflect.TypeFor[answers.Provenance](), strs(answers.Provenances()))
	return m
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Lookup returns the entry called name.
func Lookup(name string) (Entry, bool) {
	i := slices.IndexFunc(Entries(), func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return Entry{}, false
	}
	return Entries()[i], true
}

// Generate returns the schema document for name, formatted as it is committed.
func Generate(name string) ([]byte, error) {
	e, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no schema named %q", name)
	}
	known := enums()
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			values, ok := known[t]
			if !ok {
				return nil
			}
			s := &jsonschema.Schema{Type: "string"}
			for _, v := range values {
				s.Enum = append(s.Enum, v)
			}
			return s
		},
	}
	s := r.Reflect(e.Type)
	s.ID = jsonschema.ID("https://github.com/nhs-jigsaw/jigsaw/schemas/" + schemas.FileName(name))
	s.Title = e.Title
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal schema %s: %w", name, err)
	}
	return schemas.Indent(raw)
}
