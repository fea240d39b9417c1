package validator

import (
	"fmt"
	"testing"
)

// TestChildSetFind checks the property-name table against its map, across the growth steps:
// every name filed is found with its own definition, and no other name is.
func TestChildSetFind(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 17, 64, 300} {
		cs := &childSet{}
		for i := 0; i < n; i++ {
			cs.add(fmt.Sprintf("value%dQuantity", i), childRef{ord: int32(i)})
		}
		for i := 0; i < n; i++ {
			ref, ok := cs.find([]byte(fmt.Sprintf("value%dQuantity", i)))
			if !ok || ref.ord != int32(i) {
				t.Fatalf("n=%d: name %d found=%v ord=%d", n, i, ok, ref.ord)
			}
		}
		for _, miss := range []string{"", "value", "valueQuantity", fmt.Sprintf("value%dQuantity", n), "value0Quantit"} {
			if _, ok := cs.find([]byte(miss)); ok {
				t.Fatalf("n=%d: %q found but never filed", n, miss)
			}
		}
		if len(cs.byName) != n {
			t.Fatalf("n=%d: map has %d", n, len(cs.byName))
		}
	}
}

// TestChildSetProbes checks the property-name hash on the real definitions: every property
// of every element of R4 and STU3 is found where it was filed, and lookups rarely probe more
// than once (a hash that mixed too little would still be correct, but slow).
func TestChildSetProbes(t *testing.T) {
	for _, version := range []Version{R4, STU3} {
		v, err := New(version)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[*childSet]bool{}
		var sets []*childSet
		var walk func(e *elemDef)
		walk = func(e *elemDef) {
			if e == nil || e.children == nil || seen[e.children] {
				return
			}
			seen[e.children] = true
			sets = append(sets, e.children)
			for _, c := range e.children.list {
				walk(c)
			}
		}
		for _, typ := range v.sc.types {
			walk(typ.root)
		}
		keys, probes, worst := 0, 0, 0
		for _, cs := range sets {
			mask := uint32(len(cs.table) - 1)
			for i, k := range cs.keys {
				n := 1
				for h := nameHash(cs.heads[i], len(k), k[len(k)-1]) & mask; int(cs.table[h]) != i+1; h = (h + 1) & mask {
					n++
				}
				ref, ok := cs.find([]byte(k))
				if !ok || ref != &cs.refs[i] {
					t.Fatalf("%s: %q not found where filed", version, k)
				}
				keys++
				probes += n
				worst = max(worst, n)
			}
		}
		avg := float64(probes) / float64(keys)
		t.Logf("%s: %d element sets, %d names, %.2f probes per lookup on average, at most %d", version, len(sets), keys, avg, worst)
		if avg > 1.3 {
			t.Errorf("%s: %.2f probes per lookup on average", version, avg)
		}
	}
}
