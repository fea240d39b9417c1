package yamldoc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func wideBlock(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	return b.String()
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func TestPrescanRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the message
		line     int
	}{
		{"deep flow sequence", "x: " + repeat("[", 100_000) + repeat("]", 100_000), "nests deeper than 64 levels", 1},
		{"deep flow mapping", "x: " + repeat("{a: ", 65) + "1" + repeat("}", 65), "nests deeper than 64", 1},
		{"deep block mapping", deepBlock(100), "65:65: the document nests deeper than 64", 65},
		{"deep compact sequence", repeat("- ", 70) + "x\n", "nests deeper than 64", 1},
		{"keys after bare dashes", repeat("k:\n-\n", 40), "nests deeper than 64", 65},
		{"keys after bare tags", repeat("k: !t\n", 70), "nests deeper than 64", 65},
		{"flow after a tab", "x:\t" + repeat("[", 100) + repeat("]", 100), "nests deeper", 1},
		{"lines broken by CR alone", strings.ReplaceAll(deepBlock(100), "\n", "\r"), "nests deeper", 65},
		{"wide block mapping", wideBlock(400_000), "more than 1000 keys (the next is at line 1001)", 1},
		{"wide flow mapping", "x: {" + repeat("a: 1, ", 1001) + "}", "more than 1000 keys", 1},
		{"wide mapping of quoted keys", strings.Repeat("'k': 1\n", 1001), "more than 1000 keys", 1},
		{"too many values", "x: [" + repeat("1,", MaxNodes) + "]", "more than 250000 values", 1},
		{"too many aliases", "a: &a x\nb: [" + repeat("*a, ", 1000) + "]", "more than 1000 anchors and aliases", 2},
		{"invalid UTF-8", "a: 1\nb: caf\xe9\n", "2:7: invalid UTF-8 (byte 0xe9)", 2},
		{"binary", "a: 1\n\x00\x01\x1b[31m", "binary, not YAML text", 2},
		{"too large", "a: " + repeat("x", MaxBytes), "larger than the 8388608 byte limit", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseContext(context.Background(), "f.yaml", []byte(tt.in))
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("want one positioned error, got %v", err)
			}
			if !strings.Contains(es[0].Error(), tt.want) || es[0].Line != tt.line || es[0].File != "f.yaml" {
				t.Errorf("got %q (line %d), want %q at line %d", es[0].Error(), es[0].Line, tt.want, tt.line)
			}
		})
	}
}

