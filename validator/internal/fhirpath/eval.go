package fhirpath

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is the type of a literal value.
type Kind uint8

// Literal kinds.
const (
	KNone Kind = iota
	KString
	KInteger
	KDecimal
	KBoolean
	KDate
	KDateTime
	KTime
)

// Item is one member of a collection: a node of the model (Node >= 0) or a literal value.
type Item struct {
	Node int32
	Kind Kind
	S    string  // string value, or the original text of a number or date
	F    float64 // numbers
	B    bool
	T    *DateTime // dates and times
}

// DateTime is a partial date, date-time or time with its precision.
type DateTime struct {
	Year, Month, Day, Hour, Minute int
	Second                         float64
	Prec                           int // components present: 1 year .. 6 seconds; for times 4..6
	TZ                             bool
	TZMinutes                      int
	TimeOnly                       bool
}

// Model is the data an expression navigates. Node ids are the caller's.
type Model interface {
	// Children appends the children of n with a name (array items flattened, choice elements
	// matched by their base name).
	Children(n int32, name string, dst []Item) []Item
	// AllChildren appends every child of n.
	AllChildren(n int32, dst []Item) []Item
	// Stub reports whether n stands for content the model does not hold.
	Stub(n int32) bool
	// Value returns the primitive value of n.
	Value(n int32) (Item, bool)
	// IsType reports whether n's type is name or derives from it.
	IsType(n int32, name string) bool
	// TypeName is the FHIR type of n.
	TypeName(n int32) string
	// Name is the element name of n.
	Name(n int32) string
	// ResourceOf returns the nearest resource enclosing n (n itself when it is one).
	ResourceOf(n int32) int32
	// Root returns the root resource.
	Root() int32
}

// SharedChildren is implemented by models that already hold some nodes' children by name (a
// Bundle's entries): reading a member of one such node then costs no copy. The items returned
// are read only.
type SharedChildren interface {
	SharedChildren(n int32, name string) (items []Item, ok bool)
}

// ErrIncomplete means the answer depends on data the model does not hold.
var ErrIncomplete = errors.New("incomplete")

type evalError struct{ msg string }

func (e *evalError) Error() string { return e.msg }

type env struct {
	shared     SharedChildren // the model, when it implements SharedChildren
	arena      []Item         // backing store for small collections, reset per evaluation
	cache      [][]Item       // values of the expression's invariant subexpressions (ast.slot)
	cached     []bool
	m          Model
	context    int32
	resource   int32
	incomplete bool
	// datesUnordered: two dates of different precision that agree as far as both go were
	// compared, which gives an empty result.
	datesUnordered bool
}

// Eval evaluates e with ctx as the focus. It returns ErrIncomplete when the result cannot be
// known from the model, and another error for a type error in the data (which the caller may
// treat as unknown too).
func Eval(e *Expr, m Model, ctx int32) (result []Item, err error) {
	var ev Evaluator
	return ev.Eval(e, m, ctx)
}

// Evaluator evaluates expressions reusing its memory; it is not safe for concurrent use.
// Results are valid until the next call.
type Evaluator struct{ en env }

// Eval is like the package-level Eval.
func (ev *Evaluator) Eval(e *Expr, m Model, ctx int32) (result []Item, err error) {
	cache, cached := ev.en.cache, ev.en.cached
	if len(cache) < e.slots {
		cache, cached = make([][]Item, e.slots), make([]bool, e.slots)
	}
	clear(cached)
	shared, _ := m.(SharedChildren)
	ev.en = env{shared: shared, arena: ev.en.arena[:0], cache: cache, cached: cached, m: m, context: ctx, resource: m.ResourceOf(ctx)}
	en := &ev.en
	defer func() {
		if r := recover(); r != nil {
			ee, ok := r.(*evalError)
			if !ok {
				panic(r)
			}
			result, err = nil, ee
		}
	}()
	out := en.eval(e.root, en.one(Item{Node: ctx}), Item{Node: ctx}, 0)
	if en.incomplete {
		return out, ErrIncomplete
	}
	return out, nil
}

// Trim lets go of a large arena, once the expressions over one big resource are done (within
// it, the arena is kept: a Bundle's invariants each walk all its entries).
func (ev *Evaluator) Trim() {
	if cap(ev.en.arena) > 1<<16 {
		ev.en.arena = nil
	}
}

// DatesUnordered reports whether the last evaluation compared two dates of different
// precision that agree as far as both go (an empty result, which FHIRPath does not order).
func (ev *Evaluator) DatesUnordered() bool { return ev.en.datesUnordered }

