// Package fhirpath implements the subset of FHIRPath that the invariants in the FHIR core
// definitions use, over a compact tree supplied by the caller through the Model interface.
//
// Anything outside the subset is refused when parsing, so the caller can skip that invariant and
// say so, rather than evaluate it wrongly. At run time, evaluation is three-valued: an expression
// whose answer depends on data the model does not hold (a resource in another tree, resolve(),
// dates of different precision) reports Incomplete, and the caller does not report a failure.
package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tVar  // %name
	tSpec // $this, $index, $total
	tOp
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += end + 4
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(src) && src[j] != '\'' {
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					case 'f':
						b.WriteByte('\f')
					case 'u':
						if j+4 < len(src) {
							v, err := strconv.ParseUint(src[j+1:j+5], 16, 32)
							if err == nil {
								b.WriteRune(rune(v))
								j += 4
							}
						}
					default:
						b.WriteByte(src[j])
					}
					j++
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, token{tString, b.String(), i})
			i = j + 1
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("unterminated delimited identifier at %d", i)
			}
			if j == 0 {
				return nil, fmt.Errorf("empty delimited identifier at %d", i)
			}
			out = append(out, token{tIdent, src[i+1 : i+1+j], i})
			i += j + 2
		case c == '@':
			j := i + 1
			for j < len(src) && (isDigit(src[j]) || strings.IndexByte("-:T.+Z", src[j]) >= 0) {
				j++
			}
			out = append(out, token{tDate, src[i+1 : j], i})
			i = j
		case c == '%' || c == '$':
			j := i + 1
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			k := tVar
			if c == '$' {
				k = tSpec
			}
			out = append(out, token{k, src[i+1 : j], i})
			i = j
		case isDigit(c):
			j := i
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				j++
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			out = append(out, token{tNumber, src[i:j], i})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			out = append(out, token{tIdent, src[i:j], i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "<=", ">=", "!=", "!~":
				out = append(out, token{tOp, two, i})
				i += 2
				continue
			}
			if strings.IndexByte("().,[]{}=~<>|&+-*/", c) >= 0 {
				out = append(out, token{tOp, string(c), i})
				i++
				continue
			}
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	out = append(out, token{tEOF, "", len(src)})
	return out, nil
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool      { return isIdentStart(c) || isDigit(c) }

// nodeKind is the kind of an expression node.
type nodeKind uint8

const (
	nLiteral nodeKind = iota
	nEmpty
	nMember   // name, applied to the input
	nFunc     // name(args), applied to the input
	nChain    // left . right
	nIndex    // left [ index ]
	nBinary   // left op right
	nUnary    // - operand
	nVar      // %name
	nThis     // $this
	nIndexVar // $index
	nTypeOp   // left is/as Type
)

// Expr is a parsed FHIRPath expression.
type Expr struct {
	src   string
	root  *ast
	guard *guard // operand-level shortcut for and/or/implies, nil when none applies
	slots int    // how many subexpressions are cached per evaluation
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

type ast struct {
	// slot is 1 + the index of this node's cached value within one evaluation, for a
	// subexpression that does not depend on the focus ("%resource.type = 'batch'" inside
	// "entry.all(...)"); 0 when not cached.
	slot     int32
	kind     nodeKind
	name     string
	op       string
	lit      Item
	litItems []Item // lit as a collection, shared and read-only
	args     []*ast
	left     *ast
	right    *ast
}

type parser struct {
	toks []token
	i    int
}

// Parse parses an expression, refusing anything outside the supported subset.
func Parse(src string) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, fmt.Errorf("unexpected %q at %d", p.peek().text, p.peek().pos)
	}
	if err := checkSupported(root); err != nil {
		return nil, err
	}
	prepareLiterals(root)
	e := &Expr{src: src, root: root}
	e.analyse()
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

// Operator precedence, lowest first.
var precedence = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<": 6, ">": 6, "<=": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

func (p *parser) binaryOp() (string, int, bool) {
	t := p.peek()
	if t.kind != tOp && t.kind != tIdent {
		return "", 0, false
	}
	prec, ok := precedence[t.text]
	if !ok {
		return "", 0, false
	}
	return t.text, prec, true
}

func (p *parser) expr(minPrec int) (*ast, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec, ok := p.binaryOp()
		if !ok || prec <= minPrec {
			return left, nil
		}
		p.advance()
		if op == "is" || op == "as" {
			tn, err := p.typeName()
			if err != nil {
				return nil, err
			}
			left = &ast{kind: nTypeOp, op: op, name: tn, left: left}
			continue
		}
		right, err := p.expr(prec)
		if err != nil {
			return nil, err
		}
		left = &ast{kind: nBinary, op: op, left: left, right: right}
	}
}

