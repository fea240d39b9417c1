package fhirpkg

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

const (
	extFHIRType     = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
	extRegexR4      = "http://hl7.org/fhir/StructureDefinition/regex"
	extRegexSTU3    = "http://hl7.org/fhir/StructureDefinition/structuredefinition-regex"
	systemTypePrefx = "http://hl7.org/fhirpath/System."
)

// Builder accumulates packages into one set of Definitions.
type Builder struct {
	defs        *model.Definitions
	structIndex map[string]int // URL -> index in defs.Structures
	constraints map[model.Constraint]int32
	codeSystems map[string]*codeSystem
	valueSets   map[string]map[string]any
	expanded    map[string]int // URL -> index in defs.ValueSets
	snapState   map[string]int // snapshot generation: 1 in progress, 2 done
}

// NewBuilder starts definitions for a FHIR version. base, when given, is extended in place: its
// structures and expansions are kept and new packages add to them.
func NewBuilder(fhirVersion string, base *model.Definitions) *Builder {
	b := &Builder{
		structIndex: map[string]int{},
		constraints: map[model.Constraint]int32{},
		codeSystems: map[string]*codeSystem{},
		valueSets:   map[string]map[string]any{},
		expanded:    map[string]int{},
	}
	if base == nil {
		base = &model.Definitions{FHIRVersion: fhirVersion}
	}
	b.defs = base
	for i, s := range base.Structures {
		b.structIndex[s.URL] = i
	}
	for i, c := range base.Constraints {
		b.constraints[c] = int32(i)
	}
	for i, vs := range base.ValueSets {
		b.expanded[vs.URL] = i
	}
	return b
}

// Add reads the definitional resources of a package.
func (b *Builder) Add(p *Package) error {
	b.defs.Sources = append(b.defs.Sources, p.ID())
	for _, r := range p.Resources {
		switch r.Type {
		case "StructureDefinition":
			s, err := b.structure(r.JSON)
			if err != nil {
				return fmt.Errorf("%s: %w", r.File, err)
			}
			if i, ok := b.structIndex[s.URL]; ok {
				b.defs.Structures[i] = s
			} else {
				b.structIndex[s.URL] = len(b.defs.Structures)
				b.defs.Structures = append(b.defs.Structures, s)
			}
		case "CodeSystem":
			cs := readCodeSystem(r.JSON)
			if cs.url != "" {
				b.codeSystems[cs.url] = cs
			}
		case "ValueSet":
			if u := str(r.JSON, "url"); u != "" {
				b.valueSets[u] = r.JSON
			}
		case "Questionnaire":
			if u := str(r.JSON, "url"); u != "" {
				if raw, err := json.Marshal(r.JSON); err == nil {
					b.defs.Questionnaires = append(b.defs.Questionnaires, model.RawResource{URL: u, JSON: string(raw)})
				}
			}
		case "Measure":
			if u := str(r.JSON, "url"); u != "" {
				if raw, err := json.Marshal(r.JSON); err == nil {
					b.defs.Measures = append(b.defs.Measures, model.RawResource{URL: u, JSON: string(raw)})
				}
			}
		case "ImplementationGuide":
			for _, g := range list(r.JSON["global"]) {
				if gm, ok := g.(map[string]any); ok && str(gm, "type") != "" && str(gm, "profile") != "" {
					b.defs.GlobalProfiles = append(b.defs.GlobalProfiles, model.GlobalProfile{Type: str(gm, "type"), Profile: stripVersion(str(gm, "profile"))})
				}
			}
		}
	}
	return nil
}

// maxUnboundExpansion bounds the expansions kept for value sets no binding of the packages uses.
const maxUnboundExpansion = 500

