package validator

import (
	"regexp"
	"strings"
)

// textLinkExtension links a part of a resource's narrative (an element of the XHTML with an id)
// to the data it renders: its htmlid must name an element of the narrative.
const textLinkExtension = "http://hl7.org/fhir/StructureDefinition/textLink"

// xhtmlID finds the id attributes of an XHTML fragment.
var xhtmlID = regexp.MustCompile(`\sid\s*=\s*(?:"([^"]*)"|'([^']*)')`)

// checkTextLinks checks the textLink extensions of the Narrative at node n: each htmlid must be
// the id of an element in the narrative's XHTML (an error, as in the HL7 Java validator).
func (w *walker) checkTextLinks(t *tree, n int32) {
	var ids map[string]bool
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name != "extension" {
			continue
		}
		u := t.firstChild(c, "url")
		if u < 0 || t.nodes[u].kind != valString || t.str(u) != textLinkExtension {
			continue
		}
		for x := t.nodes[c].first; x >= 0; x = t.nodes[x].next {
			if t.nodes[x].name != "extension" {
				continue
			}
			xu := t.firstChild(x, "url")
			v := t.firstChild(x, "value")
			if xu < 0 || v < 0 || t.str(xu) != "htmlid" || t.nodes[v].kind != valString {
				continue
			}
			if ids == nil {
				ids = map[string]bool{}
				if d := t.firstChild(n, "div"); d >= 0 && t.nodes[d].kind == valString {
					for _, m := range xhtmlID.FindAllStringSubmatch(t.str(d), -1) {
						ids[m[1]+m[2]] = true
					}
				}
			}
			if id := strings.TrimSpace(t.str(v)); !ids[id] {
				nd := &t.nodes[v]
				w.report(SeverityError, CheckNarrative, int(nd.line), int(nd.col), t.expression(v),
					"the textLink htmlid %q is not the id of an element in the narrative's XHTML", id)
			}
		}
	}
}
