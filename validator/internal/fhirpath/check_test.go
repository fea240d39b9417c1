package fhirpath

import (
	"strings"
	"testing"
)

// mapTypes is a TypeInfo over a fixed table: type -> element name -> types. Types not in the
// table are unknown; "Resource" is known to exist but abstract (unknown children).
type mapTypes map[string]map[string][]string

func (m mapTypes) ChildTypes(t, name string) ([]string, bool, bool) {
	children, ok := m[t]
	if !ok {
		return nil, false, false
	}
	ts, found := children[name]
	return ts, found, true
}

func (m mapTypes) IsType(name string) bool {
	_, ok := m[name]
	return ok || name == "Resource"
}

func TestCheckTypes(t *testing.T) {
	types := mapTypes{
		"Bundle":                       {"type": {"code"}, "entry": {"Bundle.entry"}, "total": {"unsignedInt"}},
		"Bundle.entry":                 {"fullUrl": {"uri"}, "resource": {"Resource"}, "request": {"Bundle.entry.request"}},
		"Bundle.entry.request":         {"method": {"code"}},
		"StructureDefinition":          {"kind": {"code"}, "snapshot": {"StructureDefinition.snapshot"}},
		"StructureDefinition.snapshot": {"element": {"ElementDefinition"}},
		"ElementDefinition":            {"path": {"string"}, "min": {"unsignedInt"}, "type": {"ElementDefinition.type"}},
		"ElementDefinition.type":       {"code": {"uri"}},
		"Observation":                  {"value": {"Quantity", "string", "boolean"}, "status": {"code"}},
		"Quantity":                     {"value": {"decimal"}, "unit": {"string"}},
		"Extension":                    {"url": {"uri"}, "value": {"string", "boolean"}},
		"uri":                          {"value": {"System.String"}},
		"code":                         {"value": {"System.String"}},
		"string":                       {"value": {"System.String"}},
		"boolean":                      {"value": {"System.Boolean"}},
	}
	tests := []struct {
		name  string
		focus string
		expr  string
		want  string // substring of the error; "" means none
	}{
		{"valid path", "Bundle", "entry.fullUrl.exists()", ""},
		{"unknown name on a backbone element", "StructureDefinition.snapshot", "kind != 'logical' implies snapshot.element.first().type.empty()", "the name 'kind' is not valid"},
		{"unknown name deeper", "Bundle", "entry.request.verb = 'GET'", "the name 'verb' is not valid for any of the possible types: [Bundle.entry.request]"},
		{"where on a uri", "Bundle", "entry.where(fullUrl).select(fullUrl).isDistinct()", "the parameter type uri is not legal for where"},
		{"where on a boolean expression", "Bundle", "entry.where(fullUrl.exists()).select(fullUrl).isDistinct()", ""},
		{"all on a string", "StructureDefinition", "snapshot.element.all(path)", "not legal for all"},
		{"all with and of non-booleans is not checked", "StructureDefinition", "snapshot.element.all(path and min)", ""},
		{"exists criterion on a code", "Bundle", "entry.request.exists(method)", "not legal for exists"},
		{"choice resolves by base name", "Observation", "value.unit.exists() or value.exists()", ""},
		{"name on some types of a choice", "Observation", "value.unit = 'mg'", ""},
		{"abstract type is not checked", "Bundle", "entry.resource.status.exists()", ""},
		{"resolve() is not typed", "Bundle", "entry.request.resolve().anything.exists()", ""},
		{"variables are not typed", "Bundle", "%resource.anything.exists()", ""},
		{"type name at the start", "Bundle", "Bundle.entry.fullUrl.exists()", ""},
		{"ofType narrows", "Observation", "value.ofType(Quantity).unit.exists()", ""},
		{"ofType to a type without the name", "Observation", "value.ofType(Quantity).url.exists()", "the name 'url' is not valid"},
		{"extension() gives Extension", "Observation", "extension('http://x').value.exists()", ""},
		{"$this in where", "Bundle", "entry.where($this.fullUrl.exists()).exists()", ""},
		{"$this of the wrong type", "Bundle", "entry.where($this.fullUrl).exists()", "not legal for where"},
		{"union of types", "Bundle", "(entry.fullUrl | type).value.exists()", ""},
		{"iif is not typed", "Bundle", "iif(total.exists(), entry, type).anything.exists()", ""},
		{"unknown focus", "Patient", "name.exists()", ""},
		{"argument of a non-iterating function", "Bundle", "type.contains(entry.bad)", "the name 'bad' is not valid"},
		{"is() and as", "Observation", "(value as Quantity).unit.exists() and value.is(Quantity)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.expr, err)
			}
			err = e.CheckTypes(types, []string{tc.focus})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckTypes(%q) = %v, want no error", tc.expr, err)
			case tc.want != "" && err == nil:
				t.Errorf("CheckTypes(%q) = nil, want an error with %q", tc.expr, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("CheckTypes(%q) = %v, want %q", tc.expr, err, tc.want)
			}
		})
	}
}

// FuzzCheckTypes parses arbitrary expressions (a StructureDefinition's constraints and
// discriminators are outside input) and type-checks those that parse: never a panic.
func FuzzCheckTypes(f *testing.F) {
	types := mapTypes{
		"Bundle":       {"type": {"code"}, "entry": {"Bundle.entry"}},
		"Bundle.entry": {"fullUrl": {"uri"}, "resource": {"Resource"}},
		"uri":          {"value": {"System.String"}},
	}
	for _, s := range []string{
		"entry.where(fullUrl).select(fullUrl&resource.meta.versionId).isDistinct()",
		"kind != 'logical' implies snapshot.element.first().type.empty()",
		"(entry.fullUrl | type).value.exists() and iif(type.exists(), entry, $this).bogus[0].exists()",
		"entry.resource.ofType(Patient).name.where($this.given.exists()).all(%resource.x)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		_ = e.CheckTypes(types, []string{"Bundle"})
	})
}