// Truth reads an invariant's result: true, false, or unknown (ok false) for an empty result.
func Truth(items []Item) (value, ok bool) {
	if len(items) == 0 {
		return false, false
	}
	if len(items) == 1 && items[0].Node < 0 && items[0].Kind == KBoolean {
		return items[0].B, true
	}
	return true, true // a non-empty collection counts as true
}

func fail(msg string) { panic(&evalError{msg}) }

func (en *env) eval(a *ast, input []Item, this Item, index int) []Item {
	if a.slot == 0 || int(a.slot) > len(en.cached) {
		return en.evalNode(a, input, this, index)
	}
	if i := a.slot - 1; en.cached[i] {
		return en.cache[i]
	}
	out := en.evalNode(a, input, this, index)
	en.cache[a.slot-1], en.cached[a.slot-1] = out, true
	return out
}

func (en *env) evalNode(a *ast, input []Item, this Item, index int) []Item {
	switch a.kind {
	case nLiteral:
		return a.litItems[:1:1]
	case nEmpty:
		return nil
	case nThis:
		return en.one(this)
	case nIndexVar:
		return []Item{{Node: -1, Kind: KInteger, F: float64(index)}}
	case nVar:
		switch a.name {
		case "resource":
			return []Item{{Node: en.resource}}
		case "rootResource":
			return []Item{{Node: en.m.Root()}}
		case "context":
			return []Item{{Node: en.context}}
		case "ucum":
			return []Item{{Node: -1, Kind: KString, S: "http://unitsofmeasure.org"}}
		case "sct":
			return []Item{{Node: -1, Kind: KString, S: "http://snomed.info/sct"}}
		case "loinc":
			return []Item{{Node: -1, Kind: KString, S: "http://loinc.org"}}
		}
		en.incomplete = true // value set and extension variables
		return nil
	case nMember:
		return en.member(input, a.name)
	case nFunc:
		return en.function(a, input, this, index)
	case nChain:
		left := en.eval(a.left, input, this, index)
		return en.eval(a.right, left, this, index)
	case nIndex:
		left := en.eval(a.left, input, this, index)
		idx := en.eval(a.right, input, this, index)
		if len(idx) != 1 {
			return nil
		}
		n := int(en.number(idx[0]))
		if n < 0 || n >= len(left) {
			return nil
		}
		return left[n : n+1]
	case nUnary:
		v := en.eval(a.left, input, this, index)
		if len(v) == 0 {
			return nil
		}
		it := en.value(v[0])
		if it.Kind != KInteger && it.Kind != KDecimal {
			fail("unary minus on a non-number")
		}
		it.F = -it.F
		return []Item{it}
	case nTypeOp:
		left := en.eval(a.left, input, this, index)
		return en.typeOp(a.op, left, a.name)
	case nBinary:
		return en.binary(a, input, this, index)
	}
	fail("unsupported expression")
	return nil
}

func (en *env) member(input []Item, name string) []Item {
	if en.shared != nil && len(input) == 1 && input[0].Node >= 0 && !(name[0] >= 'A' && name[0] <= 'Z') && !en.m.Stub(input[0].Node) {
		if items, ok := en.shared.SharedChildren(input[0].Node, name); ok {
			return items[:len(items):len(items)] // capped: an append copies
		}
	}
	start := len(en.arena)
	out := en.arena
	for _, it := range input {
		if it.Node < 0 {
			continue
		}
		if name[0] >= 'A' && name[0] <= 'Z' && en.m.IsType(it.Node, name) {
			out = append(out, it) // a type name at the start of a path filters by type
			continue
		}
		if en.m.Stub(it.Node) {
			en.incomplete = true
			continue
		}
		out = en.m.Children(it.Node, name, out)
	}
	en.arena = out
	return out[start:len(out):len(out)]
}

// one returns a one-item collection carved from the arena.
func (en *env) one(it Item) []Item {
	en.arena = append(en.arena, it)
	n := len(en.arena)
	return en.arena[n-1 : n : n]
}

// value turns a node into its primitive literal; literals pass through.
func (en *env) value(it Item) Item {
	if it.Node < 0 {
		return it
	}
	v, ok := en.m.Value(it.Node)
	if !ok {
		return Item{Node: it.Node, Kind: KNone}
	}
	return v
}

func (en *env) number(it Item) float64 {
	v := en.value(it)
	if v.Kind != KInteger && v.Kind != KDecimal {
		fail("expected a number")
	}
	return v.F
}

