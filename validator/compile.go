package validator

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

type typeKind uint8

const (
	kindPrimitive typeKind = iota
	kindComplex
	kindResource
	kindLogical
)

// typeDef is a FHIR type compiled for fast validation.
type typeDef struct {
	name      string
	url       string
	kind      typeKind
	abstract  bool
	root      *elemDef
	base      *typeDef
	check     primitiveCheck // primitives
	companion *childSet      // primitives: what the "_name" object may hold (id, extension)
	json      byte           // primitives: 's' string, 'n' number, 'b' boolean
}

// isA reports whether t is the named type or derives from it.
func (t *typeDef) isA(name string) bool {
	for x := t; x != nil; x = x.base {
		if x.name == name {
			return true
		}
	}
	return false
}

type typeRef struct {
	t        *typeDef
	code     string
	targets  []string // resource types a Reference may point to; nil means any
	profiles []string
	// targetProfiles are a canonical's targetProfile URLs as defined (canonical.go).
	targetProfiles []string
}

// elemDef is an ElementDefinition compiled for fast validation.
type elemDef struct {
	path        string
	name        string // JSON name without a choice suffix
	min, max    int32  // max -1 means unbounded
	types       []typeRef
	choice      bool
	attribute   bool
	resourceID  bool
	children    *childSet
	contentRef  *elemDef
	binding     *binding
	constraints []*constraint
	owner       *typeDef
}

// childSet is the set of properties an object may have, looked up by JSON name.
type childSet struct {
	byName   map[string]childRef
	list     []*elemDef
	required []int32
	// keys, refs and table hold byName again as a compact open-addressing table looked up
	// with the property name's bytes: finding each member's definition is the validator's
	// commonest step, and this is several times faster than a Go map with a string key built
	// from the bytes.
	keys  []string
	heads []uint64 // each key's first eight bytes (namePrefix)
	refs  []childRef
	table []uint16 // 1 + index into keys and refs; 0: empty
}

// add files a property name (a choice's names one by one) under its definition.
func (cs *childSet) add(name string, ref childRef) {
	if e := ref.e; e != nil {
		if int(ref.t) < len(e.types) {
			ref.ctr = &e.types[ref.t]
			ref.prim = ref.ctr.t != nil && ref.ctr.t.kind == kindPrimitive
			if e.choice {
				ref.choice = upperFirst(ref.ctr.code)
			}
		}
		ref.isID = e.name == "id"
	}
	if cs.byName == nil {
		cs.byName = map[string]childRef{}
	}
	if _, dup := cs.byName[name]; dup {
		cs.byName[name] = ref
		cs.refs[slices.Index(cs.keys, name)] = ref
		return
	}
	cs.byName[name] = ref
	cs.keys = append(cs.keys, name)
	cs.heads = append(cs.heads, namePrefix([]byte(name)))
	cs.refs = append(cs.refs, ref)
	if 2*len(cs.keys) <= len(cs.table) {
		cs.insert(len(cs.keys) - 1)
		return
	}
	n := 8
	for n < 4*len(cs.keys) {
		n *= 2
	}
	cs.table = make([]uint16, n)
	for i := range cs.keys {
		cs.insert(i)
	}
}

func (cs *childSet) insert(i int) {
	mask := uint32(len(cs.table) - 1)
	k := cs.keys[i]
	for h := nameHash(cs.heads[i], len(k), k[len(k)-1]) & mask; ; h = (h + 1) & mask {
		if e := cs.table[h]; e == 0 || int(e) == i+1 {
			cs.table[h] = uint16(i + 1)
			return
		}
	}
}

// find looks a property name up; key is only read. The definition returned is shared.
func (cs *childSet) find(key []byte) (*childRef, bool) {
	if len(cs.table) == 0 || len(key) == 0 {
		return nil, false
	}
	head := namePrefix(key)
	mask := uint32(len(cs.table) - 1)
	for h := nameHash(head, len(key), key[len(key)-1]) & mask; ; h = (h + 1) & mask {
		e := cs.table[h]
		if e == 0 {
			return nil, false
		}
		// The first eight bytes and the length settle most names (most are that short)
		// without a byte-by-byte comparison.
		if i := e - 1; cs.heads[i] == head && len(cs.keys[i]) == len(key) && (len(key) <= 8 || cs.keys[i][8:] == string(key[8:])) {
			return &cs.refs[i], true
		}
	}
}

