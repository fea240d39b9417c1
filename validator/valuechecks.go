package validator

import "github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"

// Optional checks of primitive values. They are off by default, and the walker reaches them
// through one test of walker.valueChecks per value, so they cost nothing when off.
const (
	valueCheckSecurity       uint8 = 1 << iota // WithSecurityChecks (security.go)
	valueCheckCanonicalTypes                   // WithCanonicalTypes (canonical.go)
)

// optionalValueChecks runs the optional checks switched on for a non-empty string value of
// type ctr (not a matchetype placeholder).
func (w *walker) optionalValueChecks(tok *jsontok.Token, ctr *typeRef) {
	if w.valueChecks&valueCheckSecurity != 0 {
		w.checkEmbeddedHTML(tok, ctr)
	}
	if w.valueChecks&valueCheckCanonicalTypes != 0 && ctr != nil && ctr.code == "canonical" {
		w.checkCanonicalType(tok, ctr)
	}
}
