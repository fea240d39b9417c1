package validator

import (
	"bytes"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
)

// Security checks: text that looks like HTML tags in primitive values other than the narrative
// (the HL7 Java validator's security-checks option). A string such as
// "Standard <script>x</script>" is harmless in FHIR but dangerous where a consumer pastes it
// into a web page without escaping it.
//
// With the option the Java validator reports such a value as an error, in every primitive type
// but xhtml (markdown included). Without it Java gives information-level hints for the same
// values (markdown excepted); Jigsaw does not look at the values at all then, so that the
// check costs nothing when it is off (docs/validator.md).

// WithSecurityChecks reports primitive values (other than the narrative's XHTML) holding text
// that looks like embedded HTML tags as errors, as the HL7 Java validator does with its
// security-checks option.
func WithSecurityChecks() Option {
	return func(c *config) { c.valueChecks |= valueCheckSecurity }
}

const securityHTMLMessage = "The string value contains text that looks like embedded HTML tags, which are not allowed for security reasons in this context"

// checkEmbeddedHTML reports a value of a type other than xhtml that looks like it embeds HTML.
func (w *walker) checkEmbeddedHTML(tok *jsontok.Token, ctr *typeRef) {
	if ctr == nil || ctr.t == nil || ctr.t.name == "xhtml" || !containsHTMLTags(tok.Value) {
		return
	}
	w.report(SeverityError, CheckSecurity, tok.Line, tok.Col, w.expr(), securityHTMLMessage)
}

// containsHTMLTags decides, as the Java validator does, whether s holds something that looks
// like an HTML tag: a "<" whose text up to the first following ">" starts with a letter, goes
// on with letters, digits or underscores, and then ends or continues after whitespace
// ("<script>", "<a href=x>"; not "</b>", "<3", "a < b"). As in Java, only a "<" that has
// another "<" somewhere after it counts, and its ">" must come before that next "<": so
// "<b>bold</b>" counts by its opening tag, while a lone "<br>" at the end of the text does not.
func containsHTMLTags(s []byte) bool {
	i := bytes.IndexByte(s, '<')
	for i >= 0 {
		rest := s[i+1:]
		next := bytes.IndexByte(rest, '<')
		if next < 0 {
			return false
		}
		if gt := bytes.IndexByte(rest[:next], '>'); gt >= 0 && htmlTagText(rest[:gt]) {
			return true
		}
		s, i = rest, next
	}
	return false
}

// htmlTagText reports whether s, the text between "<" and ">", matches the Java validator's
// pattern [a-zA-Z]\w*(((\s+)(\S)*)*): a letter, then word characters, then nothing or
// whitespace followed by anything.
func htmlTagText(s []byte) bool {
	if len(s) == 0 || !isASCIILetter(s[0]) {
		return false
	}
	j := 1
	for j < len(s) && (isASCIILetter(s[j]) || (s[j] >= '0' && s[j] <= '9') || s[j] == '_') {
		j++
	}
	if j == len(s) {
		return true
	}
	switch s[j] { // Java's \s
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
