package validator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
)

// maxIssuesPerResource bounds the issues kept for one top-level resource.
const maxIssuesPerResource = 1000

type pathSeg struct {
	name   string
	choice string
	index  int32
}

// primArray tracks a repeating primitive and its "_name" companion array in one object.
type primArray struct {
	ord       int32
	valLen    int32
	compLen   int32
	valNulls  []int32
	compNulls []int32
	line, col int
	valSeen   bool
	compSeen  bool
	name      string
}

// objState is the per-object bookkeeping, reused by depth.
type objState struct {
	counts  []int32
	flags   []uint8
	variant []int16
	prims   []primArray
	props   int
	nonID   int
}

const (
	flagValue uint8 = 1 << iota
	flagCompanion
)

// walker validates one input stream. It is not safe for concurrent use.
type walker struct {
	sc        *schema
	ctx       context.Context
	tr        *jsontok.Reader
	issues    []Issue
	dropped   int
	path      []pathSeg
	leaf      *elemDef // the primitive value being read (see setLeaf), nil when none
	leafIndex int32
	// leafChoice is the type of the choice element being read ("Quantity"); only read
	// when leaf is a choice
	leafChoice string
	// entryHasFullURL: the Bundle entry whose resource a worker validates had its fullUrl
	// before the resource (see summariseEntry)
	entryHasFullURL bool
	trees           []*tree
	spare           []*tree
	states          []*objState
	depth           int
	profiles        []string
	ops             int
	eval            fhirpath.Evaluator
	model           treeModel    // reused by evaluate
	presence        nodePresence // reused by evaluate
	lineRdr         *jsontok.Reader
	onTree          func(*tree)  // called with each finished resource tree (terminology analysis)
	bundles         []*bundleCtx // the Bundles being read, innermost last
	pending         pendingEntry // the summary of the Bundle entry resource just read
	par             *entryPool   // workers for the entries of a top-level Bundle (nil: validate here)
	parStart        func() *entryPool
	// extraProfiles are the profiles given to the validator (--profile), applied to each
	// top-level resource.
	extraProfiles []string
	// raw keeps the input's first bytes, to verify a top-level Bundle's signature (nil: not kept)
	raw *rawCapture
	// matchetype: placeholders ("$instant$") are accepted in primitives (matchetype.go).
	matchetype bool
	// valueChecks are the optional checks of primitive values (valuechecks.go); 0 when none.
	valueChecks uint8
	// noCode: coded elements read with no value yet (nocode.go).
	noCode []noCodeCandidate
	// inner: trees of inline resources kept for the outer resource's profiles (inner.go).
	inner map[innerKey]*tree
}

var errCanceled = errors.New("validation canceled")

