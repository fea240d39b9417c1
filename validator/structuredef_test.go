package validator

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
)

// sdWithConstraint is a StructureDefinition of the given type whose snapshot has a root element
// and one more element, the constraint being on the element at path.
func sdWithConstraint(sdType, kind, elemPath, elemType, key, expr, source string) string {
	src := ""
	if source != "" {
		src = `, "source": "` + source + `"`
	}
	typ := ""
	if elemType != "" {
		typ = `, "type": [{"code": "` + elemType + `"}]`
	}
	constraint := `"constraint": [{"key": "` + key + `", "severity": "error", "human": "h", "expression": "` + expr + `"` + src + `}]`
	root := `{"id": "` + sdType + `", "path": "` + sdType + `", "min": 0, "max": "*"`
	other := `{"id": "` + elemPath + `", "path": "` + elemPath + `", "min": 0, "max": "1"` + typ
	if elemPath == sdType {
		root += ", " + constraint
		other = `{"id": "` + sdType + `.id", "path": "` + sdType + `.id", "min": 0, "max": "1", "type": [{"code": "id"}]`
	} else {
		other += ", " + constraint
	}
	if elemType == "BackboneElement" { // a backbone element with a child
		other += `}, {"id": "` + elemPath + `.id", "path": "` + elemPath + `.id", "min": 0, "max": "1", "type": [{"code": "string"}]`
	}
	return `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/x", "name": "X", "status": "draft",
	  "kind": "` + kind + `", "abstract": false, "type": "` + sdType + `", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/` + sdType + `",
	  "derivation": "constraint", "snapshot": {"element": [` + root + `}, ` + other + `}]}}`
}

// TestStructureDefinitionConstraintTypes: the constraints a StructureDefinition defines are
// type-checked against the element they are on, as the HL7 Java validator does.
func TestStructureDefinitionConstraintTypes(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantMsg string // "" means no constraint error
	}{
		{"name not on the backbone element", sdWithConstraint("Bundle", "resource", "Bundle.entry", "BackboneElement", "x-1", "type = 'document'", ""),
			"the name 'type' is not valid for any of the possible types: [Bundle.entry]"},
		{"name not on the root type", sdWithConstraint("Patient", "resource", "Patient", "", "x-1", "status.exists()", ""),
			"the name 'status' is not valid"},
		{"where criterion not boolean", sdWithConstraint("Bundle", "resource", "Bundle", "", "x-1", "entry.where(fullUrl).exists()", ""),
			"the parameter type uri is not legal for where"},
		{"valid constraint", sdWithConstraint("Bundle", "resource", "Bundle", "", "x-1", "entry.where(fullUrl.exists()).select(fullUrl).isDistinct()", ""), ""},
		{"valid on a data type element", sdWithConstraint("Patient", "resource", "Patient.maritalStatus", "CodeableConcept", "x-1", "coding.code.exists() or text.exists()", ""), ""},
		{"name not on a data type element", sdWithConstraint("Patient", "resource", "Patient.maritalStatus", "CodeableConcept", "x-1", "value.exists()", ""),
			"the name 'value' is not valid for any of the possible types: [CodeableConcept]"},
		{"constraint from another structure is not checked", sdWithConstraint("Patient", "resource", "Patient", "", "x-1", "status.exists()", "http://example.org/other"), ""},
		{"constraint with its own url as source", sdWithConstraint("Patient", "resource", "Patient", "", "x-1", "status.exists()", "http://example.org/StructureDefinition/x"),
			"the name 'status' is not valid"},
		{"logical model is not checked", sdWithConstraint("Patient", "logical", "Patient", "", "x-1", "status.exists()", ""), ""},
		{"renamed choice accepted", sdWithConstraint("Observation", "resource", "Observation", "", "x-1", "valueQuantity.unit.exists() or value.exists()", ""), ""},
		{"renamed choice of a type it does not have", sdWithConstraint("Observation", "resource", "Observation", "", "x-1", "valueBla.exists()", ""),
			"the name 'valueBla' is not valid"},
		{"unknown type is not checked", sdWithConstraint("MyThing", "resource", "MyThing", "", "x-1", "status.exists()", ""), ""},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issues := v.ValidateResource(context.Background(), []byte(tc.doc))
			var got []Issue
			for _, is := range issues {
				if strings.Contains(is.Message, "error in constraint") {
					got = append(got, is)
				}
			}
			if tc.wantMsg == "" {
				if len(got) > 0 {
					t.Errorf("unexpected constraint error: %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one constraint error with %q, got %+v (all: %+v)", tc.wantMsg, got, issues)
			}
			is := got[0]
			if !strings.Contains(is.Message, tc.wantMsg) || is.Severity != SeverityError || is.Check != CheckStructureDef {
				t.Errorf("got %+v, want an error with %q", is, tc.wantMsg)
			}
			if !strings.HasPrefix(is.Expression, "StructureDefinition.snapshot.element[") || !strings.HasSuffix(is.Expression, ".constraint[0]") || is.Line == 0 {
				t.Errorf("location %q line %d, want the constraint's", is.Expression, is.Line)
			}
		})
	}
}

