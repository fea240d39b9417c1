package validator

import (
	"strconv"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpkg"
)

// Checks of a StructureDefinition being validated, beyond its element rules and sdf-*
// invariants, as the HL7 Java validator's StructureDefinitionValidator makes them.

// checkStructureDefinition runs the StructureDefinition checks on the resource at node n.
func (w *walker) checkStructureDefinition(n int32) {
	w.checkDerivation(n)
	w.checkInvariantKeys(n)
	w.checkConstraintTypes(n)
	w.checkDiscriminators(n)
	w.checkDifferential(n)
}

// checkDerivation checks the StructureDefinition against its base definition and its own type,
// as the Java validator does: a constraint keeps its base's type and kind (unless the base is
// abstract), a specialization defines another type, every element's path starts with the type,
// and an extension defined on Extension fixes Extension.url to its own URL.
func (w *walker) checkDerivation(n int32) {
	tr := w.tree()
	line, col := int(tr.nodes[n].line), int(tr.nodes[n].col)
	at := w.nodeExpr(n)
	url := childString(tr, n, "url")
	typ := childString(tr, n, "type")
	kind := childString(tr, n, "kind")
	derivation := childString(tr, n, "derivation")
	baseURL := canonicalPart(childString(tr, n, "baseDefinition"))
	if baseType, baseKind, baseAbstract, ok := w.baseStructure(baseURL); ok && typ != "" {
		switch derivation {
		case "constraint":
			if typ != baseType {
				w.report(SeverityError, CheckStructureDef, line, col, at,
					"the type %s must be the same as the type %s of the base structure %s that is being constrained", typ, baseType, baseURL)
			}
			if !baseAbstract && kind != "" && baseKind != "" && kind != baseKind {
				w.report(SeverityError, CheckStructureDef, line, col, at,
					"the kind %s must be the same as the kind %s of the base structure %s (base type %s)", kind, baseKind, baseURL, baseType)
			}
		case "specialization":
			if typ == baseType {
				w.report(SeverityError, CheckStructureDef, line, col, at,
					"the type %s must not be the same as the type of the base structure %s that is being specialised", typ, baseURL)
			}
		}
	}
	if typ != "" && !strings.ContainsAny(typ, ":/") {
		for list := tr.nodes[n].first; list >= 0; list = tr.nodes[list].next {
			if tr.nodes[list].name != "differential" && tr.nodes[list].name != "snapshot" {
				continue
			}
			for el := tr.nodes[list].first; el >= 0; el = tr.nodes[el].next {
				if tr.nodes[el].name != "element" {
					continue
				}
				if p := childString(tr, el, "path"); p != "" && p != typ && !strings.HasPrefix(p, typ+".") {
					w.report(SeverityError, CheckStructureDef, int(tr.nodes[el].line), int(tr.nodes[el].col), w.nodeExpr(el),
						"the path %s must start with the type of the structure, %s", p, typ)
				}
			}
		}
	}
	if typ == "Extension" && baseURL == "http://hl7.org/fhir/StructureDefinition/Extension" && url != "" {
		if diff := tr.findChild(n, "differential", -1); diff >= 0 {
			fixed, found := "", false
			for el := tr.nodes[diff].first; el >= 0; el = tr.nodes[el].next {
				if tr.nodes[el].name != "element" || childString(tr, el, "path") != "Extension.url" {
					continue
				}
				for c := tr.nodes[el].first; c >= 0; c = tr.nodes[c].next {
					if tr.nodes[c].name == "fixed" && tr.nodes[c].kind == valString {
						fixed, found = tr.str(c), true
					}
				}
			}
			switch {
			case !found:
				w.report(SeverityError, CheckStructureDef, line, col, at, "the value of Extension.url is not fixed to the extension's URL %s", url)
			case fixed != url:
				w.report(SeverityError, CheckStructureDef, line, col, at,
					"the fixed value of Extension.url, %s, is not the extension's canonical URL %s", fixed, url)
			}
		}
	}
}

