package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/internal/atomicfile"
	"github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// R4BasePath is where the FHIR R4 API is mounted.
const R4BasePath = "/fhir/r4"

// Config says how to run a sandbox. The zero value is valid: an exemplar organisation on a random
// loopback port, its CA certificate in a temporary directory.
type Config struct {
	// Profile is exemplar (the default), typical or legacy.
	Profile Profile
	// Addr is the TCP address to listen on; default 127.0.0.1:0 (a free loopback port).
	Addr string
	// Dir is where the CA certificate is written. Empty means a new temporary directory, removed
	// when the server stops; a directory you name is left in place with the file in it.
	Dir string
	// Org overrides the profile's organisation; empty fields keep the profile's values.
	Org Org
	// LatencyScale multiplies the profile's deliberate delays (typical: 50 ms on Observation
	// searches; legacy: 1.2–1.6 s on Patient searches, 150–300 ms elsewhere). Zero means 1, the
	// documented delays; 0.01 makes them a hundred times shorter for tests; negative turns them off.
	LatencyScale float64
	// ErrorLog receives the HTTP servers' own errors (failed TLS handshakes, which probes of weak
	// TLS cause on purpose, for instance). Nil discards them.
	ErrorLog *log.Logger
	// AccessLog, if set, gets one line per request: time, method, path and query, status,
	// duration. Headers (and so the token) are never written.
	AccessLog io.Writer
	// GPConnect also serves a GP Connect STU3 provider (Foundations and Appointments at
	// gpconnect.FoundationsPath, Access Record Structured at gpconnect.StructuredPath) with the
	// same defect profile, on a port of its own (GPConnectAddr) that requires a client
	// certificate signed by the sandbox CA (ClientCertFile/ClientKeyFile; legacy: none asked).
	GPConnect bool
}

// Endpoint is one API the sandbox serves.
type Endpoint struct {
	Name        string `json:"name"`
	FHIRVersion string `json:"fhir_version"`
	URL         string `json:"url"`
}

// Server is a running sandbox organisation.
type Server struct {
	// Profile is the defect profile being served.
	Profile Profile
	// Org is the organisation the sandbox plays.
	Org Org
	// CAFile is the PEM file of the CA that signed the server certificate: trust it to probe.
	CAFile string
	// Token is the bearer token the API accepts (random for each start). Legacy accepts any.
	Token string
	// TestNHSNumber is the primary test patient's NHS number.
	TestNHSNumber string
	// ClientCertFile and ClientKeyFile are a client certificate (and its key) signed by the
	// sandbox CA, written next to CAFile when the GP Connect provider is served: the provider
	// requires mutual TLS, as a real one requires the Spine Secure Proxy's certificate.
	ClientCertFile string
	ClientKeyFile  string

	addr      string // host:port as clients should dial it
	endpoints []Endpoint

	listener net.Listener
	split    *splitListener
	httpsSrv *http.Server
	// The GP Connect provider has its own port (its own TLS policy: mutual TLS).
	gpcAddr     string
	gpcListener net.Listener
	gpcSrv      *http.Server
	plainSrv    *http.Server
	cancelBase  context.CancelFunc
	tempDir     string

	stopOnce sync.Once
	stopErr  error
	done     chan struct{}
}

