// Package redact is the one list of what counts as a secret or a patient identifier in
// evidence: the headers whose values are credentials, the parameter and JSON member names
// that carry credentials, the pattern of an echoed bearer token, and how an NHS number is
// found in text. The probe engine (as it captures an exchange) and the evidence store (as it
// records one) both redact with these, so they agree on what is removed.
package redact

import (
	"net/textproto"
	"regexp"
	"sort"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// secretHeaders are headers whose whole value is a credential (canonical form).
var secretHeaders = map[string]bool{
	"Authorization":        true,
	"Proxy-Authorization":  true,
	"Cookie":               true,
	"Set-Cookie":           true,
	"Apikey":               true, // NHS API platform
	"Api-Key":              true,
	"X-Api-Key":            true,
	"X-Auth-Token":         true,
	"X-Access-Token":       true,
	"X-Amz-Security-Token": true,
}

// SecretHeader reports whether a header's value is a credential: a listed header, or any
// header whose name mentions a token or a secret.
func SecretHeader(name string) bool {
	canon := textproto.CanonicalMIMEHeaderKey(name)
	if secretHeaders[canon] {
		return true
	}
	lower := strings.ToLower(canon)
	return strings.Contains(lower, "token") || strings.Contains(lower, "secret")
}

// secretNames are URL parameters, form fields and JSON members whose values are credentials,
// in lower case. "code" is left out: it is a FHIR search parameter far more often than an
// authorisation code in evidence.
var secretNames = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "token": true,
	"client_secret": true, "client_assertion": true, "assertion": true, "code_verifier": true,
	"password": true, "passwd": true, "secret": true, "api_key": true, "apikey": true, "key": true,
	"sig": true, "signature": true, "jwt": true, "sessionid": true,
}

// SecretName reports whether a parameter, form field or JSON member name carries a credential.
func SecretName(name string) bool { return secretNames[strings.ToLower(name)] }

// SecretNames lists the secret names, sorted.
func SecretNames() []string {
	out := make([]string, 0, len(secretNames))
	for n := range secretNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// BearerCredential finds bearer tokens echoed in free text (error messages, diagnostics, bodies);
// group 1 is "Bearer " as written. Real tokens are long: short words after "Bearer" (realm=,
// error=) are left as evidence.
var BearerCredential = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/]{12,}=*`)

// JSONSecretMember finds a JSON member with a secret name and a string value; group 1 is the
// member name, colon and spacing, so replacing with `${1}"[REDACTED]"` keeps the document valid.
var JSONSecretMember = regexp.MustCompile(`("(?i:` + strings.Join(SecretNames(), "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// JSONSecretMemberAtEnd finds such a member whose string value runs to the end of a cut body.
var JSONSecretMemberAtEnd = regexp.MustCompile(`("(?i:` + strings.Join(SecretNames(), "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*\\?$`)

// NHSNumbers replaces every NHS number in s (ten digits, or 3-3-4 separated by spaces or
// hyphens, with a valid check digit, not part of a longer number) with mark, except those keep
// accepts (known test patients; keep may be nil).
func NHSNumbers(s, mark string, keep func(digits string) bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		if n, digits := nhsNumberAt(s, i); n > 0 && terminology.NHSNumberValid(digits) && (keep == nil || !keep(digits)) {
			b.WriteString(s[last:i])
			b.WriteString(mark)
			i += n
			last = i
			continue
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// nhsNumberAt matches an NHS-number-shaped token at s[i:] and returns its length in s and its
// ten digits, or 0.
func nhsNumberAt(s string, i int) (int, string) {
	digitsAt := func(from, n int) bool {
		if from+n > len(s) {
			return false
		}
		for k := from; k < from+n; k++ {
			if !isDigit(s[k]) {
				return false
			}
		}
		return true
	}
	endsAt := func(end int) bool { return end == len(s) || !isDigit(s[end]) }
	if digitsAt(i, 10) && endsAt(i+10) {
		return 10, s[i : i+10]
	}
	if digitsAt(i, 3) && i+3 < len(s) && (s[i+3] == ' ' || s[i+3] == '-') {
		sep := s[i+3]
		if digitsAt(i+4, 3) && i+7 < len(s) && s[i+7] == sep && digitsAt(i+8, 4) && endsAt(i+12) {
			return 12, s[i:i+3] + s[i+4:i+7] + s[i+8:i+12]
		}
	}
	return 0, ""
}

// MaskIdentifier shows an identifier without giving it away: its first and last three
// characters ("999****018"), or "***" when it is six characters or fewer. Reports use it where
// saying which test patient was used matters but the number itself must not be kept.
func MaskIdentifier(v string) string {
	r := []rune(v)
	if len(r) <= 6 {
		return "***"
	}
	return string(r[:3]) + "****" + string(r[len(r)-3:])
}
