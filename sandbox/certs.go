package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// pki is the certificate authority a sandbox generates at start and the server certificate it
// signs. Only the CA certificate leaves the process (as a PEM file the prober can trust); the keys
// live in memory for the life of the server.
type pki struct {
	caPEM []byte
	leaf  tls.Certificate
	// caPool holds the CA, for verifying client certificates (the GP Connect provider's
	// mutual TLS); clientCertPEM and clientKeyPEM are a client certificate it signed, written
	// out for the prober as the Spine Secure Proxy's stand-in.
	caPool        *x509.CertPool
	clientCertPEM []byte
	clientKeyPEM  []byte
}

// certHosts are the names every server certificate carries, plus the listening host if it is
// something else.
func certHosts(listenHost string) (ips []net.IP, dns []string) {
	ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	dns = []string{"localhost"}
	if listenHost == "" {
		return ips, dns
	}
	if ip := net.ParseIP(listenHost); ip != nil {
		if !ip.IsUnspecified() && !ip.IsLoopback() {
			ips = append(ips, ip)
		}
		return ips, dns
	}
	if listenHost != "localhost" {
		dns = append(dns, listenHost)
	}
	return ips, dns
}

// newPKI makes an ECDSA P-256 CA and a server certificate for the loopback names (and
// listenHost). The legacy profile gets an RSA server key, because the weak suites it must accept
// (RSA key exchange, 3DES, RC4 with RSA) need one, and a certificate that expires within 30 days.
func newPKI(now time.Time, org Org, listenHost string, legacy bool) (*pki, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Jigsaw sandbox CA (" + org.ODSCode + ")", Organization: []string{"Jigsaw sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}

	var leafKey crypto.Signer
	keyUsage := x509.KeyUsageDigitalSignature
	validity := 90 * 24 * time.Hour
	if legacy {
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate RSA server key: %w", err)
		}
		leafKey = rsaKey
		keyUsage |= x509.KeyUsageKeyEncipherment // RSA key exchange encrypts the premaster secret
		validity = 20 * 24 * time.Hour
	} else {
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate server key: %w", err)
		}
		leafKey = ecKey
	}
	ips, dns := certHosts(listenHost)
	leafTemplate := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{org.Name}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     keyUsage,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, caCert, leafKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}
	leafCert, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, fmt.Errorf("parse server certificate: %w", err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate client key: %w", err)
	}
	clientTemplate := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "Jigsaw sandbox consumer (SSP stand-in)", Organization: []string{"Jigsaw sandbox"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTemplate, caCert, &clientKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create client certificate: %w", err)
	}
	clientKeyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		return nil, fmt.Errorf("encode client key: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &pki{
		caPEM:         pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf:          tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey, Leaf: leafCert},
		caPool:        pool,
		clientCertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		clientKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: clientKeyDER}),
	}, nil
}

// randomSerial is 127 random bits, positive as RFC 5280 requires. crypto/rand.Read never fails.
func randomSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f
	b[0] |= 0x40 // never zero, never shorter than 16 bytes
	return new(big.Int).SetBytes(b)
}

// tlsConfig is the server's TLS policy for a profile.
func tlsConfig(b behaviour, cert tls.Certificate) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if !b.legacyTLS {
		cfg.MinVersion = tls.VersionTLS12
		// Forward-secret AEAD suites only for TLS 1.2; TLS 1.3 suites are all good.
		cfg.CipherSuites = []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		}
		return cfg
	}
	// A server last configured in 2014: TLS 1.0 to 1.2, and every suite the RSA key allows,
	// including the ones modern clients refuse. Explicit settings here override Go's defaults
	// (which would refuse TLS 1.0, RSA key exchange and 3DES) without any GODEBUG.
	cfg.MinVersion = tls.VersionTLS10
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
		tls.TLS_RSA_WITH_RC4_128_SHA,
	}
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}
