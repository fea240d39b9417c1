// Package security probes access control and information leakage: authentication required,
// forged tokens refused, Bearer challenges, no caching of patient data, no internals in
// error pages.
package security

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "security"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "security.auth.required", Pack: Pack, Strength: verdict.Shall, Severity: probes.Critical,
			Title:       "Patient data needs authentication",
			SpecRef:     "http://hl7.org/fhir/R4/security.html#authentication; https://www.rfc-editor.org/rfc/rfc6750#section-3",
			Requirement: "FHIR R4 security: users and clients must be authenticated; RFC 6750 §3: a protected resource answers a request without a valid token with 401. Patient data SHALL NOT be served without authentication.",
			Description: "Fail (critical) when patient data is returned without credentials; warn when a patient request without credentials is accepted (2xx) or answered other than 401/403 but carries no patient data; pass on 401 or 403.",
		}, authRequired),
		probes.New(probes.Meta{
			ID: "security.auth.invalid-token", Pack: Pack, Strength: verdict.Shall, Severity: probes.Critical,
			Title:       "Forged bearer tokens are refused",
			SpecRef:     "https://www.rfc-editor.org/rfc/rfc6750#section-3.1; http://hl7.org/fhir/R4/security.html#authentication",
			Requirement: "RFC 6750 §3.1: a request with an invalid, expired or forged access token SHALL be refused with 401 and error=\"invalid_token\".",
			Description: "Fail (critical) when a forged bearer token is accepted: patient data returned, or any 2xx even with no patient data (the token was not checked); warn on 403 or another non-401 refusal; pass on 401.",
		}, invalidToken),
		probes.New(probes.Meta{
			ID: "security.auth.www-authenticate", Pack: Pack, Strength: verdict.Shall, Severity: probes.Low,
			Title:       "401 responses challenge with Bearer",
			SpecRef:     "https://www.rfc-editor.org/rfc/rfc6750#section-3; https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1",
			Requirement: "RFC 6750 §3: when a request lacks a valid token the resource server MUST include the WWW-Authenticate response header with the Bearer scheme.",
			Description: "Fail when a 401 lacks WWW-Authenticate or a Bearer challenge; skip when no 401 was seen (the authentication probes report why).",
		}, wwwAuthenticate),
		probes.New(probes.Meta{
			ID: "security.headers.no-store", Pack: Pack, Strength: verdict.Should, Severity: probes.Medium,
			Title:       "Patient data is not cached",
			SpecRef:     "https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x16-V8-Data-Protection.md (V8.2.1); https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5; https://developer.nhs.uk/apis/gpconnect-1-2-7/development_general_api_guidance.html (GP Connect: SHALL)",
			Requirement: "OWASP ASVS 4.0.3 V8.2.1: sensitive data SHOULD be sent with anti-caching headers (Cache-Control: no-store). FHIR R4 does not require it; GP Connect does (every response SHALL carry Cache-Control: no-store), and the gpconnect pack judges that.",
			Description: "Warn (SHOULD) when a response carrying patient data lacks Cache-Control: no-store; skip when no response carried patient data.",
		}, noStore),
		probes.New(probes.Meta{
			ID: "security.errors.no-leak", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "Errors do not leak internals",
			SpecRef:     "https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x15-V7-Error-Logging.md (V7.4.1); https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x22-V14-Config.md (V14.3.3)",
			Requirement: "OWASP ASVS 4.0.3 V7.4.1: a generic message is shown when an unexpected or security-sensitive error occurs (no stack traces, SQL errors); V14.3.3: headers do not expose detailed version information.",
			Description: "Fail when an error body shows a stack trace, SQL error or versioned banner; warn when only response headers (Server, X-Powered-By) carry a version; skip when no request produced an error.",
		}, noLeak),
	}
}

// PatientData reports whether a body carries patient data: a Patient, or a Bundle with a
// Patient in it, or the test patient's NHS number anywhere.
func PatientData(body []byte, nhsNumber string) bool {
	if nhsNumber != "" && bytes.Contains(body, []byte(nhsNumber)) {
		return true
	}
	switch probes.ResourceTypeOf(body) {
	case "Patient":
		return true
	case "Bundle":
		b, err := probes.ParseBundle(body)
		return err == nil && len(b.Matches("Patient")) > 0
	}
	return false
}

// patientRequests are the requests whose answer would be patient data: a read of the test
// patient when one is known, and an unqualified or identifier search.
func patientRequests(ctx context.Context, s *probes.Session) (urls []string, nhsNumber string) {
	if tp, err := s.TestPatient(ctx); err == nil {
		urls = append(urls, "Patient/"+url.PathEscape(tp.ID))
		nhsNumber = tp.NHSNumber
	}
	if n := s.Target.TestNHSNumber; n != "" {
		urls = append(urls, probes.NHSNumberQuery(n))
		nhsNumber = n
	} else {
		urls = append(urls, "Patient?_count=1")
	}
	return urls, nhsNumber
}

