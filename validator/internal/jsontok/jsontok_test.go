package jsontok

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"testing"
	"testing/iotest"
)

// render tokenizes everything and renders the tokens compactly, or returns the error.
func render(r *Reader) (string, error) {
	var b strings.Builder
	for {
		t, err := r.Next()
		if err != nil {
			return b.String(), err
		}
		if t.Kind == EOF {
			return b.String(), nil
		}
		switch t.Kind {
		case Key:
			fmt.Fprintf(&b, "K%q@%d:%d ", t.Value, t.Line, t.Col)
		case String:
			fmt.Fprintf(&b, "S%q@%d:%d ", t.Value, t.Line, t.Col)
		case Number:
			fmt.Fprintf(&b, "N%s@%d:%d ", t.Value, t.Line, t.Col)
		default:
			fmt.Fprintf(&b, "%s@%d:%d ", t.Kind, t.Line, t.Col)
		}
	}
}

func TestTokens(t *testing.T) {
	in := "{\n  \"a\": [1, -2.5e3, true, false, null],\n  \"b\\u00e9\": \"x\\ny\\ud83d\\ude00\"\n}"
	want := `object@1:1 K"a"@2:3 array@2:8 N1@2:9 N-2.5e3@2:12 true@2:20 false@2:26 null@2:33 end of array@2:37 K"bé"@3:3 S"x\ny😀"@3:14 end of object@4:1 `
	for name, r := range map[string]*Reader{
		"bytes":   NewReaderBytes([]byte(in)),
		"onebyte": NewReader(iotest.OneByteReader(strings.NewReader(in))),
	} {
		got, err := render(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		in, msg   string
		line, col int
	}{
		{`{"a":1,}`, "trailing comma before '}'", 1, 8},
		{`[1,]`, "trailing comma before ']'", 1, 4},
		{"{\n \"a\" 1}", "expected ':' after member name, found '1'", 2, 6},
		{`{"a":01}`, "unexpected '1' after value", 1, 7},
		{`{"a":1.}`, "invalid number: expected a digit after '.'", 1, 8},
		{`{"a":tru}`, `invalid literal: expected "true"`, 1, 6},
		{`{"a":"x`, "unterminated string", 1, 6},
		{"{\"a\":\"x\ty\"}", "control character 0x09 in string: escape it", 1, 8},
		{`{"a":"\x"}`, `invalid escape '\x'`, 1, 7},
		{`{"a":"\ud800"}`, `invalid \u escape: unpaired UTF-16 surrogate`, 1, 7},
		{"{\"a\":\"\xff\"}", "invalid UTF-8 in string", 1, 7},
		{`{"a":1} {}`, "unexpected '{' after the end of the JSON value", 1, 9},
		{``, "empty input: expected a JSON value", 1, 1},
		{`{"a":[1,2}`, "expected ',' or ']' in array, found '}'", 1, 10},
		{`{a:1}`, "expected a quoted member name, found 'a'", 1, 2},
		{`{"a":1`, "unexpected end of input", 1, 7},
	}
	for _, tt := range tests {
		_, err := render(NewReaderBytes([]byte(tt.in)))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, want a SyntaxError", tt.in, err)
			continue
		}
		if se.Msg != tt.msg || se.Line != tt.line || se.Col != tt.col {
			t.Errorf("%q: got %d:%d %s, want %d:%d %s", tt.in, se.Line, se.Col, se.Msg, tt.line, tt.col, tt.msg)
		}
	}
}