// TestCoreConstraintsTypeCheck: every constraint of the built-in definitions type-checks in
// the context the checker gives it, except the errors the core specifications publish (the
// HL7 Java validator reports these too). This keeps the checker from refusing correct
// expressions.
func TestCoreConstraintsTypeCheck(t *testing.T) {
	published := map[Version][]string{
		R4: {
			"http://hl7.org/fhir/StructureDefinition/ChargeItemDefinition cid-0",                     // ChargeItemDefinition has no name
			"http://hl7.org/fhir/StructureDefinition/allergyintolerance-substanceExposureRisk inv-1", // an extension's slice name used as an element
		},
		STU3: {
			"http://hl7.org/fhir/StructureDefinition/Bundle bdl-7", // where(fullUrl): a uri as the criterion
			"http://hl7.org/fhir/StructureDefinition/allergyintolerance-substanceExposureRisk inv-1",
		},
	}
	for _, version := range []Version{R4, STU3} {
		t.Run(string(version), func(t *testing.T) {
			v, err := New(version)
			if err != nil {
				t.Fatal(err)
			}
			sc := v.sc
			ti := schemaTypes{sc}
			var failed []string
			checked := 0
			for _, s := range sc.defs.Structures {
				if s.Differential || s.Kind == "logical" || sc.types[s.Type] == nil {
					continue
				}
				for _, e := range s.Elements {
					var codes []string
					for _, tr := range e.Types {
						codes = append(codes, tr.Code)
					}
					cr := e.ContentRef
					if cr != "" {
						cr = "#" + cr
					}
					focus := elementFocus(e.Path, cr, codes, s.Type)
					for _, ci := range e.Constraints {
						c := sc.defs.Constraints[ci]
						if c.Expression == "" || (c.Source != "" && c.Source != s.URL) || len(focus) == 0 {
							continue
						}
						x, err := fhirpath.Parse(c.Expression)
						if err != nil {
							continue
						}
						checked++
						if err := x.CheckTypes(ti, focus); err != nil {
							failed = append(failed, s.URL+" "+c.Key)
							if !contains(published[version], s.URL+" "+c.Key) {
								t.Errorf("%s %s on %s (%v): %s: %v", s.URL, c.Key, e.Path, focus, c.Expression, err)
							}
						}
					}
				}
			}
			sort.Strings(failed)
			for _, p := range published[version] {
				if !contains(failed, p) {
					t.Errorf("%s: the published error is no longer found", p)
				}
			}
			if checked < 100 {
				t.Errorf("only %d constraints checked", checked)
			}
			t.Logf("%d constraints checked", checked)
		})
	}
}

// TestStructureDefinitionDifferential: a constraint profile's snapshot is generated from its
// differential while it is validated, and why it cannot be is an error on the
// StructureDefinition (as the Java validator's "Error generating Snapshot").
func TestStructureDefinitionDifferential(t *testing.T) {
	profile := func(derivation, snapshot string, elements ...string) string {
		snap := ""
		if snapshot != "" {
			snap = `, "snapshot": {"element": [` + snapshot + `]}`
		}
		return `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/obs", "name": "Obs", "status": "draft",
		  "kind": "resource", "abstract": false, "type": "Observation", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
		  "derivation": "` + derivation + `", "differential": {"element": [` + strings.Join(elements, ", ") + `]}` + snap + `}`
	}
	tests := []struct {
		name string
		doc  string
		want string // substring of the error; "" means none
	}{
		{"valid differential", profile("constraint", "", `{"id": "Observation.status", "path": "Observation.status", "fixedCode": "final"}`,
			`{"id": "Observation.valueQuantity", "path": "Observation.valueQuantity", "min": 1}`,
			`{"id": "Observation.component:a", "path": "Observation.component", "sliceName": "a", "max": "1"}`), ""},
		{"renamed choice naming no type", profile("constraint", "", `{"id": "Observation.valueQuantity", "path": "Observation.valueBla"}`),
			"the path must be 'Observation.value[x]' not 'Observation.valueBla' when the type list is not constrained"},
		{"element the base does not have", profile("constraint", "", `{"id": "Observation.colour", "path": "Observation.colour", "min": 1}`),
			"element Observation.colour is not in the base definition"},
		{"checked with a snapshot too", profile("constraint", `{"id": "Observation", "path": "Observation", "min": 0, "max": "*", "definition": "d"}`,
			`{"id": "Observation.valueQuantity", "path": "Observation.valueBla"}`), "when the type list is not constrained"},
		{"a specialization is not generated", profile("specialization", "", `{"id": "Observation.colour", "path": "Observation.colour"}`), ""},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(tc.doc)) {
				if is.Check == CheckStructureDef && strings.Contains(is.Message, "generating the snapshot") {
					got = append(got, is)
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Errorf("unexpected: %+v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tc.want) || got[0].Severity != SeverityError ||
				got[0].Expression != "StructureDefinition" || got[0].Line != 1 {
				t.Errorf("got %+v, want one error on StructureDefinition with %q", got, tc.want)
			}
		})
	}
}

