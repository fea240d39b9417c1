package validator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// Profile validation. A resource that declares profiles in meta.profile, or is given one on the
// command line, is validated against each profile's snapshot after the base validation, on the
// resource's tree: cardinality stricter than the base, types, fixed and pattern values, slicing,
// bindings (required: error; extensible: warning), the profile's own invariants, and the
// profiles of its data types. Every extension, in any resource, is validated against its own
// definition when it is known (context, value type, the definition's cardinality, fixed values
// and bindings). A resource that declares no profile and has no extensions costs nothing more.

// profileDef is a profile (or extension definition) compiled for validation.
type profileDef struct {
	url      string
	name     string
	typ      string
	problem  string // why it cannot be used (no snapshot)
	root     *pElem
	contexts []string
	isExt    bool
}

// pElem is one element of a profile's snapshot, with its children and slices.
type pElem struct {
	e           *model.Element
	id          string
	name        string // JSON/tree name without [x]
	choice      bool
	children    []*pElem
	slices      []*pElem
	slicing     *model.Slicing
	fixed       any
	pattern     any
	binding     *binding
	additional  []*binding // additional bindings whose purpose is required or extensible
	constraints []*constraint
	types       []string
}

// profileCache compiles profiles on first use; the schema is shared between goroutines.
type profileCache struct {
	defs sync.Map // URL -> *profileDef (nil when unknown)
}

func (sc *schema) profile(url string) *profileDef {
	if p, ok := sc.pcache.defs.Load(url); ok {
		return p.(*profileDef)
	}
	s := sc.profiles[url]
	var p *profileDef
	if s != nil {
		p = sc.compileProfile(s)
	}
	actual, _ := sc.pcache.defs.LoadOrStore(url, p)
	return actual.(*profileDef)
}

func (sc *schema) compileProfile(s *model.Structure) *profileDef {
	p := &profileDef{url: s.URL, name: s.Name, typ: s.Type, contexts: s.Contexts, isExt: s.Type == "Extension"}
	if s.Problem != "" || s.Differential {
		p.problem = s.Problem
		if p.problem == "" {
			p.problem = "it has no snapshot"
		}
		return p
	}
	if len(s.Elements) == 0 {
		p.problem = "it has no elements"
		return p
	}
	byID := make(map[string]*pElem, len(s.Elements))
	for i := range s.Elements {
		me := &s.Elements[i]
		pe := &pElem{e: me, id: me.ID, slicing: me.Slicing}
		name := me.Path[strings.LastIndexByte(me.Path, '.')+1:]
		if strings.HasSuffix(name, "[x]") {
			name = strings.TrimSuffix(name, "[x]")
			pe.choice = true
		}
		pe.name = name
		for _, t := range me.Types {
			code := t.Code
			if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
				continue
			}
			pe.types = append(pe.types, code)
		}
		if me.Fixed != "" {
			pe.fixed = decodeJSON(me.Fixed)
		}
		if me.Pattern != "" {
			pe.pattern = decodeJSON(me.Pattern)
		}
		if me.Binding != nil && me.Binding.ValueSet != "" {
			pe.binding = &binding{strength: me.Binding.Strength, url: me.Binding.ValueSet, vs: sc.valueSets[me.Binding.ValueSet]}
		}
		if me.Binding != nil {
			for _, ab := range me.Binding.Additional {
				if ab.Purpose == "required" || ab.Purpose == "extensible" {
					pe.additional = append(pe.additional, &binding{strength: ab.Purpose, url: ab.ValueSet, vs: sc.valueSets[ab.ValueSet]})
				}
			}
		}
		for _, ci := range me.Constraints {
			if int(ci) < len(sc.constraints) {
				c := sc.constraints[ci]
				if c.key == "ele-1" || c.key == "ext-1" {
					continue
				}
				pe.constraints = append(pe.constraints, c)
			}
		}
		byID[me.ID] = pe
		if i == 0 {
			p.root = pe
			continue
		}
		parentID, last := splitElementID(me.ID)
		if k := strings.IndexByte(last, ':'); k >= 0 {
			sliced := last[:k]
			slice := last[k+1:]
			slicedID := sliced
			if parentID != "" {
				slicedID = parentID + "." + sliced
			}
			if j := strings.LastIndexByte(slice, '/'); j >= 0 {
				slicedID += ":" + slice[:j]
			}
			if owner := byID[slicedID]; owner != nil {
				owner.slices = append(owner.slices, pe)
			}
			continue
		}
		if parent := byID[parentID]; parent != nil {
			parent.children = append(parent.children, pe)
		}
	}
	if p.root == nil {
		p.problem = "it has no root element"
	}
	return p
}

func splitElementID(id string) (parent, last string) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return "", id
	}
	// A '.' inside a slice name ("coding:a.b") is not a separator: the segment after the last
	// ':' that follows the last '.' decides.
	return id[:i], id[i+1:]
}

func decodeJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// sink collects the issues of one profile check; trial matching (a profile discriminator)
// collects them without reporting.
type sink struct {
	w      *walker
	trial  bool
	errors int
	ctx    string // the profile, for messages
	// inner and prefix: issues on the tree of an inline resource kept apart (inner.go) are
	// named by the path of its stub in the outer resource.
	inner  *tree
	prefix string
}

func (s *sink) add(sev Severity, check Check, t *tree, n int32, expr, format string, args ...any) {
	if sev == SeverityError || sev == SeverityFatal {
		s.errors++
	}
	if s.trial {
		return
	}
	if expr == "" {
		expr = t.expression(n)
	}
	if s.inner != nil && t == s.inner && len(t.nodes) > 0 && t.nodes[0].typ != nil {
		expr = s.prefix + strings.TrimPrefix(expr, t.nodes[0].typ.name)
	}
	msg := fmt.Sprintf(format, args...)
	if s.ctx != "" {
		msg += " (profile " + s.ctx + ")"
	}
	nd := &t.nodes[n]
	s.w.issues = appendIssue(s.w, Issue{Severity: sev, Code: issueType[check], Check: check, Expression: expr,
		Message: msg, Line: int(nd.line), Column: int(nd.col), Profile: s.ctx})
}

