package validator

import (
	"strings"
	"sync"
)

// Display names. A Coding that gives a display for a code of a code system FHIR itself defines
// (http://hl7.org/fhir/...) must give the display the code system gives it (the expansions of the
// value sets carry each code's display); case and runs of whitespace are not significant. A
// different display is an error, as the HL7 Java validator reports a wrong display name. Other
// code systems are not checked: terminology.hl7.org's change displays between releases (Java
// checks against its newer copy), and a package's own code systems are left to their authors.

// displayIndex maps system -> code -> display, built on first use from the value set expansions.
type displayIndex struct {
	once sync.Once
	m    map[string]map[string]string
}

func (sc *schema) display(system, code []byte) (string, bool) {
	sc.displays.once.Do(func() {
		m := map[string]map[string]string{}
		for i := range sc.defs.ValueSets {
			vs := &sc.defs.ValueSets[i]
			for _, c := range vs.Codes {
				if c.Display == "" {
					continue
				}
				sys := vs.Systems[c.System]
				if !strings.HasPrefix(sys, "http://hl7.org/fhir/") {
					continue
				}
				if m[sys] == nil {
					m[sys] = map[string]string{}
				}
				m[sys][c.Code] = c.Display
			}
		}
		sc.displays.m = m
	})
	d, ok := sc.displays.m[string(system)][string(code)] // no allocation for the look-up
	return d, ok
}

// checkDisplay checks the display of the Coding at node n against its code system's.
func (w *walker) checkDisplay(n int32) {
	tr := w.tree()
	d := tr.findChild(n, "display", -1)
	if d < 0 || tr.nodes[d].kind != valString {
		return
	}
	s := tr.findChild(n, "system", -1)
	c := tr.findChild(n, "code", -1)
	if s < 0 || c < 0 || tr.nodes[s].kind != valString || tr.nodes[c].kind != valString {
		return
	}
	if v := tr.findChild(n, "version", -1); v >= 0 {
		return // another version of the code system may display the code otherwise
	}
	want, ok := w.sc.display(tr.bytes(s), tr.bytes(c))
	if !ok || sameDisplay(want, tr.str(d)) {
		return
	}
	w.report(SeverityError, CheckCodeSystem, int(tr.nodes[d].line), int(tr.nodes[d].col), w.expr()+".display",
		"Wrong Display Name %q for %s#%s: the code system's display is %q", tr.str(d), tr.str(s), tr.str(c), want)
}

func sameDisplay(a, b string) bool {
	if a == b {
		return true
	}
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}