// Start generates the organisation's certificates and data and starts serving. The server stops
// when ctx is cancelled or when Shutdown or Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Profile == "" {
		cfg.Profile = Exemplar
	}
	profile, err := ParseProfile(string(cfg.Profile))
	if err != nil {
		return nil, err
	}
	org := DefaultOrg(profile)
	if cfg.Org.ODSCode != "" {
		org.ODSCode = cfg.Org.ODSCode
	}
	if cfg.Org.Name != "" {
		org.Name = cfg.Org.Name
	}
	if cfg.Org.Type != "" {
		org.Type = cfg.Org.Type
	}
	if !terminology.ODSCodeValid(org.ODSCode) {
		return nil, fmt.Errorf("organisation ODS code %q is not well formed: use 3 to 6 upper-case letters and digits, e.g. RZX", org.ODSCode)
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	listenHost, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w (use host:port, e.g. 127.0.0.1:8443)", addr, err)
	}
	scale := cfg.LatencyScale
	if scale == 0 {
		scale = 1
	}
	b := behaviourOf(profile)

	s := &Server{Profile: profile, Org: org, TestNHSNumber: TestNHSNumber, done: make(chan struct{})}
	if s.Token, err = randomToken(); err != nil {
		return nil, err
	}

	// Data first: it cannot fail for reasons outside the process, and nothing is bound yet.
	st, err := newStore(generate(b, org), b)
	if err != nil {
		return nil, fmt.Errorf("build sandbox data: %w", err)
	}
	certs, err := newPKI(time.Now(), org, listenHost, b.legacyTLS)
	if err != nil {
		return nil, fmt.Errorf("make sandbox certificates: %w", err)
	}

	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "jigsaw-sandbox-"); err != nil {
			return nil, fmt.Errorf("make a directory for the sandbox CA: %w", err)
		}
		s.tempDir = dir
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make sandbox directory %s: %w", dir, err)
	}
	s.CAFile = filepath.Join(dir, "jigsaw-sandbox-"+string(profile)+"-ca.pem")
	if err := atomicfile.WriteBytes(s.CAFile, certs.caPEM, 0o644); err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("write sandbox CA certificate %s: %w", s.CAFile, err)
	}

	if cfg.GPConnect {
		s.ClientCertFile = filepath.Join(dir, "jigsaw-sandbox-"+string(profile)+"-client.pem")
		s.ClientKeyFile = filepath.Join(dir, "jigsaw-sandbox-"+string(profile)+"-client-key.pem")
		if err := atomicfile.WriteBytes(s.ClientCertFile, certs.clientCertPEM, 0o644); err != nil {
			s.removeTemp()
			return nil, fmt.Errorf("write sandbox client certificate %s: %w", s.ClientCertFile, err)
		}
		if err := atomicfile.WriteBytes(s.ClientKeyFile, certs.clientKeyPEM, 0o600); err != nil {
			s.removeTemp()
			return nil, fmt.Errorf("write sandbox client key %s: %w", s.ClientKeyFile, err)
		}
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.addr = dialAddr(ln.Addr().(*net.TCPAddr), listenHost)

	r4, err := newR4Server(profile, org, st, s.Token, s.addr, scale)
	if err != nil {
		ln.Close()
		s.removeTemp()
		return nil, err
	}

	mux := http.NewServeMux()
	s.mount(mux, R4BasePath, r4)
	s.endpoints = append(s.endpoints, Endpoint{Name: "FHIR R4", FHIRVersion: "4.0.1", URL: r4.httpsURL})
	var gpcMux *http.ServeMux
	if cfg.GPConnect {
		gpcLn, err := lc.Listen(ctx, "tcp", net.JoinHostPort(listenHost, "0"))
		if err != nil {
			ln.Close()
			s.removeTemp()
			return nil, fmt.Errorf("listen for the GP Connect provider on %s: %w", listenHost, err)
		}
		s.gpcListener = gpcLn
		s.gpcAddr = dialAddr(gpcLn.Addr().(*net.TCPAddr), listenHost)
		gpc := gpconnect.New(gpconnect.Config{Profile: string(profile), XML: fhirJSONToXML})
		gpcMux = http.NewServeMux()
		s.mount(gpcMux, gpconnect.FoundationsPath, gpc.Foundations())
		s.mount(gpcMux, gpconnect.StructuredPath, gpc.Structured())
		gpcMux.HandleFunc("/", s.index)
		s.endpoints = append(s.endpoints,
			Endpoint{Name: "GP Connect", FHIRVersion: "3.0.1", URL: "https://" + s.gpcAddr + gpconnect.FoundationsPath},
			Endpoint{Name: "GP Connect Access Record Structured", FHIRVersion: "3.0.1", URL: "https://" + s.gpcAddr + gpconnect.StructuredPath})
	}
	mux.HandleFunc("/", s.index)
	handler := accessLog(cfg.AccessLog, mux)

	errorLog := cfg.ErrorLog
	if errorLog == nil {
		errorLog = log.New(io.Discard, "", 0)
	}
	baseCtx, cancel := context.WithCancel(context.Background())
	s.cancelBase = cancel
	newHTTPServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          errorLog,
			BaseContext:       func(net.Listener) context.Context { return baseCtx },
		}
	}
	s.httpsSrv = newHTTPServer(handler)
	s.httpsSrv.TLSConfig = tlsConfig(b, certs.leaf)
	if b.legacyTLS {
		// HTTP/1.1 only: no HTTP/2 (which would refuse the weak suites anyway).
		s.httpsSrv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}

	httpsListener := ln
	switch b.plain {
	case plainRedirect, plainServed:
		s.split = newSplitListener(ln)
		httpsListener = s.split.tls
		plainHandler := handler
		if b.plain == plainRedirect {
			plainHandler = accessLog(cfg.AccessLog, http.HandlerFunc(redirectToHTTPS))
		}
		s.plainSrv = newHTTPServer(plainHandler)
		go func() { _ = s.plainSrv.Serve(s.split.plain) }()
	}
	go func() { _ = s.httpsSrv.ServeTLS(httpsListener, "", "") }()
	if gpcMux != nil {
		s.gpcSrv = newHTTPServer(accessLog(cfg.AccessLog, gpcMux))
		s.gpcSrv.TLSConfig = tlsConfig(b, certs.leaf)
		if b.legacyTLS {
			s.gpcSrv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		}
		if gpconnect.RequiresClientCertificate(string(profile)) {
			s.gpcSrv.TLSConfig.ClientAuth = tls.RequireAndVerifyClientCert
			s.gpcSrv.TLSConfig.ClientCAs = certs.caPool
		}
		go func() { _ = s.gpcSrv.ServeTLS(s.gpcListener, "", "") }()
	}

	go func() {
		select {
		case <-ctx.Done():
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Shutdown(shutdownCtx)
		case <-s.done:
		}
	}()
	return s, nil
}