// ForgedToken is a bearer token no server issued: a well-formed, unsigned JWT whose claims
// name Jigsaw, so it is recognisable in the server's logs.
func ForgedToken() string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc.EncodeToString([]byte(fmt.Sprintf(`{"iss":"https://jigsaw.invalid","sub":"jigsaw-forged","aud":"fhir","exp":4102444800,"jti":"%s"}`, probes.RandomHex(8))))
	return header + "." + claims + "." + enc.EncodeToString([]byte(probes.RandomHex(16)))
}

// authProbe asks for patient data with no credentials (forged == "") or a forged token,
// and judges the answers: patient data always fails; 401 passes (and 403 when forbiddenOK).
func authProbe(ctx context.Context, s *probes.Session, exp, forged string, forbiddenOK bool) probes.Result {
	urls, nhs := patientRequests(ctx, s)
	var leaks, served, other, refused, notes []string
	for _, u := range urls {
		req := probes.Request{URL: u, NoAuth: true}
		if forged != "" {
			req = probes.Request{URL: u, Header: map[string][]string{"Authorization": {"Bearer " + forged}}}
		}
		resp, err := s.Do(ctx, req)
		if err != nil {
			notes = append(notes, fmt.Sprintf("GET %s: no response (%v)", label(u), err))
			continue
		}
		desc := fmt.Sprintf("GET %s: HTTP %d", label(u), resp.StatusCode)
		switch {
		case PatientData(resp.Body, nhs):
			leaks = append(leaks, desc+" with patient data")
		case resp.StatusCode == 401 || (forbiddenOK && resp.StatusCode == 403):
			refused = append(refused, desc)
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			served = append(served, desc+" accepted, no patient data in the body")
		default:
			other = append(other, desc)
		}
	}
	observed := strings.Join(slices.Concat(leaks, served, other, refused, notes), "; ")
	switch {
	case len(leaks) > 0:
		return critical(probes.Failed(exp, observed))
	case len(served) > 0 && forged != "":
		// A forged token let through is critical whether or not this answer held data: the
		// server did not check the token.
		return critical(probes.Failed(exp, observed+" (the forged token was not checked)"))
	case len(served) > 0 || len(other) > 0:
		return probes.Warned(exp, observed)
	case len(refused) == 0:
		return probes.Errored(exp, fmt.Errorf("%s", observed))
	}
	return probes.Passed(exp, observed)
}

func critical(r probes.Result) probes.Result {
	r.Severity = probes.Critical
	return r
}

func label(u string) string {
	if strings.HasPrefix(u, "Patient?identifier=") {
		return "Patient?identifier=[NHS number]"
	}
	if strings.HasPrefix(u, "Patient/") {
		return "Patient/[test patient]"
	}
	return u
}

func authRequired(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patient read and search without credentials → 401 or 403, with no patient data"
	return authProbe(ctx, s, exp, "", true)
}

func invalidToken(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patient read and search with a forged bearer token → 401, with no patient data"
	return authProbe(ctx, s, exp, ForgedToken(), false)
}

// Challenge is one authentication challenge of a WWW-Authenticate header.
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseWWWAuthenticate parses a WWW-Authenticate value into its challenges (RFC 9110
// §11.6.1): comma-separated challenges, each a scheme and auth-params or a token68.
// Malformed input yields what could be read, never a panic.
func ParseWWWAuthenticate(v string) []Challenge {
	var out []Challenge
	var cur *Challenge
	for rest := strings.TrimSpace(v); rest != ""; {
		// An item is either "name=value" (a parameter of the current challenge) or a new
		// scheme, optionally followed by a parameter or token68 after a space.
		tok, after := readToken(rest)
		if tok == "" {
			rest = strings.TrimLeft(after[min(1, len(after)):], " \t")
			continue
		}
		after = strings.TrimLeft(after, " \t")
		if strings.HasPrefix(after, "=") && cur != nil && !isToken68Tail(after) {
			val, next := readValue(strings.TrimLeft(after[1:], " \t"))
			cur.Params[strings.ToLower(tok)] = val
			rest = skipComma(next)
			continue
		}
		out = append(out, Challenge{Scheme: tok, Params: map[string]string{}})
		cur = &out[len(out)-1]
		if strings.HasPrefix(after, ",") || after == "" {
			rest = skipComma(after)
			continue
		}
		// Either the first auth-param or a token68 follows the scheme.
		name, afterName := readToken(after)
		afterName = strings.TrimLeft(afterName, " \t")
		if name != "" && strings.HasPrefix(afterName, "=") && !isToken68Tail(afterName) {
			val, next := readValue(strings.TrimLeft(afterName[1:], " \t"))
			cur.Params[strings.ToLower(name)] = val
			rest = skipComma(next)
			continue
		}
		end := strings.IndexByte(after, ',')
		if end < 0 {
			end = len(after)
		}
		cur.Params["token68"] = strings.TrimSpace(after[:end])
		rest = skipComma(after[end:])
	}
	return out
}

// isToken68Tail reports whether what follows a token is token68 padding ("==", "=" then end
// or comma) rather than "= value".
func isToken68Tail(s string) bool {
	t := strings.TrimLeft(s, "=")
	t = strings.TrimLeft(t, " \t")
	return t == "" || strings.HasPrefix(t, ",")
}

func readToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t,=\"", s[i]) < 0 {
		i++
	}
	return s[:i], s[i:]
}

