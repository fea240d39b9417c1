package fhirpath

import (
	"fmt"
	"sort"
	"strings"
)

// Static type checking: what the HL7 Java validator does to the constraints of a
// StructureDefinition it validates (FHIRPathEngine.checkOnTypes). The checker works out the
// types each step of an expression can produce from the types of its focus and reports the two
// errors that do not depend on data:
//
//   - a name that is not an element of any of the types it is applied to
//     ("kind" on StructureDefinition.snapshot);
//   - a criterion of where(), all() or exists() that cannot be a boolean ("where(fullUrl)").
//
// It is deliberately conservative: whatever it cannot type exactly (variables, resolve(),
// children(), arithmetic, abstract types, names it does not know) becomes "unknown", and nothing
// is reported about unknown types, so an expression is refused only when the definitions prove
// it wrong.

// TypeInfo answers the checker's questions about the FHIR types. A type is named by a FHIR type
// name ("uri", "Bundle"), an element path for a backbone element ("Bundle.entry"), or a System
// type ("System.Boolean").
type TypeInfo interface {
	// ChildTypes returns the types of the element name of type t. known is false when t is not
	// a type the definitions describe completely (an abstract or unknown type): nothing is then
	// checked. found is false when t has no element name.
	ChildTypes(t, name string) (types []string, found, known bool)
	// IsType reports whether name is a type the definitions know.
	IsType(name string) bool
}

// typeSet is what a step can produce: a set of types, or unknown.
type typeSet struct {
	unknown bool
	types   []string
}

var unknownTypes = typeSet{unknown: true}

func typesOf(t ...string) typeSet { return typeSet{types: t} }