// newR4Server makes the FHIR R4 API of one organisation, to be mounted at R4BasePath on addr.
func newR4Server(profile Profile, org Org, st *store, token, addr string, latencyScale float64) (*r4Server, error) {
	b := behaviourOf(profile)
	r4 := &r4Server{
		b:            b,
		store:        st,
		token:        token,
		httpsURL:     "https://" + addr + R4BasePath,
		httpURL:      "http://" + addr + R4BasePath,
		latencyScale: latencyScale,
		jitter:       rng{state: dataSeed ^ 0x1a7e},
	}
	var err error
	if r4.capability, err = capabilityJSON(r4.httpsURL, org, profile, b); err != nil {
		return nil, fmt.Errorf("render CapabilityStatement: %w", err)
	}
	if r4.smart, err = smartJSON(r4.httpsURL); err != nil {
		return nil, fmt.Errorf("render SMART configuration: %w", err)
	}
	return r4, nil
}

// mount serves h under base (a path without a trailing slash), prefix stripped. Further APIs
// (a GP Connect provider, say) mount the same way, each with its own base path.
func (s *Server) mount(mux *http.ServeMux, base string, h http.Handler) {
	mux.Handle(base+"/", http.StripPrefix(base, h))
}

// dialAddr is host:port as a client on this machine should dial it: a wildcard listen address
// becomes loopback.
func dialAddr(a *net.TCPAddr, listenHost string) string {
	host := listenHost
	if ip := net.ParseIP(listenHost); listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// BaseURL is the FHIR R4 base URL, e.g. https://127.0.0.1:8443/fhir/r4.
func (s *Server) BaseURL() string { return "https://" + s.addr + R4BasePath }

// Addr is the host:port the server listens on, as a local client dials it.
func (s *Server) Addr() string { return s.addr }

// GPConnectAddr is the host:port of the GP Connect provider (with Config.GPConnect), which
// has its own port because it requires a client certificate; "" without it.
func (s *Server) GPConnectAddr() string { return s.gpcAddr }

// Endpoints lists every API the sandbox serves.
func (s *Server) Endpoints() []Endpoint { return append([]Endpoint(nil), s.endpoints...) }

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Shutdown stops accepting connections, lets requests in flight finish (deliberate delays are cut
// short) until ctx expires, then closes everything. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop(func(srv *http.Server) error { return srv.Shutdown(ctx) })
	return s.stopErr
}

// Close stops the server at once, dropping connections.
func (s *Server) Close() error {
	s.stop(func(srv *http.Server) error { return srv.Close() })
	return s.stopErr
}

func (s *Server) stop(stopServer func(*http.Server) error) {
	s.stopOnce.Do(func() {
		s.cancelBase()
		var errs []error
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, srv := range []*http.Server{s.httpsSrv, s.plainSrv, s.gpcSrv} {
			if srv == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := stopServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if s.split != nil {
			_ = s.split.Close()
			s.split.wait()
		}
		_ = s.listener.Close()
		if s.gpcListener != nil {
			_ = s.gpcListener.Close()
		}
		s.removeTemp()
		if len(errs) > 0 {
			s.stopErr = fmt.Errorf("stop sandbox: %w", errors.Join(errs...))
		}
		close(s.done)
	})
}

func (s *Server) removeTemp() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// index is the page at / for people who open the sandbox in a browser.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctPlainText)
	fmt.Fprintf(w, "Jigsaw sandbox: %s (%s), profile %s. All data is synthetic.\n", s.Org.Name, s.Org.ODSCode, s.Profile)
	for _, e := range s.endpoints {
		fmt.Fprintf(w, "%s: %s\n", e.Name, e.URL)
	}
}

// redirectToHTTPS sends plain-HTTP requests to the same URL over HTTPS (308 keeps the method).
func redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusPermanentRedirect)
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make bearer token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newUUID is a random version 4 UUID, for Bundle ids.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// accessLog writes one line per request to w; nil w means no logging.
func accessLog(w io.Writer, next http.Handler) http.Handler {
	if w == nil {
		return next
	}
	var mu sync.Mutex
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sr := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(sr, r)
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		line := fmt.Sprintf("%s %s %s %s %d %s\n", start.UTC().Format(time.RFC3339), scheme, r.Method,
			strings.ReplaceAll(r.URL.RequestURI(), "\n", ""), sr.status, time.Since(start).Round(time.Millisecond))
		mu.Lock()
		_, _ = io.WriteString(w, line)
		mu.Unlock()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