// checkResourceProfiles validates the resource at node n of the current tree against the
// profiles it declares and those given to the validator.
func (w *walker) checkResourceProfiles(n int32, topLevel bool) {
	if n < 0 {
		return
	}
	t := w.tree()
	if t.overflow {
		return
	}
	nd := &t.nodes[n]
	var urls []string
	seen := map[string]bool{}
	for _, p := range w.profiles {
		url := p
		if i := strings.IndexByte(url, '|'); i >= 0 {
			url = url[:i]
		}
		if !seen[url] {
			seen[url] = true
			urls = append(urls, url)
		}
	}
	if nd.typ != nil {
		for _, u := range w.sc.globals[nd.typ.name] {
			if !seen[u] {
				seen[u] = true
				urls = append(urls, u)
			}
		}
	}
	declared := len(urls)
	if topLevel {
		for _, u := range w.extraProfiles {
			if !seen[u] {
				seen[u] = true
				urls = append(urls, u)
			}
		}
	}
	expr := t.expression(n)
	for k, url := range urls {
		given := k >= declared
		how := "declared profile"
		if given {
			how = "profile"
		}
		p := w.sc.profile(url)
		if p == nil {
			if _, ok := w.sc.byURL[url]; ok {
				continue // the base definition itself
			}
			w.report(SeverityInformation, CheckProfile, int(nd.line), int(nd.col), expr+".meta.profile",
				"%s %s is not known to this validator, so the resource was not checked against it (load its package with --package)", how, url)
			w.issues[len(w.issues)-1].Code, w.issues[len(w.issues)-1].Profile = "not-found", url
			continue
		}
		if p.problem != "" {
			w.report(SeverityWarning, CheckProfile, int(nd.line), int(nd.col), expr+".meta.profile",
				"%s %s cannot be used: %s", how, url, p.problem)
			continue
		}
		if nd.typ == nil || !nd.typ.isA(p.typ) {
			w.report(SeverityError, CheckProfile, int(nd.line), int(nd.col), expr,
				"%s %s is for %s, but the resource is a %s", how, url, p.typ, typeNameOf(nd.typ))
			continue
		}
		s := &sink{w: w, ctx: url}
		w.validateElement(s, t, n, p.root, true)
		w.mustSupport(t, n, p)
		w.report(SeverityInformation, CheckProfile, int(nd.line), int(nd.col), expr+".meta.profile",
			"validated against %s %s: %d errors from the profile's rules", how, url, s.errors)
		w.issues[len(w.issues)-1].Profile = url
	}
}

func typeNameOf(t *typeDef) string {
	if t == nil {
		return "resource of unknown type"
	}
	return t.name
}

// mustSupport reports (not enforces) must-support elements of the profile's top level that the
// resource does not have.
func (w *walker) mustSupport(t *tree, n int32, p *profileDef) {
	var missing []string
	for _, pc := range p.root.children {
		if !pc.e.MustSupport {
			continue
		}
		if t.firstChild(n, pc.name) < 0 {
			missing = append(missing, pc.e.Path)
		}
	}
	if len(missing) > 0 {
		nd := &t.nodes[n]
		w.report(SeverityInformation, CheckProfile, int(nd.line), int(nd.col), t.expression(n),
			"must-support elements absent (reported, not enforced): %s (profile %s)", strings.Join(missing, ", "), p.url)
	}
}

// firstChild is the first child of i with a name, or -1.
func (t *tree) firstChild(i int32, name string) int32 {
	for c := t.nodes[i].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name == name {
			return c
		}
	}
	return -1
}

func (t *tree) childrenNamed(i int32, name string, dst []int32) []int32 {
	for c := t.nodes[i].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name == name {
			dst = append(dst, c)
		}
	}
	return dst
}

// validateElement checks node n against profile element pe: type, fixed and pattern values,
// binding, the profile's invariants and the profiles of its type, then its children.
func (w *walker) validateElement(s *sink, t *tree, n int32, pe *pElem, root bool) {
	nd := &t.nodes[n]
	if nd.stub {
		if !root && nd.resource && nd.typ != nil {
			w.nestedResourceProfiles(s, t, n, pe)
		}
		return
	}
	if !root {
		w.checkElementType(s, t, n, pe)
		if pe.fixed != nil && !matchValue(t, n, pe.fixed, true) {
			s.add(SeverityError, CheckFixed, t, n, "", "value must be exactly %s", compactJSON(pe.e.Fixed))
		}
		if pe.pattern != nil && !matchValue(t, n, pe.pattern, false) {
			s.add(SeverityError, CheckFixed, t, n, "", "value must match the pattern %s", compactJSON(pe.e.Pattern))
		}
		if pe.binding != nil {
			w.checkProfileBinding(s, t, n, pe)
		}
		for _, ab := range pe.additional {
			// An additional binding is checked as a binding of its purpose's strength.
			alt := *pe
			alt.binding = ab
			w.checkProfileBinding(s, t, n, &alt)
		}
		if pe.e.MinValue != "" || pe.e.MaxValue != "" {
			checkMinMax(s, t, n, pe.e)
		}
		if pe.e.MaxLength > 0 && nd.kind == valString && int32(len([]rune(t.str(n)))) > pe.e.MaxLength {
			s.add(SeverityError, CheckFixed, t, n, "", "the value is longer than the maximum length %d", pe.e.MaxLength)
		}
	}
	if len(pe.constraints) > 0 {
		w.profileConstraints(s, t, n, pe)
	}
	// Profiles on data types (not extensions, which are validated by their url wherever they
	// are, nor resources, which are validated against what they declare).
	if !root && nd.typ != nil && nd.typ.kind == kindComplex && nd.typ.name != "Extension" && len(pe.children) == 0 {
		for _, tr := range pe.e.Types {
			if tr.Code != nd.typ.name && !(nd.choiceType != "" && tr.Code == nd.choiceType) {
				continue
			}
			for _, pu := range tr.Profiles {
				if dp := w.sc.profile(pu); dp != nil && dp.problem == "" && dp.root != nil {
					w.validateChildren(s, t, n, dp.root)
				}
			}
		}
	}
	// Profiles on a resource held inline (Parameters.parameter.resource, a contained resource):
	// the resource is validated against those of its type.
	if !root && nd.resource && nd.typ != nil {
		w.nestedResourceProfiles(s, t, n, pe) // a contained resource, in this tree
	}
	if !root && nd.typ != nil && nd.typ.name == "Extension" && w.hasExtensionDefinition(pe) {
		return // its content is validated against its own definition, wherever it is
	}
	w.validateChildren(s, t, n, pe)
}

