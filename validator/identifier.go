package validator

import (
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// checkIdentifier checks identifiers whose system defines a check: an NHS number is ten digits
// with a valid modulus 11 check digit (NHS Data Dictionary), whatever profile the resource
// claims, as UK Core's Patient.identifier:nhsNumber slice assumes.
func (w *walker) checkIdentifier(t *tree, n int32) {
	sys := t.firstChild(n, "system")
	if sys < 0 || t.nodes[sys].kind != valString || t.str(sys) != terminology.SystemNHSNumber {
		return
	}
	v := t.firstChild(n, "value")
	if v < 0 || t.nodes[v].kind != valString {
		return
	}
	value := t.str(v)
	if terminology.NHSNumberValid(value) {
		return
	}
	shown := value
	if len(shown) > 3 {
		shown = "…" + shown[len(shown)-3:] // identifiers are personal data: show the last three characters only
	}
	w.report(SeverityError, CheckIdentifier, int(t.nodes[v].line), int(t.nodes[v].col), t.expression(n)+".value",
		"NHS number %q is not valid: an NHS number is 10 digits whose last is the modulus 11 check digit of the first nine", shown)
}