// TestStructureDefinitionDiscriminators: a slicing discriminator's path must name elements of
// the sliced element's types.
func TestStructureDefinitionDiscriminators(t *testing.T) {
	sd := func(elem string) string {
		return `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/obs", "name": "Obs", "status": "draft",
		  "kind": "resource", "abstract": false, "type": "Observation", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
		  "derivation": "constraint", "differential": {"element": [` + elem + `]}}`
	}
	slicing := func(path, typ, discPath string) string {
		ty := ""
		if typ != "" {
			ty = `, "type": [{"code": "` + typ + `"}]`
		}
		return `{"id": "` + path + `", "path": "` + path + `"` + ty + `, "slicing": {"discriminator": [{"type": "value", "path": "` + discPath + `"}], "rules": "open"}}`
	}
	tests := []struct {
		name string
		elem string
		want string // substring of the error; "" means none
	}{
		{"extension sliced by url", slicing("Observation.extension", "Extension", "url"), ""},
		{"extension sliced by a name it does not have", slicing("Observation.extension", "Extension", "type"),
			"the discriminator path 'type' does not appear to be valid for the element that is being sliced 'Observation.extension'"},
		{"no type stated: not checked", slicing("Observation.extension", "", "type"), ""},
		{"backbone element by a path of its own", slicing("Observation.component", "BackboneElement", "code.coding.code"), ""},
		{"backbone element by a name it does not have", slicing("Observation.component", "BackboneElement", "status"), "the name 'status' is not valid"},
		{"$this", slicing("Observation.category", "CodeableConcept", "$this"), ""},
		{"resolve() is not typed", slicing("Observation.hasMember", "Reference", "resolve().code"), ""},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(sd(tc.elem))) {
				if is.Check == CheckStructureDef {
					got = append(got, is)
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Errorf("unexpected: %+v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tc.want) ||
				got[0].Expression != "StructureDefinition.differential.element[0].slicing.discriminator[0]" {
				t.Errorf("got %+v, want one error on the discriminator with %q", got, tc.want)
			}
		})
	}
}

// TestStructureDefinitionDifferentialLimit: a differential too large to generate in bounded
// time is reported as not generated, not as an error.
func TestStructureDefinitionDifferentialLimit(t *testing.T) {
	elems := make([]string, maxDifferentialElements+1)
	for i := range elems {
		elems[i] = `{"id": "Observation.valueBla", "path": "Observation.valueBla"}`
	}
	doc := `{"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/obs", "name": "Obs", "status": "draft",
	  "kind": "resource", "abstract": false, "type": "Observation", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
	  "derivation": "constraint", "differential": {"element": [` + strings.Join(elems, ", ") + `]}}`
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, is := range v.ValidateResource(context.Background(), []byte(doc)) {
		if is.Check == CheckStructureDef && strings.Contains(is.Message, "snapshot") {
			if is.Severity != SeverityInformation || !strings.Contains(is.Message, "not generated") {
				t.Errorf("unexpected: %+v", is)
			}
			found = true
		}
	}
	if !found {
		t.Error("no issue says the snapshot was not generated")
	}
}

