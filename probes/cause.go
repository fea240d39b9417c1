package probes

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/nhs-jigsaw/jigsaw/verdict"
	"net"
	"strings"
	"syscall"
)

// Cause and CauseKind are the verdict vocabulary's (a leaf, so result rows can carry them
// wherever they are stored).
type (
	CauseKind = verdict.CauseKind
	Cause     = verdict.Cause
)

// Cause kinds, spelled by the verdict package.
const (
	CauseTLSTrust     = verdict.CauseTLSTrust
	CauseTLSHandshake = verdict.CauseTLSHandshake
	CauseRefused      = verdict.CauseRefused
	CauseDNS          = verdict.CauseDNS
	CauseTimeout      = verdict.CauseTimeout
	CauseUnresponsive = verdict.CauseUnresponsive
	CauseCredentials  = verdict.CauseCredentials
	CauseDeadline     = verdict.CauseDeadline
	CauseOther        = verdict.CauseOther
)

var causeOrder = []CauseKind{CauseTLSTrust, CauseTLSHandshake, CauseRefused, CauseDNS, CauseTimeout, CauseUnresponsive, CauseCredentials, CauseDeadline, CauseOther}

// Errors the engine classifies.
var (
	// ErrCredentialsRefused: 401 or 403 to a request that carried the run's credentials.
	ErrCredentialsRefused = errors.New("credentials refused")
	// ErrOriginUnresponsive: the circuit breaker stopped a request to an origin that had
	// already timed out repeatedly.
	ErrOriginUnresponsive = errors.New("origin unresponsive")
)

// Advice for each kind.
var causeAdvice = map[CauseKind]string{
	CauseTLSTrust:     "the certificate is not trusted by this machine: pass --ca with the CA certificate that issued it (or --insecure to look without verifying)",
	CauseTLSHandshake: "no TLS session could be agreed: check the URL's port is the HTTPS one and whether the server requires a client certificate (--cert/--key)",
	CauseRefused:      "nothing accepts connections there: check the URL, the port and that the server is running and reachable from this network",
	CauseDNS:          "the host name does not resolve from this machine: check the URL and the network (HSCN endpoints resolve only on HSCN)",
	CauseTimeout:      "the server accepted connections but did not answer within --timeout: check it is healthy, or raise --timeout",
	CauseUnresponsive: "requests were stopped after repeated timeouts from this origin: check the server is answering, then run again",
	CauseCredentials:  "the endpoint refused the credentials: give a valid bearer token (JIGSAW_TOKEN or --token) with read access to Patient",
	CauseDeadline:     "the probe or the run ran out of time: raise --timeout or run fewer probes at once",
	CauseOther:        "see the observation",
}

// CauseKinds lists every cause kind with its advice, in summary order (for documentation).
func CauseKinds() []Cause {
	out := make([]Cause, 0, len(causeOrder))
	for _, k := range causeOrder {
		out = append(out, Cause{Kind: k, Advice: causeAdvice[k]})
	}
	return out
}

// Classify names the cause of an error that stopped a probe.
func Classify(err error) Cause {
	c := Cause{Kind: classify(err), Detail: Clip(lastLine(err), 200)}
	c.Advice = causeAdvice[c.Kind]
	return c
}

func classify(err error) CauseKind {
	var unknownAuthority x509.UnknownAuthorityError
	var certInvalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var dnsErr *net.DNSError
	var netErr net.Error
	msg := err.Error()
	switch {
	case errors.Is(err, ErrOriginUnresponsive):
		return CauseUnresponsive
	case errors.Is(err, ErrCredentialsRefused):
		return CauseCredentials
	case errors.As(err, &unknownAuthority), strings.Contains(msg, "certificate signed by unknown authority"):
		return CauseTLSTrust
	case errors.As(err, &certInvalid), errors.As(err, &hostname), strings.Contains(msg, "x509: "):
		// Expired, wrong host name...: still trust, but a real defect the certificate probe
		// reports as a failure; the other probes could not test through it.
		return CauseTLSTrust
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(msg, "connection refused"):
		return CauseRefused
	case errors.As(err, &dnsErr):
		return CauseDNS
	case strings.Contains(msg, "probe did not stop"), strings.Contains(msg, "run's deadline"), strings.Contains(msg, "waiting for shared"):
		// The runner's own limits: the probe or the run ran out of time.
		return CauseDeadline
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded),
		strings.Contains(msg, "deadline exceeded"), strings.Contains(msg, "timeout awaiting"), strings.Contains(msg, "i/o timeout"):
		// A request's own time limit (--timeout): the server did not answer in time.
		return CauseTimeout
	case strings.Contains(msg, "tls: "), strings.Contains(msg, "handshake"):
		return CauseTLSHandshake
	}
	return CauseOther
}

func lastLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// CauseSummary is one root cause of could-not-test results in a run and the probes it stopped.
type CauseSummary struct {
	Cause
	// Probes are the ids of the probes this cause stopped, in run order.
	Probes []string `json:"probes"`
}

// String is the cause as one line for a terminal: "N probes could not test: detail — advice".
func (c CauseSummary) String() string {
	n := "1 probe"
	if len(c.Probes) != 1 {
		n = fmt.Sprintf("%d probes", len(c.Probes))
	}
	return fmt.Sprintf("%s could not test (%s): %s — %s", n, c.Kind, c.Detail, c.Advice)
}

// Summarise groups the could-not-test results by cause kind, most common set-up causes first.
// The detail shown is the first seen for the kind.
func Summarise(results []Result) []CauseSummary {
	byKind := map[CauseKind]*CauseSummary{}
	for _, r := range results {
		if r.Status != Error {
			continue
		}
		c := Cause{Kind: CauseOther, Detail: Clip(r.Observed, 200), Advice: causeAdvice[CauseOther]}
		if r.Cause != nil {
			c = *r.Cause
		}
		s, ok := byKind[c.Kind]
		if !ok {
			s = &CauseSummary{Cause: c}
			byKind[c.Kind] = s
		}
		s.Probes = append(s.Probes, r.ProbeID)
	}
	var out []CauseSummary
	for _, k := range causeOrder {
		if s, ok := byKind[k]; ok {
			out = append(out, *s)
		}
	}
	return out
}
