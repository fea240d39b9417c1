// Package yamldoc reads a YAML document strictly: it checks the document against a JSON Schema,
// decodes it into a Go value and reports every problem at file:line:column with the field's
// path, for example
//
//	nhs-interop.yaml:120:13: domains[2].items[4].weight: 9 is above the maximum 5
//
// Checklists and self-assessment answers are both read this way.
package yamldoc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Document is one parsed YAML document and the map from paths back to positions in the file.
type Document struct {
	name    string
	body    ast.Node
	anchors map[string]ast.Node
	keys    map[*ast.MappingNode]map[string]*ast.MappingValueNode // built by lookup
	value   any                                                   // JSON-shaped: map[string]any, []any, string, json.Number, bool, nil
}

// Name is the file name errors are reported against.
func (d *Document) Name() string { return d.name }

// Parse reads one YAML document. A syntax error, an empty file or a second document is
// returned as Errors with the position of the problem.
func Parse(name string, data []byte) (*Document, error) {
	return ParseContext(context.Background(), name, data)
}

// ParseContext is Parse that stops, returning ctx's error, when ctx is cancelled. The file is
// first measured against the limits (MaxBytes, MaxDepth, MaxKeys, MaxNodes, MaxAliases) by a
// streaming pre-scan, so the YAML library only ever sees input whose cost is bounded.
func ParseContext(ctx context.Context, name string, data []byte) (*Document, error) {
	return parseWithin(ctx, name, data, defaultLimits)
}

func parseWithin(ctx context.Context, name string, data []byte, lim limits) (*Document, error) {
	fail := func(line, col int, format string, args ...any) (*Document, error) {
		return nil, Errors{{File: name, Line: line, Column: col, Message: fmt.Sprintf(format, args...)}}
	}
	if err := prescan(ctx, name, data, lim); err != nil {
		return nil, err
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			pos := ye.GetToken().Position
			return fail(pos.Line, pos.Column, "invalid YAML: %s", ye.GetMessage())
		}
		return fail(0, 0, "invalid YAML: %v", err)
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	switch {
	case len(docs) == 0:
		return fail(1, 1, "the file is empty: it must hold one YAML document")
	case len(docs) > 1:
		tk := docs[1].Start // the "---" that opens the second document
		if tk == nil {
			tk = valueToken(docs[1].Body)
		}
		line, col := 0, 0
		if tk != nil && tk.Position != nil {
			line, col = tk.Position.Line, tk.Position.Column
		}
		return fail(line, col, "the file holds %d YAML documents; it must hold exactly one", len(docs))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading stopped: %w", name, err)
	}
	d := &Document{name: name, body: docs[0].Body, anchors: map[string]ast.Node{}}
	if err := d.checkSize(lim); err != nil {
		return nil, err
	}
	if err := d.decodeValue(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading stopped: %w", name, err)
	}
	return d, nil
}

// checkSize walks the tree once, recording anchors and refusing documents whose aliases would
// expand past the node limit or whose nesting is deeper than the depth limit.
func (d *Document) checkSize(lim limits) error {
	// The tree has up to four nodes per level of nesting (mapping, key-value pair, anchor, tag).
	maxDepth, maxNodes := 4*lim.depth, lim.nodes
	sizes := map[string]int{}
	var walk func(n ast.Node, depth int) (int, error)
	walk = func(n ast.Node, depth int) (int, error) {
		if n == nil {
			return 0, nil
		}
		if depth > maxDepth {
			return 0, d.errAt(n, "the document nests deeper than %d levels", maxDepth)
		}
		total := 1
		add := func(children ...ast.Node) error {
			for _, c := range children {
				s, err := walk(c, depth+1)
				if err != nil {
					return err
				}
				total += s
				if total > maxNodes {
					return d.errAt(n, "the document expands to more than %d values (check anchors and aliases)", maxNodes)
				}
			}
			return nil
		}
		var err error
		switch n := n.(type) {
		case *ast.MappingNode:
			for _, mv := range n.Values {
				if err = add(mv.Key, mv.Value); err != nil {
					break
				}
			}
		case *ast.MappingValueNode:
			err = add(n.Key, n.Value)
		case *ast.MappingKeyNode:
			err = add(n.Value)
		case *ast.SequenceNode:
			err = add(n.Values...)
		case *ast.TagNode:
			err = add(n.Value)
		case *ast.AnchorNode:
			var s int
			s, err = walk(n.Value, depth+1)
			if err == nil {
				name := anchorName(n.Name)
				sizes[name] = s
				d.anchors[name] = n.Value
				total += s
			}
		case *ast.AliasNode:
			total += sizes[anchorName(n.Value)]
		}
		if err != nil {
			return 0, err
		}
		if total > maxNodes {
			return 0, d.errAt(n, "the document expands to more than %d values (check anchors and aliases)", maxNodes)
		}
		return total, nil
	}
	_, err := walk(d.body, 0)
	return err
}

func anchorName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

func (d *Document) errAt(n ast.Node, format string, args ...any) error {
	e := Error{File: d.name, Message: fmt.Sprintf(format, args...)}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	return Errors{e}
}

// decodeValue turns the document into plain JSON-shaped data for schema validation.
func (d *Document) decodeValue() error {
	var raw any
	if err := yaml.NodeToValue(d.body, &raw); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			pos := ye.GetToken().Position
			return Errors{{File: d.name, Line: pos.Line, Column: pos.Column, Message: "invalid YAML: " + ye.GetMessage()}}
		}
		return Errors{{File: d.name, Message: fmt.Sprintf("invalid YAML: %v", err)}}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return Errors{{File: d.name, Message: fmt.Sprintf("the document holds a value JSON cannot represent (such as .nan or .inf): %v", err)}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&d.value); err != nil {
		return Errors{{File: d.name, Message: fmt.Sprintf("read document: %v", err)}}
	}
	return nil
}

