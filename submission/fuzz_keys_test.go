package submission

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// FuzzParsePublicKey feeds key files (league import --keys, league keys rotate) to the parser:
// it returns a 32-byte Ed25519 key or an error, never panics.
func FuzzParsePublicKey(f *testing.F) {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	f.Add([]byte(encodeKey(pub)))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x82, 0xff, 0xff}}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublicKey(data)
		if err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("key of %d bytes accepted", len(k))
		}
	})
}
