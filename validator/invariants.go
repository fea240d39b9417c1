package validator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpath"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
)

// treeModel lets FHIRPath navigate a tree.
type treeModel struct {
	t *tree
	// index holds the children by name of nodes with many children (a Bundle's entries), so
	// that looking up one property does not scan thousands of siblings each time.
	index map[int32]map[string][]fhirpath.Item
}

// manyChildren is the child count from which a node's children are indexed by name.
const manyChildren = 32

func (m *treeModel) Children(n int32, name string, dst []fhirpath.Item) []fhirpath.Item {
	nd := &m.t.nodes[n]
	if nd.nchild >= manyChildren {
		return append(dst, m.indexOf(n)[name]...)
	}
	for c := nd.first; c >= 0; c = m.t.nodes[c].next {
		if m.t.nodes[c].name == name {
			dst = append(dst, fhirpath.Item{Node: c})
		}
	}
	return dst
}

// indexOf returns node n's children by name, indexing them on first use.
func (m *treeModel) indexOf(n int32) map[string][]fhirpath.Item {
	idx, ok := m.index[n]
	if !ok {
		if m.index == nil {
			m.index = map[int32]map[string][]fhirpath.Item{}
		}
		// Counted first, so that each name's slice is made once at its size (a Bundle's
		// entries are a hundred thousand items).
		counts := map[string]int{}
		for c := m.t.nodes[n].first; c >= 0; c = m.t.nodes[c].next {
			counts[m.t.nodes[c].name]++
		}
		idx = make(map[string][]fhirpath.Item, len(counts))
		for name, k := range counts {
			idx[name] = make([]fhirpath.Item, 0, k)
		}
		for c := m.t.nodes[n].first; c >= 0; c = m.t.nodes[c].next {
			cn := m.t.nodes[c].name
			idx[cn] = append(idx[cn], fhirpath.Item{Node: c})
		}
		m.index[n] = idx
	}
	return idx
}

// SharedChildren gives the children by name of a node with many of them, from the index
// Children builds, without copying them.
func (m *treeModel) SharedChildren(n int32, name string) ([]fhirpath.Item, bool) {
	if m.t.nodes[n].nchild < manyChildren {
		return nil, false
	}
	return m.indexOf(n)[name], true
}

func (m *treeModel) AllChildren(n int32, dst []fhirpath.Item) []fhirpath.Item {
	for c := m.t.nodes[n].first; c >= 0; c = m.t.nodes[c].next {
		dst = append(dst, fhirpath.Item{Node: c})
	}
	return dst
}

func (m *treeModel) Stub(n int32) bool { return m.t.nodes[n].stub }

func (m *treeModel) Name(n int32) string { return m.t.nodes[n].name }

func (m *treeModel) TypeName(n int32) string {
	if t := m.t.nodes[n].typ; t != nil {
		return t.name
	}
	return ""
}

func (m *treeModel) IsType(n int32, name string) bool {
	t := m.t.nodes[n].typ
	return t != nil && t.isA(name)
}

func (m *treeModel) ResourceOf(n int32) int32 {
	for x := n; x >= 0; x = m.t.nodes[x].parent {
		if m.t.nodes[x].resource {
			return x
		}
	}
	return 0
}

func (m *treeModel) Root() int32 { return 0 }