// nestedResourceProfiles validates the inline resource at n against the profiles the profile
// element pe gives for its type (type Resource, or the resource's own type, with profiles): it
// must conform to at least one of them (ElementDefinition.type.profile). With one profile its
// issues are reported, each naming the profile; with several, one error says it conforms to none.
// When one of them is not loaded or cannot be used, nothing is checked.
func (w *walker) nestedResourceProfiles(s *sink, t *tree, n int32, pe *pElem) {
	nd := &t.nodes[n]
	vt, vn := t, n // where the resource's content is
	var prefix string
	if nd.stub {
		// The resource was read into a tree of its own, kept for this (inner.go).
		it := w.innerTree(t, n)
		if it == nil || len(it.nodes) == 0 || it.overflow {
			return
		}
		vt, vn, prefix = it, 0, t.expression(n)
	}
	var candidates []string
	for _, tr := range pe.e.Types {
		if !nd.typ.isA(tr.Code) {
			continue
		}
		for _, pu := range tr.Profiles {
			dp := w.sc.profile(pu)
			if dp == nil || dp.problem != "" || dp.root == nil {
				// A profile that is not loaded or cannot be used: the resource may conform to
				// it, which cannot be checked, so none is held against it.
				return
			}
			if dp.isExt || !nd.typ.isA(dp.typ) {
				continue
			}
			candidates = append(candidates, pu)
		}
	}
	validate := func(pu string, trial bool) int {
		sub := &sink{w: w, trial: trial, ctx: pu}
		if vt != t {
			sub.inner, sub.prefix = vt, prefix
		}
		w.validateElement(sub, vt, vn, w.sc.profile(pu).root, true)
		return sub.errors
	}
	switch len(candidates) {
	case 0:
	case 1:
		s.errors += validate(candidates[0], s.trial)
	default:
		for _, pu := range candidates {
			if validate(pu, true) == 0 {
				return
			}
		}
		s.add(SeverityError, CheckProfile, t, n, "", "the resource conforms to none of the profiles its element allows: %s", strings.Join(candidates, ", "))
	}
}

// hasExtensionDefinition reports whether an element of type Extension names a known extension
// definition as its type's profile.
func (w *walker) hasExtensionDefinition(pe *pElem) bool {
	for _, tr := range pe.e.Types {
		for _, pu := range tr.Profiles {
			if p := w.sc.profile(pu); p != nil && p.isExt && p.problem == "" {
				return true
			}
		}
	}
	return false
}

// validateChildren checks the children of node n against the children of pe.
func (w *walker) validateChildren(s *sink, t *tree, n int32, pe *pElem) {
	nd := &t.nodes[n]
	prim := nd.typ != nil && nd.typ.kind == kindPrimitive
	var buf [8]int32
	for _, pc := range pe.children {
		if prim && pc.name == "value" {
			continue // the primitive's own value is the node itself
		}
		matches := t.childrenNamed(n, pc.name, buf[:0])
		w.checkCount(s, t, n, pc, matches, true)
		if len(matches) == 0 {
			continue
		}
		if len(pc.slices) > 0 {
			w.slice(s, t, n, pc, matches)
		}
		for _, m := range matches {
			w.validateElement(s, t, m, pc, false)
		}
	}
}

// checkCount reports a count outside the profile's cardinality, unless the base already does:
// too few at the parent, too many at the first item beyond the maximum.
func (w *walker) checkCount(s *sink, t *tree, parent int32, pc *pElem, items []int32, suppressBase bool) {
	e := pc.e
	count := int32(len(items))
	label := e.Path
	if e.SliceName != "" {
		label += ":" + e.SliceName
	}
	if count < e.Min && (!suppressBase || count >= e.BaseMin) {
		s.add(SeverityError, CheckCardinality, t, parent, t.expression(parent)+"."+pc.name,
			"%s: minimum required = %d, but only found %d", label, e.Min, count)
	}
	if e.Max >= 0 && count > e.Max && (!suppressBase || e.BaseMax < 0 || count <= e.BaseMax) {
		s.add(SeverityError, CheckCardinality, t, items[e.Max], "", "%s: max allowed = %d, but found %d", label, e.Max, count)
	}
}

// checkElementType checks a choice's chosen type and a reference's target against the
// profile's narrowed types.
func (w *walker) checkElementType(s *sink, t *tree, n int32, pe *pElem) {
	nd := &t.nodes[n]
	if pe.choice && nd.choiceType != "" && len(pe.types) > 0 {
		ok := false
		for _, c := range pe.types {
			if c == nd.choiceType {
				ok = true
			}
		}
		if !ok {
			s.add(SeverityError, CheckProfileType, t, n, "", "type %s is not allowed here; allowed: %s", nd.choiceType, strings.Join(pe.types, ", "))
			return
		}
	}
	if nd.typ != nil && nd.typ.name == "Reference" {
		var targets []string
		for _, tr := range pe.e.Types {
			if tr.Code != "Reference" {
				continue
			}
			for _, tp := range tr.TargetProfiles {
				var tn string
				if ps := w.sc.profiles[tp]; ps != nil {
					tn = ps.Type
				} else if bt := w.sc.byURL[tp]; bt != nil {
					tn = bt.name
				} else {
					return // a profile this validator does not have: its type is not known
				}
				if tn == "Resource" || tn == "DomainResource" {
					return
				}
				targets = append(targets, tn)
			}
		}
		if len(targets) == 0 {
			return
		}
		c := t.firstChild(n, "reference")
		if c < 0 || t.nodes[c].kind != valString {
			return
		}
		ref := t.str(c)
		typ, ok := referenceType(ref)
		if !ok {
			return
		}
		rt := w.sc.types[typ]
		if rt == nil {
			return
		}
		for _, a := range targets {
			if rt.isA(a) {
				return
			}
		}
		s.add(SeverityError, CheckReference, t, c, t.expression(n)+".reference", "reference to %s is not allowed by the profile; allowed: %s", typ, strings.Join(targets, ", "))
	}
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	if b.Len() > 200 {
		return b.String()[:200] + "..."
	}
	return b.String()
}

