package yamldoc

import (
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// testSchema is a small schema in the shape invopop generates: closed objects, required
// fields, patterns and bounds.
const testSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "checks"],
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+$"},
    "checks": {
      "type": "array", "minItems": 1,
      "items": {
        "type": "object", "additionalProperties": false, "required": ["id", "weight"],
        "properties": {
          "id": {"type": "string", "minLength": 1},
          "weight": {"type": "integer", "minimum": 1, "maximum": 5},
          "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
        }
      }
    }
  }
}`

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("urn:test", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("urn:test")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

type testDoc struct {
	Name   string `json:"name"`
	Checks []struct {
		ID     string   `json:"id"`
		Weight int      `json:"weight"`
		Tags   []string `json:"tags"`
	} `json:"checks"`
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unterminated quote", "name: \"abc\nchecks: []\n", `t.yaml:1:7: invalid YAML: could not find end character of double-quoted text`},
		{"duplicate key", "name: a\nname: b\n", `t.yaml:2:1: invalid YAML: mapping key "name" already defined at [1:1]`},
		{"empty file", "", "t.yaml:1:1: the file is empty: it must hold one YAML document"},
		{"comment only", "# nothing here\n", "t.yaml:1:1: the file is empty: it must hold one YAML document"},
		{"two documents", "name: a\n---\nname: b\n", "t.yaml:2:1: the file holds 2 YAML documents; it must hold exactly one"},
		{"bad indentation", "name: a\n  checks: x\n", "t.yaml:1:7: invalid YAML: mapping value is not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("Parse: want one positioned error, got %v", err)
			}
			if !strings.HasPrefix(es[0].Error(), tt.want) {
				t.Errorf("error\n got: %s\nwant prefix: %s", es[0].Error(), tt.want)
			}
		})
	}
}

func TestAliasBombRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("want the alias expansion refused, got %v", err)
	}
}

func TestAliasesWithinLimitsAreFine(t *testing.T) {
	src := "name: abc\nchecks:\n  - &c {id: x, weight: 2, tags: &t [a, b]}\n  - {id: y, weight: 3, tags: *t}\n"
	d, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if ps := d.Check(compile(t)); len(ps) != 0 {
		t.Fatalf("unexpected problems: %v", ps)
	}
	var v testDoc
	if err := d.Decode(&v, nil); err != nil {
		t.Fatal(err)
	}
	if len(v.Checks) != 2 || len(v.Checks[1].Tags) != 2 {
		t.Fatalf("aliases not expanded: %+v", v)
	}
}

// TestCheckPositions asserts the exact file:line:column and field of every schema problem.
func TestCheckPositions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "above maximum",
			src:  "name: abc\nchecks:\n  - id: one\n    weight: 9\n",
			want: []string{"t.yaml:4:13: checks[0].weight: 9 is above the maximum 5"},
		},
		{
			name: "unknown field points at the key with a hint",
			src:  "name: abc\nchecks:\n  - id: one\n    wieght: 2\n",
			want: []string{
				`t.yaml:3:5: checks[0].weight: required field is missing`,
				`t.yaml:4:5: checks[0].wieght: unknown field "wieght" (did you mean "weight"?)`,
			},
		},
		{
			name: "wrong types are all reported",
			src:  "name: 12\nchecks:\n  - id: [a]\n    weight: three\n",
			want: []string{
				"t.yaml:1:7: name: must be a string, not a number (put the value in quotes)",
				"t.yaml:3:9: checks[0].id: must be a string, not a list",
				"t.yaml:4:13: checks[0].weight: must be an integer, not a string",
			},
		},
		{
			name: "flow style and enum",
			src:  "name: abc\nchecks: [{id: x, weight: 1, tags: [a, z]}]\n",
			want: []string{`t.yaml:2:39: checks[0].tags[1]: "z" is not one of: a, b`},
		},
		{
			name: "pattern and min items",
			src:  "name: ABC\nchecks: []\n",
			want: []string{
				`t.yaml:1:7: name: "ABC" does not match the pattern ^[a-z]+$`,
				"t.yaml:2:9: checks: must have at least 1 entry",
			},
		},
		{
			name: "root is not a mapping",
			src:  "- a\n- b\n",
			want: []string{"t.yaml:1:1: must be a mapping, not a list"},
		},
	}
	sch := compile(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("t.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			es := d.Errors(d.Check(sch))
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeSkipsValuesWithWrongTypes(t *testing.T) {
	d, err := Parse("t.yaml", []byte("name: abc\nchecks:\n  - id: one\n    weight: heavy\n  - id: two\n    weight: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	ps := d.Check(compile(t))
	var v testDoc
	if err := d.Decode(&v, ps); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(v.Checks) != 2 || v.Checks[0].Weight != 0 || v.Checks[1].Weight != 2 || v.Checks[0].ID != "one" {
		t.Fatalf("decoded %+v", v)
	}
}

func TestMerge(t *testing.T) {
	root := Path{}
	weight := root.Key("checks").Index(0).Key("weight")
	tests := []struct {
		name             string
		schema, semantic []Problem
		want             []string
	}{
		{
			name:     "structural problem hides semantic findings at and below it",
			schema:   []Problem{{Path: weight, Message: "must be an integer, not a string", Structural: true}},
			semantic: []Problem{{Path: weight, Message: "0 is below the minimum 1"}},
			want:     []string{"checks[0].weight: must be an integer, not a string"},
		},
		{
			name:     "semantic finding replaces the schema's wording at the same path",
			schema:   []Problem{{Path: weight, Message: "9 is above the maximum 5"}},
			semantic: []Problem{{Path: weight, Message: "weight 9 is above the maximum 5"}},
			want:     []string{"checks[0].weight: weight 9 is above the maximum 5"},
		},
		{
			name:     "unrelated problems are all kept, duplicates once",
			schema:   []Problem{{Path: root.Key("x"), Message: `unknown field "x"`, AtKey: true, Structural: true}},
			semantic: []Problem{{Path: weight, Message: "bad"}, {Path: weight, Message: "bad"}},
			want:     []string{`x: unknown field "x"`, "checks[0].weight: bad"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Merge(tt.schema, tt.semantic) {
				got = append(got, p.Path.String()+": "+p.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPathString(t *testing.T) {
	p := Path{}.Key("domains").Index(2).Key("items").Index(4).Key("levels").Key("1")
	if got := p.String(); got != "domains[2].items[4].levels.1" {
		t.Errorf("String() = %q", got)
	}
	// Extending one path twice must not let the two results share storage.
	base := Path{}.Key("a").Key("b")
	x, y := base.Key("x"), base.Key("y")
	if x.String() != "a.b.x" || y.String() != "a.b.y" {
		t.Errorf("paths alias each other: %s %s", x, y)
	}
}

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Column: 7, Field: "a.b", Message: "bad"}, "f.yaml:3:7: a.b: bad"},
		{Error{File: "f.yaml", Message: "too big"}, "f.yaml: too big"},
		{Error{Field: "weight", Message: "bad"}, "weight: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if (Errors{}).Err() != nil {
		t.Error("empty Errors.Err() must be nil")
	}
}

func FuzzParseCheckDecode(f *testing.F) {
	f.Add([]byte("name: abc\nchecks:\n  - id: one\n    weight: 2\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("checks: [{id: x, weight: 1e400}]\n"))
	f.Add([]byte("? [a, b]\n: c\n"))
	f.Add([]byte("name: .nan\n"))
	f.Add([]byte("--- !!binary aGVsbG8=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Parse error is not positioned Errors: %v", err)
			}
			return
		}
		sch := compileForFuzz()
		ps := d.Check(sch)
		_ = d.Errors(ps)
		var v testDoc
		_ = d.Decode(&v, ps)
	})
}

var fuzzSchema *jsonschema.Schema

func compileForFuzz() *jsonschema.Schema {
	if fuzzSchema == nil {
		doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(testSchema))
		c := jsonschema.NewCompiler()
		_ = c.AddResource("urn:test", doc)
		fuzzSchema = c.MustCompile("urn:test")
	}
	return fuzzSchema
}
