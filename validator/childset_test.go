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
