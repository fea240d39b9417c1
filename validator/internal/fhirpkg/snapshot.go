package fhirpkg

import (
	"fmt"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// Snapshot generation: a profile that ships only its differential (UK Core 2.0.0, many IGs and
// test profiles) is turned into a full snapshot by applying the differential, element by element
// in order, to the snapshot of its base definition — as the HL7 snapshot generator does:
//
//   - an element is found by its id ("Patient.identifier:nhsNumber.system");
//   - a child of an element the base does not expand (Patient.identifier.system) is reached by
//     expanding the element's type (Identifier), or the profile on its type, or the element its
//     contentReference names;
//   - a slice ("Patient.identifier:nhsNumber") is a copy of the sliced element and its children,
//     inserted after the element's existing slices;
//   - a renamed choice ("Observation.valueQuantity") constrains value[x] to the one type;
//   - stated properties replace the base's (min, max, types, fixed, pattern, binding, slicing,
//     maxLength, mustSupport); constraints are added.

// snapshots generates the snapshot of every structure that has only a differential. A structure
// whose snapshot cannot be generated keeps its differential and says why in Problem.
func (b *Builder) snapshots() {
	b.snapState = map[string]int{}
	for i := range b.defs.Structures {
		b.ensureSnapshot(i)
	}
}

// ensureSnapshot generates the snapshot of structure i (and of its base first).
func (b *Builder) ensureSnapshot(i int) {
	s := &b.defs.Structures[i]
	if !s.Differential || b.snapState[s.URL] != 0 {
		return
	}
	b.snapState[s.URL] = 1
	defer func() { b.snapState[s.URL] = 2 }()
	fail := func(format string, args ...any) {
		b.defs.Structures[i].Problem = "no snapshot: " + fmt.Sprintf(format, args...)
	}
	bi, ok := b.structIndex[s.BaseDefinition]
	if !ok {
		fail("base definition %s is not known", s.BaseDefinition)
		return
	}
	b.ensureSnapshot(bi)
	base := &b.defs.Structures[bi]
	if base.Differential {
		fail("base definition %s has no snapshot", s.BaseDefinition)
		return
	}
	snap, err := b.applyDifferential(base, s)
	if err != nil {
		fail("%v", err)
		return
	}
	s = &b.defs.Structures[i]
	s.Elements = snap
	s.Differential = false
	s.Problem = ""
}

type snapshotBuilder struct {
	b     *Builder
	elems []model.Element
}

func (b *Builder) applyDifferential(base, s *model.Structure) ([]model.Element, error) {
	sb := &snapshotBuilder{b: b, elems: make([]model.Element, 0, len(base.Elements)+len(s.Elements))}
	for _, e := range base.Elements {
		sb.elems = append(sb.elems, cloneElement(e))
	}
	// A profile on another type's definition (an extension defined on Extension, or a logical
	// model): the root's path names the type.
	for _, d := range s.Elements {
		if d.Path == "" {
			continue
		}
		id := d.ID
		i, err := sb.find(id, d.SliceName)
		if err != nil {
			return nil, err
		}
		if err := checkPath(d.Path, &sb.elems[i]); err != nil {
			return nil, err
		}
		sb.merge(&sb.elems[i], d)
	}
	for i := range sb.elems {
		e := &sb.elems[i]
		if e.Max == -2 {
			e.Max = -1
		}
		if e.Min < 0 {
			e.Min = 0
		}
	}
	return sb.elems, nil
}

// checkPath checks the path a differential element states against the path of the element its
// id found, as the HL7 snapshot generator does: they must be the same, except that the root
// names the profiled type and a choice element (value[x]) may be renamed after one of its
// types (valueQuantity). A renamed choice whose name is not one of the types
// (Observation.valueBla) is an error.
func checkPath(diffPath string, e *model.Element) error {
	if diffPath == "" || diffPath == e.Path {
		return nil
	}
	ds, es := strings.Split(diffPath, "."), strings.Split(e.Path, ".")
	if len(ds) != len(es) {
		return fmt.Errorf("element %s: the path %s does not match the base definition's %s", e.ID, diffPath, e.Path)
	}
	for k := 1; k < len(ds); k++ {
		if ds[k] == es[k] {
			continue
		}
		stem, choice := strings.CutSuffix(es[k], "[x]")
		if !choice || !strings.HasPrefix(ds[k], stem) || len(ds[k]) == len(stem) {
			return fmt.Errorf("element %s: the path %s does not match the base definition's %s", e.ID, diffPath, e.Path)
		}
		if k < len(ds)-1 {
			continue // the choice element itself was checked when it was reached
		}
		typ := ds[k][len(stem):]
		ok := false
		for _, t := range e.Types {
			if strings.EqualFold(t.Code, typ) {
				ok = true
				break
			}
		}
		if !ok {
			want := strings.Join(append(append([]string(nil), ds[:k]...), es[k]), ".")
			return fmt.Errorf("the path must be '%s' not '%s' when the type list is not constrained", want, diffPath)
		}
	}
	return nil
}

func cloneElement(e model.Element) model.Element {
	e.Types = append([]model.TypeRef(nil), e.Types...)
	e.Constraints = append([]int32(nil), e.Constraints...)
	return e
}

func (sb *snapshotBuilder) index(id string) int {
	for i := range sb.elems {
		if sb.elems[i].ID == id {
			return i
		}
	}
	return -1
}

// splitID splits an element id into its parent's id and its last segment ("name" or
// "name:slice"). Slice names may hold dots only in the id's last segment's slice part, which
// this ignores (they are rare and the HL7 tools warn about them).
func splitID(id string) (parent, last string) {
	// Find the last '.' that is not inside a slice name: walk segments.
	depth := -1
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '.' {
			depth = i
			break
		}
	}
	if depth < 0 {
		return "", id
	}
	return id[:depth], id[depth+1:]
}

