package yamldoc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Limits a YAML file must stay within. They are checked by a streaming pre-scan before the YAML
// library sees the file, because the library's own cost grows faster than the input: nesting
// costs memory with the square of the depth and a mapping's keys cost time with the square of
// their number. Real checklists are about 150 KB with a few thousand values, at most 7 levels
// deep and 20 keys to a mapping; docs/limits.md lists every limit and how to raise one.
const (
	// MaxBytes is the largest file read at all.
	MaxBytes = 8 << 20
	// MaxDepth caps nesting of mappings and sequences (block or flow).
	MaxDepth = 64
	// MaxKeys caps the keys of any one mapping.
	MaxKeys = 1000
	// MaxNodes caps the number of values (keys, scalars, collections), counted both in the
	// file and again after anchors and aliases are expanded ("billion laughs").
	MaxNodes = 250_000
	// MaxAliases caps anchors plus aliases.
	MaxAliases = 1000
)

// limits is what prescan enforces; tests lower them.
type limits struct {
	bytes, depth, keys, nodes, aliases int
}

var defaultLimits = limits{bytes: MaxBytes, depth: MaxDepth, keys: MaxKeys, nodes: MaxNodes, aliases: MaxAliases}

const raiseHint = "; no checklist or answers file comes near this, so the file is probably damaged or hostile (the limits are in docs/limits.md)"

// collection is one open block mapping or sequence, or flow '[' / '{', during the pre-scan.
type collection struct {
	col     int  // column of the block collection's entries; -1 for flow
	mapping bool // a mapping, rather than a sequence
	keys    int
	pair    bool // a flow sequence whose current entry is a single "key: value" pair
	line    int  // where it opened
	at      int  // column where it opened, from 0
}

// scanner is the pre-scan: a single pass over the bytes that understands just enough YAML
// (indentation, "- ", "key:", flow brackets, quotes, block scalars, comments) to measure
// depth, keys per mapping, values and aliases without building anything.
type scanner struct {
	name   string
	lim    limits
	block  []collection
	flow   []collection
	nodes  int
	alias  int
	pairs  int // flow sequence entries that are "key: value" pairs, each a level of nesting
	line   int
	quote  byte // open multi-line quoted scalar: '"' or '\''
	scalar int  // indentation a block scalar's content must exceed; -1 when not in one
	plain  int  // indentation a plain scalar's continuation lines exceed; -1 when none open
	// content is the indentation of a block scalar's first line: a less indented line ends it.
	content int
	// open is the column of an entry on this line left without a value (a bare "-", or only
	// an anchor or tag); pending is the previous line's open; entry is the column of this
	// line's last "-" or key. All are -1 when not set.
	open, pending, entry int
	err                  error

	// Measurements, for tests: the deepest nesting and widest mapping seen.
	maxDepth, maxKeys int
}

func (s *scanner) fail(line, col int, format string, args ...any) error {
	if s.err == nil {
		s.err = Errors{{File: s.name, Line: line, Column: col, Message: fmt.Sprintf(format, args...)}}
	}
	return s.err
}

// prescan refuses a file that is too large, is not UTF-8 text, or whose structure passes a
// limit. It allocates nothing in proportion to the file but the stack of open collections,
// which MaxDepth bounds, and stops early when ctx is cancelled.
func prescan(ctx context.Context, name string, data []byte, lim limits) error {
	if len(data) > lim.bytes {
		return Errors{{File: name, Message: fmt.Sprintf("file is %d bytes, larger than the %d byte limit%s", len(data), lim.bytes, raiseHint)}}
	}
	if err := checkText(name, data); err != nil {
		return err
	}
	s := &scanner{name: name, lim: lim, scalar: -1, plain: -1, open: -1, pending: -1, entry: -1}
	_, err := s.scan(ctx, data)
	return err
}

// scan runs the pre-scan over data, returning the scanner for its measurements.
func (s *scanner) scan(ctx context.Context, data []byte) (*scanner, error) {
	for len(data) > 0 {
		s.line++
		if s.line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return s, fmt.Errorf("%s: reading stopped: %w", s.name, err)
			}
		}
		// YAML breaks lines at LF, CRLF or a lone CR.
		line := data
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			crlf := data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n'
			line, data = data[:i], data[i+1:]
			if crlf {
				data = data[1:]
			}
		} else {
			data = nil
		}
		if err := s.scanLine(line); err != nil {
			return s, err
		}
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("%s: reading stopped: %w", s.name, err)
	}
	return s, nil
}