// Definitions expands the value sets that required bindings use and returns the result.
func (b *Builder) Definitions() *model.Definitions {
	b.snapshots()
	var urls []string
	for _, s := range b.defs.Structures {
		profile := s.Derivation == "constraint"
		for _, e := range s.Elements {
			if e.Binding == nil {
				continue
			}
			for _, ab := range e.Binding.Additional {
				if ab.Purpose == "required" || ab.Purpose == "extensible" {
					urls = append(urls, ab.ValueSet)
				}
			}
			if e.Binding.ValueSet == "" {
				continue
			}
			// Base validation needs the required bindings; profiles need their extensible
			// ones too.
			if e.Binding.Strength == "required" || (profile && e.Binding.Strength == "extensible") {
				urls = append(urls, e.Binding.ValueSet)
			}
		}
	}
	// Every value set of the packages is expanded as far as the packages allow, so that profiles
	// loaded later (another package, an IG) can bind to them; large expansions are kept only
	// when a binding needs them.
	needed := map[string]bool{}
	for _, u := range urls {
		needed[u] = true
	}
	for u := range b.valueSets {
		if !needed[u] {
			urls = append(urls, u)
		}
	}
	sort.Strings(urls)
	for _, u := range urls {
		if _, done := b.expanded[u]; done {
			continue
		}
		vs := b.expand(u, map[string]bool{})
		if !needed[u] && len(vs.Codes) > maxUnboundExpansion {
			vs = model.ValueSet{URL: u, Reason: fmt.Sprintf("expansion of %d codes not kept (no binding in the packages uses it)", len(vs.Codes))}
		}
		b.expanded[u] = len(b.defs.ValueSets)
		b.defs.ValueSets = append(b.defs.ValueSets, vs)
	}
	sort.SliceStable(b.defs.ValueSets, func(i, j int) bool { return b.defs.ValueSets[i].URL < b.defs.ValueSets[j].URL })
	for i, vs := range b.defs.ValueSets {
		b.expanded[vs.URL] = i
	}
	return b.defs
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func num(v any) (int64, bool) {
	switch t := v.(type) {
	case json.Number:
		n, err := t.Int64()
		return n, err == nil
	case float64:
		return int64(t), true
	case string:
		n, err := strconv.ParseInt(t, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func list(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	default:
		return []any{t}
	}
}

func stripVersion(u string) string {
	if i := strings.IndexByte(u, '|'); i >= 0 {
		return u[:i]
	}
	return u
}

func (b *Builder) structure(m map[string]any) (model.Structure, error) {
	s := model.Structure{
		URL:            str(m, "url"),
		Name:           str(m, "name"),
		Type:           str(m, "type"),
		Kind:           str(m, "kind"),
		Derivation:     str(m, "derivation"),
		BaseDefinition: stripVersion(str(m, "baseDefinition")),
	}
	if s.Type == "" { // STU3 logical models and some constraint profiles name the type in constrainedType
		s.Type = str(m, "constrainedType")
	}
	s.Abstract, _ = m["abstract"].(bool)
	if s.URL == "" {
		return s, fmt.Errorf("StructureDefinition without url")
	}
	s.Contexts = readContexts(m)
	var elems []any
	if snap, ok := m["snapshot"].(map[string]any); ok && len(list(snap["element"])) > 0 {
		elems = list(snap["element"])
	} else if diff, ok := m["differential"].(map[string]any); ok {
		elems = list(diff["element"])
		s.Differential = true
	}
	slicePath := map[string]string{} // differentials without ids: path -> id of the slice being described
	for _, ev := range elems {
		em, ok := ev.(map[string]any)
		if !ok {
			continue
		}
		e, regex := b.element(em, s.URL, s.Kind == "primitive-type", s.Differential)
		if regex != "" && s.Regex == "" {
			s.Regex = regex
		}
		if str(em, "id") == "" {
			e.ID = elementID(e.Path, e.SliceName, slicePath)
		}
		s.Elements = append(s.Elements, e)
	}
	if s.Type == "" && len(s.Elements) > 0 {
		s.Type = strings.SplitN(s.Elements[0].Path, ".", 2)[0]
	}
	return s, nil
}

func extensionValue(exts []any, url string) string {
	for _, x := range exts {
		xm, ok := x.(map[string]any)
		if !ok || str(xm, "url") != url {
			continue
		}
		for k, v := range xm {
			if strings.HasPrefix(k, "value") {
				if s, ok := v.(string); ok {
					return s
				}
			}
		}
	}
	return ""
}

// element converts one ElementDefinition. It also returns the primitive value regex when the
// element is the value of a primitive type.
func (b *Builder) element(m map[string]any, source string, primitive, differential bool) (model.Element, string) {
	e := model.Element{ID: str(m, "id"), Path: str(m, "path"), SliceName: str(m, "sliceName"), Min: 0, Max: -1}
	if e.ID == "" {
		e.ID = e.Path
	}
	if differential {
		e.Min = -1 // not stated: inherited from the base when the snapshot is generated
	}
	if n, ok := num(m["min"]); ok {
		e.Min = int32(n)
	}
	e.MustSupport, _ = m["mustSupport"].(bool)
	e.IsModifier, _ = m["isModifier"].(bool)
	for k, v := range m {
		var dst *string
		switch {
		case strings.HasPrefix(k, "minValue"):
			dst = &e.MinValue
		case strings.HasPrefix(k, "maxValue"):
			dst = &e.MaxValue
		default:
			continue
		}
		if raw, err := json.Marshal(v); err == nil {
			*dst = string(raw)
		}
	}
	e.BaseMin, e.BaseMax = e.Min, e.Max
	if bm, ok := m["base"].(map[string]any); ok {
		if n, ok := num(bm["min"]); ok {
			e.BaseMin = int32(n)
		}
		switch mx := str(bm, "max"); mx {
		case "*":
			e.BaseMax = -1
		case "":
		default:
			if n, err := strconv.Atoi(mx); err == nil {
				e.BaseMax = int32(n)
			}
		}
	}
	if mx := str(m, "max"); mx != "" && mx != "*" {
		if n, err := strconv.Atoi(mx); err == nil {
			e.Max = int32(n)
		}
	} else if mx == "" {
		e.Max = -2 // not stated (differentials); resolved against the base when used
	}
	if _, ok := m["base"].(map[string]any); !ok {
		e.BaseMin, e.BaseMax = e.Min, e.Max
	}
	if n, ok := num(m["maxLength"]); ok {
		e.MaxLength = int32(n)
	}
	isValue := primitive && strings.HasSuffix(e.Path, ".value") && strings.Count(e.Path, ".") == 1
	var regex string
	for _, rep := range list(m["representation"]) {
		if rep == "xmlAttr" {
			e.Attribute = true
		}
	}
	for _, tv := range list(m["type"]) {
		tm, ok := tv.(map[string]any)
		if !ok {
			continue
		}
		code := str(tm, "code")
		exts := list(tm["extension"])
		if cm, ok := tm["_code"].(map[string]any); ok {
			exts = append(exts, list(cm["extension"])...)
		}
		if r := extensionValue(exts, extRegexR4); r != "" {
			regex = r
		} else if r := extensionValue(exts, extRegexSTU3); r != "" {
			regex = r
		}
		if strings.HasPrefix(code, systemTypePrefx) && !isValue {
			e.Attribute = true
			if ft := extensionValue(exts, extFHIRType); ft != "" {
				code = ft
			}
		}
		if code == "" && isValue {
			code = systemTypePrefx + "String"
		}
		var profiles, targets []string
		for _, p := range list(tm["profile"]) {
			if ps, ok := p.(string); ok {
				profiles = append(profiles, stripVersion(ps))
			}
		}
		for _, p := range list(tm["targetProfile"]) {
			if ps, ok := p.(string); ok {
				targets = append(targets, stripVersion(ps))
			}
		}
		merged := false
		for i := range e.Types {
			if e.Types[i].Code == code {
				e.Types[i].Profiles = append(e.Types[i].Profiles, profiles...)
				e.Types[i].TargetProfiles = append(e.Types[i].TargetProfiles, targets...)
				merged = true
			}
		}
		if !merged {
			e.Types = append(e.Types, model.TypeRef{Code: code, Profiles: profiles, TargetProfiles: targets})
		}
	}
	if cr := str(m, "contentReference"); cr != "" {
		if i := strings.IndexByte(cr, '#'); i >= 0 {
			cr = cr[i+1:]
		}
		e.ContentRef = cr
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, pre := range []string{"fixed", "pattern"} {
			if !strings.HasPrefix(k, pre) || len(k) == len(pre) || k[len(pre)] < 'A' || k[len(pre)] > 'Z' {
				continue
			}
			raw, err := json.Marshal(m[k])
			if err != nil {
				continue
			}
			t := typeFromSuffix(k[len(pre):])
			if pre == "fixed" {
				e.Fixed, e.FixedType = string(raw), t
			} else {
				e.Pattern, e.PatternType = string(raw), t
			}
		}
	}
	if bm, ok := m["binding"].(map[string]any); ok {
		vs := str(bm, "valueSet")
		if vs == "" {
			vs = str(bm, "valueSetUri")
		}
		if vs == "" {
			if ref, ok := bm["valueSetReference"].(map[string]any); ok {
				vs = str(ref, "reference")
			}
		}
		e.Binding = &model.Binding{Strength: str(bm, "strength"), ValueSet: stripVersion(vs), Additional: additionalBindings(bm)}
	}
	for _, cv := range list(m["constraint"]) {
		cm, ok := cv.(map[string]any)
		if !ok {
			continue
		}
		c := model.Constraint{Key: str(cm, "key"), Severity: str(cm, "severity"), Human: str(cm, "human"),
			Expression: str(cm, "expression"), Source: stripVersion(str(cm, "source"))}
		if c.Source == "" {
			c.Source = source
		}
		idx, ok := b.constraints[c]
		if !ok {
			idx = int32(len(b.defs.Constraints))
			b.constraints[c] = idx
			b.defs.Constraints = append(b.defs.Constraints, c)
		}
		e.Constraints = append(e.Constraints, idx)
	}
	if sm, ok := m["slicing"].(map[string]any); ok {
		sl := &model.Slicing{Rules: str(sm, "rules")}
		sl.Ordered, _ = sm["ordered"].(bool)
		for _, d := range list(sm["discriminator"]) {
			switch dv := d.(type) {
			case map[string]any:
				sl.Discriminators = append(sl.Discriminators, model.Discriminator{Type: str(dv, "type"), Path: str(dv, "path")})
			case string: // STU3: a bare path, compared by value
				sl.Discriminators = append(sl.Discriminators, model.Discriminator{Type: "value", Path: dv})
			}
		}
		e.Slicing = sl
	}
	return e, regex
}

// typeFromSuffix turns the suffix of fixedCodeableConcept or patternUri into a type name:
// primitive type names start lower case, complex ones upper case.
func typeFromSuffix(s string) string {
	lower := strings.ToLower(s[:1]) + s[1:]
	switch lower {
	case "boolean", "integer", "integer64", "string", "decimal", "uri", "url", "canonical", "base64Binary",
		"instant", "date", "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt",
		"positiveInt", "uuid", "xhtml":
		return lower
	}
	return s
}

// readContexts reads where an extension definition may be used.
func readContexts(m map[string]any) []string {
	var out []string
	stu3Type := str(m, "contextType")
	for _, c := range list(m["context"]) {
		switch cv := c.(type) {
		case map[string]any:
			out = append(out, str(cv, "type")+":"+str(cv, "expression"))
		case string:
			out = append(out, stu3Type+":"+cv)
		}
	}
	return out
}

// elementID works out the id of a differential element that has none (older profiles): its path,
// with the slice being described when the path is inside a slice given earlier.
func elementID(path, sliceName string, slices map[string]string) string {
	id := path
	// The longest sliced ancestor (or the element itself) decides the prefix.
	best := ""
	for p := range slices {
		if (path == p || strings.HasPrefix(path, p+".")) && len(p) > len(best) {
			best = p
		}
	}
	if best != "" && !(path == best && sliceName != "") {
		id = slices[best] + path[len(best):]
	} else if best != "" && path == best {
		// a new slice of the same element: its id is computed from the parent's context below
		parent := best[:max(strings.LastIndexByte(best, '.'), 0)]
		pid := parent
		for p, sid := range slices {
			if p == parent {
				pid = sid
			}
		}
		id = pid + best[len(parent):]
	}
	if sliceName != "" {
		id += ":" + sliceName
		slices[path] = id
		// Slices of descendants described under a previous slice no longer apply.
		for p := range slices {
			if strings.HasPrefix(p, path+".") {
				delete(slices, p)
			}
		}
	}
	return id
}

// additionalBindings reads the additional bindings a binding carries as extensions (R5's
// ElementDefinition.binding.additional, in R4 the cross-version extension, or the tools
// extension additional-binding): each with its purpose and value set.
func additionalBindings(bm map[string]any) []model.AdditionalBinding {
	var out []model.AdditionalBinding
	for _, x := range list(bm["extension"]) {
		xm, ok := x.(map[string]any)
		if !ok {
			continue
		}
		switch str(xm, "url") {
		case "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional",
			"http://hl7.org/fhir/tools/StructureDefinition/additional-binding":
		default:
			continue
		}
		var ab model.AdditionalBinding
		for _, sub := range list(xm["extension"]) {
			sm, ok := sub.(map[string]any)
			if !ok {
				continue
			}
			switch str(sm, "url") {
			case "purpose":
				ab.Purpose = str(sm, "valueCode")
			case "valueSet":
				ab.ValueSet = stripVersion(str(sm, "valueCanonical"))
			}
		}
		if ab.Purpose != "" && ab.ValueSet != "" {
			out = append(out, ab)
		}
	}
	return out
}