func (en *env) str(it Item) (string, bool) {
	v := en.value(it)
	switch v.Kind {
	case KString, KDate, KDateTime, KTime:
		return v.S, true
	case KInteger, KDecimal:
		return v.S, true
	case KBoolean:
		if v.B {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

var (
	trueItems  = []Item{{Node: -1, Kind: KBoolean, B: true}}
	falseItems = []Item{{Node: -1, Kind: KBoolean, B: false}}
)

// boolItem returns a shared, read-only collection: callers never append to results in place.
func boolItem(b bool) []Item {
	if b {
		return trueItems[:1:1]
	}
	return falseItems[:1:1]
}

// boolOf reads a singleton boolean: value, and false for empty.
func (en *env) boolOf(items []Item) (bool, bool) {
	if len(items) == 0 {
		return false, false
	}
	if len(items) > 1 {
		return true, true
	}
	v := en.value(items[0])
	if v.Kind == KBoolean {
		return v.B, true
	}
	return true, true
}

func (en *env) singleString(items []Item) (string, bool) {
	if len(items) != 1 {
		if len(items) > 1 {
			fail("expected a single value")
		}
		return "", false
	}
	return en.str(items[0])
}

var regexCache sync.Map

func compileRegex(p string) *regexp.Regexp {
	if re, ok := regexCache.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		fail("bad regex: " + err.Error())
	}
	regexCache.Store(p, re)
	return re
}

func (en *env) function(a *ast, input []Item, this Item, index int) []Item {
	// Arguments of string functions are evaluated against the original context ($this).
	strArg := func(i int) (string, bool) {
		return en.singleString(en.eval(a.args[i], []Item{this}, this, index))
	}
	switch a.name {
	case "empty":
		return boolItem(len(input) == 0)
	case "exists":
		if len(a.args) == 1 {
			return boolItem(len(en.where(a.args[0], input)) > 0)
		}
		return boolItem(len(input) > 0)
	case "not":
		b, ok := en.boolOf(input)
		if !ok {
			return nil
		}
		return boolItem(!b)
	case "count":
		return []Item{{Node: -1, Kind: KInteger, F: float64(len(input)), S: strconv.Itoa(len(input))}}
	case "where":
		return en.where(a.args[0], input)
	case "all":
		for i, it := range input {
			r := en.eval(a.args[0], []Item{it}, it, i)
			b, ok := en.boolOf(r)
			if !ok || !b {
				if !ok {
					return nil
				}
				return boolItem(false)
			}
		}
		return boolItem(true)
	case "select":
		var out []Item
		for i, it := range input {
			out = append(out, en.eval(a.args[0], []Item{it}, it, i)...)
		}
		return out
	case "first":
		if len(input) == 0 {
			return nil
		}
		return input[:1]
	case "last":
		if len(input) == 0 {
			return nil
		}
		return input[len(input)-1:]
	case "tail":
		if len(input) < 2 {
			return nil
		}
		return input[1:]
	case "skip", "take":
		ns := en.eval(a.args[0], []Item{this}, this, index)
		if len(ns) != 1 {
			return nil
		}
		n := int(en.number(ns[0]))
		if n < 0 {
			n = 0
		}
		if n > len(input) {
			n = len(input)
		}
		if a.name == "skip" {
			return input[n:]
		}
		return input[:n]
	case "single":
		if len(input) > 1 {
			fail("single() on more than one item")
		}
		return input
	case "hasValue":
		if len(input) != 1 {
			return boolItem(false)
		}
		v := en.value(input[0])
		return boolItem(v.Kind != KNone)
	case "getValue":
		if len(input) != 1 {
			return nil
		}
		v := en.value(input[0])
		if v.Kind == KNone {
			return nil
		}
		return []Item{v}
	case "children":
		var out []Item
		for _, it := range input {
			if it.Node >= 0 {
				if en.m.Stub(it.Node) {
					en.incomplete = true
					continue
				}
				out = en.m.AllChildren(it.Node, out)
			}
		}
		return out
	case "descendants":
		var out []Item
		queue := append([]Item(nil), input...)
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			if it.Node < 0 {
				continue
			}
			if en.m.Stub(it.Node) {
				en.incomplete = true
				continue
			}
			start := len(out)
			out = en.m.AllChildren(it.Node, out)
			queue = append(queue, out[start:]...)
		}
		return out
	case "is", "as", "ofType":
		tn := a.args[0].lit.S
		if a.name == "ofType" {
			var out []Item
			for _, it := range input {
				if en.isType(it, tn) {
					out = append(out, it)
				}
			}
			return out
		}
		return en.typeOp(a.name, input, tn)
	case "length":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		n := len([]rune(s))
		return []Item{{Node: -1, Kind: KInteger, F: float64(n), S: strconv.Itoa(n)}}
	case "matches", "startsWith", "endsWith", "contains", "indexOf":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		p, ok := strArg(0)
		if !ok {
			return nil
		}
		switch a.name {
		case "matches":
			return boolItem(compileRegex(p).MatchString(s))
		case "startsWith":
			return boolItem(strings.HasPrefix(s, p))
		case "endsWith":
			return boolItem(strings.HasSuffix(s, p))
		case "indexOf":
			n := strings.Index(s, p)
			return []Item{{Node: -1, Kind: KInteger, F: float64(n), S: strconv.Itoa(n)}}
		}
		return boolItem(strings.Contains(s, p))
	case "replaceMatches":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		p, ok1 := strArg(0)
		r, ok2 := strArg(1)
		if !ok1 || !ok2 {
			return nil
		}
		re, err := regexp.Compile(p)
		if err != nil {
			fail("bad regex")
		}
		return []Item{{Node: -1, Kind: KString, S: re.ReplaceAllString(s, r)}}
	case "substring":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		starts := en.eval(a.args[0], []Item{this}, this, index)
		if len(starts) != 1 {
			return nil
		}
		rs := []rune(s)
		st := int(en.number(starts[0]))
		if st < 0 || st >= len(rs) {
			return nil
		}
		end := len(rs)
		if len(a.args) == 2 {
			ls := en.eval(a.args[1], []Item{this}, this, index)
			if len(ls) == 1 {
				if l := int(en.number(ls[0])); st+l < end {
					end = st + l
				}
			}
		}
		return []Item{{Node: -1, Kind: KString, S: string(rs[st:end])}}
	case "lower", "upper", "trim":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		switch a.name {
		case "lower":
			s = strings.ToLower(s)
		case "upper":
			s = strings.ToUpper(s)
		default:
			s = strings.TrimSpace(s)
		}
		return []Item{{Node: -1, Kind: KString, S: s}}
	case "toString":
		s, ok := en.singleString(input)
		if !ok {
			return nil
		}
		return []Item{{Node: -1, Kind: KString, S: s}}
	case "toInteger":
		if len(input) != 1 {
			return nil
		}
		v := en.value(input[0])
		switch v.Kind {
		case KInteger:
			return []Item{v}
		case KString:
			n, err := strconv.ParseInt(v.S, 10, 32)
			if err != nil {
				return nil
			}
			return []Item{{Node: -1, Kind: KInteger, F: float64(n), S: v.S}}
		case KBoolean:
			if v.B {
				return []Item{{Node: -1, Kind: KInteger, F: 1, S: "1"}}
			}
			return []Item{{Node: -1, Kind: KInteger, F: 0, S: "0"}}
		}
		return nil
	case "toDecimal":
		if len(input) != 1 {
			return nil
		}
		v := en.value(input[0])
		switch v.Kind {
		case KInteger, KDecimal:
			v.Kind = KDecimal
			return []Item{v}
		case KString:
			f, err := strconv.ParseFloat(v.S, 64)
			if err != nil {
				return nil
			}
			return []Item{{Node: -1, Kind: KDecimal, F: f, S: v.S}}
		}
		return nil
	case "iif":
		c := en.eval(a.args[0], input, this, index)
		b, ok := en.boolOf(c)
		if ok && b {
			return en.eval(a.args[1], input, this, index)
		}
		if len(a.args) == 3 {
			return en.eval(a.args[2], input, this, index)
		}
		return nil
	case "distinct":
		return en.distinct(input)
	case "isDistinct":
		return boolItem(len(en.distinct(input)) == len(input))
	case "trace":
		return input
	case "combine":
		return append(append([]Item(nil), input...), en.eval(a.args[0], []Item{this}, this, index)...)
	case "union":
		return en.distinct(append(append([]Item(nil), input...), en.eval(a.args[0], []Item{this}, this, index)...))
	case "intersect", "exclude", "subsetOf", "supersetOf":
		other := en.eval(a.args[0], []Item{this}, this, index)
		keys := map[string]bool{}
		for _, it := range other {
			keys[en.key(it)] = true
		}
		switch a.name {
		case "subsetOf":
			for _, it := range input {
				if !keys[en.key(it)] {
					return boolItem(false)
				}
			}
			return boolItem(true)
		case "supersetOf":
			mine := map[string]bool{}
			for _, it := range input {
				mine[en.key(it)] = true
			}
			for _, it := range other {
				if !mine[en.key(it)] {
					return boolItem(false)
				}
			}
			return boolItem(true)
		}
		var out []Item
		for _, it := range input {
			if keys[en.key(it)] == (a.name == "intersect") {
				out = append(out, it)
			}
		}
		if a.name == "intersect" {
			out = en.distinct(out)
		}
		return out
	case "extension":
		u, ok := strArg(0)
		if !ok {
			return nil
		}
		var out []Item
		for _, it := range input {
			if it.Node < 0 {
				continue
			}
			for _, x := range en.m.Children(it.Node, "extension", nil) {
				urls := en.m.Children(x.Node, "url", nil)
				if len(urls) == 1 {
					if s, _ := en.str(urls[0]); s == u {
						out = append(out, x)
					}
				}
			}
		}
		return out
	case "resolve", "memberOf", "conformsTo":
		en.incomplete = true
		return nil
	case "htmlChecks", "htmlchecks":
		// The narrative is checked natively (see the validator's narrative check).
		return boolItem(true)
	case "allTrue", "anyTrue", "allFalse", "anyFalse":
		want := a.name == "allTrue" || a.name == "anyTrue"
		all := strings.HasPrefix(a.name, "all")
		for _, it := range input {
			v := en.value(it)
			if v.Kind != KBoolean {
				fail(a.name + " on a non-boolean")
			}
			if all && v.B != want {
				return boolItem(false)
			}
			if !all && v.B == want {
				return boolItem(true)
			}
		}
		return boolItem(all)
	case "today", "now":
		now := time.Now().UTC()
		d := DateTime{Year: now.Year(), Month: int(now.Month()), Day: now.Day(), Prec: 3}
		k := KDate
		if a.name == "now" {
			d.Hour, d.Minute, d.Second, d.Prec, d.TZ = now.Hour(), now.Minute(), float64(now.Second()), 6, true
			k = KDateTime
		}
		return []Item{{Node: -1, Kind: k, T: &d, S: now.Format(time.RFC3339)}}
	}
	fail("function " + a.name + " is not supported")
	return nil
}

func (en *env) where(crit *ast, input []Item) []Item {
	var out []Item
	for i, it := range input {
		r := en.eval(crit, []Item{it}, it, i)
		if b, ok := en.boolOf(r); ok && b {
			out = append(out, it)
		}
	}
	return out
}

// systemTypes maps FHIRPath System type names to FHIR primitive types.
var systemTypes = map[string][]string{
	"Boolean":  {"boolean"},
	"String":   {"string", "code", "id", "markdown", "uri", "url", "canonical", "oid", "uuid"},
	"Integer":  {"integer", "positiveInt", "unsignedInt"},
	"Decimal":  {"decimal"},
	"Date":     {"date"},
	"DateTime": {"dateTime", "instant"},
	"Time":     {"time"},
}

func (en *env) isType(it Item, name string) bool {
	if it.Node >= 0 {
		if en.m.IsType(it.Node, name) {
			return true
		}
		for _, p := range systemTypes[name] {
			if en.m.IsType(it.Node, p) {
				return true
			}
		}
		return false
	}
	switch it.Kind {
	case KString:
		return name == "String" || name == "string"
	case KInteger:
		return name == "Integer" || name == "integer"
	case KDecimal:
		return name == "Decimal" || name == "decimal"
	case KBoolean:
		return name == "Boolean" || name == "boolean"
	case KDate:
		return name == "Date" || name == "date"
	case KDateTime:
		return name == "DateTime" || name == "dateTime"
	case KTime:
		return name == "Time" || name == "time"
	}
	return false
}

func (en *env) typeOp(op string, input []Item, name string) []Item {
	if len(input) == 0 {
		return nil
	}
	if len(input) > 1 {
		if op == "as" {
			// Lenient, as the core definitions use as() on collections (dom-3).
			var out []Item
			for _, it := range input {
				if en.isType(it, name) {
					out = append(out, it)
				}
			}
			return out
		}
		fail("is on more than one item")
	}
	ok := en.isType(input[0], name)
	if op == "is" {
		return boolItem(ok)
	}
	if ok {
		return input
	}
	return nil
}

// key is a canonical text for equality and distinctness, covering complex nodes too.
func (en *env) key(it Item) string {
	if it.Node < 0 {
		return literalKey(it)
	}
	if v, ok := en.m.Value(it.Node); ok {
		return literalKey(v)
	}
	var b strings.Builder
	b.WriteByte('{')
	for _, c := range en.m.AllChildren(it.Node, nil) {
		b.WriteString(en.childName(c))
		b.WriteByte('=')
		b.WriteString(en.key(c))
		b.WriteByte(';')
	}
	b.WriteByte('}')
	return b.String()
}

// childName names a child in the key of a complex value.
func (en *env) childName(it Item) string { return en.m.Name(it.Node) }

func literalKey(it Item) string {
	switch it.Kind {
	case KInteger, KDecimal:
		return "n:" + strconv.FormatFloat(it.F, 'g', -1, 64)
	case KBoolean:
		if it.B {
			return "b:true"
		}
		return "b:false"
	case KDate, KDateTime, KTime:
		return "d:" + it.S
	}
	return "s:" + it.S
}

func (en *env) distinct(input []Item) []Item {
	seen := map[string]bool{}
	var out []Item
	for _, it := range input {
		k := en.key(it)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, it)
	}
	return out
}

