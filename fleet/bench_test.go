package fleet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkFleetScan scans FLEET_BENCH_ENDPOINTS (default 2,000) endpoints, each on its own
// loopback port over TLS, each answering /metadata after FLEET_BENCH_LATENCY_MS (default 50)
// milliseconds, with FLEET_BENCH_CONCURRENCY (default 64) at once. It reports the wall time
// and its ratio to the ideal endpoints × latency ÷ concurrency (target: within 1.5×).
func BenchmarkFleetScan(b *testing.B) {
	n := envInt("FLEET_BENCH_ENDPOINTS", 2000)
	latency := time.Duration(envInt("FLEET_BENCH_LATENCY_MS", 50)) * time.Millisecond
	concurrency := envInt("FLEET_BENCH_CONCURRENCY", 64)
	body := []byte(capStatement("Bench", "Patient", "Observation", "Condition"))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write(body)
	}))
	// An ECDSA P-256 certificate, as most TLS 1.3 servers present: both ends of every
	// handshake run in this process, and the server's RSA signing would otherwise dominate.
	cert, certDER := ecdsaLoopbackCert(b)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	srv.StartTLS()
	defer srv.Close()
	var eps []Endpoint
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go srv.Config.Serve(tls.NewListener(l, srv.TLS))
		defer l.Close()
		eps = append(eps, Endpoint{ODS: fmt.Sprintf("B%05d", i), BaseURL: "https://" + l.Addr().String() + "/fhir", Kind: KindFHIRR4})
	}
	caFile := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o600); err != nil {
		b.Fatal(err)
	}
	ideal := time.Duration(n) * latency / time.Duration(concurrency)
	for b.Loop() {
		c, err := NewCrawler(Options{Concurrency: concurrency, PerHostRate: 1, CAFile: caFile, Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		obs, err := c.Scan(context.Background(), eps)
		wall := time.Since(start)
		c.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range obs {
			if !o.Up || o.Level != LevelConformant {
				b.Fatalf("%s: up=%v level=%d error=%s", o.BaseURL, o.Up, o.Level, o.Error)
			}
		}
		b.ReportMetric(float64(n), "endpoints")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "ratio")
	}
}

func ecdsaLoopbackCert(b *testing.B) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleet bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