func (m *treeModel) Value(n int32) (fhirpath.Item, bool) {
	nd := &m.t.nodes[n]
	switch nd.kind {
	case valTrue, valFalse:
		return fhirpath.Item{Node: -1, Kind: fhirpath.KBoolean, B: nd.kind == valTrue}, true
	case valNumber:
		s := m.t.str(n)
		k := fhirpath.KDecimal
		if nd.typ != nil && nd.typ.name != "decimal" {
			k = fhirpath.KInteger
		}
		f, err := parseFloat(s)
		if err != nil {
			return fhirpath.Item{}, false
		}
		return fhirpath.Item{Node: -1, Kind: k, F: f, S: s}, true
	case valString:
		s := m.t.str(n)
		if nd.typ != nil {
			switch nd.typ.name {
			case "date", "dateTime", "instant":
				d, ok := fhirpath.ParseDateTime(s, false)
				if !ok {
					return fhirpath.Item{Node: -1, Kind: fhirpath.KString, S: s}, true
				}
				k := fhirpath.KDateTime
				if nd.typ.name == "date" {
					k = fhirpath.KDate
				}
				return fhirpath.Item{Node: -1, Kind: k, T: &d, S: s}, true
			case "time":
				d, ok := fhirpath.ParseDateTime(s, true)
				if ok {
					return fhirpath.Item{Node: -1, Kind: fhirpath.KTime, T: &d, S: s}, true
				}
			}
		}
		return fhirpath.Item{Node: -1, Kind: fhirpath.KString, S: s}, true
	}
	return fhirpath.Item{}, false
}

// nodePresence answers the questions of an invariant's guard about one node of a tree.
type nodePresence struct {
	t *tree
	n int32
}

func (p *nodePresence) HasAny(names []string) bool { return p.t.hasAnyChild(p.n, names) }

func (p *nodePresence) Exists(path []string) (exists, known bool) {
	return p.t.pathExists(p.n, path)
}

func (p *nodePresence) StringTest(name, fn, arg string) fhirpath.Truth3 {
	found := int32(-1)
	for c := p.t.nodes[p.n].first; c >= 0; c = p.t.nodes[c].next {
		if p.t.nodes[c].name != name {
			continue
		}
		if found >= 0 {
			return fhirpath.NeedsEvaluation // several values: evaluation reports the error
		}
		found = c
	}
	switch {
	case found < 0:
		return fhirpath.Empty
	case p.t.nodes[found].kind != valString:
		return fhirpath.NeedsEvaluation
	}
	v := p.t.bytes(found)
	var ok bool
	switch fn {
	case "startsWith":
		ok = bytes.HasPrefix(v, []byte(arg))
	case "endsWith":
		ok = bytes.HasSuffix(v, []byte(arg))
	default:
		ok = bytes.Contains(v, []byte(arg))
	}
	if ok {
		return fhirpath.True
	}
	return fhirpath.False
}

// checkForKey files some invariants under the check they belong to.
func checkForKey(key string) Check {
	switch key {
	case "dom-2", "dom-3", "dom-4", "dom-5":
		return CheckContained
	case "ref-1":
		return CheckReference
	case "ele-1":
		return CheckEmpty
	case "ext-1":
		return CheckExtension
	}
	return CheckInvariant
}

// evaluate runs the invariants of every node of a finished resource tree.
func (w *walker) evaluate(t *tree) {
	if t.overflow {
		w.report(SeverityInformation, CheckLimit, int(t.nodes[0].line), int(t.nodes[0].col), t.expression(0),
			"the resource has more than %d elements: invariants were not evaluated", maxTreeNodes)
		return
	}
	// The model and the presence answers are the walker's, reused: this runs for every
	// resource, and for every node with invariants.
	m := &w.model
	*m = treeModel{t: t}
	defer func() { *m = treeModel{} }()
	defer w.eval.Trim()
	pr := &w.presence
	pr.t = t
	var seen [16]string
	for _, i := range t.constrained {
		n := &t.nodes[i]
		if n.stub {
			continue
		}
		k := 0
		pr.n = i
		run := func(cs []*constraint) {
			for _, c := range cs {
				if c.compiled == nil {
					continue
				}
				// Most invariants are decided by which children the node has or lacks
				// ("x.empty() or ...", "x.exists() implies ...") or by one child's value
				// (ref-1): see fhirpath.Expr.Decide. Only the rest are evaluated.
				switch c.compiled.Decide(pr) {
				case fhirpath.True, fhirpath.Empty:
					continue
				}
				dup := false
				for j := 0; j < k; j++ {
					if seen[j] == c.key {
						dup = true
					}
				}
				if dup {
					continue
				}
				if k < len(seen) {
					seen[k] = c.key
					k++
				}
				res, err := w.eval.Eval(c.compiled, m, i)
				if err != nil {
					continue // unknown: depends on data not held, or a type error in the data
				}
				// An empty result is unknown, except when it comes from comparing dates of
				// different precision (per-1 with a date start and a dateTime end): the HL7
				// Java validator reads that empty result as false, and so does Jigsaw.
				if v, ok := fhirpath.Truth(res); (ok && !v) || (!ok && w.eval.DatesUnordered()) {
					sev := SeverityError
					if c.severity == "warning" {
						sev = SeverityWarning
					}
					w.issues = appendIssue(w, Issue{Severity: sev, Code: issueType[checkForKey(c.key)], Check: checkForKey(c.key), Key: c.key,
						Expression: t.expression(i), Message: c.key + ": " + c.human, Line: int(n.line), Column: int(n.col)})
				}
			}
		}
		if n.elem != nil {
			run(n.elem.constraints)
		}
		if n.typ != nil && n.typ.root != nil && n.typ.root != n.elem {
			run(n.typ.root.constraints)
		}
	}
}