// matchValue compares the subtree at n with a JSON value: exactly (fixed[x]) or as a pattern
// (every property of the pattern present with a matching value; arrays: each pattern item
// matched by some item).
func matchValue(t *tree, n int32, v any, exact bool) bool {
	nd := &t.nodes[n]
	switch x := v.(type) {
	case map[string]any:
		for k, pv := range x {
			if k == "resourceType" || strings.HasPrefix(k, "_") {
				continue
			}
			name := k
			var buf [4]int32
			kids := t.childrenNamed(n, name, buf[:0])
			if len(kids) == 0 {
				// a choice in the pattern (valueQuantity): the tree names it value
				for c := nd.first; c >= 0; c = t.nodes[c].next {
					if ct := t.nodes[c].choiceType; ct != "" && t.nodes[c].name+upperFirst(ct) == k {
						kids = append(kids, c)
					}
				}
			}
			items, isArr := pv.([]any)
			if !isArr {
				items = []any{pv}
			}
			if exact && len(kids) != len(items) {
				return false
			}
			for i, item := range items {
				found := false
				if exact {
					found = matchValue(t, kids[i], item, true)
				} else {
					for _, c := range kids {
						if matchValue(t, c, item, false) {
							found = true
							break
						}
					}
				}
				if !found {
					return false
				}
			}
		}
		if exact {
			for c := nd.first; c >= 0; c = t.nodes[c].next {
				name := t.nodes[c].name
				if _, ok := x[name]; ok {
					continue
				}
				if ct := t.nodes[c].choiceType; ct != "" {
					if _, ok := x[name+upperFirst(ct)]; ok {
						continue
					}
				}
				return false
			}
		}
		return true
	case string:
		return nd.kind == valString && t.str(n) == x
	case json.Number:
		if nd.kind != valNumber {
			return false
		}
		a, err1 := strconv.ParseFloat(t.str(n), 64)
		b, err2 := x.Float64()
		return err1 == nil && err2 == nil && a == b
	case bool:
		return (x && nd.kind == valTrue) || (!x && nd.kind == valFalse)
	}
	return false
}

// checkProfileBinding checks a coded value against the profile's binding where it differs from
// the base definition's (which the base validation already applies).
func (w *walker) checkProfileBinding(s *sink, t *tree, n int32, pe *pElem) {
	b := pe.binding
	if b.strength != "required" && b.strength != "extensible" {
		return
	}
	nd := &t.nodes[n]
	if be := nd.elem; be != nil && be.binding != nil && be.binding.url == b.url && be.binding.strength == b.strength && b.strength == "required" {
		return // same as the base: already checked
	}
	if nd.typ == nil {
		return
	}
	sev := SeverityError
	if b.strength == "extensible" {
		sev = SeverityWarning
	}
	type coding struct {
		system, code string
		node         int32
	}
	var codings []coding
	get := func(c int32) coding {
		var cd coding
		cd.node = c
		if x := t.firstChild(c, "system"); x >= 0 && t.nodes[x].kind == valString {
			cd.system = t.str(x)
		}
		if x := t.firstChild(c, "code"); x >= 0 && t.nodes[x].kind == valString {
			cd.code = t.str(x)
		}
		return cd
	}
	switch nd.typ.name {
	case "code":
		if nd.kind == valString {
			codings = append(codings, coding{code: t.str(n), node: n})
		}
	case "Coding", "Quantity":
		if cd := get(n); cd.code != "" {
			codings = append(codings, cd)
		}
	case "CodeableConcept":
		for c := nd.first; c >= 0; c = t.nodes[c].next {
			if t.nodes[c].name == "coding" {
				if cd := get(c); cd.code != "" {
					codings = append(codings, cd)
				}
			}
		}
	default:
		return
	}
	if len(codings) == 0 {
		return
	}
	vs := b.vs
	if vs == nil {
		s.add(SeverityInformation, CheckBinding, t, n, "", "value set %s (%s binding) is not in the loaded packages, so the code was not checked", b.url, b.strength)
		return
	}
	bare := nd.typ.name == "code"
	if vs.complete {
		for _, cd := range codings {
			if bare {
				if _, ok := vs.codes[cd.code]; ok {
					return
				}
			} else if _, ok := vs.coded[cd.system+"|"+cd.code]; ok {
				return
			}
		}
		first := codings[0]
		shown := first.code
		if !bare {
			shown = first.system + "|" + first.code
		}
		s.add(sev, CheckBinding, t, n, "", "%s is not in the value set %s, and a code from it is %s", shown, b.url, bindingWord(b.strength))
		return
	}
	// Not enumerable here (SNOMED CT, LOINC...): rule out other code systems, check SNOMED CT
	// identifiers, and say that membership was not checked.
	if len(vs.includeSystems) > 0 && !bare {
		in := false
		for _, cd := range codings {
			for _, sys := range vs.includeSystems {
				if cd.system == sys {
					in = true
				}
			}
		}
		if !in {
			s.add(sev, CheckBinding, t, n, "", "no coding is from the code systems of value set %s (%s), and a code from it is %s",
				b.url, strings.Join(vs.includeSystems, ", "), bindingWord(b.strength))
			return
		}
	}
	for _, cd := range codings {
		if cd.system == "http://snomed.info/sct" && !terminology.SCTIDValid(cd.code) {
			s.add(SeverityError, CheckBinding, t, cd.node, "", "%q is not a valid SNOMED CT identifier (length, partition or check digit)", cd.code)
			return
		}
	}
	s.add(SeverityInformation, CheckBinding, t, n, "", "membership of value set %s (%s binding) was not checked: %s; a terminology server is needed",
		b.url, b.strength, vs.reason)
}

func bindingWord(strength string) string {
	if strength == "required" {
		return "required"
	}
	return "expected (extensible binding)"
}

// profileConstraints evaluates the invariants a profile adds to an element.
func (w *walker) profileConstraints(s *sink, t *tree, n int32, pe *pElem) {
	nd := &t.nodes[n]
	m := &treeModel{t: t}
	for _, c := range pe.constraints {
		if c.compiled == nil {
			continue
		}
		inBase := false
		if nd.elem != nil {
			for _, bc := range nd.elem.constraints {
				if bc.key == c.key {
					inBase = true
				}
			}
		}
		if nd.typ != nil && nd.typ.root != nil {
			for _, bc := range nd.typ.root.constraints {
				if bc.key == c.key {
					inBase = true
				}
			}
		}
		if inBase {
			continue
		}
		res, err := w.eval.Eval(c.compiled, m, n)
		if err != nil {
			continue
		}
		if v, ok := fhirpath.Truth(res); ok && !v {
			sev := SeverityError
			if c.severity == "warning" {
				sev = SeverityWarning
			}
			s.add(sev, CheckInvariant, t, n, "", "%s: %s", c.key, c.human)
		}
	}
}