func TestNDJSON(t *testing.T) {
	r := NewReader(strings.NewReader("{\"a\":1}\n\n{\"b\":2}\n"))
	r.SetMulti(true)
	got, err := render(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `object@1:1 K"a"@1:2 N1@1:6 end of object@1:7 object@3:1 K"b"@3:2 N2@3:6 end of object@3:7 `; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	r = NewReader(strings.NewReader(`{"a":1} {"b":2}`))
	r.SetMulti(true)
	if _, err := render(r); err == nil || !strings.Contains(err.Error(), "NDJSON") {
		t.Errorf("two values on one line: got %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	in := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	_, err := render(NewReaderBytes([]byte(in)))
	if err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("got %v", err)
	}
}

func TestMarkRewind(t *testing.T) {
	in := `{"x":{"big":"` + strings.Repeat("a", 200000) + `"},"resourceType":"Patient"}`
	r := NewReader(iotest.HalfReader(strings.NewReader(in)))
	tok, _ := r.Next()
	if tok.Kind != BeginObject {
		t.Fatal(tok.Kind)
	}
	r.Mark()
	var found string
	for {
		tok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == Key && r.Depth() == 1 {
			name := string(tok.Value)
			v, _ := r.Next()
			if name == "resourceType" {
				found = string(v.Value)
				break
			}
			if err := r.Skip(v.Kind); err != nil {
				t.Fatal(err)
			}
		}
	}
	if found != "Patient" {
		t.Fatalf("found %q", found)
	}
	r.Rewind()
	got, err := render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, `K"x"@1:2 object@1:6 K"big"@1:7`) {
		t.Fatalf("after rewind: %.80s", got)
	}
}

// FuzzReader checks the tokenizer against encoding/json: both accept the same single documents,
// a one-byte reader gives the same tokens as the in-memory one, and nothing panics or hangs.
func FuzzReader(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, `[]`, `"x"`, `-0.5e-3`, `{"a":1,}`, "\"\xff\"", `{"resourceType":"Patient","name":[{"given":["A",null]}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := render(NewReaderBytes(data))
		got, gotErr := render(NewReader(iotest.OneByteReader(bytes.NewReader(data))))
		if want != got || (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("streaming differs: %q %v vs %q %v", got, gotErr, want, wantErr)
		}
		if wantErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("error differs: %v vs %v", gotErr, wantErr)
		}
		valid := json.Valid(data)
		// encoding/json tolerates invalid UTF-8 and unpaired surrogates; FHIR requires valid
		// UTF-8, so the tokenizer is stricter there on purpose.
		if valid && wantErr != nil && (strings.Contains(wantErr.Error(), "UTF-8") || strings.Contains(wantErr.Error(), "surrogate")) {
			return
		}
		if valid != (wantErr == nil) {
			t.Fatalf("json.Valid=%v but tokenizer error=%v", valid, wantErr)
		}
	})
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader(`{"a":`), iotest.ErrReader(boom)))
	_, err := render(r)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

// TestSpecial8 checks the eight-bytes-at-once string scan against the byte table: every byte
// value at every position, among plain neighbours of several kinds.
func TestSpecial8(t *testing.T) {
	for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', '0'} {
		for b := 0; b < 256; b++ {
			for pos := 0; pos < 8; pos++ {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(b)
				got := specialMask(binary.LittleEndian.Uint64(w[:])) != 0
				if want := !plain[b]; got != want {
					t.Fatalf("byte 0x%02x at %d among %q: specialMask marks it %v, want %v", b, pos, fill, got, want)
				}
			}
		}
	}
}

// FuzzSkimContainer checks the bracket-matching skim against the full tokenizer: wherever the
// tokenizer accepts the container a document starts with, skimming it ends where Skip ends, on the same line, in memory and through a one-byte
// reader; on invalid input it may fail but never panics or hangs.
func FuzzSkimContainer(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2,{"b":"}\"]"}],"c":"\u00e9\\"}`,
		`[{"x":"a\\\\"},{"y":"[{"}]`,
		"{\n\"a\": {\n\"b\": [1,\n2]\n},\n\"c\": 3}",
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":[{"given":["A"]}]}}]}`,
		`{"a":"\u005c"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, oneByte := range []bool{false, true} {
			open := func() *Reader {
				if oneByte {
					return NewReader(iotest.OneByteReader(bytes.NewReader(data)))
				}
				return NewReaderBytes(data)
			}
			full, skim := open(), open()
			a, errA := full.Next()
			b, errB := skim.Next()
			if errA != nil || errB != nil || (a.Kind != BeginObject && a.Kind != BeginArray) {
				return
			}
			errA = full.Skip(a.Kind)
			errB = skim.SkimContainer()
			_ = b
			if errA != nil {
				continue // the skim does not check grammar; it must only terminate
			}
			if errB != nil {
				t.Fatalf("Skip accepts the container, SkimContainer fails: %v", errB)
			}
			la, ca := full.Pos()
			lb, cb := skim.Pos()
			if la != lb || ca != cb || full.Depth() != skim.Depth() {
				t.Fatalf("Skip ends at %d:%d depth %d, SkimContainer at %d:%d depth %d", la, ca, full.Depth(), lb, cb, skim.Depth())
			}
		}
	})
}

// TestSpecialMaskFirstByte checks that the lowest bit of specialMask marks the first byte that
// needs care, whatever follows it (a borrow may mark later bytes falsely, never earlier ones).
func TestSpecialMaskFirstByte(t *testing.T) {
	pool := []byte{'a', 'Z', ' ', '"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x5b, 0x23, 0x01}
	rng := uint64(88172645463325252)
	for n := 0; n < 300000; n++ {
		var w [8]byte
		for i := range w {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			w[i] = pool[rng%uint64(len(pool))]
		}
		first := 8
		for i, c := range w {
			if !plain[c] {
				first = i
				break
			}
		}
		m := specialMask(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first {
			t.Fatalf("%q: first special byte at %d, mask says %d", w, first, got)
		}
	}
}