func (en *env) binary(a *ast, input []Item, this Item, index int) []Item {
	switch a.op {
	case "and", "or", "xor", "implies":
		l := en.eval(a.left, input, this, index)
		lb, lok := en.boolOf(l)
		// Short-circuit where the answer is already known.
		switch {
		case a.op == "and" && lok && !lb:
			return boolItem(false)
		case a.op == "or" && lok && lb:
			return boolItem(true)
		case a.op == "implies" && lok && !lb:
			return boolItem(true)
		}
		r := en.eval(a.right, input, this, index)
		rb, rok := en.boolOf(r)
		switch a.op {
		case "and":
			if rok && !rb {
				return boolItem(false)
			}
			if lok && rok {
				return boolItem(true)
			}
			return nil
		case "or":
			if rok && rb {
				return boolItem(true)
			}
			if lok && rok {
				return boolItem(false)
			}
			return nil
		case "xor":
			if lok && rok {
				return boolItem(lb != rb)
			}
			return nil
		default: // implies
			if rok && rb {
				return boolItem(true)
			}
			if lok && lb && rok {
				return boolItem(false)
			}
			return nil
		}
	}
	l := en.eval(a.left, input, this, index)
	r := en.eval(a.right, input, this, index)
	switch a.op {
	case "|":
		return en.distinct(append(append([]Item(nil), l...), r...))
	case "=", "!=":
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		if len(l) != len(r) {
			return boolItem(a.op == "!=")
		}
		eq := true
		for i := range l {
			e, ok := en.equal(l[i], r[i])
			if !ok {
				return nil
			}
			if !e {
				eq = false
			}
		}
		return boolItem(eq == (a.op == "="))
	case "~", "!~":
		if len(l) == 0 && len(r) == 0 {
			return boolItem(a.op == "~")
		}
		if len(l) != len(r) {
			return boolItem(a.op == "!~")
		}
		eq := true
		for i := range l {
			if !en.equivalent(l[i], r[i]) {
				eq = false
			}
		}
		return boolItem(eq == (a.op == "~"))
	case "<", ">", "<=", ">=":
		if len(l) != 1 || len(r) != 1 {
			if len(l) > 1 || len(r) > 1 {
				fail("comparison of collections")
			}
			return nil
		}
		c, ok := en.compare(l[0], r[0])
		if !ok {
			return nil
		}
		switch a.op {
		case "<":
			return boolItem(c < 0)
		case ">":
			return boolItem(c > 0)
		case "<=":
			return boolItem(c <= 0)
		}
		return boolItem(c >= 0)
	case "in", "contains":
		item, coll := l, r
		if a.op == "contains" {
			item, coll = r, l
		}
		if len(item) == 0 {
			return nil
		}
		if len(item) > 1 {
			fail("membership test of more than one item")
		}
		for _, c := range coll {
			if e, ok := en.equal(item[0], c); ok && e {
				return boolItem(true)
			}
		}
		return boolItem(false)
	case "&":
		ls, _ := en.singleString(l)
		rs, _ := en.singleString(r)
		return []Item{{Node: -1, Kind: KString, S: ls + rs}}
	case "+", "-", "*", "/", "div", "mod":
		if len(l) != 1 || len(r) != 1 {
			return nil
		}
		lv, rv := en.value(l[0]), en.value(r[0])
		if a.op == "+" && lv.Kind == KString && rv.Kind == KString {
			return []Item{{Node: -1, Kind: KString, S: lv.S + rv.S}}
		}
		if (lv.Kind != KInteger && lv.Kind != KDecimal) || (rv.Kind != KInteger && rv.Kind != KDecimal) {
			fail("arithmetic on non-numbers")
		}
		k := KDecimal
		if lv.Kind == KInteger && rv.Kind == KInteger && a.op != "/" {
			k = KInteger
		}
		var f float64
		switch a.op {
		case "+":
			f = lv.F + rv.F
		case "-":
			f = lv.F - rv.F
		case "*":
			f = lv.F * rv.F
		case "/":
			if rv.F == 0 {
				return nil
			}
			f = lv.F / rv.F
		case "div":
			if rv.F == 0 {
				return nil
			}
			f = math.Trunc(lv.F / rv.F)
		case "mod":
			if rv.F == 0 {
				return nil
			}
			f = math.Mod(lv.F, rv.F)
		}
		return []Item{{Node: -1, Kind: k, F: f, S: strconv.FormatFloat(f, 'f', -1, 64)}}
	}
	fail("operator " + a.op + " is not supported")
	return nil
}