// TestStructureDefinitionDerivation: a StructureDefinition against its base definition and type.
func TestStructureDefinitionDerivation(t *testing.T) {
	sd := func(url, kind, typ, base, derivation, elems string) string {
		return `{"resourceType": "StructureDefinition", "url": "` + url + `", "name": "X", "status": "draft",
		  "kind": "` + kind + `", "abstract": false, "type": "` + typ + `", "baseDefinition": "` + base + `",
		  "derivation": "` + derivation + `", "differential": {"element": [` + elems + `]}}`
	}
	const (
		core   = "http://hl7.org/fhir/StructureDefinition/"
		extURL = "http://example.org/StructureDefinition/ext"
	)
	root := func(p string) string { return `{"id": "` + p + `", "path": "` + p + `"}` }
	extURLElem := func(fixed string) string {
		return `{"id": "Extension.url", "path": "Extension.url", "fixedUri": "` + fixed + `"}`
	}
	tests := []struct {
		name string
		doc  string
		want string // substring of the error; "" means none
	}{
		{"profile", sd("http://example.org/p", "resource", "Patient", core+"Patient", "constraint", root("Patient")), ""},
		{"profile of another type", sd("http://example.org/p", "resource", "Observation", core+"Patient", "constraint", root("Observation")),
			"the type Observation must be the same as the type Patient of the base structure"},
		{"profile of another kind", sd("http://example.org/p", "complex-type", "Patient", core+"Patient", "constraint", root("Patient")),
			"the kind complex-type must be the same as the kind resource"},
		{"specialization of its own base type", sd(core+"Patient", "resource", "Patient", core+"Patient", "specialization", root("Patient")),
			"must not be the same as the type of the base structure"},
		{"path outside the type", sd("http://example.org/p", "resource", "Patient", core+"Patient", "constraint", root("Patient")+`, {"id": "Person.name", "path": "Person.name"}`),
			"the path Person.name must start with the type of the structure, Patient"},
		{"extension with its url fixed", sd(extURL, "complex-type", "Extension", core+"Extension", "constraint", root("Extension")+", "+extURLElem(extURL)), ""},
		{"extension with another url fixed", sd(extURL, "complex-type", "Extension", core+"Extension", "constraint", root("Extension")+", "+extURLElem("http://example.org/other")),
			"the fixed value of Extension.url, http://example.org/other, is not the extension's canonical URL"},
		{"extension without its url fixed", sd(extURL, "complex-type", "Extension", core+"Extension", "constraint", root("Extension")),
			"the value of Extension.url is not fixed"},
		{"unknown base: not checked", sd("http://example.org/p", "resource", "Observation", "http://example.org/unknown", "constraint", root("Observation")), ""},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(tc.doc)) {
				if is.Check == CheckStructureDef {
					got = append(got, is)
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Errorf("unexpected: %+v", got)
				}
				return
			}
			found := false
			for _, is := range got {
				found = found || strings.Contains(is.Message, tc.want) && is.Severity == SeverityError
			}
			if !found {
				t.Errorf("got %+v, want an error with %q", got, tc.want)
			}
		})
	}
}

// TestStructureDefinitionInvariantKeys: constraint keys in differentials and snapshots.
func TestStructureDefinitionInvariantKeys(t *testing.T) {
	const url = "http://example.org/StructureDefinition/pat"
	constraint := func(key, expr, source string) string {
		src := ""
		if source != "" {
			src = `, "source": "` + source + `"`
		}
		return `{"key": "` + key + `", "severity": "error", "human": "h", "expression": "` + expr + `"` + src + `}`
	}
	sd := func(list string, constraints ...string) string {
		return `{"resourceType": "StructureDefinition", "url": "` + url + `", "version": "1.0", "name": "Pat", "status": "draft",
		  "kind": "resource", "abstract": false, "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
		  "derivation": "constraint", "` + list + `": {"element": [{"id": "Patient", "path": "Patient", "min": 0, "max": "*", "definition": "d",
		  "constraint": [` + strings.Join(constraints, ", ") + `]}]}}`
	}
	const pat1 = "name.exists() or telecom.exists() or address.exists() or organization.exists()"
	tests := []struct {
		name string
		doc  string
		want string // substring of the error; "" means none
	}{
		{"own constraint", sd("differential", constraint("pat-x", "name.exists()", "")), ""},
		{"own url as source", sd("differential", constraint("pat-x", "name.exists()", url)), ""},
		{"own url and version as source", sd("differential", constraint("pat-x", "name.exists()", url+"|1.0")), ""},
		{"another structure's constraint in the differential", sd("differential", constraint("pat-x", "name.exists()", "http://example.org/other")),
			"has the source http://example.org/other, which is not this profile"},
		{"a base key with another expression", sd("differential", constraint("pat-1", "name.exists()", "")), "the constraint key pat-1 is already used"},
		{"a base key with its expression", sd("differential", constraint("pat-1", pat1, "")), ""},
		{"a key the base types use with several expressions", sd("differential", constraint("inv-1", "name.exists()", "")), ""},
		{"one key twice in a differential", sd("differential", constraint("pat-x", "name.exists()", ""), constraint("pat-x", "gender.exists()", "")),
			"already used in this differential"},
		{"one key with two expressions in a snapshot", sd("snapshot", constraint("pat-x", "name.exists()", ""), constraint("pat-x", "gender.exists()", "")),
			"elsewhere in the snapshot"},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(tc.doc)) {
				if is.Check == CheckStructureDef && strings.Contains(is.Message, "constraint") {
					got = append(got, is)
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Errorf("unexpected: %+v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tc.want) || !strings.HasSuffix(got[0].Expression, "].constraint[0]") && !strings.HasSuffix(got[0].Expression, "].constraint[1]") {
				t.Errorf("got %+v, want one error on the constraint with %q", got, tc.want)
			}
		})
	}
}
