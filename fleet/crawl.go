package fleet

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Options tune the crawler. Zero values take the defaults, which follow the etiquette of
// public endpoint crawlers (AINPI: one request per second per host, 16 at once overall, a
// named User-Agent, 10 s connect and 30 s read timeouts, backoff on 429 and 503).
type Options struct {
	// Concurrency bounds the endpoints checked at once across all hosts (default 16).
	Concurrency int
	// PerHostRate is requests per second per host (the URL's host:port; default 1).
	PerHostRate float64
	// PerHostBurst is the per-host burst (default 1).
	PerHostBurst int
	// ConnectTimeout bounds the TCP connect and the TLS handshake (default 10 s).
	ConnectTimeout time.Duration
	// Timeout bounds one request, body included (default 30 s).
	Timeout time.Duration
	// MaxAttempts is how many times an endpoint answering 429 or 503 is asked (default 3).
	MaxAttempts int
	// MaxRetryWait caps one wait before a retry; a Retry-After longer than this ends the
	// endpoint's attempts instead (default 60 s).
	MaxRetryWait time.Duration
	// BaseBackoff is the first backoff when no Retry-After is given; it doubles (default 1 s).
	BaseBackoff time.Duration
	// ReadLimit caps the CapabilityStatement bytes read (default 4 MiB).
	ReadLimit int64
	// UserAgent names the crawler and how to reach its operator.
	UserAgent string
	// CAFile adds trusted CA certificates (PEM) to the system roots.
	CAFile string
	// Progress, if set, is called once per finished endpoint, one call at a time.
	Progress func(done, total int, o Observation)
}

