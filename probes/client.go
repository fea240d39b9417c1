package probes

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ClientOptions tune the recording client. Zero values take the defaults.
type ClientOptions struct {
	// RequestTimeout bounds one request, redirects and body included (default 30 s).
	RequestTimeout time.Duration
	// ReadLimit is the most of a response body that is read (default 4 MiB).
	ReadLimit int64
	// StoreLimit is the most of a body kept in the Exchange (default 64 KiB).
	StoreLimit int64
	// RatePerSecond limits requests per host (default 10; negative means no limit). It is a
	// politeness limit for real servers: loopback hosts (127.0.0.0/8, ::1, localhost — the
	// inspector's own machine, such as a sandbox) are not limited unless LimitLoopback is set.
	RatePerSecond float64
	// LimitLoopback applies RatePerSecond to loopback hosts too (set it when a loopback
	// address is a tunnel to a real server, or the rate was given explicitly).
	LimitLoopback bool
	// Burst is the per-host burst (default 5).
	Burst int
	// MaxRedirects is how many redirects are followed (default 5).
	MaxRedirects int
	// UserAgent names the tool to the server.
	UserAgent string
	// KeepIdentifiers stores patient identifiers in evidence unredacted (opt-in).
	KeepIdentifiers bool
}

// Defaults for ClientOptions.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultReadLimit      = 4 << 20
	DefaultStoreLimit     = 64 << 10
	DefaultRate           = 10
	DefaultBurst          = 5
	DefaultMaxRedirects   = 5
	DefaultUserAgent      = "jigsaw-probe/1 (+https://github.com/nhs-jigsaw/jigsaw)"
)

func (o ClientOptions) withDefaults() ClientOptions {
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.StoreLimit <= 0 {
		o.StoreLimit = DefaultStoreLimit
	}
	if o.RatePerSecond == 0 {
		o.RatePerSecond = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// Errors the client reports for redirects.
var (
	ErrRedirectLoop     = errors.New("redirect loop")
	ErrTooManyRedirects = errors.New("too many redirects")
)

// Client is the run's recording HTTP client: every request it makes is kept as an Exchange
// with secrets removed. It is safe for concurrent use.
type Client struct {
	target   Target
	opts     ClientOptions
	tls      *tls.Config // verifying unless the target is insecure
	roots    *x509.CertPool
	http     *http.Client
	redact   *redactor
	runID    string
	limiters sync.Map // host -> *rate.Limiter

	mu        sync.Mutex
	seq       int
	exchanges map[string]Exchange
	verified  map[string]error // leaf fingerprint + host -> chain verification result
}

// NewClient builds the recording client for a target: CA file, client certificate and
// --insecure are honoured; the target must already be normalised.
func NewClient(t Target, opts ClientOptions) (*Client, error) {
	opts = opts.withDefaults()
	tlsConfig, roots, err := TLSConfig(t)
	if err != nil {
		return nil, err
	}
	c := &Client{
		target:    t,
		opts:      opts,
		tls:       tlsConfig,
		roots:     roots,
		redact:    newRedactor(opts.KeepIdentifiers, t.Token),
		runID:     newRunID(),
		exchanges: map[string]Exchange{},
		verified:  map[string]error{},
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  opts.RequestTimeout,
		MaxResponseHeaderBytes: 256 << 10,
		ForceAttemptHTTP2:      true,
		// We ask for gzip ourselves and decode it in the recorder, so the evidence shows
		// what the server actually sent (Content-Encoding included).
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	c.http = &http.Client{
		Transport:     &recordingTransport{client: c, base: transport},
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// TLSConfig builds the TLS client configuration for a target: system roots plus the CA file,
// the client certificate, and InsecureSkipVerify only when the user asked for it. It also
// returns the root pool so callers can verify chains themselves.
func TLSConfig(t Target) (*tls.Config, *x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read CA file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("CA file %s: no PEM certificates found", t.CAFile)
		}
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            roots,
		InsecureSkipVerify: t.Insecure, //nolint:gosec // only when the user passes --insecure
	}
	if t.ClientCert != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, nil, fmt.Errorf("load client certificate %s: %w", t.ClientCert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, roots, nil
}

func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RunID identifies this client's exchanges: every exchange id starts with it.
func (c *Client) RunID() string { return c.runID }

// Target returns the target the client was built for.
func (c *Client) Target() Target { return c.target }

// Exchange returns a recorded exchange by id.
func (c *Client) Exchange(id string) (Exchange, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.exchanges[id]
	return e, ok
}

func (c *Client) limiter(host string) *rate.Limiter {
	if c.opts.RatePerSecond < 0 || (!c.opts.LimitLoopback && IsLoopback(host)) {
		return nil
	}
	if l, ok := c.limiters.Load(host); ok {
		return l.(*rate.Limiter)
	}
	l, _ := c.limiters.LoadOrStore(host, rate.NewLimiter(rate.Limit(c.opts.RatePerSecond), c.opts.Burst))
	return l.(*rate.Limiter)
}

func (c *Client) wait(ctx context.Context, host string) error {
	if l := c.limiter(host); l != nil {
		if err := l.Wait(ctx); err != nil {
			return fmt.Errorf("rate limit wait for %s: %w", host, err)
		}
	}
	return nil
}

// IsLoopback reports whether a host (name or address, no port) is this machine's loopback.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// record stores an exchange and returns its id.
func (c *Client) record(e Exchange) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	e.ID = fmt.Sprintf("%s-%04d", c.runID, c.seq)
	c.exchanges[e.ID] = e
	return e.ID
}

// checkRedirect follows at most MaxRedirects redirects, reports loops, and never carries
// credentials to another origin (scheme, host or port) or down from https to http.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if opts, _ := req.Context().Value(hopLogKey{}).(*hopLog); opts != nil && opts.noFollow {
		return http.ErrUseLastResponse
	}
	next := req.URL.String()
	for _, v := range via {
		if v.URL.String() == next {
			return fmt.Errorf("%w: %s visited twice", ErrRedirectLoop, c.redact.url(next))
		}
	}
	if len(via) > c.opts.MaxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, c.opts.MaxRedirects)
	}
	first := via[0].URL
	if !sameOrigin(first, req.URL) || !c.mayCarryToken(req.URL) {
		for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
			req.Header.Del(h)
		}
	}
	// net/http sets Referer to the previous URL, whose query may hold an NHS number or a
	// token; no server needs it.
	req.Header.Del("Referer")
	return nil
}