// namePrefix packs a name's first eight bytes (zero-padded) into a word.
func namePrefix(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var w uint64
	for i, c := range b {
		w |= uint64(c) << (8 * i)
	}
	return w
}

// nameHash mixes a property name's first eight bytes, its length and its last byte: enough to
// tell the names of one element apart (choice names differ in length or in their last
// letters), without hashing every byte.
func nameHash(head uint64, n int, last byte) uint32 {
	h := head ^ uint64(n)<<56 ^ uint64(last)<<48
	h ^= h >> 33 // murmur3's finaliser: every input bit reaches the low bits the table uses
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return uint32(h)
}

type childRef struct {
	ord int32 // position in childSet.list
	e   *elemDef
	t   int32 // index into e.types (the choice made by the property name)
	// Worked out when the definitions are compiled, since every property read needs them:
	ctr    *typeRef // &e.types[t], nil when the element has no types
	choice string   // the type suffix of a choice ("Quantity" in valueQuantity)
	prim   bool     // the type is a primitive
	isID   bool     // the element is "id"
}

type binding struct {
	strength string
	url      string
	vs       *valueSet
}

type valueSet struct {
	url      string
	complete bool
	reason   string
	codes    map[string]struct{} // bare codes
	coded    map[string]struct{} // system + "|" + code
	systems  map[string]struct{}
	// includeSystems: the code systems of an incomplete value set
	includeSystems []string
	// src is the expansion it was compiled from (displays, looked up when needed).
	src *model.ValueSet
}

type constraint struct {
	key      string
	severity string
	human    string
	expr     string
	source   string
	compiled *fhirpath.Expr // nil when the expression is outside the supported subset
	reason   string         // why it was not compiled
}

// schema is everything compiled from one set of definitions.
type schema struct {
	// uniqueFullURL is bdl-7, applied by the Bundle checks rather than by FHIRPath.
	uniqueFullURL *constraint
	defs          *model.Definitions
	fhirVersion   string
	types         map[string]*typeDef
	byURL         map[string]*typeDef
	profiles      map[string]*model.Structure // constraint profiles and extension definitions by URL
	valueSets     map[string]*valueSet
	constraints   []*constraint
	codeSystems   map[string]map[string]struct{} // complete FHIR-defined code systems: URL -> codes
	searchParams  map[string]searchParam         // core SearchParameters by URL
	pcache        profileCache
	qcache        sync.Map            // Questionnaire URL -> *questionnaireDef
	mcache        sync.Map            // Measure URL -> *measureDef
	displays      displayIndex        // code system displays, from the expansions (display.go)
	csURLs        codeSystemIndex     // URLs used as code systems (codingsystem.go)
	globals       map[string][]string // resource type -> ImplementationGuide.global profiles
	// baseKeys: constraint key -> expression over the base types, built on first use
	// (StructureDefinition checks)
	baseKeysOnce sync.Once
	baseKeys     map[string]string
}