// DefaultUserAgent identifies the crawler to the servers it visits.
const DefaultUserAgent = "jigsaw-fleet/1 (NHS interoperability endpoint survey; +https://github.com/nhs-jigsaw/jigsaw)"

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.PerHostRate == 0 {
		o.PerHostRate = 1
	}
	if o.PerHostBurst <= 0 {
		o.PerHostBurst = 1
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 60 * time.Second
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// Observation is one endpoint's state in one run.
type Observation struct {
	ODS       string    `json:"ods"`
	BaseURL   string    `json:"base_url"`
	Kind      string    `json:"kind"`
	StartedAt time.Time `json:"started_at"`
	// Up is true when GET [base]/metadata answered HTTP 200 (Lantern's availability measure).
	Up         bool `json:"up"`
	HTTPStatus int  `json:"http_status,omitempty"`
	// LatencyMS is the successful (last) attempt's time from request to the end of the body.
	LatencyMS   float64          `json:"latency_ms"`
	Attempts    int              `json:"attempts"`
	Error       string           `json:"error,omitempty"`
	ContentType string           `json:"content_type,omitempty"`
	TLS         *probes.TLSFacts `json:"tls,omitempty"`
	// CapabilitySHA256 is the hash of the raw CapabilityStatement bytes.
	CapabilitySHA256 string            `json:"capability_sha256,omitempty"`
	Capability       *Capability       `json:"capability,omitempty"`
	CapabilityError  string            `json:"capability_error,omitempty"`
	Rules            []verdict.Finding `json:"rules,omitempty"`
	Level            int               `json:"level"`
	// raw is the CapabilityStatement as served, kept for the store.
	raw []byte
}

// Raw returns the CapabilityStatement bytes as served (nil when none was).
func (o Observation) Raw() []byte { return o.raw }

// Crawler checks endpoints politely. It is safe for concurrent use.
type Crawler struct {
	opts     Options
	client   *http.Client
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewCrawler builds a crawler with one shared connection pool and per-host rate limits.
func NewCrawler(opts Options) (*Crawler, error) {
	opts = opts.withDefaults()
	tlsConfig, _, err := probes.TLSConfig(probes.Target{CAFile: opts.CAFile})
	if err != nil {
		return nil, fmt.Errorf("fleet crawler TLS: %w", err)
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    opts.ConnectTimeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxResponseHeaderBytes: 256 << 10,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           opts.Concurrency * 2,
		MaxIdleConnsPerHost:    2,
		// Never more than two connections to one host, however many of its endpoints are listed.
		MaxConnsPerHost: 2,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Crawler{
		opts: opts,
		client: &http.Client{
			Transport: transport,
			// A base URL that redirects is recorded as it answers; following it could take
			// the crawler to hosts the directory never listed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		limiters: map[string]*rate.Limiter{},
	}, nil
}

// Close releases idle connections.
func (c *Crawler) Close() { c.client.CloseIdleConnections() }

// Scan checks every endpoint, at most Concurrency at once, and returns one observation per
// endpoint in the directory's order. Only a cancelled context stops it early; it then returns
// the context's error with what it has.
func (c *Crawler) Scan(ctx context.Context, endpoints []Endpoint) ([]Observation, error) {
	out := make([]Observation, len(endpoints))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	var mu sync.Mutex
	done := 0
	for i, ep := range endpoints {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			o := c.Check(gctx, ep)
			out[i] = o
			if c.opts.Progress != nil {
				mu.Lock()
				done++
				c.opts.Progress(done, len(endpoints), o)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("fleet scan interrupted: %w", err)
	}
	return out, nil
}

func (c *Crawler) limiter(host string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters[host]
	if !ok {
		limit := rate.Limit(c.opts.PerHostRate)
		if c.opts.PerHostRate < 0 {
			limit = rate.Inf
		}
		l = rate.NewLimiter(limit, c.opts.PerHostBurst)
		c.limiters[host] = l
	}
	return l
}

// Check fetches one endpoint's CapabilityStatement, retrying politely on 429 and 503.
func (c *Crawler) Check(ctx context.Context, ep Endpoint) Observation {
	o := Observation{ODS: ep.ODS, BaseURL: ep.BaseURL, Kind: ep.Kind, StartedAt: time.Now().UTC()}
	u, err := url.Parse(ep.BaseURL + "/metadata")
	if err != nil {
		o.Error = fmt.Sprintf("base URL: %v", err)
		evaluate(&o, ep.FHIRVersion())
		return o
	}
	accept := "application/fhir+json"
	if ep.FHIRVersion() == "STU3" {
		accept = "application/fhir+json, application/json+fhir;q=0.9"
	}
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		o.Attempts = attempt
		if err := c.limiter(u.Host).Wait(ctx); err != nil {
			o.Error = fmt.Sprintf("waiting for the per-host rate limit: %v", err)
			break
		}
		retry, wait := c.fetch(ctx, u.String(), accept, &o)
		if !retry || attempt == c.opts.MaxAttempts {
			break
		}
		if wait < 0 {
			wait = c.opts.BaseBackoff << (attempt - 1)
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1)) // jitter: retries do not arrive in step
		}
		if wait > c.opts.MaxRetryWait {
			o.Error += fmt.Sprintf("; Retry-After %s exceeds the %s the crawler waits, not retried", wait.Round(time.Second), c.opts.MaxRetryWait)
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			o.Error += fmt.Sprintf("; cancelled while backing off: %v", ctx.Err())
			attempt = c.opts.MaxAttempts
		case <-t.C:
		}
	}
	evaluate(&o, ep.FHIRVersion())
	return o
}

// fetch makes one request and fills o. It reports whether to retry and how long the server
// asked to wait (negative when it did not say).
func (c *Crawler) fetch(ctx context.Context, target, accept string, o *Observation) (retry bool, wait time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		o.Error = fmt.Sprintf("build request: %v", err)
		return false, 0
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", accept)
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		*o = Observation{ODS: o.ODS, BaseURL: o.BaseURL, Kind: o.Kind, StartedAt: o.StartedAt, Attempts: o.Attempts,
			LatencyMS: ms(time.Since(start)), Error: describeError(err)}
		return false, 0
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, c.opts.ReadLimit+1))
	o.LatencyMS = ms(time.Since(start))
	o.HTTPStatus = resp.StatusCode
	o.Up = resp.StatusCode == http.StatusOK
	o.ContentType = probes.Clip(resp.Header.Get("Content-Type"), 200)
	o.Error, o.Capability, o.CapabilityError, o.CapabilitySHA256, o.raw = "", nil, "", "", nil
	if resp.TLS != nil {
		o.TLS = tlsFacts(resp.TLS)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		o.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
		return true, retryAfter(resp.Header.Get("Retry-After"), time.Now())
	case readErr != nil:
		o.Error = fmt.Sprintf("read body: %v", describeError(readErr))
		return false, 0
	case int64(len(body)) > c.opts.ReadLimit:
		o.CapabilityError = fmt.Sprintf("CapabilityStatement larger than %d bytes; not read", c.opts.ReadLimit)
		return false, 0
	case resp.StatusCode != http.StatusOK:
		o.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
		return false, 0
	}
	cs, err := ParseCapability(body)
	if err != nil {
		o.CapabilityError = probes.Clip(err.Error(), 300)
		return false, 0
	}
	sum := sha256.Sum256(body)
	o.Capability, o.CapabilitySHA256, o.raw = cs, hex.EncodeToString(sum[:]), body
	return false, 0
}

// retryAfter reads a Retry-After header (delay in seconds or an HTTP date); -1 when absent
// or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

func tlsFacts(cs *tls.ConnectionState) *probes.TLSFacts {
	f := &probes.TLSFacts{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ALPN:        cs.NegotiatedProtocol,
		Verified:    len(cs.VerifiedChains) > 0,
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		f.PeerSubject = leaf.Subject.String()
		f.PeerIssuer = leaf.Issuer.String()
		f.PeerDNSNames = append([]string(nil), leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			f.PeerDNSNames = append(f.PeerDNSNames, ip.String())
		}
		f.PeerNotBefore, f.PeerNotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	}
	return f
}

// describeError names the failing stage so the report can say why an endpoint is down.
func describeError(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout: " + probes.Clip(err.Error(), 240)
	case errors.As(err, &dnsErr):
		return "DNS: " + probes.Clip(dnsErr.Error(), 240)
	case errors.As(err, &certErr):
		return "TLS certificate: " + probes.Clip(certErr.Error(), 240)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connect: " + probes.Clip(opErr.Err.Error(), 240)
	}
	return probes.Clip(err.Error(), 300)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