// equal compares two items; ok is false when equality cannot be decided (dates of different
// precision).
func (en *env) equal(a, b Item) (bool, bool) {
	av, bv := en.value(a), en.value(b)
	if av.Kind == KNone || bv.Kind == KNone {
		if a.Node >= 0 && b.Node >= 0 && av.Kind == KNone && bv.Kind == KNone {
			return en.key(a) == en.key(b), true
		}
		if av.Kind == KNone && bv.Kind == KNone {
			return true, true
		}
		return false, true
	}
	switch {
	case isNum(av) && isNum(bv):
		return av.F == bv.F, true
	case isDate(av) && isDate(bv):
		c, ok := compareDatePtrs(av.T, bv.T)
		if !ok {
			return false, false
		}
		return c == 0, true
	case av.Kind == KBoolean && bv.Kind == KBoolean:
		return av.B == bv.B, true
	}
	as, _ := en.str(av)
	bs, _ := en.str(bv)
	return as == bs, true
}

func (en *env) equivalent(a, b Item) bool {
	av, bv := en.value(a), en.value(b)
	if isNum(av) && isNum(bv) {
		return av.F == bv.F
	}
	as, _ := en.str(av)
	bs, _ := en.str(bv)
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	return norm(as) == norm(bs)
}

func isNum(it Item) bool  { return it.Kind == KInteger || it.Kind == KDecimal }
func isDate(it Item) bool { return it.Kind == KDate || it.Kind == KDateTime || it.Kind == KTime }