// ReadFile reads a YAML file of at most MaxBytes, refusing a larger one before reading it.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, Errors{{File: path, Message: fmt.Sprintf("file is larger than the %d byte limit%s", MaxBytes, raiseHint)}}
	}
	return data, nil
}

// checkText refuses bytes that are not UTF-8 text, naming the line, so that nothing raw from a
// binary file reaches the terminal.
func checkText(name string, data []byte) error {
	if bytes.IndexByte(data, 0) < 0 && utf8.Valid(data) {
		return nil
	}
	line, lineStart := 1, 0
	for i := 0; i < len(data); {
		c := data[i]
		if c == 0 {
			return Errors{{File: name, Line: line, Column: utf8.RuneCount(data[lineStart:i]) + 1, Message: "the file holds a NUL byte: it is binary, not YAML text"}}
		}
		if c == '\n' {
			line, lineStart = line+1, i+1
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return Errors{{File: name, Line: line, Column: utf8.RuneCount(data[lineStart:i]) + 1, Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): YAML files must be UTF-8 text; re-save the file as UTF-8", c)}}
		}
		i += n
	}
	return nil
}

func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

func (s *scanner) depth() int { return len(s.block) + len(s.flow) + s.pairs }

func (s *scanner) node(col int) error {
	s.nodes++
	if s.nodes > s.lim.nodes {
		return s.fail(s.line, col+1, "the document holds more than %d values%s", s.lim.nodes, raiseHint)
	}
	return nil
}

func (s *scanner) push(c collection, col int) error {
	c.line, c.at = s.line, col
	if c.col < 0 {
		s.flow = append(s.flow, c)
	} else {
		s.block = append(s.block, c)
	}
	s.maxDepth = max(s.maxDepth, s.depth())
	if s.depth() > s.lim.depth {
		return s.fail(s.line, col+1, "the document nests deeper than %d levels%s", s.lim.depth, raiseHint)
	}
	return s.node(col)
}

func (s *scanner) key(c *collection, col int) error {
	c.keys++
	s.maxKeys = max(s.maxKeys, c.keys)
	if c.keys > s.lim.keys {
		return s.fail(c.line, c.at+1, "a mapping here has more than %d keys (the next is at line %d)%s", s.lim.keys, s.line, raiseHint)
	}
	return s.node(col)
}

// blockEntry records a sequence entry ("- ") or mapping key at column col.
func (s *scanner) blockEntry(col int, mapping bool) error {
	s.entry = col
	if mapping && s.pending == col {
		// The YAML library reads a key straight after a bare "-" or a value of only an
		// anchor or tag, at the same column, as that entry's value: one level deeper (or,
		// for some such values, as the next key of the same mapping: count it there too).
		s.pending = -1
		if n := len(s.block); n > 0 && s.block[n-1].col == col && s.block[n-1].mapping {
			if err := s.key(&s.block[n-1], col); err != nil {
				return err
			}
		}
		if err := s.push(collection{col: col, mapping: true}, col); err != nil {
			return err
		}
		return s.key(&s.block[len(s.block)-1], col)
	}
	for n := len(s.block); n > 0; n = len(s.block) {
		top := s.block[n-1]
		// A key closes deeper collections and a sequence written at its own mapping's
		// indentation ("key:\n- a\nnext: b").
		indentless := mapping && top.col == col && !top.mapping && n > 1 && s.block[n-2].col == col && s.block[n-2].mapping
		if top.col > col || indentless {
			s.block = s.block[:n-1]
			continue
		}
		break
	}
	if n := len(s.block); n > 0 && s.block[n-1].col == col && s.block[n-1].mapping == mapping {
		if mapping {
			return s.key(&s.block[n-1], col)
		}
		return s.node(col)
	}
	if err := s.push(collection{col: col, mapping: mapping}, col); err != nil {
		return err
	}
	if mapping {
		return s.key(&s.block[len(s.block)-1], col)
	}
	return nil
}

func (s *scanner) scanLine(line []byte) error {
	ind := indentOf(line)
	rest := line[ind:]
	blank := len(rest) == 0 || rest[0] == '#'
	switch {
	case len(s.flow) > 0:
		next, err := s.scanFlow(line, 0)
		if err != nil || next < 0 {
			return err
		}
		return s.scanFrom(line, next, false)
	case s.quote != 0:
		return s.scanFrom(line, 0, true)
	case s.scalar >= 0:
		if blank {
			return nil
		}
		if s.content < 0 && ind > s.scalar {
			s.content = ind
		}
		if ind > s.scalar && ind >= s.content {
			return nil
		}
		s.scalar = -1
	case s.plain >= 0:
		if blank {
			return nil
		}
		if ind > s.plain {
			return nil // continuation of a multi-line plain scalar
		}
		s.plain = -1
	}
	if blank {
		return nil
	}
	s.pending, s.open, s.entry = s.open, -1, -1
	if ind == 0 && (bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("...")) || line[0] == '%') {
		// A document marker or directive; a second document is refused later by Parse.
		s.block = s.block[:0]
		if !bytes.HasPrefix(line, []byte("---")) {
			return nil
		}
		return s.scanFrom(line, 3, true)
	}
	return s.scanFrom(line, ind, true)
}