// checkInvariantKeys checks the keys of the constraints, as the Java validator does: in a
// snapshot, one key has one expression (ele-1 excepted); in a differential, a constraint is the
// profile's own (no source, or the profile's URL, optionally with |version) and, in a
// constraint profile, its key is not one the base types use for another expression.
func (w *walker) checkInvariantKeys(n int32) {
	tr := w.tree()
	url := childString(tr, n, "url")
	version := childString(tr, n, "version")
	derivation := childString(tr, n, "derivation")
	var baseKeys map[string]string
	for list := tr.nodes[n].first; list >= 0; list = tr.nodes[list].next {
		snapshot := tr.nodes[list].name == "snapshot"
		if !snapshot && tr.nodes[list].name != "differential" {
			continue
		}
		seen := map[string]string{}
		for el := tr.nodes[list].first; el >= 0; el = tr.nodes[el].next {
			if tr.nodes[el].name != "element" {
				continue
			}
			for c := tr.nodes[el].first; c >= 0; c = tr.nodes[c].next {
				if tr.nodes[c].name != "constraint" {
					continue
				}
				key, expr, source := childString(tr, c, "key"), childString(tr, c, "expression"), childString(tr, c, "source")
				if key == "" || expr == "" {
					continue
				}
				report := func(format string, args ...any) {
					w.report(SeverityError, CheckStructureDef, int(tr.nodes[c].line), int(tr.nodes[c].col), w.nodeExpr(c), format, args...)
				}
				if snapshot {
					if prev, ok := seen[key]; ok && prev != expr && key != "ele-1" {
						report("the constraint key %s has the expression '%s', but '%s' elsewhere in the snapshot", key, expr, prev)
					} else if !ok {
						seen[key] = expr
					}
					continue
				}
				if source != "" && source != url && (version == "" || source != url+"|"+version) {
					report("the constraint %s in the differential has the source %s, which is not this profile (%s)", key, source, url)
					continue
				}
				if baseKeys == nil {
					baseKeys = w.baseConstraintKeys()
				}
				if prev, ok := baseKeys[key]; ok && prev != "" && prev != expr && derivation == "constraint" {
					report("the constraint key %s is already used, with the expression '%s', by the base definitions", key, prev)
				} else if prev, ok := seen[key]; ok && prev != expr {
					report("the constraint key %s is already used in this differential with the expression '%s'", key, prev)
				} else {
					seen[key] = expr
				}
			}
		}
	}
}

// baseConstraintKeys maps the constraint keys of the base types (not profiles) to their
// expressions; "" for a key the base types use with several expressions (inv-1 in Task and
// TestReport), which no profile can be said to reuse.
func (w *walker) baseConstraintKeys() map[string]string {
	w.sc.baseKeysOnce.Do(func() { w.sc.baseKeys = w.buildBaseConstraintKeys() })
	return w.sc.baseKeys
}

func (w *walker) buildBaseConstraintKeys() map[string]string {
	keys := map[string]string{}
	d := w.sc.defs
	for i := range d.Structures {
		s := &d.Structures[i]
		if s.Derivation == "constraint" || s.Differential || w.sc.byURL[s.URL] == nil {
			continue
		}
		for _, e := range s.Elements {
			for _, ci := range e.Constraints {
				c := d.Constraints[ci]
				if prev, ok := keys[c.Key]; !ok {
					keys[c.Key] = c.Expression
				} else if prev != c.Expression {
					keys[c.Key] = ""
				}
			}
		}
	}
	return keys
}

// baseStructure finds a StructureDefinition's base definition among the loaded definitions.
func (w *walker) baseStructure(url string) (typ, kind string, abstract, ok bool) {
	if t := w.sc.byURL[url]; t != nil {
		kinds := map[typeKind]string{kindPrimitive: "primitive-type", kindComplex: "complex-type", kindResource: "resource", kindLogical: "logical"}
		return t.name, kinds[t.kind], t.abstract, true
	}
	if s := w.sc.profiles[url]; s != nil {
		return s.Type, s.Kind, s.Abstract, true
	}
	return "", "", false, false
}

// checkDiscriminators type-checks the path of every slicing discriminator, in the differential
// and the snapshot, against the types the sliced element states (an element stating no type is
// not checked, as in Java): a name the types do not have ("type" on an Extension) is an error.
func (w *walker) checkDiscriminators(n int32) {
	tr := w.tree()
	if childString(tr, n, "kind") == "logical" {
		return
	}
	sdType := childString(tr, n, "type")
	if sdType == "" || w.sc.types[sdType] == nil {
		return
	}
	ti := schemaTypes{w.sc}
	for list := tr.nodes[n].first; list >= 0; list = tr.nodes[list].next {
		if tr.nodes[list].name != "differential" && tr.nodes[list].name != "snapshot" {
			continue
		}
		var elems []int32
		for c := tr.nodes[list].first; c >= 0; c = tr.nodes[c].next {
			if tr.nodes[c].name == "element" {
				elems = append(elems, c)
			}
		}
		for i, el := range elems {
			sl := tr.findChild(el, "slicing", -1)
			path := childString(tr, el, "path")
			if sl < 0 || path == "" || (strings.Contains(path, ".") && ti.element(path) == nil) {
				continue
			}
			focus := constraintFocus(tr, elems, i, path, sdType)
			if len(focus) == 0 {
				continue
			}
			for d := tr.nodes[sl].first; d >= 0; d = tr.nodes[d].next {
				if tr.nodes[d].name != "discriminator" {
					continue
				}
				dp := childString(tr, d, "path")
				e, err := fhirpath.Parse(dp)
				if dp == "" || err != nil {
					continue
				}
				if err := e.CheckTypes(ti, focus); err != nil {
					w.report(SeverityError, CheckStructureDef, int(tr.nodes[d].line), int(tr.nodes[d].col), w.nodeExpr(d),
						"the discriminator path '%s' does not appear to be valid for the element that is being sliced '%s': %v", dp, path, err)
				}
			}
		}
	}
}

