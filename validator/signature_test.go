package validator

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

// signer makes JWS signatures as a FHIR signing system would: over the canonical JSON of the
// Bundle, with the signer's certificate in the header.
type signer struct {
	alg  string
	key  crypto.Signer
	cert []byte // DER
}

func newSigner(t *testing.T, alg string) *signer {
	t.Helper()
	var key crypto.Signer
	var err error
	if alg == "ES256" {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{alg: alg, key: key, cert: der}
}

// sign returns Signature.data for content; withPayload embeds it, x5c includes the certificate.
func (s *signer) sign(t *testing.T, content []byte, withPayload, x5c bool) string {
	t.Helper()
	h := map[string]any{"alg": s.alg, "typ": "JOSE"}
	if x5c {
		h["x5c"] = []string{base64.StdEncoding.EncodeToString(s.cert)}
	}
	hj, _ := json.Marshal(h)
	header := base64.RawURLEncoding.EncodeToString(hj)
	payload := base64.RawURLEncoding.EncodeToString(content)
	digest := sha256.Sum256([]byte(header + "." + payload))
	sig, err := s.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if s.alg == "ES256" { // ASN.1 to the JWS form r||s
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		rs.R.FillBytes(sig[:32])
		rs.S.FillBytes(sig[32:])
	}
	if !withPayload {
		payload = ""
	}
	return base64.StdEncoding.EncodeToString([]byte(header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)))
}

// TestBundleSignature: a Bundle's JWS signature is verified over the Bundle's canonical JSON.
func TestBundleSignature(t *testing.T) {
	rs := newSigner(t, "RS256")
	es := newSigner(t, "ES256")
	const entry = `{"fullUrl": "urn:uuid:0c3b4f0e-4a4e-4a8e-9d0e-1a2b3c4d5e6f", "resource": {"resourceType": "Patient", "id": "p1", "active": true,
	  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A &amp; B</div>"},
	  "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "2020-01-01T00:00:00Z"}]}}`
	bundle := func(id, sig string) string {
		s := `{"resourceType": "Bundle", "id": "` + id + `", "meta": {"versionId": "1"}, "type": "collection", "total": 1.50, "timestamp": "2020-01-01T00:00:00Z",
		  "entry": [` + entry + `]`
		if sig != "" {
			s += `, "signature": ` + sig
		}
		return s + `}`
	}
	// the content a signer signs: the Bundle without signature (and id and meta for documents)
	content := func(doc string, document bool) []byte {
		c, err := canonicalBundle([]byte(doc), document)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	signature := func(targetFormat, data string) string {
		return `{"type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1"}], "when": "2020-01-01T00:00:00Z",
		  "who": {"display": "Test Signer"}, "targetFormat": "` + targetFormat + `", "sigFormat": "application/jose", "data": "` + data + `"}`
	}
	const (
		plain = "application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json"
		doc   = "application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json#document"
	)
	unsigned := bundle("b1", "")
	tampered := strings.Replace(unsigned, `"active": true`, `"active": false`, 1)
	pretty := func(s string) string {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(s), "", "    "); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	tests := []struct {
		name string
		doc  string
		want Severity // the severity of the signature issue: error, warning, information
		msg  string
	}{
		{"detached, verified", bundle("b1", signature(plain, rs.sign(t, content(unsigned, false), false, true))), SeverityInformation, "the signature verified"},
		{"ES256, verified", bundle("b1", signature(plain, es.sign(t, content(unsigned, false), false, true))), SeverityInformation, "the signature verified"},
		{"verified whatever the whitespace", pretty(bundle("b1", signature(plain, rs.sign(t, content(unsigned, false), false, true)))), SeverityInformation, "the signature verified"},
		{"content changed after signing", strings.Replace(bundle("b1", signature(plain, rs.sign(t, content(unsigned, false), false, true))), `"active": true`, `"active": false`, 1),
			SeverityError, "did not verify against the certificate"},
		{"id changed: part of the plain canonical form", bundle("b2", signature(plain, rs.sign(t, content(unsigned, false), false, true))), SeverityError, "did not verify"},
		{"id and meta changed: not part of a document's", bundle("b2", signature(doc, rs.sign(t, content(unsigned, true), false, true))), SeverityInformation, "the signature verified"},
		{"payload embedded, verified", bundle("b1", signature(doc, rs.sign(t, content(unsigned, true), true, true))), SeverityInformation, "the signature verified"},
		{"payload is not the content", bundle("b1", signature(doc, rs.sign(t, content(tampered, true), true, true))), SeverityError, "the content to sign"},
		{"no certificate", bundle("b1", signature(plain, rs.sign(t, content(unsigned, false), false, false))), SeverityWarning, "no certificate (x5c)"},
		{"canonicalization not supported", bundle("b1", signature("application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json#static",
			rs.sign(t, content(unsigned, false), false, true))), SeverityInformation, "is not supported"},
		{"not a JWS", bundle("b1", signature(plain, base64.StdEncoding.EncodeToString([]byte("not a jws")))), SeverityError, "not a JWS"},
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Issue
			for _, is := range v.ValidateResource(context.Background(), []byte(tc.doc)) {
				if is.Check == CheckSignature {
					got = append(got, is)
				}
			}
			found := false
			for _, is := range got {
				if is.Severity == SeverityError && tc.want != SeverityError {
					t.Errorf("unexpected error %q", is.Message)
				}
				if is.Severity == tc.want && strings.Contains(is.Message, tc.msg) {
					found = true
					if is.Expression != "Bundle.signature.data" || is.Line == 0 {
						t.Errorf("location %q line %d", is.Expression, is.Line)
					}
				}
			}
			if !found {
				t.Errorf("want a %s issue with %q, got %+v", tc.want, tc.msg, got)
			}
		})
	}
}