// mayCarryToken reports whether the bearer token may go to u: only over https, unless the
// target allows plain http for a lab (--allow-token-over-http), and only to the target's own
// origin (or its GP Connect structured base).
func (c *Client) mayCarryToken(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "https") && !c.target.AllowTokenOverHTTP {
		return false
	}
	for _, base := range []string{c.target.BaseURL, c.structuredBase()} {
		if b, err := url.Parse(base); err == nil && base != "" && sameOrigin(b, u) {
			return true
		}
	}
	return false
}

func (c *Client) structuredBase() string {
	if c.target.GPConnect == nil {
		return ""
	}
	return c.target.GPConnect.StructuredURL
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}

// Request is one request a probe makes.
type Request struct {
	Method string
	// URL is absolute, or a path relative to the target's base URL ("metadata", "Patient?x=y").
	URL    string
	Header http.Header
	Body   []byte
	// NoAuth sends no credentials (for authentication probes and plain-http checks).
	NoAuth bool
	// NoFollow returns a redirect as the response instead of following it.
	NoFollow bool
}

// Response is what came back. Body holds what was read (up to the read limit, decompressed);
// the stored evidence is the Exchange named by ExchangeID.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Truncated says the body was longer than the read limit.
	Truncated bool
	// URL is the final URL after redirects (redacted).
	URL string
	// ExchangeID is the final hop's exchange; Exchanges lists every hop in order.
	ExchangeID string
	Exchanges  []string
	TLS        *TLSFacts
	Duration   time.Duration
}

// ContentType returns the response's media type (lower case, no parameters).
func (r *Response) ContentType() string {
	mt, _ := MediaType(r.Header.Get("Content-Type"))
	return mt
}

// Describe summarises the response for an observation: status, media type and size.
func (r *Response) Describe() string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "no Content-Type"
	}
	return fmt.Sprintf("HTTP %d, %s, %d bytes", r.StatusCode, Clip(ct, 60), len(r.Body))
}

// hopLogKey carries the hop log of one request through the http.Client to the transport.
type hopLogKey struct{}

// hopLog collects the exchanges of one request, redirects included.
type hopLog struct {
	probeID  string
	noFollow bool
	mu       sync.Mutex
	ids      []string
	last     *capture
}

type capture struct {
	body      []byte
	truncated bool
	tls       *TLSFacts
	duration  time.Duration
}

// Resolve makes a request URL absolute against the target's base URL.
func (c *Client) Resolve(ref string) string {
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		return ref
	}
	return c.target.BaseURL + "/" + strings.TrimLeft(ref, "/")
}

