package yamldoc

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one thing wrong with a document, located by path rather than by position.
// Validators produce Problems; Document.Errors turns them into positioned Errors.
type Problem struct {
	Path    Path
	Message string
	// AtKey points the position at the map key rather than its value (unknown fields).
	AtKey bool
	// Structural problems (wrong type, missing or unknown field) come from the schema and stop
	// the value being read at all; they take precedence over other findings at the same path.
	Structural bool
}

// Problemf builds a Problem at path.
func Problemf(path Path, format string, args ...any) Problem {
	return Problem{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Error is one problem with its place in the file: file:line:column: field: message.
type Error struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// MaxReported is the most problems listed for one document; the rest are counted.
const MaxReported = 500

func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(printable(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(printable(e.Message))
	return b.String()
}

// printable escapes control characters and invalid UTF-8 so that text quoted from a hostile
// file (a key, a value, a library's message) is never written raw to a terminal.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// Errors is every problem found in one document, in file order. It is an error when not empty.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when there are none, so callers never hold a typed nil.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message))
	})
}

// Unpositioned turns problems into Errors for a value that did not come from a file.
func Unpositioned(file string, problems []Problem) Errors {
	es := make(Errors, 0, len(problems))
	for _, p := range problems {
		es = append(es, Error{File: file, Field: p.Path.String(), Message: p.Message})
	}
	es.sort()
	return es
}

// Merge combines schema problems with a validator's findings so each mistake is reported
// once: a structural problem hides every other finding at or below its path (a field of the
// wrong type also reads as zero), and a validator's finding replaces a schema problem about the
// same value (the validator words it better). Duplicates are dropped.
func Merge(schema, semantic []Problem) []Problem {
	var out []Problem
	seen := map[string]bool{}
	add := func(p Problem) {
		key := p.Path.String() + "\x00" + p.Message
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	var structural []Path
	for _, p := range schema {
		if p.Structural {
			structural = append(structural, p.Path)
			add(p)
		}
	}
	hidden := func(path Path) bool {
		for _, s := range structural {
			if path.HasPrefix(s) {
				return true
			}
		}
		return false
	}
	semanticAt := map[string]bool{}
	for _, p := range semantic {
		if hidden(p.Path) {
			continue
		}
		semanticAt[p.Path.String()] = true
		add(p)
	}
	for _, p := range schema {
		if p.Structural || hidden(p.Path) || semanticAt[p.Path.String()] {
			continue
		}
		add(p)
	}
	return out
}