// slice assigns the items of a sliced element to its slices, checks each slice's cardinality,
// the slicing rules (closed, ordered, openAtEnd) and validates each item against its slice.
func (w *walker) slice(s *sink, t *tree, parent int32, pc *pElem, items []int32) {
	sl := pc.slicing
	if sl == nil {
		if pc.name == "extension" || pc.name == "modifierExtension" {
			sl = &model.Slicing{Discriminators: []model.Discriminator{{Type: "value", Path: "url"}}, Rules: "open"}
		} else {
			return
		}
	}
	counts := make([]int32, len(pc.slices))
	bySlice := make([][]int32, len(pc.slices))
	assigned := make([]int, len(items))
	lastSlice := -1
	orderReported := false
	for i, it := range items {
		assigned[i] = -1
		for k, sp := range pc.slices {
			if w.inSlice(t, it, sp, sl) {
				assigned[i] = k
				counts[k]++
				bySlice[k] = append(bySlice[k], it)
				break
			}
		}
		k := assigned[i]
		if k >= 0 && len(sl.Discriminators) > 0 && !hasProfileDiscriminator(sl) {
			// The discriminators must tell the slices apart: an item that two slices both
			// match is an error (the HL7 Java validator's "matches more than one slice").
			// Not for profile discriminators: a resource in a tree of its own, or tried
			// against a profile that is not loaded, is matched by its type alone, so two
			// slices for profiles of one type would both seem to match it.
			for k2 := k + 1; k2 < len(pc.slices); k2++ {
				if w.inSlice(t, it, pc.slices[k2], sl) {
					s.add(SeverityError, CheckSlicing, t, it, "", "this element matches more than one slice of %s: %s, %s", pc.e.Path, pc.slices[k].e.SliceName, pc.slices[k2].e.SliceName)
					break
				}
			}
		}
		switch {
		case k < 0:
			switch sl.Rules {
			case "closed":
				s.add(SeverityError, CheckSlicing, t, it, "", "this element does not match any slice of %s, and the slicing is closed", pc.e.Path)
			case "openAtEnd":
				lastSlice = len(pc.slices)
			}
		default:
			if sl.Rules == "openAtEnd" && lastSlice == len(pc.slices) {
				s.add(SeverityError, CheckSlicing, t, it, "", "slice %s comes after an element that matches no slice, but the slicing is open at the end only", pc.slices[k].e.SliceName)
			}
			if sl.Ordered && k < lastSlice && !orderReported {
				s.add(SeverityError, CheckSlicing, t, it, "", "slice %s is out of order: the slicing of %s is ordered", pc.slices[k].e.SliceName, pc.e.Path)
				orderReported = true
			}
			if k > lastSlice {
				lastSlice = k
			}
		}
	}
	for k, sp := range pc.slices {
		w.checkCount(s, t, parent, sp, bySlice[k], false)
	}
	for i, it := range items {
		if k := assigned[i]; k >= 0 {
			w.validateElement(s, t, it, pc.slices[k], false)
		}
	}
}

func hasProfileDiscriminator(sl *model.Slicing) bool {
	for _, d := range sl.Discriminators {
		if d.Type == "profile" {
			return true
		}
	}
	return false
}

// inSlice decides whether item matches slice sp by the discriminators.
func (w *walker) inSlice(t *tree, item int32, sp *pElem, sl *model.Slicing) bool {
	if len(sl.Discriminators) == 0 {
		// No discriminator: the item must be valid against the slice.
		s := &sink{w: w, trial: true}
		w.validateElement(s, t, item, sp, false)
		return s.errors == 0
	}
	for _, d := range sl.Discriminators {
		if !w.discriminate(t, item, sp, sl, d) {
			return false
		}
	}
	return true
}

func (w *walker) discriminate(t *tree, item int32, sp *pElem, sl *model.Slicing, d model.Discriminator) bool {
	path := strings.TrimSpace(d.Path)
	nodes := evalDiscriminatorPath(t, item, path)
	def, inherited := sliceElementAt(w, sp, path)
	switch d.Type {
	case "value", "pattern":
		var want any
		exact := d.Type == "value"
		if def != nil {
			if def.fixed != nil {
				want, exact = def.fixed, true
			} else if def.pattern != nil {
				want, exact = def.pattern, false
			}
		}
		if want == nil && inherited != nil {
			want, exact = inherited, false
		}
		if want == nil && len(sl.Discriminators) > 1 && path != "url" {
			return true // the slice does not constrain this discriminator
		}
		if want == nil {
			// The url of an extension slice comes from its type's profile.
			if path == "url" {
				for _, tr := range sp.e.Types {
					if tr.Code == "Extension" && len(tr.Profiles) > 0 {
						want = tr.Profiles[0]
					}
				}
			}
			if want == nil && def != nil && def.binding != nil && def.binding.vs != nil && def.binding.vs.complete && def.binding.strength == "required" {
				for _, x := range nodes {
					if w.inValueSet(t, x, def.binding.vs) {
						return true
					}
				}
				return false
			}
			if want == nil {
				return false
			}
		}
		for _, x := range nodes {
			if matchValue(t, x, want, exact) {
				return true
			}
		}
		return false
	case "exists":
		exists := len(nodes) > 0
		if def == nil {
			return !exists
		}
		if def.e.Min >= 1 {
			return exists
		}
		if def.e.Max == 0 {
			return !exists
		}
		return true
	case "type":
		if def == nil || len(def.types) == 0 {
			return false
		}
		for _, x := range nodes {
			nd := &t.nodes[x]
			name := nd.choiceType
			if name == "" && nd.typ != nil {
				name = nd.typ.name
			}
			for _, c := range def.types {
				if c == name || (nd.typ != nil && nd.typ.isA(c)) {
					return true
				}
			}
		}
		return false
	case "profile":
		if def == nil {
			return false
		}
		for _, x := range nodes {
			for _, tr := range def.e.Types {
				for _, pu := range append(append([]string(nil), tr.Profiles...), tr.TargetProfiles...) {
					p := w.sc.profile(pu)
					nd := &t.nodes[x]
					if p == nil || p.problem != "" {
						// A profile this validator does not have (or cannot use): the item
						// cannot be tried against it, so a resource of the type the slice names
						// is taken to match, as a Bundle entry is below, rather than counted
						// out of the slice for a check that was never made.
						if (nd.resource || nd.stub) && nd.typ != nil && tr.Code != "" && tr.Code != "Resource" && tr.Code != "DomainResource" && nd.typ.isA(tr.Code) {
							return true
						}
						continue
					}
					if nd.typ == nil || !nd.typ.isA(p.typ) {
						continue
					}
					if nd.stub {
						// A resource validated in its own tree (a Bundle entry): matched by type;
						// its own validation applies the profiles it declares.
						return true
					}
					s := &sink{w: w, trial: true}
					w.validateElement(s, t, x, p.root, true)
					if s.errors == 0 {
						return true
					}
				}
			}
		}
		return false
	}
	return false
}

