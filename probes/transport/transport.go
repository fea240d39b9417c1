// Package transport probes the secure transport of a FHIR endpoint: TLS versions, the
// certificate, weak cipher suites, HTTPS enforcement and HSTS.
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "transport"

// Source clauses, versioned: RFCs are immutable, NCSC guidance is cited as context.
const (
	ncscTLS    = "https://www.ncsc.gov.uk/guidance/using-tls-to-protect-data"
	rfc8996    = "https://www.rfc-editor.org/rfc/rfc8996#section-2"
	rfc9325    = "https://www.rfc-editor.org/rfc/rfc9325#section-4.1"
	rfc7465    = "https://www.rfc-editor.org/rfc/rfc7465#section-2"
	rfc5280    = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
	rfc6125    = "https://www.rfc-editor.org/rfc/rfc6125#section-6"
	rfc6750TLS = "https://www.rfc-editor.org/rfc/rfc6750#section-5.3"
	rfc6797    = "https://www.rfc-editor.org/rfc/rfc6797#section-7.1"
	fhirSec    = "http://hl7.org/fhir/R4/security.html#http"
	// RootHTTPS is the probe whose root finding a plain-http base URL is: the other transport
	// probes are not applicable to it and point here.
	RootHTTPS = "transport.https.enforced"
)

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "transport.tls.version", Pack: Pack, Severity: probes.High, Strength: verdict.Shall,
			Title:       "TLS 1.2 or newer, older versions refused",
			SpecRef:     rfc8996 + "; " + ncscTLS,
			Requirement: "RFC 8996 §2-3: TLS servers MUST NOT negotiate TLS 1.0 or TLS 1.1.",
			Description: "Fail when a handshake offering only TLS 1.0 or only TLS 1.1 succeeds; pass when a default handshake negotiates TLS 1.2 or 1.3 and both are refused. Not applicable to a plain-http base URL (root finding transport.https.enforced).",
		}, tlsVersion),
		probes.New(probes.Meta{
			ID: "transport.tls.certificate", Pack: Pack, Severity: probes.High, Strength: verdict.Shall,
			Title:       "Server certificate is valid",
			SpecRef:     rfc5280 + "; " + rfc6125 + "; " + ncscTLS,
			Requirement: "RFC 5280 §6 and RFC 6125 §6: the certificate chain MUST validate to a trust anchor, be within its validity period and identify the host the client connected to.",
			Description: "Fail when the chain does not verify with --ca given, is out of date or does not name the host; warn when it expires within 30 days. An unknown issuer with no --ca given is could not test (cause tls-trust): the inspector has not said which CA to trust. Not applicable to a plain-http base URL.",
		}, tlsCertificate),
		probes.New(probes.Meta{
			ID: "transport.tls.weak-ciphers", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:       "Weak cipher suites refused",
			SpecRef:     rfc7465 + "; " + rfc9325 + "; " + ncscTLS,
			Requirement: "RFC 7465 §2: TLS servers MUST NOT select an RC4 cipher suite. RFC 9325 §4.1: implementations SHOULD NOT negotiate suites based on RSA key transport (no forward secrecy) or offering less than 128 bits of security (3DES).",
			Description: "Fail when an RC4 suite is accepted (MUST NOT); warn when a suite with RSA key transport (TLS_RSA_WITH_*, AES-GCM and AES-CBC-SHA256 included) or 3DES is accepted (SHOULD NOT); the GP Connect provider test suite is stricter (it expects AES128-SHA256 refused) and the observation says so. Not applicable to a plain-http base URL.",
		}, weakCiphers),
		probes.New(probes.Meta{
			ID: RootHTTPS, Pack: Pack, Severity: probes.Critical, Strength: verdict.Shall,
			Title:       "HTTPS is enforced",
			SpecRef:     rfc6750TLS + "; " + fhirSec + "; " + ncscTLS,
			Requirement: "RFC 6750 §5.3: clients MUST always use TLS (https) when making requests with bearer tokens; FHIR R4 security: all exchange of production data should be secured using TLS. A server that serves over plain http invites both.",
			Description: "Fail when the base URL is plain http, or when plain http to the same host (port 80) or to the HTTPS port itself is served (2xx) rather than refused or redirected to https; the observation names each URL tried. This is the root finding for a plain-http endpoint: the other transport probes are then not applicable.",
		}, httpsEnforced),
		probes.New(probes.Meta{
			ID: "transport.hsts", Pack: Pack, Severity: probes.Low, Strength: verdict.Should,
			Title:       "HTTP Strict Transport Security",
			SpecRef:     rfc6797 + "; " + ncscTLS,
			Requirement: "RFC 6797 §7.1: an HSTS host SHOULD include Strict-Transport-Security in its HTTPS responses; NCSC: max-age of at least one year.",
			Description: "Warn (SHOULD) when HTTPS responses lack Strict-Transport-Security, carry max-age=0 or no valid max-age, or a max-age under one year (31536000 s). Not applicable to a plain-http base URL.",
		}, hsts),
	}
}

