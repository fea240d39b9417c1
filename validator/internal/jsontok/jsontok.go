// Package jsontok is a streaming JSON tokenizer built for validation: it reads from an io.Reader
// through a bounded buffer, enforces RFC 8259 grammar (including UTF-8), and reports the line and
// column of every token and error. It never builds a document tree, so memory stays bounded by the
// largest single token, not by the size of the input.
package jsontok

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds. Key is an object member name; the value that follows is the next token.
const (
	EOF Kind = iota
	BeginObject
	EndObject
	BeginArray
	EndArray
	Key
	String
	Number
	True
	False
	Null
)

var kindNames = [...]string{"end of input", "object", "end of object", "array", "end of array", "key", "string", "number", "true", "false", "null"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Token is one lexical element. Value holds the unescaped text of a Key or String and the raw
// text of a Number; it is only valid until the next call to Next.
type Token struct {
	Kind   Kind
	Value  []byte
	Line   int   // 1-based line of the token's first byte
	Col    int   // 1-based column, counted in bytes
	Offset int64 // byte offset of the token's first byte
}

// SyntaxError is a JSON grammar or encoding error at a position in the input.
type SyntaxError struct {
	Msg    string
	Line   int
	Col    int
	Offset int64
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Limits keep memory bounded on hostile input.
const (
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 512
	// MaxTokenBytes is the largest single token (a string, usually base64 data) accepted.
	MaxTokenBytes = 64 << 20
	// MaxMarkBytes is how far the reader can look ahead past a mark before giving up.
	MaxMarkBytes = 64 << 20
)

type parseState uint8

const (
	stValue       parseState = iota // a value is expected
	stObjectFirst                   // after '{': key or '}'
	stObjectKey                     // after ',': key
	stColon                         // after key: ':'
	stObjectNext                    // after member value: ',' or '}'
	stArrayFirst                    // after '[': value or ']'
	stArrayNext                     // after element: ',' or ']'
	stTopDone                       // a top-level value is complete
)

// Reader tokenizes JSON from a stream. With Multi set it accepts a sequence of top-level values
// (NDJSON or concatenated JSON); otherwise exactly one.
type Reader struct {
	src  io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // end of valid data in buf
	base int64 // absolute offset of buf[0]
	eof  bool
	rerr error

	line      int
	lineStart int64 // absolute offset of the current line's first byte

	state   parseState
	stack   []byte // 'o' or 'a' per open container
	scratch []byte // unescaped string storage

	multi     bool
	lineSep   bool // NDJSON: each top-level value must start on a new line
	valueLine int  // line on which the last top-level value ended
	values    int  // top-level values completed

	marked bool
	mark   readerState

	comments bool // accept // and /* */ comments where whitespace may appear
}

type readerState struct {
	pos       int64
	line      int
	lineStart int64
	state     parseState
	stack     []byte
	valueLine int
	values    int
}

// NewReader returns a Reader over r expecting one JSON value.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 64<<10), line: 1}
}

// NewReaderBytes returns a Reader over an in-memory document.
func NewReaderBytes(b []byte) *Reader {
	return &Reader{buf: b, end: len(b), eof: true, line: 1}
}

// ResetBytes makes r read a new in-memory document, keeping its buffers.
func (r *Reader) ResetBytes(b []byte) {
	*r = Reader{buf: b, end: len(b), eof: true, line: 1, stack: r.stack[:0], scratch: r.scratch[:0], mark: readerState{stack: r.mark.stack[:0]}, comments: r.comments}
}

// SetComments makes the reader accept JavaScript-style comments (// to the end of the line,
// /* ... */) wherever JSON allows whitespace, as the HL7 Java validator does with its
// allow-comments option. Comments are not JSON (RFC 8259), so this is off by default.
func (r *Reader) SetComments(on bool) { r.comments = on }

// SetMulti makes the reader accept a sequence of top-level values. With ndjson set, each value
// must begin on a line after the previous one ended.
func (r *Reader) SetMulti(ndjson bool) {
	r.multi = true
	r.lineSep = ndjson
}

// Depth is the number of open containers.
func (r *Reader) Depth() int { return len(r.stack) }

// Values is the number of complete top-level values read so far.
func (r *Reader) Values() int { return r.values }

// Pos is the line and column of the next unread byte.
func (r *Reader) Pos() (line, col int) {
	return r.line, int(r.base+int64(r.pos)-r.lineStart) + 1
}

func (r *Reader) errAt(off int64, format string, args ...any) error {
	col := int(off-r.lineStart) + 1
	if col < 1 {
		col = 1
	}
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Line: r.line, Col: col, Offset: off}
}

