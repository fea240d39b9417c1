// Package transport probes the secure transport of a FHIR endpoint: TLS versions, the
// certificate, weak cipher suites, HTTPS enforcement and HSTS.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Pack is this pack's name.
const Pack = "transport"

// NCSC guidance on TLS, which NHS England's secure-transport standards follow.
const ncscTLS = "https://www.ncsc.gov.uk/guidance/using-tls-to-protect-data"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "transport.tls.version", Pack: Pack, Severity: probes.High,
			Title:       "TLS 1.2 or newer, older versions refused",
			SpecRef:     ncscTLS + "; RFC 8996 (TLS 1.0 and 1.1 deprecated)",
			Description: "A default handshake negotiates TLS 1.2 or 1.3, and a handshake offering only TLS 1.0/1.1 is refused.",
		}, tlsVersion),
		probes.New(probes.Meta{
			ID: "transport.tls.certificate", Pack: Pack, Severity: probes.High,
			Title:       "Server certificate is valid",
			SpecRef:     ncscTLS + "; RFC 5280 §6 (path validation); RFC 6125 (host names)",
			Description: "The certificate chain verifies against the system roots (or --ca), matches the host name and is in date; warn when it expires within 30 days.",
		}, tlsCertificate),
		probes.New(probes.Meta{
			ID: "transport.tls.weak-ciphers", Pack: Pack, Severity: probes.Medium,
			Title:       "Weak cipher suites refused",
			SpecRef:     ncscTLS + "; RFC 7465 (no RC4); RFC 9325 §4.2 (cipher suite recommendations)",
			Description: "A TLS 1.2 handshake offering only weak suites (3DES, RC4, CBC-SHA1 with RSA key exchange) is refused.",
		}, weakCiphers),
		probes.New(probes.Meta{
			ID: "transport.https.enforced", Pack: Pack, Severity: probes.Critical,
			Title:       "HTTPS is enforced",
			SpecRef:     "http://hl7.org/fhir/R4/security.html#http; " + ncscTLS,
			Description: "The base URL is https, and the same path over plain http is refused or redirected to https, never served.",
		}, httpsEnforced),
		probes.New(probes.Meta{
			ID: "transport.hsts", Pack: Pack, Severity: probes.Low,
			Title:       "HTTP Strict Transport Security",
			SpecRef:     "RFC 6797 §6.1 (Strict-Transport-Security); " + ncscTLS,
			Description: "HTTPS responses carry Strict-Transport-Security with max-age of at least one year (31536000 s); shorter warns.",
		}, hsts),
	}
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
		return probes.Failed(exp, "the base URL is plain http: no TLS at all")
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
		return probes.Failed(exp, fmt.Sprintf("default handshake negotiated %s, but the server also accepts %s", negotiated, strings.Join(accepted, " and ")))
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
		return probes.Failed(exp, "the base URL is plain http: no certificate at all")
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
		return probes.Failed(exp, fmt.Sprintf("does not verify: %s (%s)", probes.Clip(err.Error(), 160), facts))
	}
	left := time.Until(leaf.NotAfter)
	if left < ExpiryWarning {
		return probes.Warned(exp, fmt.Sprintf("verifies, but expires in %d days (%s)", int(left.Hours()/24), facts))
	}
	return probes.Passed(exp, fmt.Sprintf("verifies for %s, %d days left (%s)", host, int(left.Hours()/24), facts))
}

