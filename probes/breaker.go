package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// BreakerThreshold is how many requests to one origin in a row may time out before the run
// stops sending it requests: a server that accepts connections and never answers then costs
// about one --timeout, not one per request.
const BreakerThreshold = 3

// breaker is the run's circuit breaker, per origin (scheme, host and port). A response of any
// kind resets the origin's count; once open, it stays open for the rest of the run.
type breaker struct {
	threshold int
	timeout   time.Duration
	mu        sync.Mutex
	origins   map[string]*originState
}

type originState struct {
	consecutive int
	open        bool
	last        string
}

func newBreaker(threshold int, timeout time.Duration) *breaker {
	return &breaker{threshold: threshold, timeout: timeout, origins: map[string]*originState{}}
}

// allow returns ErrOriginUnresponsive (wrapped, with the last timeout seen) when the origin's
// breaker is open.
func (b *breaker) allow(origin string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.origins[origin]
	if st == nil || !st.open {
		return nil
	}
	return fmt.Errorf("%w: not sent, %s gave no answer within %s to %d requests in a row (last: %s)",
		ErrOriginUnresponsive, origin, b.timeout, st.consecutive, st.last)
}

// observe counts a request's outcome. Only the request's own timeout counts: a probe that was
// cancelled (parentErr set) says nothing about the server.
func (b *breaker) observe(origin string, err, parentErr error) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.origins[origin]
	if st == nil {
		st = &originState{}
		b.origins[origin] = st
	}
	switch {
	case err == nil:
		st.consecutive = 0
	case parentErr == nil && isTimeout(err):
		st.consecutive++
		st.last = Clip(lastLine(err), 120)
		if st.consecutive >= b.threshold {
			st.open = true
		}
	}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

// originOf is the breaker's key for a URL: scheme://host:port.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(hostPort(u))
}

// authStats counts the answers to requests that carried the run's own credentials (or none,
// when no token was given) to the target, CapabilityStatement and discovery documents aside.
type authStats struct {
	mu      sync.Mutex
	sent    int
	refused int
	served  int
}

func (a *authStats) observe(status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent++
	switch {
	case status == 401 || status == 403:
		a.refused++
	case status >= 200 && status < 300:
		a.served++
	}
}

// allRefused reports whether at least min data requests were made and every one was refused.
func (a *authStats) allRefused(min int) (bool, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent >= min && a.refused == a.sent, a.sent
}

// isDiscovery reports whether a URL on the target is metadata or a .well-known document,
// which servers rightly answer without credentials.
func isDiscovery(base, raw string) bool {
	rest := strings.TrimPrefix(raw, base)
	rest = strings.TrimLeft(rest, "/")
	return strings.HasPrefix(rest, "metadata") || strings.HasPrefix(rest, ".well-known/")
}