// fill makes at least need more bytes available after pos, or reports false at end of input.
// keepFrom is the buffer index of the earliest byte that must be retained.
func (r *Reader) fill(need, keepFrom int) (int, error) {
	for r.end-r.pos < need {
		if r.eof {
			return keepFrom, nil
		}
		if r.src == nil {
			r.eof = true
			return keepFrom, nil
		}
		keep := keepFrom
		if r.marked {
			mk := int(r.mark.pos - r.base)
			if mk < keep {
				keep = mk
			}
		}
		if keep > 0 {
			copy(r.buf, r.buf[keep:r.end])
			r.pos -= keep
			r.end -= keep
			keepFrom -= keep
			r.base += int64(keep)
		}
		if r.end == len(r.buf) {
			limit := MaxTokenBytes
			if r.marked {
				limit = MaxMarkBytes
			}
			if len(r.buf) >= limit {
				if r.marked {
					return keepFrom, r.errAt(r.base+int64(r.pos), "look-ahead exceeds %d MB", MaxMarkBytes>>20)
				}
				return keepFrom, r.errAt(r.base+int64(r.pos), "token longer than %d MB", MaxTokenBytes>>20)
			}
			nb := make([]byte, len(r.buf)*2)
			copy(nb, r.buf[:r.end])
			r.buf = nb
		}
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.eof = true
			} else {
				r.rerr = err
				r.eof = true
				return keepFrom, err
			}
		}
	}
	return keepFrom, nil
}

// skipSpace advances over JSON whitespace, tracking lines.
func (r *Reader) skipSpace() error {
	for {
		for r.pos < r.end {
			switch r.buf[r.pos] {
			case ' ', '\t', '\r':
				r.pos++
			case '\n':
				r.pos++
				r.line++
				r.lineStart = r.base + int64(r.pos)
			case '/':
				if !r.comments {
					return nil
				}
				if err := r.skipComment(); err != nil {
					return err
				}
			default:
				return nil
			}
		}
		if r.eof {
			return r.rerr
		}
		if _, err := r.fill(1, r.pos); err != nil {
			return err
		}
		if r.pos >= r.end && r.eof {
			return r.rerr
		}
	}
}

// skipComment skips the comment starting at pos (a '/'), or leaves a lone '/' for the parser
// to reject.
func (r *Reader) skipComment() error {
	start := r.base + int64(r.pos)
	if _, err := r.fill(2, r.pos); err != nil {
		return err
	}
	if r.end-r.pos < 2 || (r.buf[r.pos+1] != '/' && r.buf[r.pos+1] != '*') {
		return r.errAt(start, "unexpected '/'")
	}
	block := r.buf[r.pos+1] == '*'
	r.pos += 2
	for {
		for r.pos < r.end {
			c := r.buf[r.pos]
			switch {
			case c == '\n':
				r.pos++
				r.line++
				r.lineStart = r.base + int64(r.pos)
				if !block {
					return nil
				}
			case block && c == '*':
				if _, err := r.fill(2, r.pos); err != nil {
					return err
				}
				if r.end-r.pos >= 2 && r.buf[r.pos+1] == '/' {
					r.pos += 2
					return nil
				}
				r.pos++
			default:
				r.pos++
			}
		}
		if r.eof {
			if block {
				return r.errAt(start, "unterminated /* comment")
			}
			return nil
		}
		if _, err := r.fill(1, r.pos); err != nil {
			return err
		}
		if r.pos >= r.end && r.eof {
			if block {
				return r.errAt(start, "unterminated /* comment")
			}
			return nil
		}
	}
}