// plainBase is the dependent verdict of a TLS probe on a plain-http base URL.
func plainBase(exp string) probes.Result {
	return probes.Dependent(exp, RootHTTPS, "the base URL is plain http: there is no TLS to examine")
}

// endpoint returns host:port of the target's TLS endpoint, or ok=false for plain http.
func endpoint(t probes.Target) (hostport, host string, ok bool) {
	u, err := url.Parse(t.BaseURL)
	if err != nil || u.Scheme != "https" {
		return "", "", false
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), u.Hostname(), true
}

// probeConfig is the target's TLS configuration for a deliberate handshake: the chain is not
// checked here (transport.tls.certificate does that), so a bad certificate does not hide
// the answer to the version or cipher question.
func probeConfig(s *probes.Session) *tls.Config {
	cfg := s.TLSConfig()
	cfg.InsecureSkipVerify = true //nolint:gosec // handshake probe; the chain is verified by its own probe
	cfg.NextProtos = nil
	return cfg
}

// allSuites lists every TLS 1.0-1.2 suite Go can offer, insecure ones included, so a server
// that accepts an old protocol version finds something in common.
func allSuites() []uint16 {
	var ids []uint16
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		for _, v := range cs.SupportedVersions {
			if v <= tls.VersionTLS12 {
				ids = append(ids, cs.ID)
				break
			}
		}
	}
	return ids
}

// refusal describes a failed handshake attempt for an observation.
func refusal(err error) string {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return "refused with alert " + alert.Error()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "no answer before the timeout"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i < 120 {
		msg = msg[i+2:]
	}
	return "refused (" + probes.Clip(msg, 100) + ")"
}

func tlsVersion(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "TLS 1.2 or 1.3 negotiated; a handshake offering only TLS 1.0/1.1 refused"
	hostport, _, ok := endpoint(s.Target)
	if !ok {
		return plainBase(exp)
	}
	modern, err := s.Handshake(ctx, hostport, probeConfig(s))
	if err != nil {
		return probes.Errored(exp, fmt.Errorf("TLS 1.2+ handshake with %s failed: %v", hostport, err))
	}
	negotiated := tls.VersionName(modern.State.Version)

	var accepted, refused []string
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		legacy := probeConfig(s)
		legacy.MinVersion, legacy.MaxVersion = v, v
		legacy.CipherSuites = allSuites()
		old, err := s.Handshake(ctx, hostport, legacy)
		if err == nil {
			accepted = append(accepted, fmt.Sprintf("%s (%s)", tls.VersionName(old.State.Version), tls.CipherSuiteName(old.State.CipherSuite)))
			continue
		}
		if ctx.Err() != nil {
			return probes.Errored(exp, ctx.Err())
		}
		refused = append(refused, fmt.Sprintf("%s-only offer %s", tls.VersionName(v), refusal(err)))
	}
	if len(accepted) > 0 {
		return s.Breach(exp, fmt.Sprintf("default handshake negotiated %s, but the server also accepts %s", negotiated, strings.Join(accepted, " and ")))
	}
	return probes.Passed(exp, fmt.Sprintf("default handshake negotiated %s (%s); %s",
		negotiated, tls.CipherSuiteName(modern.State.CipherSuite), strings.Join(refused, "; ")))
}

// ExpiryWarning is how close to expiry a certificate earns a warning.
const ExpiryWarning = 30 * 24 * time.Hour

func tlsCertificate(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "certificate chain verifies (system roots or --ca), matches the host name, in date and not expiring within 30 days"
	hostport, host, ok := endpoint(s.Target)
	if !ok {
		return plainBase(exp)
	}
	hs, err := s.Handshake(ctx, hostport, probeConfig(s))
	if err != nil {
		return probes.Errored(exp, fmt.Errorf("TLS handshake with %s failed: %v", hostport, err))
	}
	chain := hs.State.PeerCertificates
	if len(chain) == 0 {
		return probes.Failed(exp, "the server presented no certificate")
	}
	leaf := chain[0]
	facts := fmt.Sprintf("subject %q, issuer %q, valid %s to %s",
		probes.Clip(leaf.Subject.String(), 80), probes.Clip(leaf.Issuer.String(), 80),
		leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	if err := s.VerifyChain(chain, host); err != nil {
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &unknown) && s.Target.CAFile == "" {
			// A private CA the inspector has not named is a set-up gap, not the server's defect.
			return probes.Errored(exp, fmt.Errorf("the chain does not verify against this machine's roots and no --ca was given (%s): %w", facts, err))
		}
		return s.Breach(exp, fmt.Sprintf("does not verify: %s (%s)", probes.Clip(err.Error(), 160), facts))
	}
	left := time.Until(leaf.NotAfter)
	if left < ExpiryWarning {
		return probes.Warned(exp, fmt.Sprintf("verifies, but expires in %d days (%s)", int(left.Hours()/24), facts))
	}
	return probes.Passed(exp, fmt.Sprintf("verifies for %s, %d days left (%s)", host, int(left.Hours()/24), facts))
}

