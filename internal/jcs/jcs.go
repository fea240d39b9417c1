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
	if !utf8.Valid(doc) {
		return nil, errors.New("JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b bytes.Buffer
	if err := canonicalValue(dec, &b, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("JSON has data after the document (offset %d)", dec.InputOffset())
	}
	return b.Bytes(), nil
}

func canonicalValue(dec *json.Decoder, b *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nests deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return canonicalObject(dec, b, depth)
		case '[':
			b.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := canonicalValue(dec, b, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
			}
			b.WriteByte(']')
			return nil
		}
		return fmt.Errorf("JSON at offset %d: unexpected %q", dec.InputOffset(), v)
	case string:
		WriteString(b, v)
	case json.Number:
		s, err := canonicalNumber(v)
		if err != nil {
			return fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
		}
		b.WriteString(s)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("JSON at offset %d: unexpected token %v", dec.InputOffset(), v)
	}
	return nil
}

func canonicalObject(dec *json.Decoder, b *bytes.Buffer, depth int) error {
	type member struct {
		key   string
		value []byte
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("JSON at offset %d: object member name is not a string", dec.InputOffset())
		}
		if seen[key] {
			return fmt.Errorf("JSON at offset %d: member %q appears twice in one object", dec.InputOffset(), key)
		}
		seen[key] = true
		var vb bytes.Buffer
		if err := canonicalValue(dec, &vb, depth+1); err != nil {
			return err
		}
		members = append(members, member{key, vb.Bytes()})
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("JSON at offset %d: %w", dec.InputOffset(), err)
	}
	slices.SortFunc(members, func(x, y member) int { return compareUTF16(x.key, y.key) })
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		WriteString(b, m.key)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
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