// blockEnd is the index after the element at i, its descendants and its slices.
func (sb *snapshotBuilder) blockEnd(i int) int {
	id := sb.elems[i].ID
	j := i + 1
	for j < len(sb.elems) && (strings.HasPrefix(sb.elems[j].ID, id+".") || strings.HasPrefix(sb.elems[j].ID, id+":")) {
		j++
	}
	return j
}

// childrenEnd is the index after the element at i and its descendants (not its slices).
func (sb *snapshotBuilder) childrenEnd(i int) int {
	id := sb.elems[i].ID
	j := i + 1
	for j < len(sb.elems) && strings.HasPrefix(sb.elems[j].ID, id+".") {
		j++
	}
	return j
}

// find returns the index of the element with id, creating it (by expanding types or adding a
// slice) when the snapshot so far does not have it.
func (sb *snapshotBuilder) find(id, sliceName string) (int, error) {
	if i := sb.index(id); i >= 0 {
		return i, nil
	}
	parentID, last := splitID(id)
	name, slice := last, ""
	if k := strings.IndexByte(last, ':'); k >= 0 {
		name, slice = last[:k], last[k+1:]
	}
	if slice != "" {
		// A slice (or a reslice "a/b" of slice a).
		slicedID := parentID + "." + name
		if parentID == "" {
			slicedID = name
		}
		if k := strings.LastIndexByte(slice, '/'); k >= 0 {
			slicedID += ":" + slice[:k]
		}
		si, err := sb.find(slicedID, "")
		if err != nil {
			return -1, err
		}
		if i := sb.index(id); i >= 0 { // the slice came with an expanded type profile
			return i, nil
		}
		return sb.addSlice(si, id, slice), nil
	}
	if parentID == "" {
		return -1, fmt.Errorf("element %s is not in the base definition", id)
	}
	pi, err := sb.find(parentID, "")
	if err != nil {
		return -1, err
	}
	if sb.childrenEnd(pi) == pi+1 {
		if err := sb.expand(pi); err != nil {
			return -1, err
		}
	}
	if i := sb.index(id); i >= 0 {
		return i, nil
	}
	if pid := sb.elems[pi].ID; pid != parentID {
		// The child of a renamed choice (Observation.valueQuantity.unit) is the child of the
		// choice element (Observation.value[x].unit).
		if i := sb.index(pid + "." + last); i >= 0 {
			return i, nil
		}
	}
	// A renamed choice: valueQuantity stands for value[x] restricted to Quantity.
	end := sb.childrenEnd(pi)
	for j := pi + 1; j < end; j++ {
		c := &sb.elems[j]
		cp, cl := splitID(c.ID)
		if cp != parentID || !strings.HasSuffix(cl, "[x]") {
			continue
		}
		stem := strings.TrimSuffix(cl, "[x]")
		if !strings.HasPrefix(name, stem) || len(name) == len(stem) {
			continue
		}
		typ := name[len(stem):]
		for _, t := range c.Types {
			if strings.EqualFold(t.Code, typ) {
				c.Types = []model.TypeRef{t}
				return j, nil
			}
		}
	}
	return -1, fmt.Errorf("element %s is not in the base definition", id)
}

// addSlice inserts a new slice of the element at si, a copy of it and its children.
func (sb *snapshotBuilder) addSlice(si int, id, slice string) int {
	sliced := sb.elems[si]
	end := sb.childrenEnd(si)
	block := make([]model.Element, 0, end-si)
	for j := si; j < end; j++ {
		e := cloneElement(sb.elems[j])
		e.ID = id + e.ID[len(sliced.ID):]
		if j == si {
			e.SliceName = slice
			e.Slicing = nil
			e.Min = 0 // a slice's minimum is its own (the sliced element's is for all slices together)
			if k := strings.LastIndexByte(slice, '/'); k >= 0 {
				e.SliceName = slice[k+1:]
			}
			// A slice of a choice named after one of its types (value[x]:valueQuantity)
			// has that type only.
			if stem, ok := strings.CutSuffix(e.Path[strings.LastIndexByte(e.Path, '.')+1:], "[x]"); ok && strings.HasPrefix(e.SliceName, stem) {
				for _, t := range e.Types {
					if strings.EqualFold(t.Code, e.SliceName[len(stem):]) {
						e.Types = []model.TypeRef{t}
						break
					}
				}
			}
		}
		block = append(block, e)
	}
	at := sb.blockEnd(si)
	sb.elems = append(sb.elems[:at], append(block, sb.elems[at:]...)...)
	return at
}

