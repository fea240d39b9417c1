package transport_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/transport"
)

func TestProbes(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		id, name string
		serve    func(t *testing.T, f *probetest.FHIR) probes.Target
		breakIt  func(f *probetest.FHIR)
		want     probes.Status
		observed string
	}{
		{id: "transport.tls.version", name: "modern", want: probes.Pass, observed: "TLS 1.1-only offer refused"},
		{id: "transport.tls.version", name: "accepts TLS 1.0", serve: tlsServer(&tls.Config{MinVersion: tls.VersionTLS10}, probetest.CertOptions{}), want: probes.Fail, observed: "also accepts TLS 1.0 (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA) and TLS 1.1"},
		{id: "transport.tls.version", name: "plain http", serve: plain, want: probes.NotApplicable, observed: "root finding: transport.https.enforced"},
		{id: "transport.tls.version", name: "nothing listening", serve: closedPort, want: probes.Error},

		{id: "transport.tls.certificate", name: "valid", want: probes.Pass, observed: "verifies for 127.0.0.1"},
		{id: "transport.tls.certificate", name: "expired", serve: tlsServer(&tls.Config{}, probetest.CertOptions{NotBefore: time.Now().Add(-30 * day), NotAfter: time.Now().Add(-day)}), want: probes.Fail, observed: "expired"},
		{id: "transport.tls.certificate", name: "expiring soon", serve: tlsServer(&tls.Config{}, probetest.CertOptions{NotAfter: time.Now().Add(10 * day)}), want: probes.Warn, observed: "expires in 9 days"},
		{id: "transport.tls.certificate", name: "wrong host", serve: tlsServer(&tls.Config{}, probetest.CertOptions{DNSNames: []string{"fhir.example.org"}}), want: probes.Fail, observed: "127.0.0.1"},
		{id: "transport.tls.certificate", name: "untrusted", serve: func(t *testing.T, f *probetest.FHIR) probes.Target {
			target := probetest.Serve(t, f)
			target.CAFile, target.Insecure = "", true
			return target
		}, want: probes.Error, observed: "no --ca was given"},
		{id: "transport.tls.certificate", name: "untrusted despite --ca", serve: func(t *testing.T, f *probetest.FHIR) probes.Target {
			target := probetest.Serve(t, f)
			other := probetest.Serve(t, probetest.Default())
			target.CAFile = other.CAFile
			target.Insecure = true
			return target
		}, want: probes.Fail, observed: "unknown authority"},
		{id: "transport.tls.certificate", name: "plain http", serve: plain, want: probes.NotApplicable, observed: "root finding: transport.https.enforced"},

		{id: "transport.tls.weak-ciphers", name: "modern", want: probes.Pass, observed: "refused"},
		{id: "transport.tls.weak-ciphers", name: "accepts 3DES and RSA CBC", serve: tlsServer(&tls.Config{
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA},
		}, probetest.CertOptions{RSA: true}), want: probes.Warn, observed: "accepted TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA"},
		{id: "transport.tls.weak-ciphers", name: "RSA key transport with AES-GCM", serve: tlsServer(&tls.Config{
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		}, probetest.CertOptions{RSA: true}), want: probes.Warn, observed: "accepted TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{id: "transport.tls.weak-ciphers", name: "AES128-SHA256, which the GP Connect suite refuses", serve: tlsServer(&tls.Config{
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA256},
		}, probetest.CertOptions{RSA: true}), want: probes.Warn, observed: "GP Connect provider test suite is stricter"},
		{id: "transport.tls.weak-ciphers", name: "RC4", serve: tlsServer(&tls.Config{
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_RC4_128_SHA},
		}, probetest.CertOptions{RSA: true}), want: probes.Fail, observed: "TLS_RSA_WITH_RC4_128_SHA (RC4: MUST NOT)"},
		{id: "transport.tls.weak-ciphers", name: "TLS 1.3 only", serve: tlsServer(&tls.Config{MinVersion: tls.VersionTLS13}, probetest.CertOptions{}), want: probes.Pass, observed: "TLS 1.3 only"},
		{id: "transport.tls.weak-ciphers", name: "plain http", serve: plain, want: probes.NotApplicable, observed: "root finding"},

		// Port 80 of 127.0.0.1 is not served in tests: the https port answers plain http with 400.
		{id: "transport.https.enforced", name: "TLS only", want: probes.Pass, observed: "plain http refused: HTTP 400"},
		{id: "transport.https.enforced", name: "names the port 80 origin tried", want: probes.Pass, observed: "http://127.0.0.1/fhir/metadata (port 80)"},
		{id: "transport.https.enforced", name: "served over http too", serve: dual, want: probes.Fail, observed: "plain http served the request: HTTP 200"},
		{id: "transport.https.enforced", name: "redirects to https", serve: dual, breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if r.TLS == nil {
					http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
					return true
				}
				return false
			}
		}, want: probes.Pass, observed: "HTTP 301 redirect to https://"},
		{id: "transport.https.enforced", name: "plain base", serve: plain, want: probes.Fail, observed: "base URL is plain http"},
		{id: "transport.https.enforced", name: "nothing listening", serve: closedPort, want: probes.Error, observed: "neither plain http nor https answers"},

		{id: "transport.hsts", name: "one year", want: probes.Pass, observed: "max-age=31536000"},
		{id: "transport.hsts", name: "short", breakIt: func(f *probetest.FHIR) { f.HSTS = "max-age=86400" }, want: probes.Warn, observed: "86400"},
		{id: "transport.hsts", name: "absent", breakIt: func(f *probetest.FHIR) { f.HSTS = "" }, want: probes.Warn, observed: "no Strict-Transport-Security"},
		{id: "transport.hsts", name: "zero", breakIt: func(f *probetest.FHIR) { f.HSTS = "max-age=0" }, want: probes.Warn, observed: "max-age=0"},
		{id: "transport.hsts", name: "plain http", serve: plain, want: probes.NotApplicable, observed: "root finding"},
	}
	for _, tc := range tests {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			serve := tc.serve
			if serve == nil {
				serve = func(t *testing.T, f *probetest.FHIR) probes.Target { return probetest.Serve(t, f) }
			}
			target := serve(t, f)
			res, report := probetest.Run(t, target, probetest.Find(t, transport.Probes(), tc.id))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			probetest.AssertNoSecret(t, report, target.Token)
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}