// scanFrom reads block context from line[i:]: indicators ("- ", "? "), then nodes, where a
// key's value on the same line is one more node. It loops rather than recursing, so a long
// line costs no stack.
func (s *scanner) scanFrom(line []byte, i int, indicators bool) error {
	keyStart := -1 // where the node being read started, when it may be a key
	if s.quote != 0 {
		end, closed := skipQuote(line, i, s.quote)
		if !closed {
			return nil
		}
		s.quote = 0
		i, keyStart = end, i
	}
	indicators = indicators && keyStart < 0
	for {
		if keyStart >= 0 {
			// After a quoted scalar: a key when ':' follows, otherwise the line is done.
			j := skipBlanks(line, i)
			if j < len(line) && line[j] == ':' && (j+1 == len(line) || isBlank(line[j+1])) {
				if err := s.blockEntry(keyStart, true); err != nil {
					return err
				}
				i, keyStart, indicators = j+1, -1, false
				continue
			}
			return s.node(keyStart)
		}
		i = skipBlanks(line, i)
		if i >= len(line) || line[i] == '#' {
			return nil
		}
		c := line[i]
		if indicators && (c == '-' || c == '?') && (i+1 == len(line) || isBlank(line[i+1])) {
			if err := s.blockEntry(i, c == '?'); err != nil {
				return err
			}
			if j := skipBlanks(line, i+1); c == '-' && (j == len(line) || line[j] == '#') {
				s.open = i
			}
			i++
			continue
		}
		indicators = false
		// Properties: anchors, aliases and tags.
		start := i
		for i < len(line) && (line[i] == '&' || line[i] == '*' || line[i] == '!') {
			if line[i] != '!' {
				if err := s.anchor(i); err != nil {
					return err
				}
			}
			for i < len(line) && !isBlank(line[i]) && (line[i] != ':' || (i+1 < len(line) && !isBlank(line[i+1]))) {
				i++
			}
			i = skipBlanks(line, i)
		}
		if i >= len(line) || line[i] == '#' {
			if i > start { // only an anchor or tag: the value may follow on the next line
				s.open = s.entry
				if s.entry < 0 {
					s.open = start
				}
			}
			return nil
		}
		switch c := line[i]; c {
		case '[', '{':
			next, err := s.scanFlow(line, i)
			if err != nil || next < 0 {
				return err
			}
			i = next
			continue
		case '"', '\'':
			end, closed := skipQuote(line, i+1, c)
			if !closed {
				s.quote = c
				return s.node(i)
			}
			i, keyStart = end, start
			continue
		case '|', '>':
			s.scalar, s.content = s.parentIndent(), -1
			return s.node(i)
		}
		// A plain scalar, which is a key when ": " follows.
		key := -1
		for j := i; j < len(line); j++ {
			if line[j] == '#' && isBlank(line[j-1]) {
				break
			}
			if line[j] == ':' && (j+1 == len(line) || isBlank(line[j+1])) {
				key = j
				break
			}
		}
		if key < 0 {
			s.plain = s.parentIndent()
			return s.node(i)
		}
		if err := s.blockEntry(start, true); err != nil {
			return err
		}
		i = key + 1
	}
}