func readValue(s string) (val, rest string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			case '"':
				return b.String(), s[i+1:]
			default:
				b.WriteByte(s[i])
			}
		}
		return b.String(), ""
	}
	tok, rest := readToken(s)
	return tok, rest
}

func skipComma(s string) string {
	s = strings.TrimLeft(s, " \t")
	for strings.HasPrefix(s, ",") {
		s = strings.TrimLeft(s[1:], " \t")
	}
	return s
}

// HasBearer reports whether any challenge uses the Bearer scheme.
func HasBearer(challenges []Challenge) bool {
	for _, c := range challenges {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return true
		}
	}
	return false
}

func wwwAuthenticate(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every 401 response carries WWW-Authenticate with the Bearer scheme"
	urls, _ := patientRequests(ctx, s)
	requests := []probes.Request{{URL: urls[len(urls)-1], NoAuth: true},
		{URL: urls[len(urls)-1], Header: map[string][]string{"Authorization": {"Bearer " + ForgedToken()}}}}
	var bad, good []string
	for i, req := range requests {
		kind := "without credentials"
		if i == 1 {
			kind = "with a forged token"
		}
		resp, err := s.Do(ctx, req)
		if err != nil || resp.StatusCode != 401 {
			continue
		}
		values := resp.Header.Values("WWW-Authenticate")
		var challenges []Challenge
		for _, v := range values {
			challenges = append(challenges, ParseWWWAuthenticate(v)...)
		}
		switch {
		case len(values) == 0:
			bad = append(bad, "401 "+kind+": no WWW-Authenticate")
		case !HasBearer(challenges):
			bad = append(bad, fmt.Sprintf("401 %s: WWW-Authenticate: %s (no Bearer challenge)", kind, probes.Clip(strings.Join(values, ", "), 80)))
		default:
			good = append(good, fmt.Sprintf("401 %s: WWW-Authenticate: %s", kind, probes.Clip(strings.Join(values, ", "), 80)))
		}
	}
	switch {
	case len(bad) > 0:
		return probes.Failed(exp, strings.Join(append(bad, good...), "; "))
	case len(good) == 0:
		return probes.Skipped(exp, "no 401 response observed (see security.auth.required and security.auth.invalid-token)")
	}
	return probes.Passed(exp, strings.Join(good, "; "))
}

func noStore(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "responses carrying patient data have Cache-Control: no-store"
	tp, err := s.TestPatient(ctx)
	if err != nil {
		return probes.NoPatient(exp, err)
	}
	var bad, good []string
	for _, u := range []string{"Patient/" + url.PathEscape(tp.ID), probes.NHSNumberQuery(tp.NHSNumber)} {
		if tp.NHSNumber == "" && strings.HasPrefix(u, "Patient?") {
			continue
		}
		resp, err := s.SharedGet(ctx, u)
		if err != nil {
			return probes.Errored(exp, err)
		}
		if !PatientData(resp.Body, tp.NHSNumber) {
			continue
		}
		cc := resp.Header.Values("Cache-Control")
		if hasDirective(cc, "no-store") {
			good = append(good, fmt.Sprintf("GET %s: Cache-Control %q", label(u), probes.Clip(strings.Join(cc, ", "), 60)))
		} else if len(cc) == 0 {
			bad = append(bad, fmt.Sprintf("GET %s: no Cache-Control", label(u)))
		} else {
			bad = append(bad, fmt.Sprintf("GET %s: Cache-Control %q", label(u), probes.Clip(strings.Join(cc, ", "), 60)))
		}
	}
	switch {
	case len(bad) > 0:
		return s.Breach(exp, strings.Join(append(bad, good...), "; ")+" (GP Connect requires no-store on every response; FHIR R4 does not)")
	case len(good) == 0:
		return probes.Skipped(exp, "no response carried patient data")
	}
	return probes.Passed(exp, strings.Join(good, "; "))
}

