package probetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// CertOptions shape a generated server certificate.
type CertOptions struct {
	NotBefore, NotAfter time.Time // default: an hour ago to a year ahead
	DNSNames            []string
	IPs                 []net.IP // default 127.0.0.1 when DNSNames and IPs are both empty
	RSA                 bool     // RSA key (needed for RSA key exchange suites); ECDSA otherwise
}

// NewCert makes a self-signed server certificate and returns it with its PEM, which serves
// as the CA file that trusts it.
func NewCert(t testing.TB, o CertOptions) (tls.Certificate, []byte) {
	t.Helper()
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	if len(o.DNSNames) == 0 && len(o.IPs) == 0 {
		o.IPs = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	var key any
	var pub any
	if o.RSA {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "probetest server", Organization: []string{"Jigsaw tests"}},
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return pair, certPEM
}

// writeCA writes a CA file into the test's temporary directory.
func writeCA(t testing.TB, pemBytes []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Serve starts h over TLS on 127.0.0.1 with a fresh certificate and returns the target: base
// URL [server]/fhir, the CA file and the test token.
func Serve(t testing.TB, h http.Handler) probes.Target {
	return ServeTLS(t, h, &tls.Config{}, CertOptions{})
}

// ServeTLS starts h over TLS with the given server configuration (versions, suites) and
// certificate options.
func ServeTLS(t testing.TB, h http.Handler, cfg *tls.Config, o CertOptions) probes.Target {
	t.Helper()
	cert, caPEM := NewCert(t, o)
	srv := httptest.NewUnstartedServer(h)
	cfg.Certificates = []tls.Certificate{cert}
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return probes.Target{BaseURL: srv.URL + "/fhir", FHIRVersion: probes.R4, CAFile: writeCA(t, caPEM), Token: Token}
}

// ServePlain starts h over plain http.
func ServePlain(t testing.TB, h http.Handler) probes.Target {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return probes.Target{BaseURL: srv.URL + "/fhir", FHIRVersion: probes.R4, Token: Token}
}

// ServeDual starts h on one 127.0.0.1 port that answers both TLS and plain http (it looks at
// the first byte of each connection): a server that does not enforce HTTPS.
func ServeDual(t testing.TB, h http.Handler) probes.Target {
	t.Helper()
	cert, caPEM := NewCert(t, CertOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := newChanListener(ln.Addr())
	plainLn := newChanListener(ln.Addr())
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				tlsLn.Close()
				plainLn.Close()
				return
			}
			go func() {
				br := bufio.NewReader(conn)
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				first, err := br.Peek(1)
				_ = conn.SetReadDeadline(time.Time{})
				if err != nil {
					conn.Close()
					return
				}
				pc := &peekedConn{Conn: conn, r: br}
				if first[0] == 0x16 {
					tlsLn.deliver(tls.Server(pc, &tls.Config{Certificates: []tls.Certificate{cert}}))
				} else {
					plainLn.deliver(pc)
				}
			}()
		}
	}()
	tlsSrv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	plainSrv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = tlsSrv.Serve(tlsLn) }()
	go func() { _ = plainSrv.Serve(plainLn) }()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tlsSrv.Shutdown(ctx)
		_ = plainSrv.Shutdown(ctx)
	})
	return probes.Target{BaseURL: "https://" + ln.Addr().String() + "/fhir", FHIRVersion: probes.R4, CAFile: writeCA(t, caPEM), Token: Token}
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// chanListener hands out connections accepted elsewhere.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, errors.New("listener closed")
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// Runner is a runner tuned for tests: no rate limit, short timeouts.
func Runner() *probes.Runner {
	return &probes.Runner{
		Client:       probes.ClientOptions{RatePerSecond: -1, RequestTimeout: 5 * time.Second},
		Concurrency:  4,
		ProbeTimeout: 30 * time.Second,
		RunTimeout:   60 * time.Second,
	}
}

// Run runs one probe against the target and returns its result and the run's report.
func Run(t testing.TB, target probes.Target, p probes.Probe) (probes.Result, *probes.Report) {
	t.Helper()
	report, err := Runner().Run(context.Background(), target, []probes.Probe{p})
	if err != nil {
		t.Fatalf("run %s: %v", p.Meta().ID, err)
	}
	return report.Results[0], report
}

// Find returns the probe with the id from a pack's list, failing the test when absent.
func Find(t testing.TB, ps []probes.Probe, id string) probes.Probe {
	t.Helper()
	for _, p := range ps {
		if p.Meta().ID == id {
			return p
		}
	}
	t.Fatalf("no probe %s", id)
	return nil
}

// AssertNoSecret fails the test when the secret appears anywhere in the report's JSON.
func AssertNoSecret(t testing.TB, report *probes.Report, secret string) {
	t.Helper()
	if secret == "" {
		return
	}
	b, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Fatalf("the secret appears in the report")
	}
	for _, ex := range report.Exchanges {
		if bytes.Contains(ex.ResponseBody, []byte(secret)) || bytes.Contains(ex.RequestBody, []byte(secret)) {
			t.Fatalf("the secret appears in exchange %s", ex.ID)
		}
	}
}