func (s *scanner) anchor(col int) error {
	s.alias++
	if s.alias > s.lim.aliases {
		return s.fail(s.line, col+1, "the document has more than %d anchors and aliases%s", s.lim.aliases, raiseHint)
	}
	return nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func skipBlanks(line []byte, i int) int {
	for i < len(line) && isBlank(line[i]) {
		i++
	}
	return i
}

// parentIndent is the indentation the content of a block or multi-line plain scalar must
// exceed: that of the innermost open block collection.
func (s *scanner) parentIndent() int {
	if n := len(s.block); n > 0 {
		return s.block[n-1].col
	}
	return -1
}

// skipQuote finds the end of a quoted scalar whose body starts at line[i]; it returns the
// index after the closing quote and whether it closed on this line.
func skipQuote(line []byte, i int, q byte) (int, bool) {
	for i < len(line) {
		switch c := line[i]; {
		case q == '"' && c == '\\':
			i += 2
		case c == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i += 2
		case c == q:
			return i + 1, true
		default:
			i++
		}
	}
	return len(line), false
}

// scanFlow reads flow context ([ ] { } ,) from line[i] until the outermost bracket closes.
// When that happens on this line followed by ':' (a flow key) it returns where the key's value
// starts, to be read in block context; otherwise it returns -1.
func (s *scanner) scanFlow(line []byte, i int) (int, error) {
	if s.quote != 0 {
		end, closed := skipQuote(line, i, s.quote)
		if !closed {
			return -1, nil
		}
		s.quote = 0
		i = end
	}
	atNode := true
	for i < len(line) {
		c := line[i]
		switch {
		case c == '[' || c == '{':
			if err := s.push(collection{col: -1, mapping: c == '{'}, i); err != nil {
				return -1, err
			}
			if c == '{' {
				if err := s.key(&s.flow[len(s.flow)-1], i); err != nil {
					return -1, err
				}
			}
			atNode = true
		case c == ']' || c == '}':
			if n := len(s.flow); n > 0 {
				if s.flow[n-1].pair {
					s.pairs--
				}
				s.flow = s.flow[:n-1]
			}
			atNode = false
			if len(s.flow) == 0 {
				// Back in block context: the rest may be ": value" (a flow key) or a comment.
				j := skipBlanks(line, i+1)
				if j < len(line) && line[j] == ':' {
					return j + 1, nil
				}
				return -1, nil
			}
		case c == ',':
			if n := len(s.flow); n > 0 {
				if s.flow[n-1].pair {
					s.flow[n-1].pair = false
					s.pairs--
				}
				if s.flow[n-1].mapping {
					if err := s.key(&s.flow[n-1], i); err != nil {
						return -1, err
					}
				} else if err := s.node(i); err != nil {
					return -1, err
				}
			}
			atNode = true
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return -1, nil
		case (c == '"' || c == '\'') && atNode:
			end, closed := skipQuote(line, i+1, c)
			if !closed {
				s.quote = c
				return -1, nil
			}
			i = end
			atNode = false
			continue
		case (c == '&' || c == '*') && atNode:
			if err := s.anchor(i); err != nil {
				return -1, err
			}
		case c == ':' && (i+1 == len(line) || isBlank(line[i+1]) || line[i+1] == ',' || line[i+1] == ']' || line[i+1] == '}'):
			// "a: b" inside a flow sequence is a mapping one level deeper; the library may
			// gather several such pairs into one mapping, so all count as its keys.
			if n := len(s.flow); n > 0 && !s.flow[n-1].mapping {
				if !s.flow[n-1].pair {
					s.flow[n-1].pair = true
					s.pairs++
					s.maxDepth = max(s.maxDepth, s.depth())
					if s.depth() > s.lim.depth {
						return -1, s.fail(s.line, i+1, "the document nests deeper than %d levels%s", s.lim.depth, raiseHint)
					}
				}
				if err := s.key(&s.flow[n-1], i); err != nil {
					return -1, err
				}
			}
			atNode = true
		case c == ' ' || c == '\t':
		default:
			atNode = false
		}
		i++
	}
	return -1, nil
}