func (w *walker) report(sev Severity, check Check, line, col int, expr, format string, args ...any) {
	if len(w.issues) >= maxIssuesPerResource {
		w.dropped++
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	w.issues = append(w.issues, Issue{Severity: sev, Code: issueType[check], Check: check, Expression: expr,
		Message: msg, Line: line, Column: col})
}

func (w *walker) errorAt(check Check, tok *jsontok.Token, format string, args ...any) {
	w.report(SeverityError, check, tok.Line, tok.Col, w.expr(), format, args...)
}

// expr renders the current path.
func (w *walker) expr() string {
	var b []byte
	for i, s := range w.path {
		if i > 0 {
			b = append(b, '.')
		}
		b = s.render(b)
	}
	if w.leaf != nil {
		if len(w.path) > 0 {
			b = append(b, '.')
		}
		leaf := pathSeg{name: w.leaf.name, index: w.leafIndex}
		if w.leaf.choice {
			leaf.choice = w.leafChoice
		}
		b = leaf.render(b)
	}
	return string(b)
}

func (s *pathSeg) render(b []byte) []byte {
	b = append(b, s.name...)
	if s.choice != "" {
		b = append(b, ".ofType("...)
		b = append(b, s.choice...)
		b = append(b, ')')
	}
	if s.index >= 0 {
		b = appendIndex(b, s.index)
	}
	return b
}

// setLeaf sets the path segment of the primitive value about to be read. It is kept apart
// from path, and only rendered when something is reported: most elements are primitives,
// and pushing and popping a segment for each was a twentieth of the validator's time.
func (w *walker) setLeaf(e *elemDef, choice string, index int32) {
	w.leaf, w.leafIndex = e, index
	if e.choice {
		w.leafChoice = choice
	}
}

func (w *walker) push(name, choice string, index int32) {
	w.path = append(w.path, pathSeg{name: name, choice: choice, index: index})
}
func (w *walker) pop() { w.path = w.path[:len(w.path)-1] }

func (w *walker) tree() *tree { return w.trees[len(w.trees)-1] }

func (w *walker) newTree() *tree {
	var t *tree
	if n := len(w.spare); n > 0 {
		t = w.spare[n-1]
		w.spare = w.spare[:n-1]
	} else {
		t = &tree{}
	}
	t.reset()
	w.trees = append(w.trees, t)
	return t
}

func (w *walker) dropTree() {
	t := w.trees[len(w.trees)-1]
	w.trees = w.trees[:len(w.trees)-1]
	if cap(t.nodes) > 1<<16 { // do not keep a giant tree around after a huge resource
		t.nodes, t.arena = nil, nil
	}
	w.spare = append(w.spare, t)
}

func (w *walker) state(n int) *objState {
	for len(w.states) <= w.depth {
		w.states = append(w.states, &objState{})
	}
	s := w.states[w.depth]
	if cap(s.counts) < n {
		s.counts = make([]int32, n)
		s.flags = make([]uint8, n)
		s.variant = make([]int16, n)
	}
	s.counts, s.flags, s.variant = s.counts[:n], s.flags[:n], s.variant[:n]
	clear(s.counts)
	clear(s.flags)
	clear(s.variant)
	s.prims = s.prims[:0]
	s.props, s.nonID = 0, 0
	return s
}

// next reads the next token into tok, checking now and then for cancellation.
func (w *walker) next(tok *jsontok.Token) error {
	w.ops++
	if w.ops&0xfff == 0 {
		if err := w.ctx.Err(); err != nil {
			*tok = jsontok.Token{}
			return errCanceled
		}
	}
	return w.tr.NextInto(tok)
}

// skip consumes the value starting with tok.
func (w *walker) skip(tok *jsontok.Token) error { return w.tr.Skip(tok.Kind) }

// findResourceType looks ahead in the object just opened for its resourceType, then rewinds.
func (w *walker) findResourceType() (string, error) {
	return w.readResourceType(false)
}

// readResourceType is findResourceType that, with consume set, leaves a resourceType given
// first (the usual place) read: the object's walk, which skips that member anyway, then goes
// on from the next member instead of reading the first two tokens again.
func (w *walker) readResourceType(consume bool) (string, error) {
	w.tr.Mark()
	defer w.tr.Unmark()
	var tok jsontok.Token
	if err := w.next(&tok); err != nil {
		return "", err
	}
	if tok.Kind == jsontok.Key && string(tok.Value) == "resourceType" {
		var v jsontok.Token
		if err := w.next(&v); err != nil {
			return "", err
		}
		if v.Kind != jsontok.String {
			w.tr.Rewind()
			return "", nil
		}
		name := w.typeName(v.Value)
		if !consume {
			w.tr.Rewind()
		}
		return name, nil
	}
	// Not first: scan the members at this level.
	for tok.Kind == jsontok.Key {
		isRT := string(tok.Value) == "resourceType"
		var v jsontok.Token
		if err := w.next(&v); err != nil {
			return "", err
		}
		if isRT && v.Kind == jsontok.String {
			rt := w.typeName(v.Value)
			w.tr.Rewind()
			return rt, nil
		}
		if err := w.skip(&v); err != nil {
			return "", err
		}
		if err := w.next(&tok); err != nil {
			return "", err
		}
	}
	w.tr.Rewind()
	return "", nil
}

// typeName returns a resourceType's name, without allocating when it names a known type.
func (w *walker) typeName(b []byte) string {
	if t := w.sc.types[string(b)]; t != nil {
		return t.name
	}
	return string(b)
}

// resource validates a resource object whose '{' was just read. parent is the tree node of
// the element holding it (-1 at top level). own says the resource gets a tree of its own.
func (w *walker) resource(start *jsontok.Token, parent int32, name string, e *elemDef, index int32, own bool) (rt *typeDef, id string, err error) {
	typeName, err := w.readResourceType(true)
	if err != nil {
		return nil, "", err
	}
	if typeName == "" {
		w.errorAt(CheckResourceType, start, "resource has no resourceType")
		return nil, "", w.skip(start)
	}
	t := w.sc.types[typeName]
	if t == nil || t.kind != kindResource {
		w.errorAt(CheckResourceType, start, "unknown resourceType %q for FHIR %s", typeName, w.sc.fhirVersion)
		return nil, "", w.skip(start)
	}
	if t.abstract {
		w.errorAt(CheckResourceType, start, "resourceType %q is abstract and cannot be instantiated", typeName)
		return nil, "", w.skip(start)
	}
	var nodeIdx int32
	stubIdx := int32(-1)
	if own {
		if parent >= 0 { // a stub in the outer tree stands for this resource
			outer := w.tree()
			stub := outer.add(parent, name, e, t, index, start.Line, start.Col)
			stubIdx = stub
			if stub >= 0 {
				outer.nodes[stub].resource = true
				outer.nodes[stub].stub = true
				outer.truncated = true
			}
		}
		tr := w.newTree()
		nodeIdx = tr.add(-1, "", t.root, t, -1, start.Line, start.Col)
	} else {
		nodeIdx = w.tree().add(parent, name, e, t, index, start.Line, start.Col)
	}
	if nodeIdx >= 0 {
		w.tree().nodes[nodeIdx].resource = true
	}
	if parent == -1 { // top level; -2: a Bundle entry validated apart, its path already set
		w.push(typeName, "", -1)
		w.noCode = w.noCode[:0]
		if len(w.inner) > 0 {
			w.releaseAllInner()
		}
	}
	savedProfiles := w.profiles
	w.profiles = nil
	var bctx *bundleCtx
	if t.name == "Bundle" {
		bctx = &bundleCtx{tree: w.tree(), node: nodeIdx, top: parent == -1}
		w.bundles = append(w.bundles, bctx)
	}
	err = w.object(*start, t.root, t, nodeIdx, true)
	if nodeIdx >= 0 && w.tree().nodes[nodeIdx].parent < 0 {
		w.checkNoCode(err == nil) // the resource owns its tree: every value has been read
	}
	if bctx != nil {
		if jerr := w.collectEntryJobs(bctx); err == nil {
			err = jerr
		}
		w.bundles = w.bundles[:len(w.bundles)-1]
		if err == nil {
			w.checkBundle(nodeIdx, bctx)
		}
	}
	if err == nil {
		if len(w.profiles) > 0 || (parent < 0 && len(w.extraProfiles) > 0) || w.sc.globals[typeName] != nil {
			w.checkResourceProfiles(nodeIdx, parent < 0)
		}
		if typeName == "QuestionnaireResponse" {
			w.checkQuestionnaireResponse(nodeIdx)
		}
		if typeName == "MeasureReport" {
			w.checkMeasureReport(nodeIdx)
		}
		if t.name == "SearchParameter" && nodeIdx >= 0 {
			w.checkSearchParameter(nodeIdx)
		}
		if t.name == "CapabilityStatement" && nodeIdx >= 0 {
			w.checkCapabilitySearchParams(nodeIdx)
		}
		if t.name == "StructureDefinition" && nodeIdx >= 0 {
			w.checkStructureDefinition(nodeIdx)
		}
		if t.name == "Bundle" && parent == -1 && nodeIdx >= 0 {
			w.checkSignature(nodeIdx, start.Offset)
		}
	}
	w.profiles = savedProfiles
	if nodeIdx >= 0 && len(w.inner) > 0 && w.tree().nodes[nodeIdx].parent < 0 {
		w.releaseInner(w.tree())
	}
	if parent == -1 {
		w.pop()
	}
	if nodeIdx >= 0 {
		tr := w.tree()
		if c := tr.findChild(nodeIdx, "id", -1); c >= 0 && tr.nodes[c].kind == valString {
			id = tr.str(c)
		}
	}
	if own {
		if err == nil {
			w.evaluate(w.tree())
			if w.onTree != nil {
				w.onTree(w.tree())
			}
			if e != nil && e.path == "Bundle.entry.resource" {
				// Whether the entry's fullUrl was read already (before the resource, as usual):
				// then the resource's relative references need not be kept for the Bundle's
				// check of entries without one.
				hasFullURL := w.entryHasFullURL
				if parent >= 0 && len(w.trees) > 1 {
					hasFullURL = w.trees[len(w.trees)-2].findChild(parent, "fullUrl", -1) >= 0
				}
				w.summariseEntry(w.tree(), w.expr(), hasFullURL)
			}
		}
		if err == nil && stubIdx >= 0 && (e == nil || e.path != "Bundle.entry.resource") {
			w.keepInner(stubIdx) // for the outer resource's profiles (inner.go)
		} else {
			w.dropTree()
		}
	}
	return t, id, err
}

// object validates the members of an object whose '{' was just read, as the value of element
// e with type t.
func (w *walker) object(start jsontok.Token, e *elemDef, t *typeDef, nodeIdx int32, isResource bool) error {
	cs := objectChildren(e, t)
	if t != nil && t.kind == kindPrimitive {
		cs = t.companion // the "_name" object of a primitive: id and extension only
	}
	if cs == nil {
		cs = emptyChildren
	}
	w.depth++
	defer func() { w.depth-- }()
	st := w.state(len(cs.list))
	for {
		var tok jsontok.Token
		err := w.next(&tok)
		if err != nil {
			return err
		}
		if tok.Kind == jsontok.EndObject {
			break
		}
		key := tok.Value
		if isResource && string(key) == "resourceType" {
			var v jsontok.Token
			err := w.next(&v)
			if err != nil {
				return err
			}
			if err := w.skip(&v); err != nil {
				return err
			}
			continue
		}
		st.props++
		companion := len(key) > 1 && key[0] == '_'
		lookup := key
		if companion {
			lookup = key[1:]
		}
		ref, ok := cs.find(lookup)
		if !ok {
			name := string(key)
			var v jsontok.Token
			err := w.next(&v)
			if err != nil {
				return err
			}
			w.push(name, "", -1)
			w.report(SeverityError, CheckUnknown, tok.Line, tok.Col, w.expr(), "unknown property %q", name)
			w.pop()
			if err := w.skip(&v); err != nil {
				return err
			}
			continue
		}
		ce, ctr := ref.e, ref.ctr
		if !ref.isID {
			st.nonID++
		}
		choice := ""
		sameVariant := true
		if ce.choice && ctr != nil {
			choice = ref.choice
			if v := st.variant[ref.ord]; v != 0 && v != int16(ref.t)+1 {
				sameVariant = false
				first := ce.types[v-1].code
				w.push(ce.name, "", -1)
				w.report(SeverityError, CheckChoice, tok.Line, tok.Col, w.expr(),
					"only one form of %s[x] is allowed: found %s%s and %s", ce.name, ce.name, upperFirst(first), string(lookup))
				w.pop()
			}
			st.variant[ref.ord] = int16(ref.t) + 1
		}
		prim := ref.prim
		flag := flagValue
		if companion {
			flag = flagCompanion
			if !prim || ce.attribute {
				name := string(key)
				var v jsontok.Token
				err := w.next(&v)
				if err != nil {
					return err
				}
				w.push(name, "", -1)
				w.report(SeverityError, CheckCompanion, tok.Line, tok.Col, w.expr(), "%q is not a primitive element, so %q is not allowed", string(lookup), name)
				w.pop()
				if err := w.skip(&v); err != nil {
					return err
				}
				continue
			}
		}
		if st.flags[ref.ord]&flag != 0 && sameVariant {
			w.push(string(key), "", -1)
			w.report(SeverityError, CheckDuplicate, tok.Line, tok.Col, w.expr(), "property %q appears more than once", string(key))
			w.pop()
		}
		st.flags[ref.ord] |= flag
		var v jsontok.Token
		err = w.next(&v)
		if err != nil {
			return err
		}
		var n int32
		if ce.max == 1 || ce.choice {
			if v.Kind == jsontok.BeginArray {
				w.push(ce.name, choice, -1)
				w.report(SeverityError, CheckJSONType, v.Line, v.Col, w.expr(), "%s allows one value, but an array was given", string(key))
				w.pop()
				if err := w.skip(&v); err != nil {
					return err
				}
				continue
			}
			if companion {
				w.push(ce.name, choice, -1)
				err = w.companion(&v, ce, ctr, nodeIdx, -1)
				w.pop()
			} else if prim {
				w.setLeaf(ce, choice, -1)
				err = w.value(&v, ce, ctr, nodeIdx, -1, st.flags[ref.ord]&flagCompanion != 0)
				w.leaf = nil
			} else {
				w.push(ce.name, choice, -1)
				err = w.value(&v, ce, ctr, nodeIdx, -1, st.flags[ref.ord]&flagCompanion != 0)
				w.pop()
			}
			if err != nil {
				return err
			}
			n = 1
		} else {
			if v.Kind != jsontok.BeginArray {
				w.push(ce.name, choice, -1)
				w.report(SeverityError, CheckJSONType, v.Line, v.Col, w.expr(), "%s repeats, so its value must be an array", string(key))
				if companion {
					err = w.companion(&v, ce, ctr, nodeIdx, 0)
				} else {
					err = w.value(&v, ce, ctr, nodeIdx, 0, st.flags[ref.ord]&flagCompanion != 0)
				}
				w.pop()
				if err != nil {
					return err
				}
				n = 1
			} else {
				n, err = w.array(&v, ce, ctr, nodeIdx, st, ref.ord, companion, prim, st.flags[ref.ord]&flagCompanion != 0)
				if err != nil {
					return err
				}
			}
		}
		if n > st.counts[ref.ord] {
			st.counts[ref.ord] = n
		}
	}
	// After the object: cardinality, alignment, emptiness and type-specific rules.
	for _, pa := range st.prims {
		w.checkPrimArray(cs, &pa)
	}
	for _, ord := range cs.required {
		ce := cs.list[ord]
		if st.counts[ord] < ce.min {
			w.push(ce.name, "", -1)
			if st.counts[ord] == 0 {
				w.report(SeverityError, CheckCardinality, start.Line, start.Col, w.expr(), "%s is required (minimum %d) but missing", ce.path, ce.min)
			} else {
				w.report(SeverityError, CheckCardinality, start.Line, start.Col, w.expr(), "%s needs at least %d values, found %d", ce.path, ce.min, st.counts[ord])
			}
			w.pop()
		}
	}
	if !isResource && st.nonID == 0 {
		if st.props == 0 {
			w.errorAt(CheckEmpty, &start, "empty object: an element must have a value or children (ele-1)")
		} else {
			w.errorAt(CheckEmpty, &start, "an element with only an id has no content (ele-1)")
		}
	}
	if t != nil && !isResource {
		switch t.name {
		case "Extension":
			w.checkExtension(&start, cs, st)
			if nodeIdx >= 0 {
				w.checkExtensionDefinition(w.tree(), nodeIdx)
			}
		case "Identifier":
			if nodeIdx >= 0 {
				w.checkIdentifier(w.tree(), nodeIdx)
			}
		case "Narrative":
			if nodeIdx >= 0 {
				w.checkTextLinks(w.tree(), nodeIdx)
			}
		}
	}
	if e != nil && e.path == "Bundle.entry" {
		w.checkEntry(nodeIdx)
	}
	if nodeIdx >= 0 && t != nil {
		switch t.name {
		case "Reference":
			w.checkReference(nodeIdx, e)
		case "Coding", "CodeableConcept", "Quantity":
			w.checkCodedBinding(&start, nodeIdx, e, t)
			if t.name == "Coding" {
				w.checkCodeSystem(nodeIdx)
				w.checkDisplay(nodeIdx)
				w.checkCodingSystem(nodeIdx)
			}
		case "Attachment":
			w.checkAttachment(nodeIdx)
		}
	}
	return nil
}

var emptyChildren = &childSet{byName: map[string]childRef{}}

// array validates the items of a repeating element.
func (w *walker) array(open *jsontok.Token, ce *elemDef, ctr *typeRef, parent int32, st *objState, ord int32, companion, prim, joined bool) (int32, error) {
	var pa *primArray
	if prim {
		for i := range st.prims {
			if st.prims[i].ord == ord {
				pa = &st.prims[i]
			}
		}
		if pa == nil {
			st.prims = append(st.prims, primArray{ord: ord, name: ce.name, line: open.Line, col: open.Col})
			pa = &st.prims[len(st.prims)-1]
		}
	}
	var i int32
	for {
		var tok jsontok.Token
		err := w.next(&tok)
		if err != nil {
			return i, err
		}
		if tok.Kind == jsontok.EndArray {
			break
		}
		if tok.Kind == jsontok.Null {
			if pa != nil {
				if companion {
					pa.compNulls = append(pa.compNulls, i)
				} else {
					pa.valNulls = append(pa.valNulls, i)
				}
			} else {
				w.push(ce.name, "", i)
				w.errorAt(CheckJSONType, &tok, "null is only allowed in an array of primitives paired with its \"_%s\" array", ce.name)
				w.pop()
			}
			i++
			continue
		}
		if companion {
			w.push(ce.name, "", i)
			err = w.companion(&tok, ce, ctr, parent, i)
			w.pop()
		} else if prim {
			w.setLeaf(ce, "", i)
			err = w.value(&tok, ce, ctr, parent, i, joined)
			w.leaf = nil
		} else {
			w.push(ce.name, "", i)
			err = w.value(&tok, ce, ctr, parent, i, joined)
			w.pop()
		}
		if err != nil {
			return i, err
		}
		i++
	}
	if pa != nil {
		if companion {
			pa.compLen, pa.compSeen = i, true
		} else {
			pa.valLen, pa.valSeen = i, true
		}
	}
	if i == 0 {
		w.push(ce.name, "", -1)
		w.errorAt(CheckEmpty, open, "empty array: leave the property out instead")
		w.pop()
	}
	if ce.max >= 0 && i > ce.max {
		w.push(ce.name, "", -1)
		w.errorAt(CheckCardinality, open, "%s allows at most %d values, found %d", ce.path, ce.max, i)
		w.pop()
	}
	return i, nil
}

func (w *walker) checkPrimArray(cs *childSet, pa *primArray) {
	w.push(pa.name, "", -1)
	defer w.pop()
	if pa.valSeen && pa.compSeen && pa.valLen != pa.compLen {
		w.report(SeverityError, CheckCompanion, pa.line, pa.col, w.expr(),
			"%q has %d items but \"_%s\" has %d: the arrays must line up", pa.name, pa.valLen, pa.name, pa.compLen)
		return
	}
	for _, i := range pa.valNulls {
		ok := pa.compSeen
		for _, j := range pa.compNulls {
			if j == i {
				ok = false
			}
		}
		if !ok {
			w.report(SeverityError, CheckCompanion, pa.line, pa.col, w.expr(),
				"item %d of %q is null without an id or extension in \"_%s\"", i, pa.name, pa.name)
		}
	}
	if !pa.valSeen {
		for _, j := range pa.compNulls {
			w.report(SeverityError, CheckCompanion, pa.line, pa.col, w.expr(),
				"item %d of \"_%s\" is null and there is no value for it", j, pa.name)
		}
	}
}

// value validates one value of element ce with type ctr.
func (w *walker) value(tok *jsontok.Token, ce *elemDef, ctr *typeRef, parent int32, index int32, joined bool) error {
	var t *typeDef
	if ctr != nil {
		t = ctr.t
	}
	name := ce.name
	choice := ""
	if ce.choice && ctr != nil {
		choice = ctr.code
	}
	tr := w.tree()
	// Backbone elements and content references carry their own children.
	if ce.children != nil || ce.contentRef != nil {
		if tok.Kind != jsontok.BeginObject {
			w.errorAt(CheckJSONType, tok, "expected an object for %s, found %s", ce.path, tok.Kind)
			return w.skip(tok)
		}
		n := tr.add(parent, name, ce, t, index, tok.Line, tok.Col)
		return w.object(*tok, ce, t, n, false)
	}
	if t == nil {
		// A type this validator does not know: check the JSON shape loosely and move on.
		return w.skip(tok)
	}
	if t.kind == kindResource || (ctr.code == "Resource" || ctr.code == "DomainResource") {
		if tok.Kind != jsontok.BeginObject {
			w.errorAt(CheckJSONType, tok, "expected a resource object for %s, found %s", ce.path, tok.Kind)
			return w.skip(tok)
		}
		own := ce.name != "contained"
		if own && w.parStart != nil && ce.path == "Bundle.entry.resource" && len(w.bundles) == 1 && w.bundles[0].top {
			if handed, err := w.handOff(tok, parent, name, ce, index); handed || err != nil {
				return err
			}
		}
		_, _, err := w.resource(tok, parent, name, ce, index, own)
		return err
	}
	if t.kind != kindPrimitive {
		if tok.Kind != jsontok.BeginObject {
			w.errorAt(CheckJSONType, tok, "expected an object of type %s for %s, found %s", t.name, ce.path, tok.Kind)
			return w.skip(tok)
		}
		n := tr.add(parent, name, ce, t, index, tok.Line, tok.Col)
		if n >= 0 && choice != "" {
			tr.nodes[n].choiceType = choice
		}
		return w.object(*tok, ce, t, n, false)
	}
	// Primitive value.
	var kind valueKind
	switch tok.Kind {
	case jsontok.String:
		kind = valString
	case jsontok.Number:
		kind = valNumber
	case jsontok.True:
		kind = valTrue
	case jsontok.False:
		kind = valFalse
	case jsontok.Null:
		w.errorAt(CheckJSONType, tok, "null is not a value: leave the property out")
		return nil
	default:
		w.errorAt(CheckJSONType, tok, "expected a %s value for %s, found %s", t.name, ce.path, tok.Kind)
		return w.skip(tok)
	}
	want := t.json
	got := byte('s')
	if kind == valNumber {
		got = 'n'
	} else if kind == valTrue || kind == valFalse {
		got = 'b'
	}
	if got != want {
		w.errorAt(CheckJSONType, tok, "%s is a %s and must be a JSON %s, found %s", ce.path, t.name, jsonKindName(want), tok.Kind)
	} else if kind == valString && len(tok.Value) == 0 {
		w.errorAt(CheckEmpty, tok, "empty string: leave the property out instead (ele-1)")
	} else if !(w.matchetype && kind == valString && matchetypeValue(tok.Value)) {
		check := t.check
		typeName := t.name
		if ce.resourceID {
			check, typeName = checkID, "id"
		}
		if check != nil {
			if why := check(tok.Value); why != "" {
				w.errorAt(CheckFormat, tok, "%s is not a valid %s: %s", quoteValue(tok.Value), typeName, why)
			}
		}
		if kind == valString && ce.binding != nil && t.name == "code" {
			w.checkCode(tok, ce, tok.Value)
		}
		if w.valueChecks != 0 && kind == valString {
			w.optionalValueChecks(tok, ctr)
		}
	}
	// Join with the node a "_name" companion may already have made.
	n := int32(-1)
	if joined {
		n = tr.findChild(parent, name, index)
	}
	if n < 0 {
		n = tr.add(parent, name, ce, t, index, tok.Line, tok.Col)
		if n >= 0 && choice != "" {
			tr.nodes[n].choiceType = choice
		}
	}
	tr.setValue(n, kind, tok.Value)
	if ce.path == "Meta.profile" && kind == valString {
		w.profiles = append(w.profiles, string(tok.Value))
	}
	if t.name == "xhtml" && kind == valString {
		w.checkNarrative(tok)
	}
	return nil
}

// companion validates the "_name" object of a primitive: an id and extensions.
func (w *walker) companion(tok *jsontok.Token, ce *elemDef, ctr *typeRef, parent int32, index int32) error {
	if tok.Kind != jsontok.BeginObject {
		w.errorAt(CheckCompanion, tok, "the \"_%s\" form must be an object with id and/or extension, found %s", ce.name, tok.Kind)
		return w.skip(tok)
	}
	tr := w.tree()
	n := tr.findChild(parent, ce.name, index)
	if n < 0 {
		n = tr.add(parent, ce.name, ce, ctr.t, index, tok.Line, tok.Col)
		if n >= 0 && ce.choice {
			tr.nodes[n].choiceType = ctr.code
		}
	}
	err := w.object(*tok, nil, ctr.t, n, false)
	w.noteNoCode(n, ce)
	return err
}

func jsonKindName(k byte) string {
	switch k {
	case 'n':
		return "number"
	case 'b':
		return "boolean"
	}
	return "string"
}

func quoteValue(v []byte) string {
	if len(v) > 80 {
		return strconv.Quote(string(v[:80])) + "..."
	}
	return strconv.Quote(string(v))
}

// checkCode checks a code against a required binding.
func (w *walker) checkCode(tok *jsontok.Token, ce *elemDef, code []byte) {
	b := ce.binding
	if b.strength != "required" || b.vs == nil || !b.vs.complete {
		return
	}
	if _, ok := b.vs.codes[string(code)]; !ok {
		w.errorAt(CheckBinding, tok, "code %s is not in the required value set %s", quoteValue(code), b.url)
	}
}

// checkCodedBinding checks a Coding, CodeableConcept or Quantity against a required binding.
func (w *walker) checkCodedBinding(start *jsontok.Token, n int32, e *elemDef, t *typeDef) {
	if e == nil || e.binding == nil || e.binding.strength != "required" || e.binding.vs == nil || !e.binding.vs.complete {
		return
	}
	vs := e.binding.vs
	tr := w.tree()
	coding := func(c int32) (system, code string, ok bool) {
		if s := tr.findChild(c, "system", -1); s >= 0 && tr.nodes[s].kind == valString {
			system = tr.str(s)
		}
		if k := tr.findChild(c, "code", -1); k >= 0 && tr.nodes[k].kind == valString {
			code = tr.str(k)
			ok = true
		}
		return
	}
	switch t.name {
	case "Coding", "Quantity":
		system, code, ok := coding(n)
		if !ok {
			return
		}
		if _, in := vs.coded[system+"|"+code]; !in {
			w.errorAt(CheckBinding, start, "%s|%s is not in the required value set %s", system, code, e.binding.url)
		}
	case "CodeableConcept":
		any, good := false, false
		var first string
		for c := tr.nodes[n].first; c >= 0; c = tr.nodes[c].next {
			if tr.nodes[c].name != "coding" {
				continue
			}
			system, code, ok := coding(c)
			if !ok {
				continue
			}
			if !any {
				first = system + "|" + code
			}
			any = true
			if _, in := vs.coded[system+"|"+code]; in {
				good = true
			}
		}
		if any && !good {
			w.errorAt(CheckBinding, start, "no coding is in the required value set %s (first coding %s)", e.binding.url, first)
		}
	}
}

// checkExtension applies the extension rules: a url, and a value or nested extensions, not both.
func (w *walker) checkExtension(start *jsontok.Token, cs *childSet, st *objState) {
	hasValue, hasExt := false, false
	for ord, ce := range cs.list {
		if st.counts[ord] == 0 {
			continue
		}
		switch ce.name {
		case "value":
			hasValue = true
		case "extension":
			hasExt = true
		}
	}
	switch {
	case hasValue && hasExt:
		w.errorAt(CheckExtension, start, "an extension must have either a value or nested extensions, not both (ext-1)")
	case !hasValue && !hasExt:
		w.errorAt(CheckExtension, start, "an extension must have a value or nested extensions (ext-1)")
	}
}

// checkReference checks the literal reference of a Reference: its form, and that the type it
// names is a resource type the element allows.
func (w *walker) checkReference(n int32, e *elemDef) {
	tr := w.tree()
	c := tr.findChild(n, "reference", -1)
	if c < 0 || tr.nodes[c].kind != valString {
		w.checkReferenceType(n, e, "")
		return
	}
	ref := tr.str(c)
	node := &tr.nodes[c]
	line, col := int(node.line), int(node.col)
	typ, typed := referenceType(ref)
	if typed && !w.checkReferenceType(n, e, typ) {
		return
	}
	if strings.HasPrefix(ref, "#") {
		return // contained: ref-1 checks it resolves
	}
	if strings.HasPrefix(ref, "urn:uuid:") {
		// A warning, as the HL7 Java validator gives: the reference is still a URI, only
		// not a well-formed UUID.
		if why := checkUUID([]byte(ref)); why != "" {
			w.report(SeverityWarning, CheckReference, line, col, w.expr()+".reference", "reference %q: %s", ref, why)
		}
		return
	}
	if strings.HasPrefix(ref, "urn:oid:") {
		if why := checkOID([]byte(ref)); why != "" {
			w.report(SeverityError, CheckReference, line, col, w.expr()+".reference", "reference %q: %s", ref, why)
		}
		return
	}
	if !typed {
		if strings.Contains(ref, "?") {
			return // a conditional reference, meaningful in transactions
		}
		if strings.ContainsAny(ref, " \t\r\n") {
			// A literal reference is a URL, which cannot hold whitespace: an error, as in Java.
			w.report(SeverityError, CheckReference, line, col, w.expr()+".reference", "reference %q is not a valid reference: a URL cannot contain whitespace", ref)
			return
		}
		w.report(SeverityWarning, CheckReference, line, col, w.expr()+".reference", "reference %q is not of the form Type/id, an absolute URL ending in Type/id, urn:uuid or #id", ref)
		return
	}
	rt := w.sc.types[typ]
	if rt == nil || rt.kind != kindResource {
		w.report(SeverityError, CheckReference, line, col, w.expr()+".reference", "reference %q names %q, which is not a resource type", ref, typ)
		return
	}
	if referenceAllowed(e, rt) {
		return
	}
	targets, _ := allowedTargets(e)
	w.report(SeverityError, CheckReference, line, col, w.expr()+".reference", "reference to %s is not allowed here; allowed: %s", typ, strings.Join(targets, ", "))
}

// referenceAllowed reports whether element e may refer to a resource of type rt: it has a
// Reference type allowing any resource, or one of its target types is rt or an ancestor.
func referenceAllowed(e *elemDef, rt *typeDef) bool {
	if e == nil {
		return true
	}
	constrained := false
	for i := range e.types {
		tr := &e.types[i]
		if tr.code != "Reference" {
			continue
		}
		if tr.targets == nil {
			return true
		}
		constrained = true
		for _, a := range tr.targets {
			if rt.isA(a) {
				return true
			}
		}
	}
	return !constrained
}

// referenceType extracts the resource type from a relative or absolute literal reference.
func referenceType(ref string) (string, bool) {
	s := ref
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	slash := strings.LastIndexByte(s, '/')
	if slash <= 0 {
		return "", false
	}
	id := s[slash+1:]
	head := s[:slash]
	typ := head
	if k := strings.LastIndexByte(head, '/'); k >= 0 {
		typ = head[k+1:]
		if !strings.HasPrefix(ref, "http://") && !strings.HasPrefix(ref, "https://") {
			return "", false
		}
	}
	if typ == "" || id == "" || checkID([]byte(id)) != "" {
		return "", false
	}
	if typ[0] < 'A' || typ[0] > 'Z' {
		return "", false
	}
	return typ, true
}

// allowedTargets lists the resource types a Reference element may point to; constrained is
// false when any resource is allowed.
func allowedTargets(e *elemDef) (targets []string, constrained bool) {
	if e == nil {
		return nil, false
	}
	for _, tr := range e.types {
		if tr.code == "Reference" {
			if tr.targets == nil {
				return nil, false
			}
			constrained = true
			targets = append(targets, tr.targets...)
		}
	}
	return targets, constrained
}

// checkReferenceType checks Reference.type: a resource type the element allows, and the same
// type as the literal reference names (literal, when given). It reports whether the literal
// reference is still worth checking.
func (w *walker) checkReferenceType(n int32, e *elemDef, literal string) bool {
	tr := w.tree()
	c := tr.findChild(n, "type", -1)
	if c < 0 || tr.nodes[c].kind != valString {
		return true
	}
	typ := tr.str(c)
	if strings.Contains(typ, ":") {
		return true // a logical model's URL: allowed by the extensible binding
	}
	line, col := int(tr.nodes[c].line), int(tr.nodes[c].col)
	expr := w.expr() + ".type"
	rt := w.sc.types[typ]
	if rt == nil || rt.kind != kindResource {
		return true // the binding check reports a code that is not a resource type
	}
	if literal != "" && literal != typ {
		w.report(SeverityError, CheckReference, line, col, expr, "Reference.type %s does not match the type %s the reference names", typ, literal)
		return false
	}
	if targets, constrained := allowedTargets(e); constrained {
		for _, a := range targets {
			if rt.isA(a) {
				return true
			}
		}
		w.report(SeverityError, CheckReference, line, col, expr, "Reference.type %s is not allowed here; allowed: %s", typ, strings.Join(targets, ", "))
		return false
	}
	return true
}

// checkAttachment compares Attachment.size with the length of Attachment.data.
func (w *walker) checkAttachment(n int32) {
	tr := w.tree()
	d := tr.findChild(n, "data", -1)
	s := tr.findChild(n, "size", -1)
	if d < 0 || s < 0 || tr.nodes[d].kind != valString || tr.nodes[s].kind != valNumber {
		return
	}
	size, err := strconv.ParseInt(tr.str(s), 10, 64)
	if err != nil {
		return
	}
	if got := base64Length(tr.str(d)); got >= 0 && got != size {
		w.report(SeverityError, CheckFormat, int(tr.nodes[s].line), int(tr.nodes[s].col), w.expr()+".size",
			"Attachment.size is %d but the data holds %d bytes", size, got)
	}
}

// base64Length is the number of bytes base64 text decodes to (whitespace ignored), or -1 when
// it is not valid base64 (the primitive check reports that).
func base64Length(s string) int64 {
	n, pad := int64(0), int64(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '=':
			pad++
			n++
		default:
			if pad > 0 {
				return -1
			}
			n++
		}
	}
	if n%4 != 0 || pad > 2 {
		return -1
	}
	return n/4*3 - pad
}

