package validator

// Matchetypes. A matchetype is a resource used as a pattern for comparing other resources (the
// HL7 tools' test harnesses): it carries the extension
// http://hl7.org/fhir/tools/StructureDefinition/matchetype, and its primitive values may be
// placeholders between dollar signs ("$instant$", "$uuid$", "$string$", "$choice:a|b$") that stand
// for any value of a kind. With WithMatchetype (the HL7 Java validator's matchetype mode) such
// placeholders are accepted in any primitive without checking their form; without it a resource
// that declares itself a matchetype is an error, as in the Java validator.

const matchetypeExtension = "http://hl7.org/fhir/tools/StructureDefinition/matchetype"

// WithMatchetype validates matchetype resources: placeholders such as "$instant$" are accepted
// as primitive values, and the matchetype extension is allowed.
func WithMatchetype() Option {
	return func(c *config) { c.matchetype = true }
}

// matchetypeValue reports whether a primitive's value is a matchetype placeholder ("$...$").
func matchetypeValue(v []byte) bool {
	return len(v) >= 2 && v[0] == '$' && v[len(v)-1] == '$'
}

// checkMatchetypeDeclaration reports a resource that declares itself a matchetype (extension
// at node n, on the resource root) when the validator is not in matchetype mode.
func (w *walker) checkMatchetypeDeclaration(t *tree, n int32, url string) {
	if url != matchetypeExtension || w.matchetype {
		return
	}
	h := t.nodes[n].parent
	if h < 0 || !t.nodes[h].resource {
		return
	}
	hn := &t.nodes[h]
	w.report(SeverityError, CheckExtension, int(hn.line), int(hn.col), t.expression(h),
		"this resource is a matchetype (extension %s), which is allowed only when validating matchetypes", url)
}