// Next returns the next token. At the end of input it returns a token of Kind EOF; a truncated
// document is a *SyntaxError.
func (r *Reader) Next() (Token, error) {
	var tok Token
	err := r.NextInto(&tok)
	return tok, err
}

// NextInto reads the next token into tok; it is Next without copying the token through return
// values, which is most of a tokenizer's time when it is called once per token.
func (r *Reader) NextInto(tok *Token) error {
	for {
		// Compact JSON has no whitespace between tokens: look before calling.
		if r.pos >= r.end || r.buf[r.pos] <= ' ' || (r.buf[r.pos] == '/' && r.comments) {
			if err := r.skipSpace(); err != nil {
				*tok = Token{}
				return err
			}
		}
		off := r.base + int64(r.pos)
		tok.Kind, tok.Value = EOF, nil
		tok.Line, tok.Col, tok.Offset = r.line, int(off-r.lineStart)+1, off
		if r.pos >= r.end {
			switch {
			case r.state == stTopDone || (r.state == stValue && len(r.stack) == 0 && r.multi):
				return nil
			case r.state == stValue && len(r.stack) == 0 && r.values == 0:
				return r.errAt(off, "empty input: expected a JSON value")
			default:
				return r.errAt(off, "unexpected end of input")
			}
		}
		c := r.buf[r.pos]
		switch r.state {
		case stTopDone:
			if !r.multi {
				return r.errAt(off, "unexpected %s after the end of the JSON value", describeByte(c))
			}
			if r.lineSep && r.line == r.valueLine {
				return r.errAt(off, "NDJSON: a second value starts on the line of the previous one")
			}
			r.state = stValue
			return r.value(tok, c)
		case stValue, stArrayFirst:
			if c == ']' && r.state == stArrayFirst {
				r.closeContainer(tok, 'a')
				return nil
			}
			return r.value(tok, c)
		case stObjectFirst, stObjectKey:
			if c == '}' && r.state == stObjectFirst {
				r.closeContainer(tok, 'o')
				return nil
			}
			if c != '"' {
				if c == '}' {
					return r.errAt(off, "trailing comma before '}'")
				}
				return r.errAt(off, "expected a quoted member name, found %s", describeByte(c))
			}
			v, err := r.readString()
			if err != nil {
				return err
			}
			tok.Kind, tok.Value = Key, v
			r.state = stColon
			// Take the ':' now when it is already in the buffer (compact JSON, the usual case),
			// saving a call per member. Otherwise the next call consumes it, so that refilling
			// the buffer cannot move the bytes tok.Value points to before the caller used them.
			if r.pos < r.end && r.buf[r.pos] == ':' {
				r.pos++
				r.state = stValue
			}
			return nil
		case stColon:
			if c != ':' {
				return r.errAt(off, "expected ':' after member name, found %s", describeByte(c))
			}
			r.pos++
			r.state = stValue
		case stObjectNext:
			switch c {
			case ',':
				r.pos++
				r.state = stObjectKey
				continue
			case '}':
				r.closeContainer(tok, 'o')
				return nil
			}
			return r.errAt(off, "expected ',' or '}' in object, found %s", describeByte(c))
		case stArrayNext:
			switch c {
			case ',':
				r.pos++
				if err := r.skipSpace(); err != nil {
					return err
				}
				if r.pos < r.end && r.buf[r.pos] == ']' {
					return r.errAt(r.base+int64(r.pos), "trailing comma before ']'")
				}
				r.state = stValue
				continue
			case ']':
				r.closeContainer(tok, 'a')
				return nil
			}
			return r.errAt(off, "expected ',' or ']' in array, found %s", describeByte(c))
		default:
			return r.errAt(off, "internal tokenizer state %d", r.state)
		}
	}
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (r *Reader) closeContainer(tok *Token, want byte) {
	r.pos++
	r.stack = r.stack[:len(r.stack)-1]
	if want == 'o' {
		tok.Kind = EndObject
	} else {
		tok.Kind = EndArray
	}
	r.afterValue()
}

// afterValue moves the state machine past a complete value.
func (r *Reader) afterValue() {
	if len(r.stack) == 0 {
		r.state = stTopDone
		r.values++
		r.valueLine = r.line
		return
	}
	if r.stack[len(r.stack)-1] == 'o' {
		r.state = stObjectNext
	} else {
		r.state = stArrayNext
	}
}

func (r *Reader) value(tok *Token, c byte) error {
	switch c {
	case '{', '[':
		if len(r.stack) >= MaxDepth {
			return r.errAt(tok.Offset, "nesting deeper than %d levels", MaxDepth)
		}
		r.pos++
		if c == '{' {
			r.stack = append(r.stack, 'o')
			r.state = stObjectFirst
			tok.Kind = BeginObject
		} else {
			r.stack = append(r.stack, 'a')
			r.state = stArrayFirst
			tok.Kind = BeginArray
		}
		return nil
	case '"':
		v, err := r.readString()
		if err != nil {
			return err
		}
		tok.Kind, tok.Value = String, v
	case 't':
		if err := r.literal("true"); err != nil {
			return err
		}
		tok.Kind = True
	case 'f':
		if err := r.literal("false"); err != nil {
			return err
		}
		tok.Kind = False
	case 'n':
		if err := r.literal("null"); err != nil {
			return err
		}
		tok.Kind = Null
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			v, err := r.readNumber()
			if err != nil {
				return err
			}
			tok.Kind, tok.Value = Number, v
		} else {
			return r.errAt(tok.Offset, "expected a value, found %s", describeByte(c))
		}
	}
	r.afterValue()
	return nil
}