func (p *parser) typeName() (string, error) {
	t := p.advance()
	if t.kind != tIdent {
		return "", fmt.Errorf("expected a type name at %d", t.pos)
	}
	name := t.text
	for p.peek().kind == tOp && p.peek().text == "." {
		p.advance()
		n := p.advance()
		if n.kind != tIdent {
			return "", fmt.Errorf("expected a type name at %d", n.pos)
		}
		name = n.text // System.String, FHIR.Patient: keep the last part
	}
	return name, nil
}

func (p *parser) unary() (*ast, error) {
	t := p.peek()
	if t.kind == tOp && (t.text == "-" || t.text == "+") {
		p.advance()
		operand, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return operand, nil
		}
		return &ast{kind: nUnary, op: "-", left: operand}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (*ast, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tOp && t.text == ".":
			p.advance()
			right, err := p.invocation()
			if err != nil {
				return nil, err
			}
			left = &ast{kind: nChain, left: left, right: right}
		case t.kind == tOp && t.text == "[":
			p.advance()
			idx, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if c := p.advance(); c.text != "]" {
				return nil, fmt.Errorf("expected ']' at %d", c.pos)
			}
			left = &ast{kind: nIndex, left: left, right: idx}
		default:
			return left, nil
		}
	}
}

func (p *parser) term() (*ast, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.advance()
		return &ast{kind: nLiteral, lit: Item{Node: -1, Kind: KString, S: t.text}}, nil
	case tNumber:
		p.advance()
		// A number followed by a string is a quantity literal; not needed by the core invariants.
		if p.peek().kind == tString {
			return nil, fmt.Errorf("quantity literals are not supported")
		}
		if strings.Contains(t.text, ".") {
			f, _ := strconv.ParseFloat(t.text, 64)
			return &ast{kind: nLiteral, lit: Item{Node: -1, Kind: KDecimal, F: f, S: t.text}}, nil
		}
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, err
		}
		return &ast{kind: nLiteral, lit: Item{Node: -1, Kind: KInteger, F: float64(n), S: t.text}}, nil
	case tDate:
		p.advance()
		it, err := parseDateLiteral(t.text)
		if err != nil {
			return nil, err
		}
		return &ast{kind: nLiteral, lit: it}, nil
	case tVar:
		p.advance()
		return &ast{kind: nVar, name: t.text}, nil
	case tSpec:
		p.advance()
		switch t.text {
		case "this":
			return &ast{kind: nThis}, nil
		case "index":
			return &ast{kind: nIndexVar}, nil
		}
		return nil, fmt.Errorf("$%s is not supported", t.text)
	case tOp:
		switch t.text {
		case "(":
			p.advance()
			e, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if c := p.advance(); c.text != ")" {
				return nil, fmt.Errorf("expected ')' at %d", c.pos)
			}
			return e, nil
		case "{":
			p.advance()
			if c := p.advance(); c.text != "}" {
				return nil, fmt.Errorf("expected '}' at %d", c.pos)
			}
			return &ast{kind: nEmpty}, nil
		}
	case tIdent:
		switch t.text {
		case "true", "false":
			p.advance()
			return &ast{kind: nLiteral, lit: Item{Node: -1, Kind: KBoolean, B: t.text == "true"}}, nil
		}
		return p.invocation()
	}
	return nil, fmt.Errorf("unexpected %q at %d", t.text, t.pos)
}