// checkDifferential generates the snapshot of a constraint profile from its differential, as
// the Java validator does, and reports why it cannot be generated (an element the base does not
// have, a path that does not match its id, a choice renamed after a type it does not have).
func (w *walker) checkDifferential(n int32) {
	tr := w.tree()
	if tr.overflow || tr.truncated || childString(tr, n, "derivation") != "constraint" || tr.findChild(n, "differential", -1) < 0 {
		return
	}
	if k := countElements(tr, tr.findChild(n, "differential", -1)); k > maxDifferentialElements {
		w.report(SeverityInformation, CheckStructureDef, int(tr.nodes[n].line), int(tr.nodes[n].col), w.nodeExpr(n),
			"the snapshot was not generated from the differential: %d elements, more than %d", k, maxDifferentialElements)
		return
	}
	sd, ok := treeJSON(tr, n).(map[string]any)
	if !ok {
		return
	}
	if problem := fhirpkg.DifferentialProblem(w.sc.defs, sd); problem != "" {
		w.report(SeverityError, CheckStructureDef, int(tr.nodes[n].line), int(tr.nodes[n].col), w.nodeExpr(n),
			"error generating the snapshot from the differential: %s", problem)
	}
}

// maxDifferentialElements bounds the differentials whose snapshot is generated while a
// StructureDefinition is validated (the generation is quadratic in the worst case); real
// profiles have a few hundred elements at most.
const maxDifferentialElements = 1000

func countElements(tr *tree, list int32) int {
	k := 0
	if list < 0 {
		return 0
	}
	for c := tr.nodes[list].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name == "element" {
			k++
		}
	}
	return k
}

// treeJSON rebuilds the JSON value of node n as encoding/json decodes it (objects, arrays,
// strings, float64 numbers, booleans); primitive extensions ("_name") are left out.
func treeJSON(tr *tree, n int32) any {
	nd := &tr.nodes[n]
	switch nd.kind {
	case valString:
		return tr.str(n)
	case valNumber:
		f, err := strconv.ParseFloat(tr.str(n), 64)
		if err != nil {
			return nil
		}
		return f
	case valTrue:
		return true
	case valFalse:
		return false
	}
	if nd.typ != nil && nd.typ.kind == kindPrimitive {
		return nil // extensions of a primitive without a value
	}
	obj := map[string]any{}
	if nd.resource && nd.typ != nil {
		obj["resourceType"] = nd.typ.name
	}
	for c := nd.first; c >= 0; c = tr.nodes[c].next {
		cn := &tr.nodes[c]
		v := treeJSON(tr, c)
		if v == nil {
			continue
		}
		key := cn.name
		if cn.choiceType != "" {
			key += upperFirst(cn.choiceType)
		}
		if cn.index >= 0 {
			arr, _ := obj[key].([]any)
			obj[key] = append(arr, v)
		} else {
			obj[key] = v
		}
	}
	return obj
}

// checkConstraintTypes type-checks the FHIRPath expression of every constraint the
// StructureDefinition defines itself (no source, or its own URL) in its snapshot, against the
// types of the element it is on: a name no type has, or a where() criterion that cannot be a
// boolean, is an error, as the Java validator reports it ("Error in constraint"). Constraints
// in the differential are not checked (their context is not known without the snapshot, as in
// Java); logical models and types the definitions do not know are skipped.
func (w *walker) checkConstraintTypes(n int32) {
	tr := w.tree()
	url := childString(tr, n, "url")
	if childString(tr, n, "kind") == "logical" {
		return
	}
	sdType := childString(tr, n, "type")
	if sdType == "" || w.sc.types[sdType] == nil {
		return
	}
	snap := tr.findChild(n, "snapshot", -1)
	if snap < 0 {
		return
	}
	var elems []int32
	for c := tr.nodes[snap].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name == "element" {
			elems = append(elems, c)
		}
	}
	ti := schemaTypes{w.sc}
	for i, el := range elems {
		path := childString(tr, el, "path")
		if path == "" {
			continue
		}
		var focus []string
		for c := tr.nodes[el].first; c >= 0; c = tr.nodes[c].next {
			if tr.nodes[c].name != "constraint" {
				continue
			}
			key := childString(tr, c, "key")
			expr := childString(tr, c, "expression")
			source := childString(tr, c, "source")
			if key == "" || expr == "" || (source != "" && canonicalPart(source) != url) {
				continue
			}
			if focus == nil {
				focus = constraintFocus(tr, elems, i, path, sdType)
				if len(focus) == 0 {
					break
				}
			}
			e, err := fhirpath.Parse(expr)
			if err != nil {
				continue // outside the supported subset: nothing is proved
			}
			if err := e.CheckTypes(ti, focus); err != nil {
				w.report(SeverityError, CheckStructureDef, int(tr.nodes[c].line), int(tr.nodes[c].col), w.nodeExpr(c),
					"error in constraint '%s' with expression '%s': %v", key, expr, err)
			}
		}
	}
}