// checkSearchParameter: a composite search parameter is made of two or more components.
func (w *walker) checkSearchParameter(n int32) {
	w.checkDerivedSearchParameter(n)
	tr := w.tree()
	c := tr.findChild(n, "type", -1)
	if c < 0 || tr.nodes[c].kind != valString || tr.str(c) != "composite" {
		return
	}
	k := 0
	for x := tr.nodes[n].first; x >= 0; x = tr.nodes[x].next {
		if tr.nodes[x].name == "component" {
			k++
		}
	}
	if k < 2 {
		w.report(SeverityError, CheckInvariant, int(tr.nodes[c].line), int(tr.nodes[c].col), w.expr(),
			"a composite SearchParameter must define two or more components, found %d", k)
	}
}

// canonicalPart strips a canonical's |version.
func canonicalPart(u string) string {
	if i := strings.IndexByte(u, '|'); i >= 0 {
		return u[:i]
	}
	return u
}

// checkDerivedSearchParameter: a SearchParameter derived from a core one keeps its type, and
// applies only to resource types the original applies to.
func (w *walker) checkDerivedSearchParameter(n int32) {
	tr := w.tree()
	d := tr.findChild(n, "derivedFrom", -1)
	if d < 0 || tr.nodes[d].kind != valString {
		return
	}
	url := canonicalPart(tr.str(d))
	sp, ok := w.sc.searchParams[url]
	if !ok {
		return
	}
	if c := tr.findChild(n, "type", -1); c >= 0 && tr.nodes[c].kind == valString && tr.str(c) != sp.Type {
		w.report(SeverityError, CheckInvariant, int(tr.nodes[c].line), int(tr.nodes[c].col), w.expr()+".type",
			"the type %s differs from the type %s of the SearchParameter it is derived from (%s)", tr.str(c), sp.Type, url)
	}
	for c := tr.nodes[n].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name != "base" || tr.nodes[c].kind != valString {
			continue
		}
		if b := tr.str(c); !contains(sp.Base, b) && !contains(sp.Base, "Resource") && !contains(sp.Base, "DomainResource") {
			w.report(SeverityError, CheckInvariant, int(tr.nodes[c].line), int(tr.nodes[c].col), w.expr()+".base",
				"the resource type %s is not a base of the SearchParameter this is derived from (%s)", b, url)
		}
	}
}