// searchParam is what the checks need of a core SearchParameter.
type searchParam struct {
	Type string   `json:"type"`
	Base []string `json:"base"`
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func compileSchema(d *model.Definitions) (*schema, error) {
	stu3 := strings.HasPrefix(d.FHIRVersion, "3.")
	checks := builtinChecks(stu3)
	sc := &schema{
		defs: d, fhirVersion: d.FHIRVersion,
		types: map[string]*typeDef{}, byURL: map[string]*typeDef{},
		profiles: map[string]*model.Structure{}, valueSets: map[string]*valueSet{},
	}
	for i := range d.ValueSets {
		mv := &d.ValueSets[i]
		vs := &valueSet{url: mv.URL, complete: mv.Complete, reason: mv.Reason, includeSystems: mv.IncludeSystems, src: mv,
			codes: map[string]struct{}{}, coded: map[string]struct{}{}, systems: map[string]struct{}{}}
		for _, c := range mv.Codes {
			sys := mv.Systems[c.System]
			vs.codes[c.Code] = struct{}{}
			vs.coded[sys+"|"+c.Code] = struct{}{}
			vs.systems[sys] = struct{}{}
		}
		sc.valueSets[mv.URL] = vs
	}
	for _, g := range d.GlobalProfiles {
		if sc.globals == nil {
			sc.globals = map[string][]string{}
		}
		sc.globals[g.Type] = append(sc.globals[g.Type], g.Profile)
	}
	sc.constraints = make([]*constraint, len(d.Constraints))
	for i, c := range d.Constraints {
		k := &constraint{key: c.Key, severity: c.Severity, human: c.Human, expr: correctedExpression(c.Key, c.Expression, stu3), source: c.Source}
		if k.expr == "" {
			k.reason = "no expression"
		} else if e, err := fhirpath.Parse(k.expr); err != nil {
			k.reason = err.Error()
		} else {
			k.compiled = e
		}
		sc.constraints[i] = k
	}
	// First pass: one typeDef per base type (not profiles).
	var bases []*model.Structure
	for i := range d.Structures {
		s := &d.Structures[i]
		if s.Derivation == "constraint" || s.Differential {
			sc.profiles[s.URL] = s
			continue
		}
		if s.Kind == "logical" || len(s.Elements) == 0 {
			continue
		}
		if _, dup := sc.types[s.Type]; dup {
			// A package's "specialization" of a type that already exists (a mislabelled
			// profile): it is used as a profile and cannot replace the type.
			sc.profiles[s.URL] = s
			continue
		}
		t := &typeDef{name: s.Type, url: s.URL, abstract: s.Abstract}
		switch s.Kind {
		case "primitive-type":
			t.kind = kindPrimitive
			t.json = 's'
			switch s.Type {
			case "boolean":
				t.json = 'b'
			case "integer", "decimal", "positiveInt", "unsignedInt", "integer64":
				t.json = 'n'
			}
			if c, ok := checks[s.Type]; ok {
				t.check = c
			} else if s.Regex != "" {
				c, err := regexCheck(s.Regex)
				if err != nil {
					return nil, fmt.Errorf("primitive type %s: regex: %w", s.Type, err)
				}
				t.check = c
			}
		case "resource":
			t.kind = kindResource
		default:
			t.kind = kindComplex
		}
		sc.types[t.name] = t
		sc.byURL[t.url] = t
		bases = append(bases, s)
	}
	for _, s := range bases {
		t := sc.types[s.Type]
		t.base = sc.byURL[s.BaseDefinition]
		if err := sc.compileElements(t, s); err != nil {
			return nil, err
		}
	}
	for _, t := range sc.types {
		if t.kind != kindPrimitive {
			continue
		}
		cs := &childSet{byName: map[string]childRef{}}
		if t.root.children != nil {
			for _, e := range t.root.children.list {
				if e.name == "value" {
					continue
				}
				ord := int32(len(cs.list))
				cs.list = append(cs.list, e)
				cs.add(e.name, childRef{ord: ord, e: e})
			}
		}
		t.companion = cs
	}
	return sc, nil
}

// compileElements builds the element tree of a base type from its snapshot.
func (sc *schema) compileElements(t *typeDef, s *model.Structure) error {
	byPath := make(map[string]*elemDef, len(s.Elements))
	var all []*elemDef
	for i := range s.Elements {
		me := &s.Elements[i]
		if me.SliceName != "" || strings.Contains(me.ID, ":") {
			continue // base types have no slices; skip defensively
		}
		e := &elemDef{path: me.Path, min: me.Min, max: me.Max, attribute: me.Attribute, owner: t}
		if e.max == -2 {
			e.max = -1
		}
		name := me.Path
		if j := strings.LastIndexByte(name, '.'); j >= 0 {
			name = name[j+1:]
		}
		if strings.HasSuffix(name, "[x]") {
			name = strings.TrimSuffix(name, "[x]")
			e.choice = true
		}
		e.name = name
		for _, mt := range me.Types {
			tr := typeRef{code: mt.Code, t: sc.types[mt.Code], profiles: mt.Profiles}
			if tr.t == nil && strings.HasPrefix(mt.Code, "http://hl7.org/fhirpath/System.") {
				sys := strings.TrimPrefix(mt.Code, "http://hl7.org/fhirpath/System.")
				tr.t = sc.types[strings.ToLower(sys[:1])+sys[1:]]
			}
			if mt.Code == "canonical" {
				tr.targetProfiles = mt.TargetProfiles
			}
			if mt.Code == "Reference" || mt.Code == "canonical" {
				for _, tp := range mt.TargetProfiles {
					tn := tp[strings.LastIndexByte(tp, '/')+1:]
					if tn == "Resource" || tn == "DomainResource" {
						tr.targets = nil
						break
					}
					tr.targets = append(tr.targets, tn)
				}
			}
			e.types = append(e.types, tr)
		}
		if me.Binding != nil {
			e.binding = &binding{strength: me.Binding.Strength, url: me.Binding.ValueSet, vs: sc.valueSets[me.Binding.ValueSet]}
		}
		for _, ci := range me.Constraints {
			c := sc.constraints[ci]
			if c.key == "ele-1" || c.key == "ext-1" {
				continue // checked natively, element by element, as the empty and extension checks
			}
			if c.key == "bdl-7" && me.Path == "Bundle" {
				// Checked natively from the entry summaries (bundle.go): the entries' resources
				// live in trees of their own, where FHIRPath over the Bundle cannot see them.
				sc.uniqueFullURL = c
				continue
			}
			e.constraints = append(e.constraints, c)
		}
		if _, dup := byPath[me.Path]; dup {
			continue
		}
		byPath[me.Path] = e
		all = append(all, e)
	}
	if len(all) == 0 {
		return fmt.Errorf("type %s: no elements", t.name)
	}
	t.root = all[0]
	for _, e := range all[1:] {
		parentPath := e.path[:strings.LastIndexByte(e.path, '.')]
		p := byPath[parentPath]
		if p == nil {
			return fmt.Errorf("type %s: element %s has no parent", t.name, e.path)
		}
		if p.children == nil {
			p.children = &childSet{byName: map[string]childRef{}}
		}
		cs := p.children
		ord := int32(len(cs.list))
		cs.list = append(cs.list, e)
		if e.min > 0 {
			cs.required = append(cs.required, ord)
		}
		if e.choice {
			for ti, tr := range e.types {
				cs.add(e.name+upperFirst(tr.code), childRef{ord: ord, e: e, t: int32(ti)})
			}
		} else {
			cs.add(e.name, childRef{ord: ord, e: e})
		}
		if t.kind == kindResource && parentPath == t.name && e.name == "id" {
			e.resourceID = true
		}
	}
	// Content references point at another element's children.
	for i := range s.Elements {
		me := &s.Elements[i]
		if me.ContentRef == "" {
			continue
		}
		e := byPath[me.Path]
		target := byPath[me.ContentRef]
		if e == nil || target == nil {
			return fmt.Errorf("type %s: content reference %s of %s not found", t.name, me.ContentRef, me.Path)
		}
		e.contentRef = target
		// The element repeats its target's rules: Questionnaire.item.item is checked
		// against que-* as Questionnaire.item is.
		e.constraints = append(e.constraints, target.constraints...)
	}
	return nil
}

// correctedExpression applies the corrections the HL7 Java validator makes to invariants
// published with errors in the core specification.
func correctedExpression(key, expr string, stu3 bool) string {
	switch {
	case key == "que-12" && strings.Contains(expr, "enableWhen.count() > 2"):
		// R4 que-12 says "more than one enableWhen" but tests count() > 2 (FHIR-25222).
		return strings.Replace(expr, "enableWhen.count() > 2", "enableWhen.count() > 1", 1)
	case key == "ref-1" && stu3:
		// STU3 ref-1 looks in %resource.contained; a reference inside a contained resource
		// points at a sibling held by the container, which R4 fixed with %rootResource.
		return strings.ReplaceAll(expr, "%resource.contained", "%rootResource.contained")
	}
	return expr
}

// objectChildren returns the properties allowed in an object that is the value of e with type t.
func objectChildren(e *elemDef, t *typeDef) *childSet {
	if e != nil {
		if e.contentRef != nil {
			return e.contentRef.children
		}
		if e.children != nil {
			return e.children
		}
	}
	if t != nil && t.root != nil {
		return t.root.children
	}
	return nil
}