// ForbiddenSuites are the TLS 1.2 suites a server MUST NOT select (RFC 7465: RC4). Go offers
// no NULL or EXPORT suites, which RFC 9325 also forbids.
var ForbiddenSuites = []uint16{
	tls.TLS_RSA_WITH_RC4_128_SHA,
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
}

// DiscouragedSuites are the TLS 1.2 suites a server SHOULD NOT negotiate (RFC 9325 §4.1): 3DES
// (under 128 bits of security) and every suite with RSA key transport (no forward secrecy),
// AES-GCM and AES-CBC-SHA256 ones included.
var DiscouragedSuites = []uint16{
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
}

// WeakSuites are every suite the probe offers: forbidden and discouraged.
var WeakSuites = append(append([]uint16(nil), ForbiddenSuites...), DiscouragedSuites...)

// gpcSuiteNote says where the GP Connect provider test suite is stricter than the RFCs.
const gpcSuiteNote = "the GP Connect provider test suite is stricter: it expects AES128-SHA256 (TLS_RSA_WITH_AES_128_CBC_SHA256) refused and only ECDHE/DHE AES-GCM or AES256 suites accepted"

func weakCiphers(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "TLS 1.2 handshakes offering only RC4 suites are refused (MUST NOT); only 3DES or RSA-key-transport suites refused (SHOULD NOT)"
	hostport, _, ok := endpoint(s.Target)
	if !ok {
		return plainBase(exp)
	}
	offer := func(suites []uint16) (*probes.HandshakeResult, error) {
		cfg := probeConfig(s)
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		cfg.CipherSuites = suites
		return s.Handshake(ctx, hostport, cfg)
	}
	_, err := offer(WeakSuites)
	if err != nil {
		if ctx.Err() != nil {
			return probes.Errored(exp, ctx.Err())
		}
		// A refusal only means something if a sound TLS 1.2 handshake works at all.
		sound := probeConfig(s)
		sound.MinVersion, sound.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		if _, serr := s.Handshake(ctx, hostport, sound); serr != nil {
			if _, err13 := s.Handshake(ctx, hostport, probeConfig(s)); err13 != nil {
				return probes.Errored(exp, fmt.Errorf("no TLS handshake succeeds with %s: %w", hostport, err13))
			}
			return probes.Passed(exp, "TLS 1.2 is not offered at all (TLS 1.3 only), so no weak TLS 1.2 suite can be negotiated")
		}
		return probes.Passed(exp, fmt.Sprintf("an offer of only the %d weak suites (RC4, 3DES, RSA key transport) %s; a sound TLS 1.2 offer succeeds", len(WeakSuites), refusal(err)))
	}
	// Accepted: find out which of them, one at a time.
	accepted := func(ids []uint16) []string {
		var out []string
		for _, id := range ids {
			if _, err := offer([]uint16{id}); err == nil {
				out = append(out, tls.CipherSuiteName(id))
			}
		}
		return out
	}
	forbidden, discouraged := accepted(ForbiddenSuites), accepted(DiscouragedSuites)
	switch {
	case len(forbidden) > 0:
		observed := "accepted " + strings.Join(forbidden, ", ") + " (RC4: MUST NOT)"
		if len(discouraged) > 0 {
			observed += "; also " + strings.Join(discouraged, ", ") + " (SHOULD NOT)"
		}
		return probes.Failed(exp, observed)
	case len(discouraged) > 0:
		return probes.Warned(exp, "accepted "+strings.Join(discouraged, ", ")+" (3DES or RSA key transport without forward secrecy: SHOULD NOT); "+gpcSuiteNote)
	}
	return probes.Errored(exp, fmt.Errorf("the weak-suite offer was accepted but no single weak suite is accepted on its own"))
}