func (r *Reader) literal(word string) error {
	start := r.pos
	ks, err := r.fill(len(word), start)
	if err != nil {
		return err
	}
	start = ks
	off := r.base + int64(start)
	if r.end-start < len(word) || string(r.buf[start:start+len(word)]) != word {
		return r.errAt(off, "invalid literal: expected %q", word)
	}
	r.pos = start + len(word)
	_, err = r.checkDelimiter(start)
	return err
}

// checkDelimiter rejects run-on literals and numbers such as "truex" or "12a". keepFrom is the
// buffer index of the token start, kept if the buffer is refilled; the new index is returned.
func (r *Reader) checkDelimiter(keepFrom int) (int, error) {
	if r.pos >= r.end {
		ks, err := r.fill(1, keepFrom)
		keepFrom = ks
		if err != nil {
			return keepFrom, err
		}
	}
	if r.pos < r.end {
		switch r.buf[r.pos] {
		case ' ', '\t', '\r', '\n', ',', '}', ']':
		default:
			return keepFrom, r.errAt(r.base+int64(r.pos), "unexpected %s after value", describeByte(r.buf[r.pos]))
		}
	}
	return keepFrom, nil
}

func (r *Reader) readNumber() ([]byte, error) {
	start := r.pos
	i := start
	need := func() bool {
		if i < r.end {
			return true
		}
		ks, err := r.fill(i-r.pos+1, start)
		shift := start - ks
		start = ks
		i -= shift
		_ = err
		return i < r.end
	}
	// Position pos at start so fill keeps bytes; i walks ahead.
	r.pos = start
	if need() && r.buf[i] == '-' {
		i++
	}
	if !need() {
		return nil, r.errAt(r.base+int64(start), "invalid number: no digits")
	}
	switch {
	case r.buf[i] == '0':
		i++
	case r.buf[i] >= '1' && r.buf[i] <= '9':
		for i++; need() && r.buf[i] >= '0' && r.buf[i] <= '9'; i++ {
		}
	default:
		return nil, r.errAt(r.base+int64(i), "invalid number: expected a digit")
	}
	if need() && r.buf[i] == '.' {
		i++
		d := i
		for need() && r.buf[i] >= '0' && r.buf[i] <= '9' {
			i++
		}
		if i == d {
			return nil, r.errAt(r.base+int64(i), "invalid number: expected a digit after '.'")
		}
	}
	if need() && (r.buf[i] == 'e' || r.buf[i] == 'E') {
		i++
		if need() && (r.buf[i] == '+' || r.buf[i] == '-') {
			i++
		}
		d := i
		for need() && r.buf[i] >= '0' && r.buf[i] <= '9' {
			i++
		}
		if i == d {
			return nil, r.errAt(r.base+int64(i), "invalid number: expected a digit in the exponent")
		}
	}
	if r.rerr != nil {
		return nil, r.rerr
	}
	r.pos = i
	n := i - start
	start, err := r.checkDelimiter(start)
	if err != nil {
		return nil, err
	}
	return r.buf[start : start+n], nil
}