func (p *parser) invocation() (*ast, error) {
	t := p.advance()
	if t.kind != tIdent {
		return nil, fmt.Errorf("expected a name at %d, found %q", t.pos, t.text)
	}
	if p.peek().kind == tOp && p.peek().text == "(" {
		p.advance()
		fn := &ast{kind: nFunc, name: t.text}
		if p.peek().text == ")" {
			p.advance()
			return fn, nil
		}
		for {
			// is(), as() and ofType() take a type name, not an expression.
			if fn.name == "is" || fn.name == "as" || fn.name == "ofType" {
				tn, err := p.typeName()
				if err != nil {
					return nil, err
				}
				fn.args = append(fn.args, &ast{kind: nLiteral, lit: Item{Node: -1, Kind: KString, S: tn}})
			} else {
				arg, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				fn.args = append(fn.args, arg)
			}
			c := p.advance()
			if c.text == ")" {
				return fn, nil
			}
			if c.text != "," {
				return nil, fmt.Errorf("expected ',' or ')' at %d", c.pos)
			}
		}
	}
	return &ast{kind: nMember, name: t.text}, nil
}

// functions lists the supported functions and their argument counts (min, max).
var functions = map[string][2]int{
	"exists": {0, 1}, "empty": {0, 0}, "not": {0, 0}, "count": {0, 0}, "where": {1, 1},
	"all": {1, 1}, "select": {1, 1}, "first": {0, 0}, "last": {0, 0}, "tail": {0, 0},
	"hasValue": {0, 0}, "children": {0, 0}, "descendants": {0, 0}, "is": {1, 1}, "as": {1, 1},
	"ofType": {1, 1}, "length": {0, 0}, "matches": {1, 1}, "startsWith": {1, 1}, "endsWith": {1, 1},
	"contains": {1, 1}, "substring": {1, 2}, "iif": {2, 3}, "distinct": {0, 0}, "isDistinct": {0, 0},
	"trace": {1, 2}, "toString": {0, 0}, "toInteger": {0, 0}, "combine": {1, 1}, "intersect": {1, 1},
	"union": {1, 1}, "replaceMatches": {2, 2}, "lower": {0, 0}, "upper": {0, 0}, "extension": {1, 1},
	"resolve": {0, 0}, "memberOf": {1, 1}, "conformsTo": {1, 1}, "htmlChecks": {0, 0}, "htmlchecks": {0, 0},
	"allTrue": {0, 0}, "anyTrue": {0, 0}, "allFalse": {0, 0}, "anyFalse": {0, 0}, "single": {0, 0},
	"exclude": {1, 1}, "subsetOf": {1, 1}, "supersetOf": {1, 1}, "indexOf": {1, 1}, "toDecimal": {0, 0},
	"today": {0, 0}, "now": {0, 0}, "skip": {1, 1}, "take": {1, 1}, "trim": {0, 0},
	"getValue": {0, 0},
}

func checkSupported(a *ast) error {
	if a == nil {
		return nil
	}
	if a.kind == nFunc {
		n, ok := functions[a.name]
		if !ok {
			return fmt.Errorf("function %s() is not supported", a.name)
		}
		if len(a.args) < n[0] || len(a.args) > n[1] {
			return fmt.Errorf("%s() takes %d to %d arguments, got %d", a.name, n[0], n[1], len(a.args))
		}
	}
	if a.kind == nVar {
		switch a.name {
		case "resource", "rootResource", "context", "ucum", "sct", "loinc":
		default:
			if !strings.HasPrefix(a.name, "vs-") && !strings.HasPrefix(a.name, "ext-") {
				return fmt.Errorf("variable %%%s is not supported", a.name)
			}
		}
	}
	for _, x := range a.args {
		if err := checkSupported(x); err != nil {
			return err
		}
	}
	if err := checkSupported(a.left); err != nil {
		return err
	}
	return checkSupported(a.right)
}