func httpsEnforced(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "base URL is https; plain http to the same host (port 80) and to the HTTPS port is refused or redirected to https, never served"
	u, err := url.Parse(s.Target.BaseURL)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if u.Scheme != "https" {
		resp, err := s.Do(ctx, probes.Request{URL: "metadata", NoAuth: true, NoFollow: true})
		if err != nil {
			return s.Breach(exp, "the base URL is plain http (it did not answer: "+probes.Clip(lastPart(err), 80)+")")
		}
		return s.Breach(exp, "the base URL is plain http and answers there: "+resp.Describe())
	}
	// The plain-http origin of the same host is port 80; a server may also answer plain http
	// on its HTTPS port. Both are tried; credentials never go over plain http.
	type attempt struct{ label, url string }
	origin := *u
	origin.Scheme, origin.Host = "http", u.Hostname()
	if strings.Contains(u.Hostname(), ":") {
		origin.Host = "[" + u.Hostname() + "]"
	}
	attempts := []attempt{{"port 80", origin.String() + "/metadata"}}
	if port := u.Port(); port != "" && port != "80" {
		same := *u
		same.Scheme = "http"
		attempts = append(attempts, attempt{"the HTTPS port " + port, same.String() + "/metadata"})
	}
	var served, fine []string
	answered := 0
	for _, a := range attempts {
		resp, err := s.Do(ctx, probes.Request{URL: a.url, NoAuth: true, NoFollow: true})
		if err != nil {
			if ctx.Err() != nil {
				return probes.Errored(exp, ctx.Err())
			}
			fine = append(fine, fmt.Sprintf("%s (%s): refused (%s)", a.url, a.label, probes.Clip(lastPart(err), 80)))
			continue
		}
		answered++
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc := resp.Header.Get("Location")
			if lu, err := url.Parse(loc); err == nil && lu.Scheme == "https" {
				fine = append(fine, fmt.Sprintf("%s (%s): HTTP %d redirect to %s", a.url, a.label, resp.StatusCode, probes.Clip(loc, 80)))
			} else {
				served = append(served, fmt.Sprintf("%s (%s): HTTP %d redirect to %q, not to https", a.url, a.label, resp.StatusCode, probes.Clip(loc, 80)))
			}
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			served = append(served, fmt.Sprintf("%s (%s): plain http served the request: %s", a.url, a.label, resp.Describe()))
		default:
			fine = append(fine, fmt.Sprintf("%s (%s): plain http refused: %s", a.url, a.label, resp.Describe()))
		}
	}
	if len(served) > 0 {
		return s.Breach(exp, strings.Join(append(served, fine...), "; "))
	}
	if answered == 0 {
		// Refused connections only show enforcement if the https endpoint itself answers.
		if _, herr := s.Do(ctx, probes.Request{URL: "metadata", NoAuth: true, NoFollow: true}); herr != nil {
			return probes.Errored(exp, fmt.Errorf("neither plain http nor https answers: %w", herr))
		}
	}
	return probes.Passed(exp, strings.Join(fine, "; "))
}

func lastPart(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// OneYear is the HSTS max-age the NCSC and browsers' preload lists expect.
const OneYear = 31536000

// ParseHSTS reads a Strict-Transport-Security value (RFC 6797 §6.1): the max-age in seconds
// (-1 when absent or malformed) and whether includeSubDomains is set.
func ParseHSTS(v string) (maxAge int64, includeSubDomains bool) {
	maxAge = -1
	for _, directive := range strings.Split(v, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
			if err == nil && n >= 0 {
				maxAge = n
			}
		case "includesubdomains":
			includeSubDomains = true
		}
	}
	return maxAge, includeSubDomains
}

func hsts(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Strict-Transport-Security: max-age >= 31536000 on HTTPS responses"
	if _, _, ok := endpoint(s.Target); !ok {
		return plainBase(exp)
	}
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	v := f.Response.Header.Get("Strict-Transport-Security")
	if v == "" {
		return s.Breach(exp, fmt.Sprintf("no Strict-Transport-Security header on GET metadata (HTTP %d)", f.Response.StatusCode))
	}
	age, _ := ParseHSTS(v)
	switch {
	case age < 0:
		return s.Breach(exp, fmt.Sprintf("Strict-Transport-Security %q has no valid max-age", probes.Clip(v, 80)))
	case age == 0:
		return s.Breach(exp, "Strict-Transport-Security max-age=0 (tells browsers to forget HSTS)")
	case age < OneYear:
		return s.Breach(exp, fmt.Sprintf("Strict-Transport-Security %q: max-age %d s is under a year", probes.Clip(v, 80), age))
	}
	return probes.Passed(exp, fmt.Sprintf("Strict-Transport-Security %q", probes.Clip(v, 80)))
}