func tlsServer(cfg *tls.Config, o probetest.CertOptions) func(*testing.T, *probetest.FHIR) probes.Target {
	return func(t *testing.T, f *probetest.FHIR) probes.Target { return probetest.ServeTLS(t, f, cfg.Clone(), o) }
}

func plain(t *testing.T, f *probetest.FHIR) probes.Target { return probetest.ServePlain(t, f) }

func dual(t *testing.T, f *probetest.FHIR) probes.Target { return probetest.ServeDual(t, f) }

func closedPort(t *testing.T, _ *probetest.FHIR) probes.Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return probes.Target{BaseURL: "https://" + addr + "/fhir"}
}

func TestParseHSTS(t *testing.T) {
	tests := []struct {
		in   string
		age  int64
		subs bool
	}{
		{"max-age=31536000; includeSubDomains", 31536000, true},
		{`max-age="600"`, 600, false},
		{"includeSubDomains; MAX-AGE=5 ; preload", 5, true},
		{"max-age=", -1, false},
		{"max-age=-3", -1, false},
		{"", -1, false},
	}
	for _, tc := range tests {
		age, subs := transport.ParseHSTS(tc.in)
		if age != tc.age || subs != tc.subs {
			t.Errorf("ParseHSTS(%q) = %d, %v; want %d, %v", tc.in, age, subs, tc.age, tc.subs)
		}
	}
}

func FuzzParseHSTS(f *testing.F) {
	f.Add("max-age=31536000; includeSubDomains")
	f.Add(`max-age="1";;;=`)
	f.Fuzz(func(t *testing.T, v string) {
		age, _ := transport.ParseHSTS(v)
		if age < -1 {
			t.Fatalf("age %d", age)
		}
	})
}

// A plain-http endpoint is one root finding: transport.https.enforced fails and every other
// transport probe is not applicable, pointing at it.
func TestPlainHTTPIsOneRootFinding(t *testing.T) {
	target := probetest.ServePlain(t, probetest.Default())
	report, err := probetest.Runner().Run(t.Context(), target, transport.Probes())
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		switch {
		case res.ProbeID == transport.RootHTTPS:
			if res.Status != probes.Fail || res.Severity != probes.Critical {
				t.Errorf("root: %s %s (%s)", res.Status, res.Severity, res.Observed)
			}
		case res.Status != probes.NotApplicable || res.DependsOn != transport.RootHTTPS:
			t.Errorf("%s: %s depends on %q (%s)", res.ProbeID, res.Status, res.DependsOn, res.Observed)
		}
	}
}
