package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Check validates the document against a compiled JSON Schema and returns every violation as
// a Problem at the offending value.
func (d *Document) Check(sch *jsonschema.Schema) []Problem {
	return CheckValue(sch, d.value)
}

// CheckValue validates JSON-shaped data (as decoded with UseNumber) against sch.
func CheckValue(sch *jsonschema.Schema, value any) []Problem {
	err := sch.Validate(value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Message: fmt.Sprintf("schema validation: %v", err), Structural: true}}
	}
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		out = append(out, problemsFor(value, e)...)
	}
	walk(ve)
	hintMisspellings(out)
	return out
}

// hintMisspellings adds "did you mean" to an unknown field when a required field of the same
// mapping is missing and spelled almost the same (guidanse for guidance).
func hintMisspellings(ps []Problem) {
	// Missing required fields by the mapping they are missing from, so that a mapping with
	// thousands of unknown fields costs linear time.
	missing := map[string][]string{}
	for _, m := range ps {
		if m.AtKey || !m.Structural || len(m.Path) == 0 || m.Message != requiredMessage {
			continue
		}
		parent := m.Path[:len(m.Path)-1].String()
		missing[parent] = append(missing[parent], m.Path[len(m.Path)-1].Key)
	}
	if len(missing) == 0 {
		return
	}
	for i := range ps {
		unknown := &ps[i]
		if !unknown.AtKey || len(unknown.Path) == 0 {
			continue
		}
		got := unknown.Path[len(unknown.Path)-1].Key
		for _, want := range missing[unknown.Path[:len(unknown.Path)-1].String()] {
			if editDistance(got, want) <= 2 {
				unknown.Message += fmt.Sprintf(" (did you mean %q?)", want)
				break
			}
		}
	}
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

const requiredMessage = "required field is missing"

var printer = message.NewPrinter(language.English)

func problemsFor(value any, e *jsonschema.ValidationError) []Problem {
	at := pathFor(value, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		ps := make([]Problem, 0, len(k.Properties))
		for _, name := range k.Properties {
			ps = append(ps, Problem{Path: at.Key(name), Message: fmt.Sprintf("unknown field %q", name), AtKey: true, Structural: true})
		}
		return ps
	case *kind.Required:
		ps := make([]Problem, 0, len(k.Missing))
		for _, name := range k.Missing {
			ps = append(ps, Problem{Path: at.Key(name), Message: requiredMessage, Structural: true})
		}
		return ps
	case *kind.Type:
		msg := fmt.Sprintf("must be %s, not %s", typeNames(k.Want), article(k.Got))
		if slices.Equal(k.Want, []string{"string"}) && (k.Got == "number" || k.Got == "integer" || k.Got == "boolean") {
			msg += " (put the value in quotes)"
		}
		return []Problem{{Path: at, Message: msg, Structural: true}}
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return []Problem{{Path: at, Message: fmt.Sprintf("%s is not one of: %s", display(k.Got), strings.Join(want, ", "))}}
	case *kind.Pattern:
		return []Problem{{Path: at, Message: fmt.Sprintf("%q does not match the pattern %s", k.Got, k.Want)}}
	case *kind.Minimum:
		return []Problem{{Path: at, Message: fmt.Sprintf("%s is below the minimum %s", rat(k.Got), rat(k.Want))}}
	case *kind.Maximum:
		return []Problem{{Path: at, Message: fmt.Sprintf("%s is above the maximum %s", rat(k.Got), rat(k.Want))}}
	case *kind.MinItems:
		return []Problem{{Path: at, Message: fmt.Sprintf("must have at least %d %s", k.Want, plural(k.Want, "entry", "entries"))}}
	case *kind.MinLength:
		if k.Want == 1 {
			return []Problem{{Path: at, Message: "must not be empty"}}
		}
		return []Problem{{Path: at, Message: fmt.Sprintf("must be at least %d characters long", k.Want)}}
	case *kind.Format:
		return []Problem{{Path: at, Message: fmt.Sprintf("%s is not a valid %s", display(k.Got), k.Want)}}
	case *kind.FalseSchema:
		return []Problem{{Path: at, Message: "this field is not allowed here", AtKey: true, Structural: true}}
	}
	return []Problem{{Path: at, Message: e.ErrorKind.LocalizedString(printer)}}
}

func typeNames(want []string) string {
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = article(w)
	}
	return strings.Join(names, " or ")
}

// article names a JSON type the way a YAML author thinks of it.
func article(jsonType string) string {
	switch jsonType {
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	case "integer":
		return "an integer"
	case "null":
		return "empty"
	}
	return "a " + jsonType
}

func display(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprint(v)
}

func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Decode fills dst, a pointer to a value whose json tags name the document's fields. Values
// with structural problems (wrong type) are left out so that the rest still decodes and can be
// validated; such fields read as their zero values. Unknown fields are ignored here because the
// schema has already reported them.
func (d *Document) Decode(dst any, problems []Problem) error {
	value := cloneJSON(d.value)
	for _, p := range problems {
		if !p.Structural || p.AtKey {
			continue
		}
		if len(p.Path) == 0 {
			if _, isMap := value.(map[string]any); !isMap {
				return Errors{d.Errors([]Problem{p})[0]}
			}
			continue
		}
		value = remove(value, p.Path)
	}
	b, err := json.Marshal(value)
	if err != nil {
		return Errors{{File: d.name, Message: fmt.Sprintf("read document: %v", err)}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return Errors{{File: d.name, Message: fmt.Sprintf("read document: %v", err)}}
	}
	return nil
}

// remove drops the value at path (a map entry is deleted, a list entry becomes null).
func remove(value any, path Path) any {
	if len(path) == 0 {
		return nil
	}
	step := path[0]
	switch v := value.(type) {
	case map[string]any:
		if step.IsIndex {
			return v
		}
		if len(path) == 1 {
			delete(v, step.Key)
			return v
		}
		if child, ok := v[step.Key]; ok {
			v[step.Key] = remove(child, path[1:])
		}
	case []any:
		if !step.IsIndex || step.Index < 0 || step.Index >= len(v) {
			return v
		}
		if len(path) == 1 {
			v[step.Index] = nil
			return v
		}
		v[step.Index] = remove(v[step.Index], path[1:])
	}
	return value
}

func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneJSON(x)
		}
		return out
	}
	return v
}