// do performs a request on behalf of a probe and records every hop.
func (c *Client) do(ctx context.Context, probeID string, r Request) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target := c.Resolve(r.URL)
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	log := &hopLog{probeID: probeID, noFollow: r.NoFollow}
	ctx = context.WithValue(ctx, hopLogKey{}, log)

	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// Still evidence: the probe tried and could not even form the request.
		id := c.record(Exchange{ProbeID: probeID, Method: method, URL: c.redact.url(target), StartedAt: time.Now().UTC(), Err: c.redact.text(err.Error())})
		return &Response{ExchangeID: id, Exchanges: []string{id}}, fmt.Errorf("build request %s %s: %w", method, c.redact.url(target), err)
	}
	for name, values := range r.Header {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/fhir+json")
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	if !r.NoAuth && c.target.Token != "" && req.Header.Get("Authorization") == "" && c.mayCarryToken(req.URL) {
		req.Header.Set("Authorization", "Bearer "+c.target.Token)
	}
	if r.NoAuth {
		req.Header.Del("Authorization")
	}

	resp, doErr := c.http.Do(req)
	log.mu.Lock()
	out := &Response{Exchanges: append([]string(nil), log.ids...)}
	if n := len(log.ids); n > 0 {
		out.ExchangeID = log.ids[n-1]
	}
	last := log.last
	log.mu.Unlock()
	if resp != nil {
		out.StatusCode = resp.StatusCode
		out.Header = resp.Header
		out.URL = c.redact.url(resp.Request.URL.String())
		if resp.Body != nil {
			resp.Body.Close()
		}
		if last != nil {
			out.Body, out.Truncated, out.TLS, out.Duration = last.body, last.truncated, last.tls, last.duration
		}
	}
	if doErr != nil {
		cause := unwrapURLError(doErr)
		return out, &RequestError{
			msg:   fmt.Sprintf("%s %s: %s", method, c.redact.url(target), c.redact.text(cause.Error())),
			cause: cause,
		}
	}
	return out, nil
}

// RequestError is a failed request. Its message is redacted; errors.Is and errors.As still
// see the cause (a timeout, ErrRedirectLoop...).
type RequestError struct {
	msg   string
	cause error
}

func (e *RequestError) Error() string { return e.msg }
func (e *RequestError) Unwrap() error { return e.cause }

// unwrapURLError drops url.Error's repetition of the method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// recordingTransport waits for the host's rate limiter, performs one hop, reads the body
// within the limits and records the exchange.
type recordingTransport struct {
	client *Client
	base   http.RoundTripper
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.client
	log, _ := req.Context().Value(hopLogKey{}).(*hopLog)
	probeID := ""
	if log != nil {
		probeID = log.probeID
	}
	if err := c.wait(req.Context(), req.URL.Hostname()); err != nil {
		return nil, err
	}
	var reqBody []byte
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(io.LimitReader(rc, c.opts.StoreLimit))
			rc.Close()
		}
	}
	ex := Exchange{
		ProbeID:        probeID,
		Method:         req.Method,
		URL:            c.redact.url(req.URL.String()),
		RequestHeaders: c.redact.header(req.Header),
		StartedAt:      time.Now().UTC(),
	}
	if len(reqBody) > 0 {
		ex.RequestBody, _ = c.redact.body(reqBody, req.Header.Get("Content-Type"), c.opts.StoreLimit, false)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		ex.Duration = time.Since(start)
		ex.Err = c.redact.text(err.Error())
		t.keep(log, ex, nil)
		return nil, err
	}
	ex.StatusCode = resp.StatusCode
	ex.ResponseHeaders = c.redact.header(resp.Header)
	if resp.TLS != nil {
		ex.TLS = c.tlsFacts(resp.TLS, req.URL.Hostname())
	}
	body, truncated, readErr := c.readBody(resp)
	resp.Body.Close()
	ex.Duration = time.Since(start)
	sum := sha256.Sum256(body)
	ex.ResponseSHA256 = hex.EncodeToString(sum[:])
	ex.ResponseSize = int64(len(body))
	stored, cut := c.redact.body(body, resp.Header.Get("Content-Type"), c.opts.StoreLimit, truncated)
	ex.ResponseBody = stored
	ex.ResponseTruncated = truncated || cut
	if readErr != nil {
		ex.Err = c.redact.text("read body: " + readErr.Error())
	}
	t.keep(log, ex, &capture{body: body, truncated: truncated, tls: ex.TLS, duration: ex.Duration})
	if readErr != nil {
		return nil, fmt.Errorf("read response body: %w", readErr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

func (t *recordingTransport) keep(log *hopLog, ex Exchange, cap *capture) {
	id := t.client.record(ex)
	if log == nil {
		return
	}
	log.mu.Lock()
	log.ids = append(log.ids, id)
	if cap != nil {
		log.last = cap
	}
	log.mu.Unlock()
}

// readBody reads at most ReadLimit bytes of the (decoded) body. It reports truncation when
// there was more, and decodes gzip and deflate itself so a compression bomb is capped too.
func (c *Client) readBody(resp *http.Response) ([]byte, bool, error) {
	var r io.Reader = resp.Body
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, false, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		r = zr
	case "deflate":
		// "deflate" is meant to be zlib-wrapped; some servers send raw deflate.
		br := bufio.NewReader(resp.Body)
		if head, err := br.Peek(2); err == nil && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, false, fmt.Errorf("deflate body: %w", err)
			}
			defer zr.Close()
			r = zr
		} else {
			fr := flate.NewReader(br)
			defer fr.Close()
			r = fr
		}
	}
	body, err := io.ReadAll(io.LimitReader(r, c.opts.ReadLimit+1))
	truncated := int64(len(body)) > c.opts.ReadLimit
	if truncated {
		body = body[:c.opts.ReadLimit]
		err = nil
	}
	return body, truncated, err
}