// Value is the document as plain JSON-shaped data.
func (d *Document) Value() any { return d.value }

// position finds the line and column of the value at path, or of its map key when atKey is
// set. When the path does not exist in the file (a missing field) it returns the position of
// the deepest ancestor that does.
func (d *Document) position(path Path, atKey bool) *token.Position {
	node := d.body
	var best *token.Position
	if tk := node.GetToken(); tk != nil {
		best = tk.Position
	}
	for _, step := range path {
		node = d.unwrap(node)
		var next, key ast.Node
		switch n := node.(type) {
		case *ast.MappingNode:
			if mv := d.lookup(n, step.Key); mv != nil && !step.IsIndex {
				next, key = mv.Value, mv.Key
			}
		case *ast.MappingValueNode:
			if keyText(n.Key) == step.Key && !step.IsIndex {
				next, key = n.Value, n.Key
			}
		case *ast.SequenceNode:
			if step.IsIndex && step.Index >= 0 && step.Index < len(n.Values) {
				next = n.Values[step.Index]
			}
		}
		if next == nil {
			return best
		}
		node = next
		if atKey && key != nil && key.GetToken() != nil {
			best = key.GetToken().Position
		}
		if tk := valueToken(next); tk != nil && (!atKey || key == nil) {
			best = tk.Position
		}
	}
	return best
}

// lookup finds the first pair with key in a mapping, indexing the mapping on first use so
// that placing many problems in one wide mapping costs linear, not quadratic, time.
func (d *Document) lookup(m *ast.MappingNode, key string) *ast.MappingValueNode {
	if d.keys == nil {
		d.keys = map[*ast.MappingNode]map[string]*ast.MappingValueNode{}
	}
	idx, ok := d.keys[m]
	if !ok {
		idx = make(map[string]*ast.MappingValueNode, len(m.Values))
		for _, mv := range m.Values {
			if k := keyText(mv.Key); idx[k] == nil {
				idx[k] = mv
			}
		}
		d.keys[m] = idx
	}
	return idx[key]
}

// valueToken is the token where a value starts. For a block mapping goccy's own token is the
// first ':', so use the first key instead.
func valueToken(n ast.Node) *token.Token {
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 && !n.IsFlowStyle {
			return n.Values[0].Key.GetToken()
		}
		return n.Start
	case *ast.MappingValueNode:
		return n.Key.GetToken()
	case *ast.SequenceNode:
		return n.Start
	case *ast.AnchorNode:
		return n.Start
	case *ast.TagNode:
		return n.Start
	case nil:
		return nil
	}
	return n.GetToken()
}

func (d *Document) unwrap(n ast.Node) ast.Node {
	for range 4 * MaxDepth {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := d.anchors[anchorName(v.Value)]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
	return n
}

func keyText(k ast.MapKeyNode) string {
	if k == nil {
		return ""
	}
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		if mk.Value != nil && mk.Value.GetToken() != nil {
			return mk.Value.GetToken().Value
		}
		return ""
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// Errors places problems in the file and returns them in file order.
func (d *Document) Errors(problems []Problem) Errors {
	es := make(Errors, 0, min(len(problems), MaxReported+1))
	for i, p := range problems {
		if i == MaxReported {
			es.sort()
			return append(es, Error{File: d.name, Message: fmt.Sprintf("… and %d more problems (only the first %d are listed)", len(problems)-MaxReported, MaxReported)})
		}
		e := Error{File: d.name, Field: p.Path.String(), Message: p.Message}
		if pos := d.position(p.Path, p.AtKey); pos != nil {
			e.Line, e.Column = pos.Line, pos.Column
		}
		es = append(es, e)
	}
	es.sort()
	return es
}

// pathFor converts a JSON pointer's tokens into a Path, telling list indices from map keys by
// looking at the data.
func pathFor(value any, tokens []string) Path {
	p := make(Path, 0, len(tokens))
	cur := value
	for _, t := range tokens {
		switch v := cur.(type) {
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(v) {
				return p.Key(t)
			}
			p = p.Index(i)
			cur = v[i]
		case map[string]any:
			p = p.Key(t)
			cur = v[t]
		default:
			p = p.Key(t)
			cur = nil
		}
	}
	return p
}

// Load parses data, checks it against sch and decodes it into dst, which is filled as far as
// its structure allows. It returns the document (for positions of later semantic checks) and
// the schema's problems, which the caller merges with its own before reporting. A document
// that cannot be decoded at all is an error listing every schema problem.
func Load(name string, data []byte, sch *jsonschema.Schema, dst any) (*Document, []Problem, error) {
	return LoadContext(context.Background(), name, data, sch, dst)
}

// LoadContext is Load that stops, returning ctx's error, when ctx is cancelled.
func LoadContext(ctx context.Context, name string, data []byte, sch *jsonschema.Schema, dst any) (*Document, []Problem, error) {
	doc, err := ParseContext(ctx, name, data)
	if err != nil {
		return nil, nil, err
	}
	problems := doc.Check(sch)
	if err := doc.Decode(dst, problems); err != nil {
		if es := doc.Errors(Merge(problems, nil)); len(es) > 0 {
			return nil, nil, es
		}
		return nil, nil, err
	}
	return doc, problems, nil
}