// expand inserts the children of the element at i, from its type's definition (or the profile
// on its type, or the element its content reference names).
func (sb *snapshotBuilder) expand(i int) error {
	e := sb.elems[i]
	var src []model.Element
	var srcRoot string
	if e.ContentRef != "" {
		// Children of the referenced element, from the base type's definition (not from
		// this profile's constraints on it).
		typ := e.ContentRef
		if k := strings.IndexByte(typ, '.'); k >= 0 {
			typ = typ[:k]
		}
		k, ok := sb.b.structIndex["http://hl7.org/fhir/StructureDefinition/"+typ]
		if !ok {
			return fmt.Errorf("%s: content reference %s: type %s not known", e.ID, e.ContentRef, typ)
		}
		base := sb.b.defs.Structures[k].Elements
		ri := -1
		for j := range base {
			if base[j].Path == e.ContentRef && base[j].SliceName == "" {
				ri = j
				break
			}
		}
		if ri < 0 {
			return fmt.Errorf("%s: content reference %s not found", e.ID, e.ContentRef)
		}
		end := ri + 1
		for end < len(base) && strings.HasPrefix(base[end].ID, base[ri].ID+".") {
			end++
		}
		src = base[ri:end]
		srcRoot = base[ri].ID
	} else {
		if len(e.Types) != 1 {
			return fmt.Errorf("%s: cannot expand an element with %d types; constrain it to one type first", e.ID, len(e.Types))
		}
		t := e.Types[0]
		var s *model.Structure
		if len(t.Profiles) == 1 {
			if k, ok := sb.b.structIndex[t.Profiles[0]]; ok {
				if sb.b.defs.Structures[k].Differential && sb.b.snapState != nil {
					sb.b.ensureSnapshot(k)
				}
				s = &sb.b.defs.Structures[k]
			}
		}
		if s == nil || s.Differential {
			k, ok := sb.b.structIndex["http://hl7.org/fhir/StructureDefinition/"+t.Code]
			if !ok {
				return fmt.Errorf("%s: type %s is not known", e.ID, t.Code)
			}
			s = &sb.b.defs.Structures[k]
		}
		if s.Differential {
			return fmt.Errorf("%s: type %s has no snapshot", e.ID, t.Code)
		}
		src = s.Elements
		if len(src) == 0 {
			return nil
		}
		srcRoot = src[0].ID
	}
	rootPath := ""
	if len(src) > 0 {
		rootPath = src[0].Path
	}
	kids := make([]model.Element, 0, len(src))
	for _, c := range src[1:] {
		k := cloneElement(c)
		k.ID = e.ID + k.ID[len(srcRoot):]
		k.Path = e.Path + k.Path[len(rootPath):]
		if c.ContentRef != "" && e.ContentRef == "" {
			// a content reference inside a type's definition stays relative to that type
			k.ContentRef = c.ContentRef
		}
		kids = append(kids, k)
	}
	at := i + 1
	sb.elems = append(sb.elems[:at], append(kids, sb.elems[at:]...)...)
	return nil
}

// merge applies the stated properties of differential element d to snapshot element e.
func (sb *snapshotBuilder) merge(e *model.Element, d model.Element) {
	if d.Min >= 0 {
		e.Min = d.Min
	}
	if d.Max != -2 {
		e.Max = d.Max
	}
	if len(d.Types) > 0 {
		e.Types = append([]model.TypeRef(nil), d.Types...)
	}
	if d.Fixed != "" {
		e.Fixed, e.FixedType = d.Fixed, d.FixedType
	}
	if d.Pattern != "" {
		e.Pattern, e.PatternType = d.Pattern, d.PatternType
	}
	if d.Binding != nil {
		nb := *d.Binding
		if nb.ValueSet == "" && e.Binding != nil {
			nb.ValueSet = e.Binding.ValueSet
		}
		if nb.Additional == nil && e.Binding != nil {
			nb.Additional = e.Binding.Additional
		}
		if nb.Strength == "" && e.Binding != nil {
			nb.Strength = e.Binding.Strength
		}
		e.Binding = &nb
	}
	for _, c := range d.Constraints {
		dup := false
		for _, x := range e.Constraints {
			if x == c {
				dup = true
			}
		}
		if !dup {
			e.Constraints = append(e.Constraints, c)
		}
	}
	if d.Slicing != nil {
		e.Slicing = d.Slicing
	}
	if d.MaxLength > 0 {
		e.MaxLength = d.MaxLength
	}
	if d.MustSupport {
		e.MustSupport = true
	}
	if d.IsModifier {
		e.IsModifier = true
	}
	if d.MinValue != "" {
		e.MinValue = d.MinValue
	}
	if d.MaxValue != "" {
		e.MaxValue = d.MaxValue
	}
	if d.SliceName != "" && e.SliceName == "" {
		e.SliceName = d.SliceName
	}
}