// WeakSuites are the suites a TLS 1.2 server must not accept: 3DES, RC4, and CBC with SHA-1
// under RSA key exchange (no forward secrecy, Lucky13-class padding oracles).
var WeakSuites = []uint16{
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	tls.TLS_RSA_WITH_RC4_128_SHA,
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

func weakCiphers(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "a TLS 1.2 handshake offering only 3DES, RC4 or RSA-key-exchange CBC-SHA1 suites is refused"
	hostport, _, ok := endpoint(s.Target)
	if !ok {
		return probes.Skipped(exp, "the base URL is plain http: there is no TLS to offer suites to")
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
				return probes.Errored(exp, fmt.Errorf("no TLS handshake succeeds with %s: %v", hostport, err13))
			}
			return probes.Passed(exp, "TLS 1.2 is not offered at all (TLS 1.3 only), so no weak TLS 1.2 suite can be negotiated")
		}
		return probes.Passed(exp, fmt.Sprintf("weak-only offer of %d suites %s; a sound TLS 1.2 offer succeeds", len(WeakSuites), refusal(err)))
	}
	// Accepted: find out which of them, one at a time.
	var accepted []string
	for _, id := range WeakSuites {
		if _, err := offer([]uint16{id}); err == nil {
			accepted = append(accepted, tls.CipherSuiteName(id))
		}
	}
	if len(accepted) == 0 {
		accepted = append(accepted, "one of the offered suites (not repeatable one at a time)")
	}
	return probes.Failed(exp, "accepted "+strings.Join(accepted, ", "))
}

func httpsEnforced(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "base URL is https; the same path over plain http is refused or redirected to https, never served"
	u, err := url.Parse(s.Target.BaseURL)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if u.Scheme != "https" {
		resp, err := s.Do(ctx, probes.Request{URL: "metadata", NoAuth: true, NoFollow: true})
		if err != nil {
			return probes.Failed(exp, "the base URL is plain http")
		}
		return probes.Failed(exp, "the base URL is plain http and answers there: "+resp.Describe())
	}
	plain := *u
	plain.Scheme = "http"
	if u.Port() == "" {
		plain.Host = u.Hostname()
	}
	target := plain.String() + "/metadata"
	// Credentials never go over plain http, whatever the answer.
	resp, err := s.Do(ctx, probes.Request{URL: target, NoAuth: true, NoFollow: true})
	if err != nil {
		if ctx.Err() != nil {
			return probes.Errored(exp, ctx.Err())
		}
		// A refused plain connection only shows enforcement if the https endpoint itself
		// answers; when nothing answers at all, nothing could be tested.
		if _, herr := s.Do(ctx, probes.Request{URL: "metadata", NoAuth: true, NoFollow: true}); herr != nil {
			return probes.Errored(exp, fmt.Errorf("neither plain http nor https answers: %w", herr))
		}
		return probes.Passed(exp, fmt.Sprintf("plain http to %s refused (%s)", plain.Host, probes.Clip(lastPart(err), 100)))
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		loc := resp.Header.Get("Location")
		if lu, err := url.Parse(loc); err == nil && lu.Scheme == "https" {
			return probes.Passed(exp, fmt.Sprintf("plain http answered HTTP %d redirect to %s", resp.StatusCode, probes.Clip(loc, 80)))
		}
		return probes.Failed(exp, fmt.Sprintf("plain http answered HTTP %d redirect to %q, not to https", resp.StatusCode, probes.Clip(loc, 80)))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return probes.Failed(exp, "plain http served the request: "+resp.Describe())
	}
	return probes.Passed(exp, "plain http refused: "+resp.Describe())
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
		return probes.Failed(exp, "the base URL is plain http: HSTS needs HTTPS")
	}
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	v := f.Response.Header.Get("Strict-Transport-Security")
	if v == "" {
		return probes.Failed(exp, fmt.Sprintf("no Strict-Transport-Security header on GET metadata (HTTP %d)", f.Response.StatusCode))
	}
	age, _ := ParseHSTS(v)
	switch {
	case age < 0:
		return probes.Failed(exp, fmt.Sprintf("Strict-Transport-Security %q has no valid max-age", probes.Clip(v, 80)))
	case age == 0:
		return probes.Failed(exp, "Strict-Transport-Security max-age=0 (tells browsers to forget HSTS)")
	case age < OneYear:
		return probes.Warned(exp, fmt.Sprintf("Strict-Transport-Security %q: max-age %d s is under a year", probes.Clip(v, 80), age))
	}
	return probes.Passed(exp, fmt.Sprintf("Strict-Transport-Security %q", probes.Clip(v, 80)))
}