// TestPrescanMeasures checks the pre-scan's reading of legitimate shapes, above all that text
// which only looks like structure (brackets in prose, block scalars, quotes, comments) and
// sequences written at their key's indentation do not count as nesting.
func TestPrescanMeasures(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		depth, keys int
	}{
		{"flat", "a: 1\nb: 2\n", 1, 2},
		{"nested", "a:\n  b:\n    c: 1\n", 3, 1},
		{"sequence at its key's indentation", repeat("k:\n- a\n- b\n", 1) + "j:\n- a\n" + "m:\n- x: 1\n  y: 2\n", 3, 3},
		{"list of mappings", "items:\n  - id: a\n    w: 1\n  - id: b\n    w: 2\n", 3, 2},
		{"brackets in prose", "a: see [1] and [2\nb: it's {odd\n", 1, 2},
		{"multi-line plain scalar", "a: first line\n  [[[[ second line\n  {{{{\nb: 1\n", 1, 2},
		{"block scalar", "a: |\n  [[[[[[\n  {{{{\nb: >-\n  - x: [\nc: 1\n", 1, 3},
		{"quoted with brackets", "a: \"[[[[\"\nb: '{{{{ it''s'\nc: \"multi\n  [[[[ line\"\n", 1, 3},
		{"comments", "# [[[[\na: 1 # {{{{\n", 1, 1},
		{"flow", "a: [1, [2, {b: 3, c: [4]}]]\n", 5, 2},
		{"CRLF", "a:\r\n  b: 1\r\n  c: 2\r\n", 2, 2},
		{"document marker", "---\na: 1\n", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scanner{name: "f.yaml", lim: defaultLimits, scalar: -1, plain: -1, open: -1, pending: -1, entry: -1}
			if _, err := s.scan(context.Background(), []byte(tt.in)); err != nil {
				t.Fatal(err)
			}
			if s.maxDepth != tt.depth || s.maxKeys != tt.keys {
				t.Errorf("depth %d keys %d, want depth %d keys %d", s.maxDepth, s.maxKeys, tt.depth, tt.keys)
			}
			if _, err := Parse("f.yaml", []byte(tt.in)); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

// TestPrescanShippedFiles keeps the limits well clear of every real file: the catalogue and
// the example answers must use less than a quarter of each.
func TestPrescanShippedFiles(t *testing.T) {
	for _, f := range []string{
		"../../checklist/catalog/nhs-interop/2026.1.yaml",
		"../../answers/examples/exemplar.yaml",
		"../../answers/examples/typical.yaml",
		"../../answers/examples/legacy.yaml",
	} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := &scanner{name: f, lim: defaultLimits, scalar: -1, plain: -1, open: -1, pending: -1, entry: -1}
		if _, err := s.scan(context.Background(), data); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: depth %d, widest mapping %d keys, %d values", f, s.maxDepth, s.maxKeys, s.nodes)
		if s.maxDepth > MaxDepth/4 || s.maxKeys > MaxKeys/4 || s.nodes > MaxNodes/4 || len(data) > MaxBytes/4 {
			t.Errorf("%s is within a factor of 4 of a limit", f)
		}
	}
}

func TestParseStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseContext(ctx, "f.yaml", []byte(wideBlock(500)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestErrorsNeverCarryRawControlBytes(t *testing.T) {
	e := Error{File: "f.yaml", Line: 1, Column: 1, Field: "a\x1b[31m", Message: "bad \x1b]0;title\x07 \xff"}
	got := e.Error()
	if strings.ContainsAny(got, "\x1b\x07\xff") {
		t.Fatalf("raw control bytes in %q", got)
	}
	if want := `f.yaml:1:1: a\x1b[31m: bad \x1b]0;title\a \xff`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// astDepth is the nesting of mappings and sequences in the parsed tree.
func astDepth(n ast.Node) (depth, widest int) {
	var walk func(n ast.Node, d int)
	walk = func(n ast.Node, d int) {
		switch n := n.(type) {
		case *ast.DocumentNode:
			walk(n.Body, d)
		case *ast.MappingNode:
			widest = max(widest, len(n.Values))
			depth = max(depth, d+1)
			for _, v := range n.Values {
				walk(v.Key, d+1)
				walk(v.Value, d+1)
			}
		case *ast.MappingValueNode:
			widest = max(widest, 1)
			depth = max(depth, d+1)
			walk(n.Key, d+1)
			walk(n.Value, d+1)
		case *ast.MappingKeyNode:
			walk(n.Value, d)
		case *ast.SequenceNode:
			depth = max(depth, d+1)
			for _, v := range n.Values {
				walk(v, d+1)
			}
		case *ast.AnchorNode:
			walk(n.Value, d)
		case *ast.TagNode:
			walk(n.Value, d)
		}
	}
	walk(n, 0)
	return depth, widest
}

// FuzzPrescanBoundsParser checks the pre-scan against the YAML library: whatever the library
// parses, the pre-scan must have seen all its nesting and every key of its widest mapping, so that no input passes the pre-scan and then costs the library more than
// the limits allow. Its seeds include large generated documents, where the library's costs
// grow fastest.
func FuzzPrescanBoundsParser(f *testing.F) {
	for _, seed := range []string{
		"a: 1\nb:\n  - c\n  - d: [1, {e: 2}]\n",
		"k:\n- a\nj:\n- b\n",
		"a: |\n  [[[\nb: \"x\n [[\"\n",
		"a: text\n  [[[ more ]]]\n",
		"? [a, b]\n: c\n",
		"x:\t[[1]]\n",
		"a: &x [1]\nb: *x\n",
		"- - - [a: [b: c]]\n",
		deepBlock(60),
		wideBlock(900),
		"x: " + repeat("[", 60) + repeat("]", 60),
		"x: {" + repeat("a: 1, ", 500) + "}",
	} {
		f.Add([]byte(seed))
	}
	if data, err := os.ReadFile("../../checklist/catalog/nhs-interop/2026.1.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Nothing may hang: the pre-scan and whatever passes it must finish promptly.
		done := make(chan string, 1)
		go func() { done <- prescanBoundsParser(data) }()
		select {
		case msg := <-done:
			if msg != "" {
				t.Fatal(msg)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("pre-scan and parse took more than 10 s on %d bytes", len(data))
		}
	})
}

func prescanBoundsParser(data []byte) string {
	s := &scanner{name: "fuzz.yaml", lim: defaultLimits, scalar: -1, plain: -1, open: -1, pending: -1, entry: -1}
	if err := checkText("fuzz.yaml", data); err != nil || len(data) > MaxBytes {
		return ""
	}
	if _, err := s.scan(context.Background(), data); err != nil {
		return ""
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	for _, doc := range file.Docs {
		depth, widest := astDepth(doc)
		if depth > s.maxDepth || widest > max(s.maxKeys, 1) {
			return fmt.Sprintf("library sees depth %d and a mapping of %d keys; pre-scan saw depth %d and %d keys",
				depth, widest, s.maxDepth, s.maxKeys)
		}
	}
	return ""
}