func prepareLiterals(a *ast) {
	if a == nil {
		return
	}
	if a.kind == nLiteral {
		a.litItems = []Item{a.lit}
	}
	for _, x := range a.args {
		prepareLiterals(x)
	}
	prepareLiterals(a.left)
	prepareLiterals(a.right)
}

func (e *Expr) analyse() {
	e.guard = buildGuard(e.root)
	markInvariant(e.root, false, &e.slots)
}

// markInvariant gives a cache slot to each largest subexpression whose value is the same
// wherever it is evaluated within one evaluation: it reads only literals and %resource,
// %rootResource, %context and the like, navigates from them, and calls functions whose
// arguments are such too. Inside an iteration (where, all, select) such a subexpression would
// otherwise be worked out again for every item. It reports whether a is invariant.
func markInvariant(a *ast, parentInvariant bool, slots *int) bool {
	if a == nil {
		return true
	}
	inv := isInvariant(a)
	for _, x := range a.args {
		markInvariant(x, inv, slots)
	}
	markInvariant(a.left, inv, slots)
	markInvariant(a.right, inv, slots)
	if inv && !parentInvariant {
		switch a.kind {
		case nBinary, nChain, nUnary, nTypeOp, nIndex:
			*slots++
			a.slot = int32(*slots)
		}
	}
	return inv
}

func isInvariant(a *ast) bool {
	switch a.kind {
	case nLiteral, nEmpty:
		return true
	case nVar:
		switch a.name {
		case "resource", "rootResource", "context", "ucum", "sct", "loinc":
			return true
		}
		return false
	case nBinary, nIndex:
		return isInvariant(a.left) && isInvariant(a.right)
	case nUnary, nTypeOp:
		return isInvariant(a.left)
	case nChain:
		return isInvariant(a.left) && navigatesOnly(a.right)
	}
	return false // members and functions applied to the focus, $this, $index
}

// navigatesOnly reports whether a, applied to an invariant input, gives an invariant result: a
// member, or a function whose arguments are invariant.
func navigatesOnly(a *ast) bool {
	switch a.kind {
	case nMember:
		return true
	case nFunc:
		for _, x := range a.args {
			if !isInvariant(x) {
				return false
			}
		}
		return true
	case nChain:
		return navigatesOnly(a.left) && navigatesOnly(a.right)
	}
	return false
}

// guard is an expression's boolean skeleton (and, or, implies, down to operands that cannot
// be split), with what decides each operand without evaluating it: the existence of one path
// ("x.exists()", "x.y.empty().not()"), the absence of the member names it reads (its value on a
// focus without them was worked out when it was parsed), or nothing at all ("htmlChecks()",
// checked natively). Most invariants are of the form "x.empty() or ...", "x.exists() implies
// ...": on most nodes the presence or absence of a few children decides them.
type guard struct {
	op          string // "and", "or", "implies"; "" for an operand
	left, right *guard

	constant Truth3 // the operand's value whatever the data; NeedsEvaluation when none

	path []string // "x.y.exists()": the value is whether the path exists, negated when !exists
	when bool     // the operand's value when the path exists

	names  []string // the member names the operand reads from the focus
	absent Truth3   // its value when the focus has none of them

	strOf  string // "x.startsWith('p')", "x.endsWith('p')", "x.contains('p')" on the child x's value
	strFn  string
	strArg string
	negate bool // followed by not()
}

// Truth3 is a boolean expression's value as far as it is known.
type Truth3 uint8

// The values of Truth3: NeedsEvaluation when the shortcut cannot tell; Empty is FHIRPath's
// empty collection, which the boolean operators treat as unknown.
const (
	NeedsEvaluation Truth3 = iota
	True
	False
	Empty
)

// Presence answers, for one focus node, the questions a guard asks.
type Presence interface {
	// HasAny reports whether the focus has a child with one of the names.
	HasAny(names []string) bool
	// Exists reports whether the path of member names leads to any node from the focus; known
	// is false when the answer lies in data the model does not hold.
	Exists(path []string) (exists, known bool)
	// StringTest is "name.fn(arg)" on the focus, fn one of startsWith, endsWith and contains:
	// Empty when the focus has no child of that name, True or False when it has one with a
	// string value, NeedsEvaluation otherwise.
	StringTest(name, fn, arg string) Truth3
}