func (w *walker) inValueSet(t *tree, x int32, vs *valueSet) bool {
	nd := &t.nodes[x]
	if nd.kind == valString {
		_, ok := vs.codes[t.str(x)]
		return ok
	}
	sys, code := "", ""
	if c := t.firstChild(x, "system"); c >= 0 && t.nodes[c].kind == valString {
		sys = t.str(c)
	}
	if c := t.firstChild(x, "code"); c >= 0 && t.nodes[c].kind == valString {
		code = t.str(c)
	}
	_, ok := vs.coded[sys+"|"+code]
	return ok
}

// discriminatorSteps splits a discriminator path into steps, keeping function arguments whole.
func discriminatorSteps(path string) []string {
	var steps []string
	depth, start := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '.':
			if depth == 0 {
				steps = append(steps, path[start:i])
				start = i + 1
			}
		}
	}
	return append(steps, path[start:])
}

// evalDiscriminatorPath evaluates a discriminator path (names, $this, ofType(), extension('url'),
// resolve() as unknown) from node n.
func evalDiscriminatorPath(t *tree, n int32, path string) []int32 {
	cur := []int32{n}
	if path == "" || path == "$this" {
		return cur
	}
	for _, step := range discriminatorSteps(path) {
		var next []int32
		switch {
		case step == "$this":
			next = cur
		case strings.HasPrefix(step, "ofType(") && strings.HasSuffix(step, ")"):
			typ := step[len("ofType(") : len(step)-1]
			for _, c := range cur {
				nd := &t.nodes[c]
				if nd.choiceType == typ || (nd.typ != nil && nd.typ.isA(typ)) {
					next = append(next, c)
				}
			}
		case strings.HasPrefix(step, "extension(") && strings.HasSuffix(step, ")"):
			url := strings.Trim(step[len("extension("):len(step)-1], `'"`)
			for _, c := range cur {
				for x := t.nodes[c].first; x >= 0; x = t.nodes[x].next {
					if t.nodes[x].name != "extension" {
						continue
					}
					if u := t.firstChild(x, "url"); u >= 0 && t.nodes[u].kind == valString && t.str(u) == url {
						next = append(next, x)
					}
				}
			}
		case step == "resolve()":
			return nil // a reference's target is not held
		default:
			for _, c := range cur {
				next = t.childrenNamed(c, step, next)
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// sliceElementAt finds the element of slice sp that a discriminator path names. When the path
// goes below an element that carries a fixed or pattern value instead of children, the part of
// that value at the rest of the path is returned as inherited.
func sliceElementAt(w *walker, sp *pElem, path string) (*pElem, any) {
	cur := sp
	if path == "" || path == "$this" {
		return cur, nil
	}
	steps := discriminatorSteps(path)
	for i, step := range steps {
		switch {
		case step == "$this":
			continue
		case strings.HasPrefix(step, "ofType("):
			continue
		case strings.HasPrefix(step, "extension(") && strings.HasSuffix(step, ")"):
			url := strings.Trim(step[len("extension("):len(step)-1], `'"`)
			var found *pElem
			for _, c := range cur.children {
				if c.name != "extension" {
					continue
				}
				for _, sl := range c.slices {
					for _, tr := range sl.e.Types {
						for _, p := range tr.Profiles {
							if p == url {
								found = sl
							}
						}
					}
					if found == nil {
						for _, u := range sl.children {
							if u.name == "url" && u.fixed == url {
								found = sl
							}
						}
					}
				}
			}
			if found == nil {
				return nil, nil
			}
			cur = found
			if len(cur.children) == 0 {
				// expand from the extension's own definition
				if p := w.sc.profile(url); p != nil && p.root != nil {
					cur = p.root
				}
			}
			continue
		}
		var next *pElem
		for _, c := range cur.children {
			if c.name == step {
				next = c
				break
			}
		}
		if next == nil {
			// Below a fixed or pattern value: take the part of it at the rest of the path.
			v := cur.fixed
			if v == nil {
				v = cur.pattern
			}
			if v == nil && len(cur.children) == 0 {
				// a data type profile on the element
				for _, tr := range cur.e.Types {
					for _, pu := range tr.Profiles {
						if p := w.sc.profile(pu); p != nil && p.root != nil {
							return sliceElementAt(w, p.root, strings.Join(steps[i:], "."))
						}
					}
				}
			}
			for _, st := range steps[i:] {
				m, ok := v.(map[string]any)
				if !ok {
					return nil, nil
				}
				v = m[st]
				if arr, ok := v.([]any); ok && len(arr) == 1 {
					v = arr[0]
				}
			}
			return nil, v
		}
		cur = next
	}
	return cur, nil
}

// checkExtensionDefinition validates an extension against its StructureDefinition: where it is
// used (context), and its content (value type, nested extensions, fixed values, bindings).
func (w *walker) checkExtensionDefinition(t *tree, n int32) {
	u := t.firstChild(n, "url")
	if u < 0 || t.nodes[u].kind != valString {
		return
	}
	url := t.str(u)
	if !strings.Contains(url, ":") {
		return // a nested extension of a complex extension, named relative to it
	}
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	w.checkMatchetypeDeclaration(t, n, url)
	p := w.sc.profile(url)
	nd := &t.nodes[n]
	if p == nil || !p.isExt {
		// As the HL7 Java validator does: an extension without a definition cannot be
		// validated, so it is not allowed (load its package with --package). HL7's own
		// extensions newer than the core package (hl7.fhir.uv.extensions, the tools extensions,
		// cross-version extensions), which the Java validator loads itself, are warned about.
		sev := SeverityError
		msg := "the extension %s could not be found so is not allowed here (load its package with --package)"
		switch {
		case hl7ExtensionPack(url):
			sev = SeverityWarning
			msg = "the extension %s is not in the packages loaded, so it was not checked (HL7 publishes it outside the core package)"
		case exampleExtension(url):
			sev = SeverityWarning
			msg = "the extension %s is an example (its domain is reserved for examples), so it has no definition to check it against"
		}
		w.report(sev, CheckExtension, int(t.nodes[u].line), int(t.nodes[u].col), t.expression(n), msg, url)
		return
	}
	if p.problem != "" {
		return
	}
	if p.root != nil {
		modifier := nd.name == "modifierExtension"
		switch {
		case p.root.e.IsModifier && !modifier:
			w.report(SeverityError, CheckExtension, int(nd.line), int(nd.col), t.expression(n),
				"the extension %s is a modifier extension, so it must be in modifierExtension, not extension", url)
		case !p.root.e.IsModifier && modifier:
			w.report(SeverityError, CheckExtension, int(nd.line), int(nd.col), t.expression(n),
				"the extension %s is not a modifier extension, so it must be in extension, not modifierExtension", url)
		}
	}
	if !w.extensionContextOK(t, n, p) {
		ctx := make([]string, len(p.contexts))
		copy(ctx, p.contexts)
		sort.Strings(ctx)
		w.report(SeverityError, CheckExtension, int(nd.line), int(nd.col), t.expression(n),
			"the extension %s is not allowed to be used here (%s); allowed: %s", url, w.hostDescription(t, n), strings.Join(ctx, ", "))
	}
	s := &sink{w: w}
	w.validateElement(s, t, n, p.root, true)
}

// hostDescription names the element an extension is on, by type and path.
func (w *walker) hostDescription(t *tree, n int32) string {
	h := t.nodes[n].parent
	if h < 0 {
		return "at the top level"
	}
	var parts []string
	if ty := t.nodes[h].typ; ty != nil {
		parts = append(parts, ty.name)
	}
	parts = append(parts, hostPath(t, h))
	return "this element is " + strings.Join(parts, ", ")
}

// hostPath is the element path of node h from its resource, without indexes
// ("Patient.name", "Observation.component.code").
func hostPath(t *tree, h int32) string {
	var segs []string
	for x := h; x >= 0; x = t.nodes[x].parent {
		nd := &t.nodes[x]
		if nd.resource {
			if nd.typ != nil {
				segs = append(segs, nd.typ.name)
			}
			break
		}
		segs = append(segs, nd.name)
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return strings.Join(segs, ".")
}

func (w *walker) extensionContextOK(t *tree, n int32, p *profileDef) bool {
	if len(p.contexts) == 0 || contextExceptions[p.url] {
		return true
	}
	h := t.nodes[n].parent
	if h < 0 {
		return true
	}
	hn := &t.nodes[h]
	path := hostPath(t, h)
	var elemPath string
	if hn.elem != nil {
		elemPath = hn.elem.path
	}
	for _, c := range p.contexts {
		typ, expr, _ := strings.Cut(c, ":")
		switch typ {
		case "fhirpath":
			return true // not evaluated: accepted
		case "extension":
			if hn.typ != nil && hn.typ.name == "Extension" {
				if expr == "Extension" {
					return true
				}
				if u := t.firstChild(h, "url"); u >= 0 && t.nodes[u].kind == valString && t.str(u) == expr {
					return true
				}
			}
			continue
		}
		// element (R4), resource / datatype (STU3)
		switch {
		case expr == "Element" || expr == "Base":
			return true
		case expr == path || expr == elemPath:
			return true
		case hn.typ != nil && hn.typ.isA(expr):
			return true
		case hn.choiceType != "" && strings.HasSuffix(expr, "[x]") && strings.TrimSuffix(expr, "[x]") == strings.TrimSuffix(path, hn.name)+hn.name:
			return true
		case strings.HasSuffix(expr, "[x]") && strings.TrimSuffix(expr, "[x]") == path:
			return true
		case expr == "Resource" || expr == "DomainResource" || expr == "*":
			if hn.resource {
				return true
			}
		case expr == "CanonicalResource" || expr == "MetadataResource":
			// R5 abstract types: in R4, the resources with a canonical url
			if hn.resource && hn.typ != nil && hn.typ.root != nil && hn.typ.root.children != nil {
				if _, ok := hn.typ.root.children.byName["url"]; ok {
					return true
				}
			}
		}
		// A path given through a data type: "HumanName.given" matches Patient.name.given.
		if i := strings.IndexByte(expr, '.'); i > 0 && hn.elem != nil && elemPath == expr {
			return true
		}
		// contentReference elements (Questionnaire.item.item) match their definition's path.
		if hn.elem != nil && hn.elem.contentRef != nil && hn.elem.contentRef.path == expr {
			return true
		}
	}
	return false
}

// hl7ExtensionPack reports whether url names an HL7 extension published outside the core
// package: the extensions pack and tools extensions under http://hl7.org/fhir/StructureDefinition
// and http://hl7.org/fhir/tools/StructureDefinition, and cross-version extensions
// (http://hl7.org/fhir/5.0/StructureDefinition/extension-...).
func hl7ExtensionPack(url string) bool {
	rest, ok := strings.CutPrefix(url, "http://hl7.org/fhir/")
	if !ok {
		return false
	}
	if strings.HasPrefix(rest, "StructureDefinition/") || strings.HasPrefix(rest, "tools/StructureDefinition/") {
		return true
	}
	if i := strings.Index(rest, "/StructureDefinition/extension-"); i > 0 {
		v := rest[:i]
		return len(v) >= 3 && v[0] >= '1' && v[0] <= '9' && v[1] == '.'
	}
	return false
}

// exampleExtension reports whether an extension url is in a domain reserved for examples
// (example.org, RFC 2606) or used so by HL7 (acme.com, nema.org): such an extension has no
// published definition, and the HL7 Java validator accepts it unchecked.
func exampleExtension(url string) bool {
	rest, ok := strings.CutPrefix(url, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(url, "https://"); !ok {
			return false
		}
	}
	host, _, _ := strings.Cut(rest, "/")
	for _, d := range []string{"example.org", "acme.com", "nema.org"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// contextExceptions are extensions the core package itself uses outside their stated context,
// which the Java validator accepts (its newer definitions widen the context).
var contextExceptions = map[string]bool{
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type":         true, // on ElementDefinition.type in every core snapshot
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-normative-version": true, // on the core CodeSystems and ValueSets
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status":  true,
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-wg":                true,
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-fmm":               true,
}

// ucumScale converts a few UCUM units to their base unit, for comparing quantities.
var ucumScale = map[string]struct {
	base   string
	factor float64
}{
	"g": {"g", 1}, "kg": {"g", 1000}, "mg": {"g", 0.001}, "ug": {"g", 1e-6},
	"m": {"m", 1}, "km": {"m", 1000}, "cm": {"m", 0.01}, "mm": {"m", 0.001},
	"L": {"L", 1}, "mL": {"L", 0.001}, "dL": {"L", 0.1},
	"s": {"s", 1}, "min": {"s", 60}, "h": {"s", 3600}, "d": {"s", 86400},
}

// checkMinMax applies minValue[x] and maxValue[x]: numbers numerically, dates and times in
// their ISO order, quantities after converting common UCUM units.
func checkMinMax(s *sink, t *tree, n int32, e *model.Element) {
	nd := &t.nodes[n]
	value := func() (float64, string, string, bool) { // number, unit, text, ok
		switch {
		case nd.kind == valNumber:
			f, err := strconv.ParseFloat(t.str(n), 64)
			return f, "", t.str(n), err == nil
		case nd.kind == valString:
			return 0, "", t.str(n), true
		case nd.typ != nil && nd.typ.isA("Quantity"):
			v := t.firstChild(n, "value")
			c := t.firstChild(n, "code")
			if v < 0 || t.nodes[v].kind != valNumber {
				return 0, "", "", false
			}
			f, err := strconv.ParseFloat(t.str(v), 64)
			unit := ""
			if c >= 0 && t.nodes[c].kind == valString {
				unit = t.str(c)
			}
			return f, unit, t.str(v) + " " + unit, err == nil
		}
		return 0, "", "", false
	}
	f, unit, text, ok := value()
	if !ok {
		return
	}
	if nd.kind == valString && nd.typ != nil && (nd.typ.name == "date" || nd.typ.name == "dateTime" || nd.typ.name == "instant") {
		checkDateDuration(s, t, n, text, e)
		return
	}
	cmp := func(limit string) (int, string, bool) {
		lv := decodeJSON(limit)
		switch x := lv.(type) {
		case json.Number:
			g, err := x.Float64()
			if err != nil || nd.kind != valNumber {
				return 0, "", false
			}
			switch {
			case f < g:
				return -1, x.String(), true
			case f > g:
				return 1, x.String(), true
			}
			return 0, x.String(), true
		case string:
			if nd.kind != valString {
				return 0, "", false
			}
			return strings.Compare(text, x), x, true
		case map[string]any:
			num, _ := x["value"].(json.Number)
			g, err := num.Float64()
			code, _ := x["code"].(string)
			if err != nil {
				return 0, "", false
			}
			a, b := f, g
			if code != unit {
				su, ok1 := ucumScale[unit]
				sl, ok2 := ucumScale[code]
				if !ok1 || !ok2 || su.base != sl.base {
					return 0, "", false
				}
				a, b = f*su.factor, g*sl.factor
			}
			shown := num.String() + " " + code
			switch {
			case a < b:
				return -1, shown, true
			case a > b:
				return 1, shown, true
			}
			return 0, shown, true
		}
		return 0, "", false
	}
	if e.MinValue != "" {
		if c, lim, ok := cmp(e.MinValue); ok && c < 0 {
			s.add(SeverityError, CheckFixed, t, n, "", "the value %s is less than the minimum value %s", text, lim)
		}
	}
	if e.MaxValue != "" {
		if c, lim, ok := cmp(e.MaxValue); ok && c > 0 {
			s.add(SeverityError, CheckFixed, t, n, "", "the value %s is greater than the maximum value %s", text, lim)
		}
	}
}

// durationUnits are the UCUM time units, in days (a year and a month as UCUM defines them).
var durationUnits = map[string]float64{
	"a": 365.25, "mo": 30.4375, "wk": 7, "d": 1, "h": 1.0 / 24, "min": 1.0 / 1440, "s": 1.0 / 86400,
}

// checkDateDuration applies minValue[x] / maxValue[x] to a date: a date limit is compared in ISO
// order, a Duration limit relative to today (minValueDuration 100 a: no earlier than 100 years
// ago; maxValueDuration 10 a: no later than 10 years from now).
func checkDateDuration(s *sink, t *tree, n int32, value string, e *model.Element) {
	parse := func(v string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
			if tm, err := time.Parse(layout, v); err == nil {
				return tm, true
			}
		}
		return time.Time{}, false
	}
	at, ok := parse(value)
	if !ok {
		return
	}
	for _, lim := range []struct {
		raw string
		min bool
	}{{e.MinValue, true}, {e.MaxValue, false}} {
		if lim.raw == "" {
			continue
		}
		var bound time.Time
		shown := ""
		switch x := decodeJSON(lim.raw).(type) {
		case string:
			b, ok := parse(x)
			if !ok {
				continue
			}
			bound, shown = b, x
		case map[string]any:
			num, _ := x["value"].(json.Number)
			v, err := num.Float64()
			code, _ := x["code"].(string)
			days, known := durationUnits[code]
			if err != nil || !known {
				continue
			}
			d := time.Duration(v * days * 24 * float64(time.Hour))
			if lim.min {
				bound = time.Now().Add(-d)
				shown = fmt.Sprintf("%s %s ago", num, code)
			} else {
				bound = time.Now().Add(d)
				shown = fmt.Sprintf("%s %s from now", num, code)
			}
		default:
			continue
		}
		if lim.min && at.Before(bound) {
			s.add(SeverityError, CheckFixed, t, n, "", "the value %s is earlier than the minimum %s", value, shown)
		}
		if !lim.min && at.After(bound) {
			s.add(SeverityError, CheckFixed, t, n, "", "the value %s is later than the maximum %s", value, shown)
		}
	}
}