// TestCanonicalBundle: the canonical JSON keeps numbers as written, orders properties, leaves
// out the signature (and id and meta for documents) and escapes no HTML characters.
func TestCanonicalBundle(t *testing.T) {
	doc := `{"resourceType": "Bundle", "id": "x", "meta": {"versionId": "1"}, "type": "document", "total": 1.50,
	  "signature": {"data": "x"}, "entry": [{"resource": {"resourceType": "Basic", "b": "<a&b>", "a": 1e2}}]}`
	tests := []struct {
		document bool
		want     string
	}{
		{false, `{"entry":[{"resource":{"a":1e2,"b":"<a&b>","resourceType":"Basic"}}],"id":"x","meta":{"versionId":"1"},"resourceType":"Bundle","total":1.50,"type":"document"}`},
		{true, `{"entry":[{"resource":{"a":1e2,"b":"<a&b>","resourceType":"Basic"}}],"resourceType":"Bundle","total":1.50,"type":"document"}`},
	}
	for _, tc := range tests {
		got, err := canonicalBundle([]byte(doc), tc.document)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("document=%v:\n got %s\nwant %s", tc.document, got, tc.want)
		}
	}
}

// TestRawCapture checks the chunked capture of a document's first bytes: the bytes come back
// whole across chunk boundaries, from any offset, and nothing is kept past the limit.
func TestRawCapture(t *testing.T) {
	var want []byte
	c := &rawCapture{}
	for i := 0; len(want) < 3*rawChunk+17; i++ {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, 1+(i*7919)%40000)
		c.write(p)
		want = append(want, p...)
	}
	for _, off := range []int64{0, 1, rawChunk - 1, rawChunk, 2*rawChunk + 5} {
		got, ok := c.document(off)
		if !ok || !bytes.Equal(got, want[off:]) {
			t.Fatalf("offset %d: ok=%v, %d bytes, want %d", off, ok, len(got), len(want)-int(off))
		}
	}
	c.write(make([]byte, maxSignedBytes))
	if _, ok := c.document(0); ok || c.chunks != nil {
		t.Fatal("bytes kept past the limit")
	}
}
