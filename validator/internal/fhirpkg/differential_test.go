package fhirpkg

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

func TestDifferentialProblem(t *testing.T) {
	base := &model.Definitions{FHIRVersion: "4.0.1", Structures: []model.Structure{
		{URL: "http://hl7.org/fhir/StructureDefinition/Quantity", Type: "Quantity", Kind: "complex-type", Elements: []model.Element{
			{ID: "Quantity", Path: "Quantity", Max: -1},
			{ID: "Quantity.unit", Path: "Quantity.unit", Max: 1, Types: []model.TypeRef{{Code: "string"}}},
		}},
		{URL: "http://hl7.org/fhir/StructureDefinition/Observation", Type: "Observation", Kind: "resource", Elements: []model.Element{
			{ID: "Observation", Path: "Observation", Max: -1},
			{ID: "Observation.status", Path: "Observation.status", Min: 1, Max: 1, Types: []model.TypeRef{{Code: "code"}}},
			{ID: "Observation.value[x]", Path: "Observation.value[x]", Max: 1, Types: []model.TypeRef{{Code: "Quantity"}, {Code: "string"}}},
		}},
	}}
	before, _ := json.Marshal(base)
	profile := func(derivation string, elements ...string) map[string]any {
		doc := `{"resourceType": "StructureDefinition", "url": "http://example.org/p", "type": "Observation", "kind": "resource",
		  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "` + derivation + `",
		  "differential": {"element": [` + strings.Join(elements, ",") + `]}}`
		var m map[string]any
		if err := json.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name string
		sd   map[string]any
		want string // substring of the problem; "" means none
	}{
		{"plain constraint", profile("constraint", `{"id": "Observation.status", "path": "Observation.status", "short": "s"}`), ""},
		{"renamed choice", profile("constraint", `{"id": "Observation.valueQuantity", "path": "Observation.valueQuantity", "min": 1}`), ""},
		{"renamed choice child", profile("constraint", `{"id": "Observation.valueQuantity", "path": "Observation.valueQuantity"}`,
			`{"id": "Observation.valueQuantity.unit", "path": "Observation.valueQuantity.unit", "min": 1}`), ""},
		{"choice kept", profile("constraint", `{"id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}]}`), ""},
		{"renamed choice with a type that is not one of the choice's", profile("constraint", `{"id": "Observation.valueQuantity", "path": "Observation.valueBla"}`),
			"the path must be 'Observation.value[x]' not 'Observation.valueBla' when the type list is not constrained"},
		{"path without id naming no type", profile("constraint", `{"path": "Observation.valueBla"}`), "not in the base definition"},
		{"path of another element", profile("constraint", `{"id": "Observation.status", "path": "Observation.code"}`), "does not match the base definition's Observation.status"},
		{"unknown element", profile("constraint", `{"id": "Observation.bogus", "path": "Observation.bogus"}`), "not in the base definition"},
		{"a specialization is not checked", profile("specialization", `{"id": "Observation.bogus", "path": "Observation.bogus"}`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DifferentialProblem(base, tc.sd)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("DifferentialProblem = %q, want %q", got, tc.want)
			}
		})
	}
	if after, _ := json.Marshal(base); string(after) != string(before) {
		t.Error("DifferentialProblem changed the definitions it was given")
	}
}

// FuzzDifferentialProblem generates snapshots from differentials whose element ids, paths and
// slice names are fuzzed (a StructureDefinition being validated is outside input): never a
// panic.
func FuzzDifferentialProblem(f *testing.F) {
	base := &model.Definitions{FHIRVersion: "4.0.1", Structures: []model.Structure{
		{URL: "http://hl7.org/fhir/StructureDefinition/Quantity", Type: "Quantity", Kind: "complex-type", Elements: []model.Element{
			{ID: "Quantity", Path: "Quantity", Max: -1},
			{ID: "Quantity.unit", Path: "Quantity.unit", Max: 1, Types: []model.TypeRef{{Code: "string"}}},
		}},
		{URL: "http://hl7.org/fhir/StructureDefinition/Observation", Type: "Observation", Kind: "resource", Elements: []model.Element{
			{ID: "Observation", Path: "Observation", Max: -1},
			{ID: "Observation.component", Path: "Observation.component", Max: -1, Types: []model.TypeRef{{Code: "BackboneElement"}}},
			{ID: "Observation.component.value[x]", Path: "Observation.component.value[x]", Max: 1, Types: []model.TypeRef{{Code: "Quantity"}, {Code: "string"}}},
			{ID: "Observation.value[x]", Path: "Observation.value[x]", Max: 1, Types: []model.TypeRef{{Code: "Quantity"}, {Code: "string"}}},
		}},
	}}
	f.Add("Observation.valueQuantity", "Observation.valueBla", "", "Observation.component:a.valueQuantity.unit", "Observation.component.value[x].unit", "a")
	f.Add("Observation.value[x]:valueQuantity.unit", "Observation.value[x].unit", "valueQuantity", ":", ".", "/")
	f.Add("Observation.component:a/b/c", "Observation.component", "a/b/c", "..", "Observation..x", "")
	f.Fuzz(func(t *testing.T, id1, path1, slice1, id2, path2, slice2 string) {
		elem := func(id, path, slice string) map[string]any {
			return map[string]any{"id": id, "path": path, "sliceName": slice, "min": float64(1)}
		}
		sd := map[string]any{"url": "http://example.org/p", "type": "Observation", "kind": "resource", "derivation": "constraint",
			"baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
			"differential":   map[string]any{"element": []any{elem(id1, path1, slice1), elem(id2, path2, slice2)}}}
		DifferentialProblem(base, sd)
	})
}
