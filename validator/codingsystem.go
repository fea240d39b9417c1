package validator

import (
	"bytes"
	"sync"
)

// Coding.system, as the HL7 Java validator checks it: it must be an absolute URI (a local name
// such as "Location1" is an error), and it must name a code system, not a value set (the
// canonical URL of a value set the definitions hold, which no value set draws codes from).

// codeSystemIndex lists the URLs used as code systems by the definitions' value sets.
type codeSystemIndex struct {
	once sync.Once
	m    map[string]bool
}

func (sc *schema) isCodeSystemURL(url []byte) bool {
	sc.csURLs.once.Do(func() {
		m := map[string]bool{}
		for i := range sc.defs.ValueSets {
			vs := &sc.defs.ValueSets[i]
			for _, s := range vs.Systems {
				m[s] = true
			}
			for _, s := range vs.IncludeSystems {
				m[s] = true
			}
		}
		for u := range sc.codeSystems {
			m[u] = true
		}
		sc.csURLs.m = m
	})
	return sc.csURLs.m[string(url)] // no allocation for the look-up
}

// absoluteURI reports whether s starts with a URI scheme ("http:", "urn:", "mailto:").
func absoluteURI(s []byte) bool {
	i := bytes.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for k := 0; k < i; k++ {
		c := s[k]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case k > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// checkCodingSystem checks the system of the Coding at node n.
func (w *walker) checkCodingSystem(n int32) {
	tr := w.tree()
	s := tr.findChild(n, "system", -1)
	if s < 0 || tr.nodes[s].kind != valString {
		return
	}
	sys := tr.bytes(s)
	nd := &tr.nodes[s]
	switch {
	case !absoluteURI(sys):
		w.report(SeverityError, CheckCodeSystem, int(nd.line), int(nd.col), w.expr()+".system",
			"Coding.system must be an absolute reference, not a local reference (%q)", sys)
	case w.sc.valueSets[string(sys)] != nil && !w.sc.isCodeSystemURL(sys):
		w.report(SeverityError, CheckCodeSystem, int(nd.line), int(nd.col), w.expr()+".system",
			"the Coding's system %s is a value set, not a code system", sys)
	}
}