func appendIssue(w *walker, is Issue) []Issue {
	if len(w.issues) >= maxIssuesPerResource {
		w.dropped++
		return w.issues
	}
	return append(w.issues, is)
}

// Narrative rules: the elements and attributes FHIR allows in narrative XHTML (txt-1).
var (
	narrativeElements = setOf("a", "abbr", "acronym", "address", "area", "b", "bdo", "big", "blockquote", "br",
		"caption", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3",
		"h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "map", "ol", "p", "pre", "q", "samp", "small",
		"span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var")
	narrativeAttributes = setOf("title", "style", "class", "id", "lang", "dir", "accesskey", "tabindex", "span",
		"width", "align", "valign", "char", "charoff", "abbr", "axis", "headers", "scope", "rowspan", "colspan",
		"src", "alt", "longdesc", "height", "usemap", "ismap", "name", "href", "rel", "rev", "shape", "coords",
		"border", "cellpadding", "cellspacing", "frame", "rules", "summary", "start", "type", "value", "cite",
		"datetime", "compact", "noshade", "nohref", "target", "size", "face", "color", "bgcolor", "nowrap",
		"hreflang", "charset", "clear", "xmlns", "space", "cols")
)

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

const xhtmlNamespace = "http://www.w3.org/1999/xhtml"

// checkNarrative applies txt-1 (well-formed XHTML, a div root in the XHTML namespace, only the
// allowed elements and attributes, no scripts or event handlers) and txt-2 (some content).
func (w *walker) checkNarrative(tok *jsontok.Token) {
	if narrativeFastOK(tok.Value) {
		return
	}
	dec := xml.NewDecoder(bytes.NewReader(tok.Value))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	depth, text := 0, false
	for {
		x, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.errorAt(CheckNarrative, tok, "txt-1: the narrative is not well-formed XHTML: %v", err)
			return
		}
		switch t := x.(type) {
		case xml.StartElement:
			if depth == 0 {
				if t.Name.Local != "div" || t.Name.Space != xhtmlNamespace {
					w.errorAt(CheckNarrative, tok, "txt-1: the narrative must be a <div> in the XHTML namespace %s", xhtmlNamespace)
					return
				}
			} else if !narrativeElements[t.Name.Local] {
				w.errorAt(CheckNarrative, tok, "txt-1: element <%s> is not allowed in narrative", t.Name.Local)
				return
			}
			if t.Name.Local == "img" {
				text = true
			}
			for _, a := range t.Attr {
				name := strings.ToLower(a.Name.Local)
				switch {
				case strings.HasPrefix(name, "on"):
					w.errorAt(CheckNarrative, tok, "txt-1: event handler attribute %q is not allowed in narrative", a.Name.Local)
					return
				case (name == "href" || name == "src") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Value)), "javascript:"):
					w.errorAt(CheckNarrative, tok, "txt-1: javascript: URLs are not allowed in narrative")
					return
				case !narrativeAttributes[name] && a.Name.Space != "xmlns":
					w.errorAt(CheckNarrative, tok, "txt-1: attribute %q on <%s> is not among the narrative attributes FHIR allows", a.Name.Local, t.Name.Local)
					return
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					w.errorAt(CheckNarrative, tok, "txt-1: text outside the root <div>")
					return
				}
			} else if len(bytes.TrimSpace(t)) > 0 {
				text = true
			}
		}
	}
	if !text {
		w.errorAt(CheckNarrative, tok, "txt-2: the narrative has no content")
	}
}