func truth3(b bool) Truth3 {
	if b {
		return True
	}
	return False
}

func buildGuard(a *ast) *guard {
	if a.kind == nBinary && (a.op == "and" || a.op == "or" || a.op == "implies") {
		l, r := buildGuard(a.left), buildGuard(a.right)
		if l == nil && r == nil {
			return nil
		}
		if l == nil {
			l = &guard{}
		}
		if r == nil {
			r = &guard{}
		}
		return &guard{op: a.op, left: l, right: r}
	}
	if a.kind == nFunc && (a.name == "htmlChecks" || a.name == "htmlchecks") && len(a.args) == 0 {
		return &guard{constant: True} // the narrative is checked natively
	}
	if path, when, ok := existencePath(a); ok {
		return &guard{path: path, when: when}
	}
	if name, fn, arg, negate, ok := stringTestOfChild(a); ok {
		return &guard{strOf: name, strFn: fn, strArg: arg, negate: negate}
	}
	names := map[string]bool{}
	if !rootNames(a, names) || len(names) == 0 {
		return nil
	}
	g := &guard{}
	for n := range names {
		g.names = append(g.names, n)
	}
	sortStrings(g.names)
	res, err := Eval(&Expr{root: a}, emptyModel{}, 0)
	if err != nil {
		return nil
	}
	switch v, ok := Truth(res); {
	case !ok && len(res) == 0:
		g.absent = Empty
	case !ok:
		return nil // not a boolean: no shortcut
	default:
		g.absent = truth3(v)
	}
	return g
}

// existencePath recognises "a.b.exists()", "a.b.empty()" and either followed by "not()", where
// a, b are element names: the value is the existence of the path (when), or its negation.
func existencePath(a *ast) (path []string, when, ok bool) {
	negate := false
	if a.kind == nChain && a.right.kind == nFunc && a.right.name == "not" && len(a.right.args) == 0 {
		negate, a = true, a.left
	}
	if a.kind != nChain || a.right.kind != nFunc || len(a.right.args) != 0 {
		return nil, false, false
	}
	switch a.right.name {
	case "exists":
		when = true
	case "empty":
		when = false
	default:
		return nil, false, false
	}
	var walk func(x *ast) bool
	walk = func(x *ast) bool {
		switch x.kind {
		case nMember:
			if x.name == "" || (x.name[0] >= 'A' && x.name[0] <= 'Z') {
				return false // a type name: the focus itself
			}
			path = append(path, x.name)
			return true
		case nChain:
			return walk(x.left) && x.right.kind == nMember && walk(x.right)
		}
		return false
	}
	if !walk(a.left) {
		return nil, false, false
	}
	return path, when != negate, true
}

// stringTestOfChild recognises "x.startsWith('p')", "x.endsWith('p')" and "x.contains('p')",
// optionally followed by "not()", with x an element name and p a string literal.
func stringTestOfChild(a *ast) (name, fn, arg string, negate, ok bool) {
	if a.kind == nChain && a.right.kind == nFunc && a.right.name == "not" && len(a.right.args) == 0 {
		negate, a = true, a.left
	}
	if a.kind != nChain || a.left.kind != nMember || a.right.kind != nFunc || len(a.right.args) != 1 ||
		a.right.args[0].kind != nLiteral || a.right.args[0].lit.Kind != KString {
		return "", "", "", false, false
	}
	switch a.right.name {
	case "startsWith", "endsWith", "contains":
	default:
		return "", "", "", false, false
	}
	name = a.left.name
	if name == "" || (name[0] >= 'A' && name[0] <= 'Z') {
		return "", "", "", false, false
	}
	return name, a.right.name, a.right.args[0].lit.S, negate, true
}

// not3 and or3 are FHIRPath's not() and or over what a guard knows.
func not3(v Truth3) Truth3 {
	switch v {
	case True:
		return False
	case False:
		return True
	}
	return v
}