// constraintFocus returns the types a constraint on elems[i] of a snapshot applies to.
func constraintFocus(tr *tree, elems []int32, i int, path, sdType string) []string {
	el := elems[i]
	var codes []string
	for c := tr.nodes[el].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name == "type" {
			codes = append(codes, childString(tr, c, "code"))
		}
	}
	return elementFocus(path, childString(tr, el, "contentReference"), codes, sdType)
}

// elementFocus returns the types of an element of a snapshot, as the context of its
// constraints: the StructureDefinition's type at the root, the element's path for a backbone
// element (its own definition, as the Java validator takes it), the target of a content
// reference, or the element's types. nil means the context is not known.
func elementFocus(path, contentRef string, codes []string, sdType string) []string {
	if !strings.Contains(path, ".") {
		return []string{sdType}
	}
	if contentRef != "" {
		if j := strings.IndexByte(contentRef, '#'); j >= 0 {
			return []string{contentRef[j+1:]}
		}
		return nil
	}
	var focus []string
	for _, code := range codes {
		switch {
		case code == "":
			return nil
		case strings.HasPrefix(code, "http://hl7.org/fhirpath/System."):
			focus = append(focus, "System."+strings.TrimPrefix(code, "http://hl7.org/fhirpath/System."))
		case code == "BackboneElement" || code == "Element":
			focus = append(focus, path)
		default:
			focus = append(focus, code)
		}
	}
	return focus
}

// nodeExpr is the location of node c of the current resource's tree, from the walker's path.
func (w *walker) nodeExpr(c int32) string {
	rel := w.tree().expression(c)
	if j := strings.IndexByte(rel, '.'); j >= 0 {
		return w.expr() + rel[j:]
	}
	return w.expr()
}

// schemaTypes answers the FHIRPath checker's questions from the compiled definitions.
type schemaTypes struct{ sc *schema }

func (s schemaTypes) IsType(name string) bool { return s.sc.types[name] != nil }

// element finds the element at a path ("Bundle.entry", "Questionnaire.item.item"), following
// content references.
func (s schemaTypes) element(path string) *elemDef {
	segs := strings.Split(path, ".")
	t := s.sc.types[segs[0]]
	if t == nil || t.root == nil {
		return nil
	}
	e := t.root
	for _, seg := range segs[1:] {
		cs := e.children
		if e.contentRef != nil {
			cs = e.contentRef.children
		}
		if cs == nil {
			return nil
		}
		seg = strings.TrimSuffix(seg, "[x]")
		var next *elemDef
		for _, c := range cs.list {
			if c.name == seg {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		e = next
	}
	return e
}

func (s schemaTypes) ChildTypes(t, name string) (types []string, found, known bool) {
	var cs *childSet
	if strings.HasPrefix(t, "System.") {
		return nil, false, false
	}
	if strings.Contains(t, ".") {
		e := s.element(t)
		if e == nil {
			return nil, false, false
		}
		cs = e.children
		if e.contentRef != nil {
			cs = e.contentRef.children
		}
	} else {
		td := s.sc.types[t]
		if td == nil || td.root == nil || td.abstract {
			return nil, false, false
		}
		cs = td.root.children
	}
	if cs == nil {
		return nil, false, true
	}
	for _, c := range cs.list {
		if c.name != name {
			continue
		}
		switch {
		case c.contentRef != nil:
			return []string{c.contentRef.path}, true, true
		case c.children != nil:
			return []string{c.path}, true, true
		}
		for _, tr := range c.types {
			code := tr.code
			if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
				code = "System." + strings.TrimPrefix(code, "http://hl7.org/fhirpath/System.")
			}
			types = append(types, code)
		}
		if len(types) == 0 {
			return nil, true, false
		}
		return types, true, true
	}
	// A choice named after one of its types (valueQuantity) is not FHIRPath, but older
	// invariants use it and the Java checker accepts it: its type is that type.
	for _, c := range cs.list {
		if !c.choice || !strings.HasPrefix(name, c.name) || len(name) == len(c.name) {
			continue
		}
		for _, tr := range c.types {
			if strings.EqualFold(tr.code, name[len(c.name):]) {
				return []string{tr.code}, true, true
			}
		}
	}
	return nil, false, true
}
