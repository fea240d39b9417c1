package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartDefaultsAndCAFile(t *testing.T) {
	srv, err := Start(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(srv.CAFile)
	if srv.Profile != Exemplar || srv.Org != DefaultOrg(Exemplar) || srv.TestNHSNumber != TestNHSNumber {
		t.Errorf("defaults: %s %+v %s", srv.Profile, srv.Org, srv.TestNHSNumber)
	}
	if !strings.HasPrefix(srv.BaseURL(), "https://127.0.0.1:") || !strings.HasSuffix(srv.BaseURL(), R4BasePath) {
		t.Errorf("base URL %s", srv.BaseURL())
	}
	if eps := srv.Endpoints(); len(eps) != 1 || eps[0].URL != srv.BaseURL() || eps[0].FHIRVersion != "4.0.1" {
		t.Errorf("endpoints %+v", eps)
	}
	pemBytes, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CA file: %v", err)
	}
	if len(srv.Token) < 40 {
		t.Errorf("token %d characters, want a long random one", len(srv.Token))
	}
	other, err := Start(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if other.Token == srv.Token {
		t.Errorf("two starts share a token")
	}
	other.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary directory %s left behind: %v", dir, err)
	}
}

func TestStartWithDirKeepsCAFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested")
	srv, err := Start(context.Background(), Config{Profile: Typical, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if want := filepath.Join(dir, "jigsaw-sandbox-typical-ca.pem"); srv.CAFile != want {
		t.Errorf("CA file %s, want %s", srv.CAFile, want)
	}
	if _, err := os.Stat(srv.CAFile); err != nil {
		t.Errorf("CA file removed from a directory the caller named: %v", err)
	}
}

func TestStartConfig(t *testing.T) {
	srv, err := Start(context.Background(), Config{Org: Org{ODSCode: "RQ3", Name: "Ysbyty Prawf"}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.Org.ODSCode != "RQ3" || srv.Org.Name != "Ysbyty Prawf" || srv.Org.Type != DefaultOrg(Exemplar).Type {
		t.Errorf("org %+v", srv.Org)
	}
	f := &fixture{srv: srv, client: trustingClient(t, srv.CAFile), scale: 1}
	orgs := entryResources(f.get(t, "/Organization?identifier=RQ3").json(t))
	if len(orgs) != 1 || orgs[0]["name"] != "Ysbyty Prawf" {
		t.Errorf("organisation resource %v", orgs)
	}

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad profile", Config{Profile: "shiny"}, "unknown sandbox profile"},
		{"bad ODS", Config{Org: Org{ODSCode: "rx-1"}}, "ODS code"},
		{"bad address", Config{Addr: "localhost"}, "listen address"},
		{"address in use", Config{Addr: srv.Addr()}, "listen on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Dir = t.TempDir()
			s, err := Start(context.Background(), tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestProfilesAndParse(t *testing.T) {
	if got := Profiles(); len(got) != 3 || got[0] != Exemplar || got[2] != Legacy {
		t.Errorf("Profiles() = %v", got)
	}
	if p, err := ParseProfile("LEGACY"); err != nil || p != Legacy {
		t.Errorf("ParseProfile(LEGACY) = %v, %v", p, err)
	}
}

func TestPlainHTTPOnTheHTTPSPort(t *testing.T) {
	t.Run("exemplar redirects", func(t *testing.T) {
		f := startFixture(t, Exemplar)
		r := f.get(t, "http://"+f.srv.Addr()+R4BasePath+"/metadata?x=1", noAuth())
		if r.status != http.StatusPermanentRedirect || r.header.Get("Location") != f.srv.BaseURL()+"/metadata?x=1" {
			t.Errorf("%d Location %q", r.status, r.header.Get("Location"))
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("HSTS sent over plain HTTP")
		}
	})
	t.Run("typical refuses", func(t *testing.T) {
		f := startFixture(t, Typical)
		r := f.get(t, "http://"+f.srv.Addr()+R4BasePath+"/metadata", noAuth())
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "HTTPS server") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}

func TestTLSPolicy(t *testing.T) {
	f := startFixture(t, Exemplar)
	st, err := f.handshake(t, &tls.Config{NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != tls.VersionTLS13 || st.NegotiatedProtocol != "h2" {
		t.Errorf("negotiated %s %q", tls.VersionName(st.Version), st.NegotiatedProtocol)
	}
	names := st.PeerCertificates[0].DNSNames
	if len(names) == 0 || names[0] != "localhost" || len(st.PeerCertificates[0].IPAddresses) < 2 {
		t.Errorf("certificate names %v %v", names, st.PeerCertificates[0].IPAddresses)
	}
	cbc, err := f.handshake(t, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}})
	if err == nil {
		t.Errorf("CBC-SHA1 suite accepted: %s", tls.CipherSuiteName(cbc.CipherSuite))
	}
	// A client that says nothing must not hold the port: the server still answers others.
	idle, err := net.Dial("tcp", f.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if r := f.get(t, "/metadata"); r.status != 200 {
		t.Errorf("with an idle connection open: %d", r.status)
	}
}

func TestShutdown(t *testing.T) {
	t.Run("in-flight request finishes", func(t *testing.T) {
		f := startFixture(t, Typical) // Observation searches take 50 ms
		done := make(chan response, 1)
		go func() { done <- f.get(t, "/Observation?category=laboratory") }()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := f.srv.Shutdown(ctx); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("shutdown took %s", took)
		}
		if r := <-done; r.status != 200 {
			t.Errorf("in-flight request: %d", r.status)
		}
		select {
		case <-f.srv.Done():
		default:
			t.Error("Done not closed after Shutdown")
		}
		if _, err := net.DialTimeout("tcp", f.srv.Addr(), time.Second); err == nil {
			t.Error("port still open after shutdown")
		}
		if err := f.srv.Shutdown(ctx); err != nil {
			t.Errorf("second Shutdown: %v", err)
		}
	})
	t.Run("context cancel stops the server", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := Start(ctx, Config{Profile: Legacy, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case <-srv.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("server still running 5 s after its context was cancelled")
		}
	})
	t.Run("deliberate delays are cut short", func(t *testing.T) {
		srv, err := Start(context.Background(), Config{Profile: Legacy, Dir: t.TempDir()}) // full 1.2 s delays
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{srv: srv, client: trustingClient(t, srv.CAFile), scale: 1}
		errc := make(chan error, 1)
		go func() {
			resp, err := f.client.Get(srv.BaseURL() + testPatientQuery)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			errc <- err
		}()
		time.Sleep(30 * time.Millisecond)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("shutdown waited %s for a deliberate delay", took)
		}
		<-errc
	})
}

func TestAccessLog(t *testing.T) {
	var buf safeBuffer
	srv, err := Start(context.Background(), Config{Dir: t.TempDir(), AccessLog: &buf})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv, client: trustingClient(t, srv.CAFile), scale: 1}
	f.get(t, testPatientQuery)
	srv.Close()
	line := buf.String()
	if !strings.Contains(line, "https GET "+R4BasePath+"/Patient?identifier=") || !strings.Contains(line, " 200 ") {
		t.Errorf("access log %q", line)
	}
	if strings.Contains(line, srv.Token) {
		t.Error("access log contains the token")
	}
}

// safeBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
