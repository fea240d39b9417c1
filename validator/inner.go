package validator

// Inline resources in trees of their own. A resource held in an element of another resource
// (Parameters.parameter.resource, say; not a Bundle entry, which is validated apart) is read into
// a tree of its own, and the outer tree holds a stub for it. So that the outer resource's
// profiles can validate it against the profile its element gives, the inner tree is kept until
// the outer resource has been checked, then returned for reuse.

type innerKey struct {
	outer *tree
	stub  int32
}

// keepInner moves the current (inner) tree off the stack and keeps it for the stub at index
// stub of the tree below it.
func (w *walker) keepInner(stub int32) {
	inner := w.trees[len(w.trees)-1]
	w.trees = w.trees[:len(w.trees)-1]
	if w.inner == nil {
		w.inner = map[innerKey]*tree{}
	}
	w.inner[innerKey{w.tree(), stub}] = inner
}

// innerTree returns the tree kept for the stub at node n of tree t, or nil.
func (w *walker) innerTree(t *tree, n int32) *tree {
	if w.inner == nil {
		return nil
	}
	return w.inner[innerKey{t, n}]
}

// releaseAllInner returns every kept tree for reuse (a new top-level resource starts).
func (w *walker) releaseAllInner() {
	for k, inner := range w.inner {
		delete(w.inner, k)
		w.spare = append(w.spare, inner)
	}
}

// releaseInner returns the trees kept for stubs of tree t for reuse.
func (w *walker) releaseInner(t *tree) {
	for k, inner := range w.inner {
		if k.outer == t {
			delete(w.inner, k)
			if cap(inner.nodes) > 1<<16 {
				inner.nodes, inner.arena = nil, nil
			}
			w.spare = append(w.spare, inner)
		}
	}
}