// compare orders two items; ok is false when they cannot be ordered.
func (en *env) compare(a, b Item) (int, bool) {
	if a.Node >= 0 && b.Node >= 0 && en.m.IsType(a.Node, "Quantity") && en.m.IsType(b.Node, "Quantity") {
		return en.compareQuantities(a.Node, b.Node)
	}
	av, bv := en.value(a), en.value(b)
	switch {
	case isNum(av) && isNum(bv):
		return cmpFloat(av.F, bv.F), true
	case isDate(av) && isDate(bv):
		c, ok := compareDatePtrs(av.T, bv.T)
		if !ok && av.T != nil && bv.T != nil {
			en.datesUnordered = true
		}
		return c, ok
	case av.Kind == KString && bv.Kind == KString:
		return strings.Compare(av.S, bv.S), true
	}
	if av.Kind == KNone || bv.Kind == KNone {
		return 0, false
	}
	fail("values of different types cannot be compared")
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (en *env) compareQuantities(a, b int32) (int, bool) {
	field := func(n int32, name string) (Item, bool) {
		c := en.m.Children(n, name, nil)
		if len(c) != 1 {
			return Item{}, false
		}
		return en.m.Value(c[0].Node)
	}
	av, ok1 := field(a, "value")
	bv, ok2 := field(b, "value")
	if !ok1 || !ok2 {
		return 0, false
	}
	same := false
	ac, okc1 := field(a, "code")
	bc, okc2 := field(b, "code")
	if okc1 && okc2 {
		as, _ := field(a, "system")
		bs, _ := field(b, "system")
		same = ac.S == bc.S && as.S == bs.S
	} else {
		au, oku1 := field(a, "unit")
		bu, oku2 := field(b, "unit")
		same = (oku1 && oku2 && au.S == bu.S) || (!oku1 && !oku2 && !okc1 && !okc2)
	}
	if !same {
		en.incomplete = true // different units: would need UCUM conversion
		return 0, false
	}
	return cmpFloat(av.F, bv.F), true
}

func compareDatePtrs(a, b *DateTime) (int, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	return compareDates(*a, *b)
}

// compareDates compares component by component; when one value stops before the other and
// they agree so far, the order is unknown.
func compareDates(a, b DateTime) (int, bool) {
	if a.TimeOnly != b.TimeOnly {
		return 0, false
	}
	if a.TZ && b.TZ && a.Prec >= 4 && b.Prec >= 4 && a.TZMinutes != b.TZMinutes {
		a, b = toUTC(a), toUTC(b)
	}
	ac := [6]float64{float64(a.Year), float64(a.Month), float64(a.Day), float64(a.Hour), float64(a.Minute), a.Second}
	bc := [6]float64{float64(b.Year), float64(b.Month), float64(b.Day), float64(b.Hour), float64(b.Minute), b.Second}
	start := 0
	if a.TimeOnly {
		start = 3
	}
	for i := start; i < 6; i++ {
		ap, bp := i < a.Prec, i < b.Prec
		if !ap || !bp {
			if ap == bp {
				return 0, true
			}
			return 0, false
		}
		if c := cmpFloat(ac[i], bc[i]); c != 0 {
			return c, true
		}
	}
	return 0, true
}

func toUTC(d DateTime) DateTime {
	sec := int(d.Second)
	frac := d.Second - float64(sec)
	t := time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, sec, 0, time.FixedZone("", d.TZMinutes*60)).UTC()
	return DateTime{Year: t.Year(), Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(), Minute: t.Minute(),
		Second: float64(t.Second()) + frac, Prec: d.Prec, TZ: true}
}