func hasDirective(values []string, directive string) bool {
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, directive) {
				return true
			}
		}
	}
	return false
}

// leakPattern is one kind of internal detail an error page must not show.
type leakPattern struct {
	what string
	re   *regexp.Regexp
}

// leakPatterns recognise stack traces, SQL errors and versioned server banners.
var leakPatterns = []leakPattern{
	{"Java stack trace", regexp.MustCompile(`(?m)(^\s*at [a-zA-Z_$][\w$]*(\.[\w$<>]+)+\([\w$]+\.java(:\d+)?\)|java\.lang\.\w+(Exception|Error)|Exception in thread ")`)},
	{".NET stack trace", regexp.MustCompile(`(System\.\w+Exception|(?m)^\s*at [\w.]+\(.*\) in .*:line \d+|Server Error in '/' Application|ASP\.NET is configured to show verbose error)`)},
	{"Python traceback", regexp.MustCompile(`Traceback \(most recent call last\)|File "[^"]+\.py", line \d+`)},
	{"Node.js stack trace", regexp.MustCompile(`(?m)^\s*at .+\((/|[A-Z]:\\).+\.js:\d+:\d+\)`)},
	{"Go panic", regexp.MustCompile(`goroutine \d+ \[running\]|panic: runtime error`)},
	{"PHP error", regexp.MustCompile(`(Fatal error|Parse error|Warning)</b>: .+ on line <b>\d+|PHP (Fatal|Parse) error`)},
	{"SQL error", regexp.MustCompile(`(?i)(SQLSTATE\[|SQLException|ORA-\d{5}|syntax error at or near|You have an error in your SQL syntax|Unclosed quotation mark after the character string|SQLITE_ERROR|psql: error|PSQLException)`)},
	{"versioned server banner", regexp.MustCompile(`(?i)(Apache Tomcat/\d+\.\d+|Apache/\d+\.\d+(\.\d+)? \(|nginx/\d+\.\d+|Microsoft-IIS/\d+\.\d+|Jetty\(\d+\.|WildFly \d+|JBoss(WEB|AS)?[/ ]\d+|HAPI FHIR \d+\.\d+\.\d+ REST Server|Werkzeug/\d+\.\d+|Kestrel/\d)`)},
}

// Leaks lists the kinds of internal detail found in a body.
func Leaks(body []byte) []string {
	var found []string
	for _, p := range leakPatterns {
		if p.re.Match(body) {
			found = append(found, p.what)
		}
	}
	return found
}

var versionedBanner = regexp.MustCompile(`\d+\.\d+`)

func noLeak(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "error responses show no stack traces, SQL errors or versioned server banners"
	attempts := []struct{ label, url string }{
		{"unknown resource type", "JigsawUnknownType/" + probes.RandomHex(4)},
		{"malformed id", "Patient/%27%22%3Cjigsaw%3E" + strings.Repeat("x", 80)},
		{"invalid search value", "Patient?birthdate=not-a-date&_count=abc"},
		{"unknown sort", "Patient?_sort=" + url.QueryEscape("jigsaw'\"") + "&_count=1"},
	}
	var leaks, banners, notes []string
	var lastErr error
	responses, inspected := 0, 0
	for _, a := range attempts {
		resp, err := s.Get(ctx, a.url)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: no response", a.label))
			lastErr = err
			continue
		}
		responses++
		if resp.StatusCode < 400 {
			continue
		}
		inspected++
		if found := Leaks(resp.Body); len(found) > 0 {
			leaks = append(leaks, fmt.Sprintf("%s (HTTP %d): %s", a.label, resp.StatusCode, strings.Join(found, ", ")))
		}
		for _, h := range []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"} {
			if v := resp.Header.Get(h); v != "" && versionedBanner.MatchString(v) {
				if b := fmt.Sprintf("%s: %s", h, probes.Clip(v, 60)); !slices.Contains(banners, b) {
					banners = append(banners, b)
				}
			}
		}
	}
	switch {
	case responses == 0:
		return probes.Errored(exp, fmt.Errorf("no error page could be fetched (%s): %w", strings.Join(notes, "; "), lastErr))
	case len(leaks) > 0:
		return probes.Failed(exp, strings.Join(append(leaks, banners...), "; "))
	case inspected == 0:
		return probes.Skipped(exp, "none of the malformed requests produced an error response to inspect")
	case len(banners) > 0:
		return probes.Warned(exp, "no traces in bodies, but versioned banners in headers: "+strings.Join(banners, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%d error responses inspected: no stack traces, SQL errors or versioned banners", inspected))
}
