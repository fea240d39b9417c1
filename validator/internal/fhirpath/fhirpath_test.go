package fhirpath

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// jsonModel is a minimal Model over a parsed JSON resource, enough to evaluate expressions
// against plain data: every object and primitive is a node.
type jsonModel struct {
	name     []string
	typ      []string
	parent   []int32
	children [][]int32
	value    []Item
	hasValue []bool
}

func newJSONModel(t *testing.T, doc string) *jsonModel {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	m := &jsonModel{}
	m.add("", v, -1)
	return m
}

func (m *jsonModel) add(name string, v any, parent int32) int32 {
	id := int32(len(m.name))
	m.name = append(m.name, name)
	m.parent = append(m.parent, parent)
	m.children = append(m.children, nil)
	m.value = append(m.value, Item{})
	m.hasValue = append(m.hasValue, false)
	m.typ = append(m.typ, "")
	switch x := v.(type) {
	case map[string]any:
		if rt, ok := x["resourceType"].(string); ok {
			m.typ[id] = rt
		} else {
			m.typ[id] = "Element"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			if k != "resourceType" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			items, isArr := x[k].([]any)
			if !isArr {
				items = []any{x[k]}
			}
			for _, it := range items {
				c := m.add(k, it, id)
				m.children[id] = append(m.children[id], c)
			}
		}
	case string:
		m.typ[id], m.value[id], m.hasValue[id] = "string", Item{Node: -1, Kind: KString, S: x}, true
		if d, ok := ParseDateTime(x, false); ok && len(x) == 10 {
			m.typ[id], m.value[id] = "date", Item{Node: -1, Kind: KDate, S: x, T: &d}
		}
	case float64:
		m.typ[id], m.value[id], m.hasValue[id] = "decimal", Item{Node: -1, Kind: KDecimal, F: x, S: strconv.FormatFloat(x, 'f', -1, 64)}, true
		if x == float64(int64(x)) {
			m.typ[id], m.value[id].Kind = "integer", KInteger
		}
	case bool:
		m.typ[id], m.value[id], m.hasValue[id] = "boolean", Item{Node: -1, Kind: KBoolean, B: x}, true
	}
	return id
}

func (m *jsonModel) Children(n int32, name string, dst []Item) []Item {
	for _, c := range m.children[n] {
		if m.name[c] == name {
			dst = append(dst, Item{Node: c})
		}
	}
	return dst
}

func (m *jsonModel) AllChildren(n int32, dst []Item) []Item {
	for _, c := range m.children[n] {
		dst = append(dst, Item{Node: c})
	}
	return dst
}

func (m *jsonModel) Stub(int32) bool                  { return false }
func (m *jsonModel) Value(n int32) (Item, bool)       { return m.value[n], m.hasValue[n] }
func (m *jsonModel) IsType(n int32, name string) bool { return m.typ[n] == name }
func (m *jsonModel) TypeName(n int32) string          { return m.typ[n] }
func (m *jsonModel) Name(n int32) string              { return m.name[n] }
func (m *jsonModel) Root() int32                      { return 0 }
func (m *jsonModel) ResourceOf(n int32) int32 {
	for ; n > 0; n = m.parent[n] {
		if m.typ[n] != "Element" && m.typ[n] != "string" && m.typ[n] != "date" && m.typ[n] != "integer" &&
			m.typ[n] != "decimal" && m.typ[n] != "boolean" {
			return n
		}
	}
	return 0
}

// render writes a result as text: values, or the node's element name for complex nodes.
func (m *jsonModel) render(items []Item) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if it.Node >= 0 {
			if v, ok := m.Value(it.Node); ok {
				it = v
			} else {
				parts = append(parts, "<"+m.name[it.Node]+">")
				continue
			}
		}
		switch it.Kind {
		case KBoolean:
			parts = append(parts, strconv.FormatBool(it.B))
		case KInteger, KDecimal:
			if it.S != "" {
				parts = append(parts, it.S)
			} else {
				parts = append(parts, strconv.FormatFloat(it.F, 'f', -1, 64))
			}
		default:
			parts = append(parts, it.S)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

const patient = `{"resourceType":"Patient","id":"p1","active":true,"gender":"female","birthDate":"1970-01-31",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
 "name":[{"use":"official","family":"Smith","given":["Jane","Ann"]},{"use":"nickname","given":["Janey"]}],
 "multipleBirthInteger":2}`

func TestEval(t *testing.T) {
	m := newJSONModel(t, patient)
	cases := []struct{ expr, want string }{
		{"name.given", "[Jane, Ann, Janey]"},
		{"name.given.count()", "[3]"},
		{"name.where(use = 'official').family", "[Smith]"},
		{"name.where(use = 'official').given.first()", "[Jane]"},
		{"name.given.last()", "[Janey]"},
		{"name.given.exists($this = 'Ann')", "[true]"},
		{"name.given.all($this.length() > 2)", "[true]"},
		{"telecom.empty()", "[true]"},
		{"telecom.exists()", "[false]"},
		{"birthDate.exists() and gender = 'female'", "[true]"},
		{"gender = 'male'", "[false]"},
		{"gender != 'male'", "[true]"},
		{"identifier.value.startsWith('9')", "[true]"},
		{"identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value", "[9000000009]"},
		{"1 + 2 * 3", "[7]"},
		{"10 div 3", "[3]"},
		{"10 mod 3", "[1]"},
		{"'a' & 'b'", "[ab]"},
		{"'abc'.length()", "[3]"},
		{"'abc'.substring(1)", "[bc]"},
		{"'a,b'.contains(',')", "[true]"},
		{"(1 | 2 | 2).count()", "[2]"},
		{"{}", "[]"},
		{"{}.empty()", "[true]"},
		{"true and {}", "[]"},
		{"false and {}", "[false]"},
		{"false implies {}", "[true]"},
		{"true or {}", "[true]"},
		{"iif(active, 'yes', 'no')", "[yes]"},
		{"multipleBirth.exists() or multipleBirthInteger > 1", "[true]"},
		{"name.given.distinct().count() = name.given.count()", "[true]"},
		{"name.select(given.first())", "[Jane, Janey]"},
		{"%resource.id", "[p1]"},
		{"id.matches('^p[0-9]+$')", "[true]"},
		{"@2026-01-01 < @2026-02-01", "[true]"},
		{"birthDate < @2000-01-01", "[true]"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			e, err := Parse(c.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := Eval(e, m, 0)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if r := m.render(got); r != c.want {
				t.Errorf("%s = %s, want %s", c.expr, r, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, expr := range []string{"name.", "(1 + 2", "name.where(", "'unterminated", "1 +", "name..given"} {
		if _, err := Parse(expr); err == nil {
			t.Errorf("Parse(%q) accepted", expr)
		}
	}
}

func TestTruth(t *testing.T) {
	cases := []struct {
		items     []Item
		value, ok bool
	}{
		{nil, false, false},
		{[]Item{{Node: -1, Kind: KBoolean, B: true}}, true, true},
		{[]Item{{Node: -1, Kind: KBoolean, B: false}}, false, true},
		{[]Item{{Node: 3}}, true, true},
	}
	for _, c := range cases {
		if v, ok := Truth(c.items); v != c.value || ok != c.ok {
			t.Errorf("Truth(%+v) = %v %v, want %v %v", c.items, v, ok, c.value, c.ok)
		}
	}
}
