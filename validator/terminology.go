package validator

import (
	"context"
	"io"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// AnalyzeTerminology reads resources from r (a resource, a Bundle or NDJSON, streamed like
// ValidateStream) and feeds every CodeableConcept, Coding and Identifier, typed by the
// definitions, to a. Structural validation runs as usual and its totals are returned, but its
// issues are not mixed into the terminology profile.
func (v *Validator) AnalyzeTerminology(ctx context.Context, r io.Reader, a *terminology.Analyzer) (Summary, error) {
	return v.stream(ctx, r, func(Result) error { return nil }, func(t *tree) { extractTerminology(t, a) })
}

func extractTerminology(t *tree, a *terminology.Analyzer) {
	if len(t.nodes) == 0 || t.nodes[0].typ == nil {
		return
	}
	rt := t.nodes[0].typ.name
	a.AddResource(rt)
	str := func(parent int32, name string) string {
		if c := t.findChild(parent, name, -1); c >= 0 && t.nodes[c].kind == valString {
			return t.str(c)
		}
		return ""
	}
	coding := func(c int32) terminology.Coding {
		return terminology.Coding{System: str(c, "system"), Code: str(c, "code"), Display: str(c, "display")}
	}
	var codings []terminology.Coding
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.typ == nil || n.stub {
			continue
		}
		switch n.typ.name {
		case "CodeableConcept":
			codings = codings[:0]
			for c := n.first; c >= 0; c = t.nodes[c].next {
				if t.nodes[c].name == "coding" {
					codings = append(codings, coding(c))
				}
			}
			a.AddCodeableConcept(rt, t.expression(int32(i)), codings, str(int32(i), "text"))
		case "Coding":
			if p := n.parent; p >= 0 && t.nodes[p].typ != nil && t.nodes[p].typ.name == "CodeableConcept" {
				continue // counted with its CodeableConcept
			}
			a.AddCoding(rt, t.expression(int32(i)), coding(int32(i)))
		case "Identifier":
			a.AddIdentifier(rt, t.expression(int32(i)), str(int32(i), "system"), str(int32(i), "value"))
		}
	}
}