// narrativeFastOK accepts the common narrative quickly: well-formed, a div root in the XHTML
// namespace, only listed elements and attributes, some text. Whatever it is unsure of (comments,
// CDATA, prefixes, unlisted names, any error) it leaves to the full XML check, so it never
// accepts what that check would reject.
func narrativeFastOK(v []byte) bool {
	var stack [32][]byte
	depth, text, rootDone, sawNS := 0, false, false, false
	i := 0
	for i < len(v) {
		c := v[i]
		if c != '<' {
			if c == '&' {
				j := i + 1
				for j < len(v) && j-i < 12 && (isAlnum(v[j]) || v[j] == '#') {
					j++
				}
				if j == i+1 || j >= len(v) || v[j] != ';' {
					return false
				}
				if depth > 0 {
					text = true
				}
				i = j + 1
				continue
			}
			if !isSpace(c) {
				if depth == 0 {
					return false
				}
				text = true
			}
			i++
			continue
		}
		if rootDone || i+1 >= len(v) {
			return false
		}
		if v[i+1] == '/' { // end tag
			j := i + 2
			for j < len(v) && isNameByte(v[j]) {
				j++
			}
			name := v[i+2 : j]
			for j < len(v) && isSpace(v[j]) {
				j++
			}
			if j >= len(v) || v[j] != '>' || depth == 0 || string(stack[depth-1]) != string(name) {
				return false
			}
			depth--
			if depth == 0 {
				rootDone = true
			}
			i = j + 1
			continue
		}
		j := i + 1
		for j < len(v) && isNameByte(v[j]) {
			j++
		}
		name := v[i+1 : j]
		if len(name) == 0 {
			return false // comments, CDATA, processing instructions
		}
		if depth == 0 {
			if string(name) != "div" {
				return false
			}
		} else if !narrativeElements[string(name)] {
			return false
		}
		if string(name) == "img" {
			text = true
		}
		selfClose := false
		for {
			for j < len(v) && isSpace(v[j]) {
				j++
			}
			if j >= len(v) {
				return false
			}
			if v[j] == '>' {
				j++
				break
			}
			if v[j] == '/' {
				if j+1 >= len(v) || v[j+1] != '>' {
					return false
				}
				selfClose = true
				j += 2
				break
			}
			a := j
			for j < len(v) && isNameByte(v[j]) {
				j++
			}
			attr := v[a:j]
			if len(attr) == 0 || j >= len(v) || v[j] != '=' || j+1 >= len(v) {
				return false
			}
			q := v[j+1]
			if q != '"' && q != '\'' {
				return false
			}
			k := j + 2
			for k < len(v) && v[k] != q {
				if v[k] == '<' || v[k] == '&' {
					return false
				}
				k++
			}
			if k >= len(v) {
				return false
			}
			val := v[j+2 : k]
			switch {
			case string(attr) == "xmlns":
				if depth != 0 || string(val) != xhtmlNamespace {
					return false
				}
				sawNS = true
			case !narrativeAttributes[string(attr)]:
				return false
			case (string(attr) == "href" || string(attr) == "src") && bytes.Contains(bytes.ToLower(val), []byte("javascript:")):
				return false
			}
			j = k + 1
		}
		if depth == 0 && !sawNS {
			return false
		}
		if !selfClose {
			if depth == len(stack) {
				return false
			}
			stack[depth] = name
			depth++
		} else if depth == 0 {
			rootDone = true
		}
		i = j
	}
	return rootDone && depth == 0 && text
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isNameByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }
