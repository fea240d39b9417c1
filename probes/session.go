package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/nhs-jigsaw/jigsaw/internal/redact"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Session is what one probe sees of the run: the target, the recording client scoped to the
// probe (every exchange it causes becomes evidence on its result) and the run's shared cache.
type Session struct {
	Target Target
	meta   Meta
	client *Client
	shared *sharedCache

	mu       sync.Mutex
	evidence []string
	seen     map[string]bool
	tooLarge []string // requests whose response body was cut at the read limit
}

func newSession(meta Meta, client *Client, shared *sharedCache) *Session {
	return &Session{Target: client.Target(), meta: meta, client: client, shared: shared, seen: map[string]bool{}}
}

// Probe returns the metadata of the probe the session belongs to.
func (s *Session) Probe() Meta { return s.meta }

// Breach is the verdict when the probe's requirement is not met, by its strength: SHALL
// fails, SHOULD warns, MAY informs.
func (s *Session) Breach(expected, observed string) Result {
	return Breached(s.meta.Strength, expected, observed)
}

// Do performs a request, records it and adds its exchanges to the probe's evidence. A
// non-nil error means no complete response arrived; the Response may still name the
// recorded exchanges (and hold the last response when a redirect chain was cut short).
// Credentials are only ever sent to the target's own origin.
//
// Requests to an origin that has already timed out BreakerThreshold times in a row are not
// sent: they fail at once with an error wrapping ErrOriginUnresponsive.
func (s *Session) Do(ctx context.Context, r Request) (*Response, error) {
	onTarget := s.OnTarget(r.URL)
	if !r.NoAuth && !onTarget {
		r.NoAuth = true
	}
	full := s.client.Resolve(r.URL)
	origin := originOf(full)
	if err := s.shared.breaker.allow(origin); err != nil {
		return &Response{}, &RequestError{msg: err.Error(), cause: err}
	}
	resp, err := s.client.do(ctx, s.meta.ID, r)
	s.shared.breaker.observe(origin, err, ctx.Err())
	if resp != nil {
		s.AddEvidence(resp.Exchanges...)
		if resp.Truncated {
			method := r.Method
			if method == "" {
				method = http.MethodGet
			}
			s.noteTooLarge(method + " " + s.client.redact.url(s.client.Resolve(r.URL)))
		}
	}
	// Requests carrying the run's own credentials (or none, when none were given) tell whether
	// the inspector's token works at all.
	if err == nil && onTarget && !r.NoAuth && r.Header.Get("Authorization") == "" && !isDiscovery(s.Target.BaseURL, full) {
		s.shared.auth.observe(resp.StatusCode)
	}
	return resp, err
}

func (s *Session) noteTooLarge(what ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tooLarge = append(s.tooLarge, what...)
}

// TooLarge lists the requests (this probe's own and those of shared fetches it used) whose
// response was larger than the read limit, so that only part of it was read.
func (s *Session) TooLarge() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tooLarge...)
}

// Get is Do for a GET with optional header name/value pairs.
func (s *Session) Get(ctx context.Context, ref string, headerPairs ...string) (*Response, error) {
	h := http.Header{}
	for i := 0; i+1 < len(headerPairs); i += 2 {
		h.Set(headerPairs[i], headerPairs[i+1])
	}
	return s.Do(ctx, Request{Method: http.MethodGet, URL: ref, Header: h})
}

// OnTarget reports whether a URL (absolute or relative to the base) is on the target's own
// origin: scheme, host and port.
func (s *Session) OnTarget(ref string) bool {
	u, err1 := url.Parse(s.client.Resolve(ref))
	base, err2 := url.Parse(s.Target.BaseURL)
	return err1 == nil && err2 == nil && sameOrigin(u, base)
}

// Handshake performs a bare TLS handshake with cfg against host:port and records it as
// evidence (method "TLS"). Start from TLSConfig to keep the target's roots and client cert.
func (s *Session) Handshake(ctx context.Context, hostport string, cfg *tls.Config) (*HandshakeResult, error) {
	origin := "https://" + strings.ToLower(hostport)
	if err := s.shared.breaker.allow(origin); err != nil {
		return nil, err
	}
	res, err := s.client.handshake(ctx, s.meta.ID, hostport, cfg)
	// A handshake the server refuses (an alert) is an answer; only silence counts.
	s.shared.breaker.observe(origin, err, ctx.Err())
	if res != nil && res.ExchangeID != "" {
		s.AddEvidence(res.ExchangeID)
	}
	return res, err
}

// TLSConfig returns a copy of the target's TLS client configuration (roots, client
// certificate, insecure flag) for a probe to adjust.
func (s *Session) TLSConfig() *tls.Config { return s.client.tls.Clone() }

// VerifyChain verifies a presented certificate chain against the target's roots for host.
func (s *Session) VerifyChain(chain []*x509.Certificate, host string) error {
	return s.client.VerifyChain(chain, host)
}

// AddEvidence attaches exchanges to the probe's result.
func (s *Session) AddEvidence(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if id != "" && !s.seen[id] {
			s.seen[id] = true
			s.evidence = append(s.evidence, id)
		}
	}
}

// Evidence returns the exchange ids gathered so far, in order.
func (s *Session) Evidence() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.evidence...)
}

// Identifier returns a patient identifier fit for an observation: masked unless the run
// keeps identifiers.
func (s *Session) Identifier(v string) string {
	if s.client.opts.KeepIdentifiers {
		return v
	}
	return MaskIdentifier(v)
}

// MaskIdentifier keeps the first and last three characters of an identifier.
func MaskIdentifier(v string) string { return redact.MaskIdentifier(v) }

// Shared returns the run-wide value for key, computing it once with fetch. Concurrent callers
// wait for the one fetch; every caller gets the fetch's exchanges as evidence. The fetch runs
// under the run's context, so a probe timing out does not poison the value for the others.
func (s *Session) Shared(ctx context.Context, key string, fetch func(ctx context.Context, s *Session) (any, error)) (any, error) {
	e := s.shared.entry(key, func(e *sharedEntry) {
		fetchSession := newSession(s.meta, s.client, s.shared)
		go func() {
			defer close(e.done)
			defer func() {
				if v := recover(); v != nil {
					e.err = fmt.Errorf("shared %s panicked: %v", key, v)
				}
				e.evidence = fetchSession.Evidence()
				e.tooLarge = fetchSession.TooLarge()
			}()
			e.value, e.err = fetch(s.shared.ctx, fetchSession)
		}()
	})
	select {
	case <-e.done:
		s.AddEvidence(e.evidence...)
		s.noteTooLarge(e.tooLarge...)
		return e.value, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for shared %s: %w", key, ctx.Err())
	}
}

type sharedCache struct {
	ctx     context.Context
	breaker *breaker
	auth    *authStats
	mu      sync.Mutex
	entries map[string]*sharedEntry
}

type sharedEntry struct {
	done     chan struct{}
	value    any
	err      error
	evidence []string
	tooLarge []string
}

func newSharedCache(ctx context.Context, b *breaker) *sharedCache {
	return &sharedCache{ctx: ctx, breaker: b, auth: &authStats{}, entries: map[string]*sharedEntry{}}
}

// entry returns the entry for key, calling start (under the lock) when it is new.
func (c *sharedCache) entry(key string, start func(*sharedEntry)) *sharedEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e
	}
	e := &sharedEntry{done: make(chan struct{})}
	c.entries[key] = e
	start(e)
	return e
}