// plain marks bytes a string can contain without special handling.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask tests eight bytes of a string at once for those that need care: a quote, a
// backslash, a control character or a non-ASCII byte (plain ASCII text is most of a FHIR
// resource). Each such byte gets its top bit set (a zero byte shows as a borrow into it). A
// borrow can also set the bit of a byte above a special one, never below: the lowest bit set
// marks the first special byte exactly.
func specialMask(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((q-lsb)&^q | (b-lsb)&^b | (x-lsb*0x20)&^x | x) & msb
}

// readString reads a quoted string starting at pos (which holds '"') and returns its unescaped
// bytes.
func (r *Reader) readString() ([]byte, error) {
	open := r.pos
	i := open + 1
	escaped := false
	for {
		for i+8 <= r.end {
			m := specialMask(binary.LittleEndian.Uint64(r.buf[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3 // the first special byte (see specialMask)
			break
		}
		for i < r.end && plain[r.buf[i]] {
			i++
		}
		if i >= r.end {
			ks, err := r.fill(i-open+1, open)
			i -= open - ks
			open = ks
			r.pos = open
			if err != nil {
				return nil, err
			}
			if i >= r.end {
				return nil, r.errAt(r.base+int64(open), "unterminated string")
			}
			continue
		}
		c := r.buf[i]
		switch {
		case c == '"':
			raw := r.buf[open+1 : i]
			r.pos = i + 1
			if escaped {
				return r.unescape(raw, r.base+int64(open)+1)
			}
			return raw, nil
		case c == '\\':
			escaped = true
			// Make sure the escape sequence is in the buffer; \uXXXX needs 6 bytes.
			if r.end-i < 6 {
				ks, err := r.fill(i-open+6, open)
				i -= open - ks
				open = ks
				r.pos = open
				if err != nil {
					return nil, err
				}
			}
			if i+1 >= r.end {
				return nil, r.errAt(r.base+int64(i), "unterminated string")
			}
			i += 2
		case c < 0x20:
			return nil, r.errAt(r.base+int64(i), "control character 0x%02x in string: escape it", c)
		default: // non-ASCII: validate UTF-8
			if r.end-i < utf8.UTFMax && !r.eof {
				ks, err := r.fill(i-open+utf8.UTFMax, open)
				i -= open - ks
				open = ks
				r.pos = open
				if err != nil {
					return nil, err
				}
			}
			ru, size := utf8.DecodeRune(r.buf[i:r.end])
			if ru == utf8.RuneError && size <= 1 {
				return nil, r.errAt(r.base+int64(i), "invalid UTF-8 in string")
			}
			i += size
		}
	}
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func (r *Reader) unescape(raw []byte, off int64) ([]byte, error) {
	out := r.scratch[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(raw) {
			return nil, r.errAt(off+int64(i), "invalid escape at end of string")
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			ru, n, ok := decodeU(raw[i+1:])
			if !ok {
				return nil, r.errAt(off+int64(i-1), "invalid \\u escape")
			}
			i += n
			if utf16.IsSurrogate(ru) {
				lo, n2, ok2 := rune(0), 0, false
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					lo, n2, ok2 = decodeU(raw[i+3:])
				}
				combined := utf16.DecodeRune(ru, lo)
				if !ok2 || combined == utf8.RuneError {
					return nil, r.errAt(off+int64(i-5), "invalid \\u escape: unpaired UTF-16 surrogate")
				}
				ru = combined
				i += 2 + n2
			}
			out = utf8.AppendRune(out, ru)
		default:
			return nil, r.errAt(off+int64(i-1), "invalid escape '\\%c'", raw[i])
		}
	}
	r.scratch = out
	return out, nil
}

func decodeU(b []byte) (rune, int, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	var v rune
	for j := 0; j < 4; j++ {
		h := hexVal(b[j])
		if h < 0 {
			return 0, 0, false
		}
		v = v<<4 | h
	}
	return v, 4, true
}

// Skip consumes the rest of the value whose first token was just returned: for BeginObject or
// BeginArray it reads up to the matching end; for a scalar it does nothing.
func (r *Reader) Skip(first Kind) error {
	if first != BeginObject && first != BeginArray {
		return nil
	}
	depth := len(r.stack) - 1
	var t Token
	for len(r.stack) > depth {
		if err := r.NextInto(&t); err != nil {
			return err
		}
		if t.Kind == EOF {
			return r.errAt(t.Offset, "unexpected end of input")
		}
	}
	return nil
}

// skimClass marks the bytes the skim stops at outside strings.
var skimClass = func() (t [256]bool) {
	for _, c := range []byte{'"', '{', '[', '}', ']', '\n'} {
		t[c] = true
	}
	return t
}()

// SkimContainer consumes the rest of the object or array whose opening bracket was just read,
// finding its end by matching brackets outside strings, several times faster than tokenizing.
// The grammar inside is not checked: the caller validates those bytes itself (a Bundle entry
// handed to a worker as it stands), and a document broken inside them is reported from there.
func (r *Reader) SkimContainer() error {
	if len(r.stack) == 0 {
		return r.errAt(r.base+int64(r.pos), "internal: no open container to skim")
	}
	depth := 1
	inString := false
	for {
		for r.pos < r.end {
			if inString {
				for r.pos+8 <= r.end {
					m := specialMask(binary.LittleEndian.Uint64(r.buf[r.pos:]))
					if m == 0 {
						r.pos += 8
						continue
					}
					r.pos += bits.TrailingZeros64(m) >> 3
					break
				}
				for r.pos < r.end && plain[r.buf[r.pos]] {
					r.pos++
				}
				if r.pos >= r.end {
					break
				}
				switch r.buf[r.pos] {
				case '"':
					inString = false
				case '\\':
					if r.pos+1 >= r.end && !r.eof {
						goto refill // the escaped byte is not in the buffer yet
					}
					r.pos++
				case '\n':
					r.line++
					r.lineStart = r.base + int64(r.pos) + 1
				}
				r.pos++
				continue
			}
			for r.pos < r.end && !skimClass[r.buf[r.pos]] {
				r.pos++
			}
			if r.pos >= r.end {
				break
			}
			switch r.buf[r.pos] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					r.pos++
					r.stack = r.stack[:len(r.stack)-1]
					r.afterValue()
					return nil
				}
			case '\n':
				r.line++
				r.lineStart = r.base + int64(r.pos) + 1
			}
			r.pos++
		}
	refill:
		if r.eof {
			if r.rerr != nil {
				return r.rerr
			}
			return r.errAt(r.base+int64(r.pos), "unexpected end of input")
		}
		if _, err := r.fill(r.end-r.pos+1, r.pos); err != nil {
			return err
		}
	}
}

// Mark remembers the current position so that Rewind can return to it. Bytes after the mark are
// kept in memory (up to MaxMarkBytes) until Unmark or Rewind.
func (r *Reader) Mark() {
	r.marked = true
	r.mark = readerState{
		pos: r.base + int64(r.pos), line: r.line, lineStart: r.lineStart, state: r.state,
		stack: append(r.mark.stack[:0], r.stack...), valueLine: r.valueLine, values: r.values,
	}
}

// MarkedBytes returns the input from the mark to the current position. The slice is valid until
// the next call that reads; copy it to keep it.
func (r *Reader) MarkedBytes() []byte {
	return r.buf[int(r.mark.pos-r.base):r.pos]
}

// Unmark forgets the mark.
func (r *Reader) Unmark() { r.marked = false }

// Rewind returns to the mark and forgets it.
func (r *Reader) Rewind() {
	m := r.mark
	r.pos = int(m.pos - r.base)
	r.line, r.lineStart, r.state = m.line, m.lineStart, m.state
	r.stack = append(r.stack[:0], m.stack...)
	r.valueLine, r.values = m.valueLine, m.values
	r.marked = false
}