func or3(l, r Truth3) Truth3 {
	switch {
	case l == True || r == True:
		return True
	case l == NeedsEvaluation || r == NeedsEvaluation:
		return NeedsEvaluation
	case l == False && r == False:
		return False
	}
	return Empty
}

// Decide works out the expression's value from which children the focus has, without
// evaluating it. The result is NeedsEvaluation when that is not enough.
func (e *Expr) Decide(p Presence) Truth3 {
	if e.guard == nil {
		return NeedsEvaluation
	}
	return e.guard.decide(p)
}

func (g *guard) decide(p Presence) Truth3 {
	if g.op == "" {
		switch {
		case g.constant != NeedsEvaluation:
			return g.constant
		case g.path != nil:
			exists, known := p.Exists(g.path)
			if !known {
				return NeedsEvaluation
			}
			return truth3(exists == g.when)
		case g.names != nil && !p.HasAny(g.names):
			return g.absent
		case g.strOf != "":
			v := p.StringTest(g.strOf, g.strFn, g.strArg)
			if g.negate {
				v = not3(v)
			}
			return v
		}
		return NeedsEvaluation
	}
	// In FHIRPath's three-valued logic (empty as unknown) "a implies b" is "not a or b" and
	// "a and b" is "not (not a or not b)": one rule, for "or", serves all three.
	negateLeft, negateRight, negateResult := g.op == "implies" || g.op == "and", g.op == "and", g.op == "and"
	l := g.left.decide(p)
	if negateLeft {
		l = not3(l)
	}
	v := True
	if l != True { // the right side is only worth deciding when the left leaves the answer open
		r := g.right.decide(p)
		if negateRight {
			r = not3(r)
		}
		v = or3(l, r)
	}
	if negateResult {
		v = not3(v)
	}
	return v
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// rootNames collects the member names read directly from the focus, and reports false when the
// expression reads anything else from the focus's context.
func rootNames(a *ast, names map[string]bool) bool {
	switch a.kind {
	case nLiteral, nEmpty:
		return true
	case nMember:
		if a.name[0] >= 'A' && a.name[0] <= 'Z' {
			return false // a type name: the focus itself
		}
		names[a.name] = true
		return true
	case nChain:
		// The right side reads from the left side's result; a chain must start at a member of
		// the focus, so that an absent member empties the whole chain.
		left := a.left
		for left.kind == nChain || left.kind == nIndex {
			left = left.left
		}
		if left.kind != nMember {
			return false
		}
		if a.right.kind == nFunc {
			switch a.right.name {
			case "combine", "union", "intersect", "exclude", "subsetOf", "supersetOf":
				// These evaluate their argument against the focus even when the input is empty.
				for _, arg := range a.right.args {
					if !rootNames(arg, names) {
						return false
					}
				}
			}
		}
		return rootNames(a.left, names)
	case nIndex:
		return rootNames(a.left, names) && rootNames(a.right, names)
	case nBinary:
		return rootNames(a.left, names) && rootNames(a.right, names)
	case nTypeOp, nUnary:
		return rootNames(a.left, names)
	case nVar:
		switch a.name {
		case "ucum", "sct", "loinc":
			return true
		}
		return false
	}
	return false // functions on the focus, $this, $index
}

// emptyModel is a single node with nothing in it.
type emptyModel struct{}

func (emptyModel) Children(_ int32, _ string, dst []Item) []Item { return dst }
func (emptyModel) AllChildren(_ int32, dst []Item) []Item        { return dst }
func (emptyModel) Stub(int32) bool                               { return false }
func (emptyModel) Value(int32) (Item, bool)                      { return Item{}, false }
func (emptyModel) IsType(int32, string) bool                     { return false }
func (emptyModel) TypeName(int32) string                         { return "" }
func (emptyModel) Name(int32) string                             { return "" }
func (emptyModel) ResourceOf(int32) int32                        { return 0 }
func (emptyModel) Root() int32                                   { return 0 }
