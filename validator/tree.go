package validator

// tree is one resource materialised compactly while it streams past, so that invariants
// (FHIRPath) can be evaluated over it. Nodes live in one slice and primitive values in one byte
// arena; both are reused from resource to resource. Resources inside a Bundle get trees of their
// own, so a Bundle's tree holds only its skeleton and memory stays bounded by the largest
// resource rather than by the input.
type tree struct {
	nodes     []node
	arena     []byte
	overflow  bool // more than maxTreeNodes: invariants are not evaluated
	truncated bool // some node stands for a resource held in another tree
	// constrained lists, in order, the nodes whose element or type has invariants: most
	// nodes (strings, codes, dates) have none, and evaluation visits only these.
	constrained []int32
}

// maxTreeNodes bounds one resource's tree (each node is about 100 bytes). Real resources are far
// smaller; a Bundle's skeleton (entry, fullUrl, request...) reaches it at about 170,000 entries,
// after which the Bundle-level invariants are skipped and said to be.
const maxTreeNodes = 1 << 19

type valueKind uint8

const (
	valNone valueKind = iota
	valString
	valNumber
	valTrue
	valFalse
)

type node struct {
	name        string // FHIRPath name: the element name without a choice suffix
	elem        *elemDef
	typ         *typeDef
	parent      int32
	first, last int32 // children
	next        int32 // next sibling
	valOff      int32
	valLen      int32
	index       int32 // position in its array, -1 when the element is single
	nchild      int32
	line, col   int32
	kind        valueKind
	resource    bool // the node is a resource root (the tree root or a contained resource)
	stub        bool // the resource's content lives in another tree
	choiceType  string
}

func (t *tree) reset() {
	t.nodes = t.nodes[:0]
	t.arena = t.arena[:0]
	t.constrained = t.constrained[:0]
	t.overflow = false
	t.truncated = false
}

// add appends a node under parent (-1 for the root) and returns its index, or -1 when the tree
// is full.
func (t *tree) add(parent int32, name string, e *elemDef, typ *typeDef, index int32, line, col int) int32 {
	if t.overflow || len(t.nodes) >= maxTreeNodes {
		// Once full, nothing more is added: a node whose parent was dropped must not become a
		// second root.
		t.overflow = true
		return -1
	}
	i := int32(len(t.nodes))
	if len(t.nodes) == cap(t.nodes) && cap(t.nodes) >= 1024 {
		// Double, and past 65,536 nodes (a large Bundle's skeleton) quadruple: append grows
		// large slices by a quarter, which would copy the skeleton many times over, and each
		// copy of these pointerful nodes goes through the collector's write barrier.
		factor := 2
		if cap(t.nodes) >= 1<<16 {
			factor = 4
		}
		grown := make([]node, len(t.nodes), min(factor*cap(t.nodes), maxTreeNodes))
		copy(grown, t.nodes)
		t.nodes = grown
	}
	t.nodes = append(t.nodes, node{name: name, elem: e, typ: typ, parent: parent, first: -1, last: -1, next: -1,
		index: index, line: int32(line), col: int32(col)})
	if (e != nil && len(e.constraints) > 0) || (typ != nil && typ.root != nil && typ.root != e && len(typ.root.constraints) > 0) {
		t.constrained = append(t.constrained, i)
	}
	if parent >= 0 {
		p := &t.nodes[parent]
		p.nchild++
		if p.last >= 0 {
			t.nodes[p.last].next = i
		} else {
			p.first = i
		}
		p.last = i
	}
	return i
}

func (t *tree) setValue(i int32, kind valueKind, v []byte) {
	if i < 0 {
		return
	}
	n := &t.nodes[i]
	n.kind = kind
	if kind == valString || kind == valNumber {
		n.valOff = int32(len(t.arena))
		n.valLen = int32(len(v))
		if len(t.arena)+len(v) > cap(t.arena) && cap(t.arena) >= 64<<10 {
			// Double, as add does: append grows large slices by a quarter.
			grown := make([]byte, len(t.arena), 2*cap(t.arena)+len(v))
			copy(grown, t.arena)
			t.arena = grown
		}
		t.arena = append(t.arena, v...)
	}
}

// bytes is the value of node i without a copy; valid until the tree changes.
func (t *tree) bytes(i int32) []byte {
	n := &t.nodes[i]
	return t.arena[n.valOff : n.valOff+n.valLen]
}

func (t *tree) str(i int32) string {
	n := &t.nodes[i]
	return string(t.arena[n.valOff : n.valOff+n.valLen])
}

// findChild finds the child of parent with a name and array index, used to join a primitive
// value with its "_name" companion whichever comes first.
func (t *tree) findChild(parent int32, name string, index int32) int32 {
	if parent < 0 {
		return -1
	}
	for c := t.nodes[parent].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name == name && t.nodes[c].index == index {
			return c
		}
	}
	return -1
}

// expression renders the FHIRPath-style location of node i.
func (t *tree) expression(i int32) string {
	var segs []int32
	for x := i; x >= 0; x = t.nodes[x].parent {
		segs = append(segs, x)
	}
	var b []byte
	for k := len(segs) - 1; k >= 0; k-- {
		n := &t.nodes[segs[k]]
		if k == len(segs)-1 {
			if n.typ != nil {
				b = append(b, n.typ.name...)
			}
			continue
		}
		b = append(b, '.')
		b = append(b, n.name...)
		if n.choiceType != "" {
			b = append(b, ".ofType("...)
			b = append(b, n.choiceType...)
			b = append(b, ')')
		}
		if n.index >= 0 {
			b = appendIndex(b, n.index)
		}
	}
	return string(b)
}

func appendIndex(b []byte, i int32) []byte {
	b = append(b, '[')
	var d [12]byte
	k := len(d)
	if i == 0 {
		k--
		d[k] = '0'
	}
	for i > 0 {
		k--
		d[k] = byte('0' + i%10)
		i /= 10
	}
	b = append(b, d[k:]...)
	return append(b, ']')
}

// hasAnyChild reports whether node i has a child with one of the names.
func (t *tree) hasAnyChild(i int32, names []string) bool {
	for c := t.nodes[i].first; c >= 0; c = t.nodes[c].next {
		cn := t.nodes[c].name
		for _, n := range names {
			if cn == n {
				return true
			}
		}
	}
	return false
}

// pathExists reports whether a path of element names leads from node i to any node; known is
// false when the way passes through a resource held in another tree.
func (t *tree) pathExists(i int32, path []string) (exists, known bool) {
	if len(path) == 0 {
		return true, true
	}
	known = true
	for c := t.nodes[i].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name != path[0] {
			continue
		}
		if len(path) == 1 {
			return true, true
		}
		if t.nodes[c].stub {
			known = false
			continue
		}
		if e, k := t.pathExists(c, path[1:]); e && k {
			return true, true
		} else if !k {
			known = false
		}
	}
	return false, known
}