func (s typeSet) union(o typeSet) typeSet {
	if s.unknown || o.unknown {
		return unknownTypes
	}
	out := typeSet{types: append([]string(nil), s.types...)}
	for _, t := range o.types {
		if !containsString(out.types, t) {
			out.types = append(out.types, t)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s typeSet) String() string {
	return "[" + strings.Join(s.types, ", ") + "]"
}

// CheckTypes checks the expression against the types of its focus, returning the first error
// the definitions prove (nil when none is proved).
func (e *Expr) CheckTypes(ti TypeInfo, focus []string) error {
	c := &checker{ti: ti}
	c.eval(e.root, typesOf(focus...), typesOf(focus...))
	return c.err
}

type checker struct {
	ti  TypeInfo
	err error
}

func (c *checker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// booleanTypes are the types a criterion may have.
func isBooleanType(t string) bool { return t == "boolean" || t == "System.Boolean" }

var booleanResult = typesOf("System.Boolean")

// eval returns the types a produces from its input; this is the type of $this (the focus of
// the enclosing iteration, or of the whole expression).
func (c *checker) eval(a *ast, input, this typeSet) typeSet {
	if a == nil || c.err != nil {
		return unknownTypes
	}
	switch a.kind {
	case nLiteral:
		switch a.lit.Kind {
		case KString:
			return typesOf("System.String")
		case KInteger:
			return typesOf("System.Integer")
		case KDecimal:
			return typesOf("System.Decimal")
		case KBoolean:
			return booleanResult
		}
		return unknownTypes
	case nEmpty:
		return typeSet{}
	case nThis:
		return this
	case nVar, nIndexVar:
		return unknownTypes
	case nMember:
		return c.member(a.name, input)
	case nChain:
		left := c.eval(a.left, input, this)
		return c.eval(a.right, left, this)
	case nIndex:
		c.eval(a.right, this, this)
		return c.eval(a.left, input, this)
	case nUnary:
		c.eval(a.left, input, this)
		return unknownTypes
	case nTypeOp:
		c.eval(a.left, input, this)
		if a.op == "is" {
			return booleanResult
		}
		return c.namedType(a.name)
	case nBinary:
		l := c.eval(a.left, input, this)
		r := c.eval(a.right, input, this)
		switch a.op {
		case "and", "or", "xor", "implies", "=", "!=", "~", "!~", "<", ">", "<=", ">=", "in", "contains":
			return booleanResult
		case "|":
			return l.union(r)
		}
		return unknownTypes
	case nFunc:
		return c.function(a, input, this)
	}
	return unknownTypes
}

func (c *checker) namedType(name string) typeSet {
	if c.ti.IsType(name) {
		return typesOf(name)
	}
	return unknownTypes
}

// member resolves a name against every type of the input.
func (c *checker) member(name string, input typeSet) typeSet {
	if input.unknown || len(input.types) == 0 {
		return unknownTypes
	}
	if name != "" && name[0] >= 'A' && name[0] <= 'Z' {
		// A type name: the focus when it is of that type (Bundle.entry at the start of an
		// expression on a Bundle); anything else is left to the evaluator.
		if containsString(input.types, name) {
			return typesOf(name)
		}
		return unknownTypes
	}
	var out typeSet
	found := false
	for _, t := range input.types {
		ts, ok, known := c.ti.ChildTypes(t, name)
		if !known {
			return unknownTypes
		}
		if ok {
			found = true
			out = out.union(typesOf(ts...))
		}
	}
	if !found {
		sorted := append([]string(nil), input.types...)
		sort.Strings(sorted)
		c.fail("the name '%s' is not valid for any of the possible types: [%s]", name, strings.Join(sorted, ", "))
		return unknownTypes
	}
	return out
}

// checkCriterion reports a criterion of where(), all() or exists() that cannot be a boolean.
func (c *checker) checkCriterion(fn string, t typeSet) {
	if t.unknown {
		return
	}
	for _, x := range t.types {
		if !isBooleanType(x) {
			c.fail("the parameter type %s is not legal for %s parameter 1: expecting a boolean", x, fn)
			return
		}
	}
}

func (c *checker) function(a *ast, input, this typeSet) typeSet {
	switch a.name {
	case "where", "all", "exists":
		if len(a.args) == 1 {
			c.checkCriterion(a.name, c.eval(a.args[0], input, input))
		}
		if a.name == "where" {
			return input
		}
		return booleanResult
	case "select", "repeat":
		if len(a.args) == 1 {
			return c.eval(a.args[0], input, input)
		}
		return unknownTypes
	case "trace":
		return input
	case "first", "last", "tail", "distinct", "single", "skip", "take", "intersect", "exclude":
		for _, x := range a.args {
			c.eval(x, this, this)
		}
		return input
	case "ofType", "as":
		if len(a.args) == 1 && a.args[0].kind == nLiteral {
			return c.namedType(a.args[0].lit.S)
		}
		return unknownTypes
	case "is":
		return booleanResult
	case "extension":
		c.evalArgs(a, this)
		return c.namedType("Extension")
	case "empty", "not", "hasValue", "matches", "startsWith", "endsWith", "contains",
		"allTrue", "anyTrue", "allFalse", "anyFalse", "isDistinct", "subsetOf", "supersetOf",
		"memberOf", "conformsTo", "htmlChecks", "htmlchecks":
		c.evalArgs(a, this)
		return booleanResult
	case "count", "length", "indexOf", "toInteger":
		c.evalArgs(a, this)
		return typesOf("System.Integer")
	case "toString", "substring", "lower", "upper", "trim", "replaceMatches":
		c.evalArgs(a, this)
		return typesOf("System.String")
	case "combine", "union":
		if len(a.args) == 1 {
			return input.union(c.eval(a.args[0], this, this))
		}
	}
	c.evalArgs(a, this)
	return unknownTypes
}

// evalArgs checks the arguments of a function that does not iterate: they are evaluated
// against the enclosing focus.
func (c *checker) evalArgs(a *ast, this typeSet) {
	for _, x := range a.args {
		c.eval(x, this, this)
	}
}
