package yamldoc

import (
	"strconv"
	"strings"
)

// Path names a value inside a document: map keys and list indices from the root.
// It prints as domains[2].items[4].weight.
type Path []Step

// Step is one map key or one list index.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Key returns the path extended by a map key. It never aliases p's backing array.
func (p Path) Key(k string) Path {
	return append(p[:len(p):len(p)], Step{Key: k})
}

// Index returns the path extended by a list index.
func (p Path) Index(i int) Path {
	return append(p[:len(p):len(p)], Step{Index: i, IsIndex: true})
}

// String renders the path as people write it: keys joined by dots, indices in brackets.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Key)
	}
	return b.String()
}

// HasPrefix reports whether q is p or an ancestor of p.
func (p Path) HasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// Equal reports whether p and q name the same value.
func (p Path) Equal(q Path) bool { return len(p) == len(q) && p.HasPrefix(q) }