// checkCapabilitySearchParams: a search parameter a CapabilityStatement lists with the
// definition of a core SearchParameter has that parameter's type.
func (w *walker) checkCapabilitySearchParams(n int32) {
	tr := w.tree()
	for r := tr.nodes[n].first; r >= 0; r = tr.nodes[r].next {
		if tr.nodes[r].name != "rest" {
			continue
		}
		for res := tr.nodes[r].first; res >= 0; res = tr.nodes[res].next {
			if tr.nodes[res].name != "resource" {
				continue
			}
			for p := tr.nodes[res].first; p >= 0; p = tr.nodes[p].next {
				if tr.nodes[p].name != "searchParam" {
					continue
				}
				d := tr.findChild(p, "definition", -1)
				ty := tr.findChild(p, "type", -1)
				if d < 0 || ty < 0 || tr.nodes[d].kind != valString || tr.nodes[ty].kind != valString {
					continue
				}
				sp, ok := w.sc.searchParams[canonicalPart(tr.str(d))]
				if ok && sp.Type != tr.str(ty) {
					w.report(SeverityError, CheckInvariant, int(tr.nodes[ty].line), int(tr.nodes[ty].col), tr.expression(ty),
						"type mismatch: the SearchParameter %s is of type %s, but the type here is %s", tr.str(d), sp.Type, tr.str(ty))
				}
			}
		}
	}
}

// checkCodeSystem checks a Coding's code against its system when the system is one of the
// complete code systems FHIR itself defines, whatever the binding (as the HL7 Java validator
// does with the code systems it holds).
func (w *walker) checkCodeSystem(n int32) {
	if len(w.sc.codeSystems) == 0 {
		return
	}
	tr := w.tree()
	s := tr.findChild(n, "system", -1)
	c := tr.findChild(n, "code", -1)
	if s < 0 || c < 0 || tr.nodes[s].kind != valString || tr.nodes[c].kind != valString {
		return
	}
	codes, ok := w.sc.codeSystems[string(tr.bytes(s))] // no allocation for the look-up
	if !ok {
		return
	}
	if v := tr.findChild(n, "version", -1); v >= 0 {
		return // another version of the code system may define other codes
	}
	if _, ok := codes[string(tr.bytes(c))]; !ok {
		w.report(SeverityError, CheckCodeSystem, int(tr.nodes[c].line), int(tr.nodes[c].col), w.expr()+".code",
			"unknown code %q in the code system %s", tr.str(c), tr.str(s))
	}
}
