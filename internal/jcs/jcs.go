// Package jcs writes JSON in the RFC 8785 (JSON Canonicalization Scheme) form that Jigsaw
// hashes and signs: the evidence chain's row content and signed submissions both use it.
package jcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so a hostile file cannot exhaust the stack.
const maxDepth = 64

// Canonicalize returns the RFC 8785 (JCS) canonical form of a JSON document: object members
// sorted by the UTF-16 code units of their names, no insignificant whitespace, numbers in the
// shortest form that round-trips an IEEE 754 double (as ECMAScript prints them), strings with
// only the escapes JCS requires. Duplicate member names, invalid UTF-8, trailing data and
// numbers outside the double range are errors.
func Canonicalize(doc []byte) ([]byte, error) {
	root, err := Parse(doc, maxDepth)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := root.writeCanonical(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Kind is the kind of a JSON value in a parsed tree.
type Kind uint8

// JSON value kinds. Numbers, true, false and null are literals, kept as written.
const (
	String Kind = iota + 1
	Literal
	Object
	Array
)

// Node is one JSON value, with object members in document order. It is the one ordered JSON
// reader: the canonical form sorts members when written, and the evidence redactor rewrites
// values in place and writes the document back in its own order.
type Node struct {
	Kind Kind
	// Text is a string's value or a literal as written.
	Text string
	// Keys and Values are an object's members in order; Values alone are an array's items.
	Keys   []string
	Values []*Node
}

// Parse reads exactly one JSON value, keeping member order. Duplicate member names, invalid
// UTF-8, nesting deeper than depth and trailing data are errors.
func Parse(doc []byte, depth int) (*Node, error) {
	if !utf8.Valid(doc) {
		return nil, errors.New("JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	root, err := parseValue(dec, 0, depth)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("JSON has data after the document (offset %d)", dec.InputOffset())
	}
	return root, nil
}

// Member returns the value of an object's member key, or nil.
func (n *Node) Member(key string) *Node {
	for i, k := range n.Keys {
		if k == key {
			return n.Values[i]
		}
	}
	return nil
}

func parseValue(dec *json.Decoder, depth, limit int) (*Node, error) {
	if depth > limit {
		return nil, fmt.Errorf("JSON nests deeper than %d levels", limit)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &Node{Kind: Object}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("JSON at offset %d: object member name is not a string", dec.InputOffset())
				}
				if seen[key] {
					return nil, fmt.Errorf("JSON at offset %d: member %q appears twice in one object", dec.InputOffset(), key)
				}
				seen[key] = true
				val, err := parseValue(dec, depth+1, limit)
				if err != nil {
					return nil, err
				}
				n.Keys = append(n.Keys, key)
				n.Values = append(n.Values, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
			}
			return n, nil
		case '[':
			n := &Node{Kind: Array}
			for dec.More() {
				val, err := parseValue(dec, depth+1, limit)
				if err != nil {
					return nil, err
				}
				n.Values = append(n.Values, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
			}
			return n, nil
		}
		return nil, fmt.Errorf("JSON at offset %d: unexpected %q", dec.InputOffset(), v)
	case string:
		return &Node{Kind: String, Text: v}, nil
	case json.Number:
		return &Node{Kind: Literal, Text: v.String()}, nil
	case bool:
		return &Node{Kind: Literal, Text: strconv.FormatBool(v)}, nil
	case nil:
		return &Node{Kind: Literal, Text: "null"}, nil
	}
	return nil, fmt.Errorf("JSON at offset %d: unexpected token %v", dec.InputOffset(), tok)
}

// Write writes n in document order with no insignificant whitespace and JCS string escapes;
// literals are written as they were read.
func (n *Node) Write(b *bytes.Buffer) {
	switch n.Kind {
	case String:
		WriteString(b, n.Text)
	case Literal:
		b.WriteString(n.Text)
	case Object:
		b.WriteByte('{')
		for i, k := range n.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			WriteString(b, k)
			b.WriteByte(':')
			n.Values[i].Write(b)
		}
		b.WriteByte('}')
	case Array:
		b.WriteByte('[')
		for i, v := range n.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			v.Write(b)
		}
		b.WriteByte(']')
	}
}

func (n *Node) writeCanonical(b *bytes.Buffer) error {
	switch n.Kind {
	case String:
		WriteString(b, n.Text)
	case Literal:
		switch n.Text {
		case "true", "false", "null":
			b.WriteString(n.Text)
		default:
			s, err := canonicalNumber(json.Number(n.Text))
			if err != nil {
				return err
			}
			b.WriteString(s)
		}
	case Object:
		order := make([]int, len(n.Keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(x, y int) int { return compareUTF16(n.Keys[x], n.Keys[y]) })
		b.WriteByte('{')
		for i, k := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			WriteString(b, n.Keys[k])
			b.WriteByte(':')
			if err := n.Values[k].writeCanonical(b); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case Array:
		b.WriteByte('[')
		for i, v := range n.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := v.writeCanonical(b); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	}
	return nil
}

func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// canonicalNumber prints a number as ECMAScript's Number.prototype.toString does, which is
// what encoding/json does for a float64 (shortest round-trip digits, exponent form below 1e-6
// and from 1e21).
func canonicalNumber(n json.Number) (string, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("number %s is outside the IEEE 754 double range", n)
	}
	if f == 0 {
		return "0", nil // also -0
	}
	out, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("number %s: %w", n, err)
	}
	return string(out), nil
}

// WriteString writes s as RFC 8785 section 3.2.2.2 does: only ", \ and control characters
// are escaped, with the short escapes where JSON has them.
func WriteString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}