// ParseDateTime reads a FHIR date, dateTime, instant or (with timeOnly) time value.
func ParseDateTime(s string, timeOnly bool) (DateTime, bool) {
	var d DateTime
	i := 0
	num := func(n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for j := 0; j < n; j++ {
			c := s[i+j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		i += n
		return v, true
	}
	var ok bool
	if !timeOnly {
		if d.Year, ok = num(4); !ok {
			return d, false
		}
		d.Prec = 1
		if i < len(s) && s[i] == '-' {
			i++
			if d.Month, ok = num(2); !ok {
				return d, false
			}
			d.Prec = 2
			if i < len(s) && s[i] == '-' {
				i++
				if d.Day, ok = num(2); !ok {
					return d, false
				}
				d.Prec = 3
			}
		}
		if i == len(s) {
			return d, true
		}
		if s[i] != 'T' || d.Prec != 3 {
			return d, false
		}
		i++
		if i == len(s) {
			return d, true // "2020-01-01T" literal form
		}
	} else {
		d.TimeOnly = true
	}
	if d.Hour, ok = num(2); !ok {
		return d, false
	}
	d.Prec = 4
	if i < len(s) && s[i] == ':' {
		i++
		if d.Minute, ok = num(2); !ok {
			return d, false
		}
		d.Prec = 5
		if i < len(s) && s[i] == ':' {
			i++
			sec, ok := num(2)
			if !ok {
				return d, false
			}
			d.Second = float64(sec)
			d.Prec = 6
			if i < len(s) && s[i] == '.' {
				j := i + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				f, err := strconv.ParseFloat("0"+s[i:j], 64)
				if err != nil {
					return d, false
				}
				d.Second += f
				i = j
			}
		}
	}
	if i < len(s) {
		switch s[i] {
		case 'Z':
			d.TZ = true
			i++
		case '+', '-':
			sign := 1
			if s[i] == '-' {
				sign = -1
			}
			i++
			h, ok1 := num(2)
			if !ok1 || i >= len(s) || s[i] != ':' {
				return d, false
			}
			i++
			m, ok2 := num(2)
			if !ok2 {
				return d, false
			}
			d.TZ = true
			d.TZMinutes = sign * (h*60 + m)
		}
	}
	return d, i == len(s)
}

func parseDateLiteral(text string) (Item, error) {
	if strings.HasPrefix(text, "T") {
		d, ok := ParseDateTime(text[1:], true)
		if !ok {
			return Item{}, errors.New("bad time literal @" + text)
		}
		return Item{Node: -1, Kind: KTime, T: &d, S: text[1:]}, nil
	}
	d, ok := ParseDateTime(text, false)
	if !ok {
		return Item{}, errors.New("bad date literal @" + text)
	}
	k := KDate
	if d.Prec > 3 || strings.Contains(text, "T") {
		k = KDateTime
	}
	return Item{Node: -1, Kind: k, T: &d, S: text}, nil
}