// tlsFacts describes a connection. When the handshake did not verify the chain (insecure
// mode, or a deliberate probe handshake) the chain is verified here so the facts still say
// whether it would have.
func (c *Client) tlsFacts(cs *tls.ConnectionState, host string) *TLSFacts {
	f := &TLSFacts{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ALPN:        cs.NegotiatedProtocol,
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		f.PeerSubject = leaf.Subject.String()
		f.PeerIssuer = leaf.Issuer.String()
		f.PeerDNSNames = append([]string(nil), leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			f.PeerDNSNames = append(f.PeerDNSNames, ip.String())
		}
		f.PeerNotBefore = leaf.NotBefore.UTC()
		f.PeerNotAfter = leaf.NotAfter.UTC()
	}
	if len(cs.VerifiedChains) > 0 {
		f.Verified = true
		return f
	}
	if err := c.VerifyChain(cs.PeerCertificates, host); err != nil {
		f.VerifyError = err.Error()
	} else {
		f.Verified = true
	}
	return f
}

// VerifyChain verifies a presented chain against the configured roots (system + CA file) for
// host, as a normal client would. Results are cached per leaf and host.
func (c *Client) VerifyChain(chain []*x509.Certificate, host string) error {
	if len(chain) == 0 {
		return errors.New("no certificate presented")
	}
	sum := sha256.Sum256(chain[0].Raw)
	key := hex.EncodeToString(sum[:]) + "|" + host
	c.mu.Lock()
	err, ok := c.verified[key]
	c.mu.Unlock()
	if ok {
		return err
	}
	inter := x509.NewCertPool()
	for _, cert := range chain[1:] {
		inter.AddCert(cert)
	}
	_, err = chain[0].Verify(x509.VerifyOptions{Roots: c.roots, Intermediates: inter, DNSName: host})
	c.mu.Lock()
	c.verified[key] = err
	c.mu.Unlock()
	return err
}

// HandshakeResult is the outcome of a bare TLS handshake.
type HandshakeResult struct {
	State      *tls.ConnectionState
	ExchangeID string
}

// handshake dials host:port and performs a TLS handshake with cfg (its RootCAs and client
// certificates default to the target's). The attempt is recorded as an exchange with method
// "TLS" and URL tls://host:port so handshake evidence sits with the HTTP evidence.
func (c *Client) handshake(ctx context.Context, probeID, hostport string, cfg *tls.Config) (*HandshakeResult, error) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("handshake address %q: %w", hostport, err)
	}
	if err := c.wait(ctx, host); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	ex := Exchange{ProbeID: probeID, Method: "TLS", URL: "tls://" + hostport, StartedAt: time.Now().UTC()}
	start := time.Now()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", hostport)
	ex.Duration = time.Since(start)
	if err != nil {
		ex.Err = c.redact.text(err.Error())
		id := c.record(ex)
		return &HandshakeResult{ExchangeID: id}, err
	}
	defer conn.Close()
	state := conn.(*tls.Conn).ConnectionState()
	ex.TLS = c.tlsFacts(&state, host)
	id := c.record(ex)
	return &HandshakeResult{State: &state, ExchangeID: id}, nil
}

// RandomHex returns n random bytes as hex: ids no server can know, forged credentials.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
