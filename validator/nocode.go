package validator

import "strings"

// A coded primitive under a required binding that has no value, only extensions (a
// data-absent-reason, say), gives no code from the value set: the HL7 Java validator reports
// "No code provided, and a code is required from the value set". The "_name" companion may come
// before or after the value, so the walker notes such elements as their companions are read and
// checks them when the resource ends.

type noCodeCandidate struct {
	tree *tree
	node int32
}

// noteNoCode records the element at node n of the current tree when its definition has a
// required binding and it has no value yet.
func (w *walker) noteNoCode(n int32, ce *elemDef) {
	if n < 0 || ce == nil || ce.binding == nil || ce.binding.strength != "required" {
		return
	}
	tr := w.tree()
	if k := tr.nodes[n].kind; k == valString || k == valNumber || k == valTrue || k == valFalse {
		return
	}
	w.noCode = append(w.noCode, noCodeCandidate{tr, n})
}

// checkNoCode reports (when report is set) the noted elements of the current tree that still
// have no value, and forgets them.
func (w *walker) checkNoCode(report bool) {
	if len(w.noCode) == 0 {
		return
	}
	tr := w.tree()
	kept := w.noCode[:0]
	for _, c := range w.noCode {
		if c.tree != tr {
			kept = append(kept, c)
			continue
		}
		nd := &tr.nodes[c.node]
		if !report {
			continue
		}
		if k := nd.kind; k == valString || k == valNumber || k == valTrue || k == valFalse {
			continue
		}
		if crossVersionValue(tr, c.node) {
			continue
		}
		url := ""
		if nd.elem != nil && nd.elem.binding != nil {
			url = nd.elem.binding.url
		}
		w.report(SeverityError, CheckBinding, int(nd.line), int(nd.col), tr.expression(c.node),
			"no code provided, and a code is required from the value set %s (required binding)", url)
	}
	w.noCode = kept
}

// crossVersionValue reports whether the element at n carries a cross-version extension
// (http://hl7.org/fhir/5.0/StructureDefinition/extension-...), which stands for a value of
// another FHIR version: the element has a value, one this version cannot express.
func crossVersionValue(t *tree, n int32) bool {
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name != "extension" {
			continue
		}
		u := t.firstChild(c, "url")
		if u < 0 || t.nodes[u].kind != valString {
			continue
		}
		rest, ok := strings.CutPrefix(t.str(u), "http://hl7.org/fhir/")
		if !ok {
			continue
		}
		if i := strings.Index(rest, "/StructureDefinition/extension-"); i > 0 && rest[0] >= '1' && rest[0] <= '9' {
			return true
		}
	}
	return false
}
