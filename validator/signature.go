package validator

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Digital signatures (FHIR R4 signatures.html): a Bundle's signature with sigFormat
// application/jose is a JWS (RFC 7515) whose signed content is the Bundle in canonical JSON
// (json.html#canonical): properties in order, no whitespace, Bundle.signature left out, and for
// the canonicalization .../json#document also Bundle.id and Bundle.meta. The JWS header
// carries the signer's certificate (x5c). The signature is verified over that canonical form,
// as the HL7 Java validator does; a payload inside the JWS must be that same content.

// maxSignedBytes bounds the input kept to verify a top-level Bundle's signature: a signed
// Bundle larger than this is reported as not verified.
const maxSignedBytes = 4 << 20

// rawCapture keeps the first bytes of the input (up to maxSignedBytes), so that a signed
// Bundle can be canonicalised when it ends. The bytes are kept in fixed-size chunks and joined
// only when a signature is verified: most documents carry none, and growing one buffer would
// copy the first megabytes of every document several times over.
type rawCapture struct {
	chunks [][]byte
	size   int
	over   bool
}

const rawChunk = 256 << 10

func (c *rawCapture) write(p []byte) {
	if c.over {
		return
	}
	if c.size+len(p) > maxSignedBytes {
		c.over, c.chunks = true, nil
		return
	}
	c.size += len(p)
	for len(p) > 0 {
		if n := len(c.chunks); n == 0 || len(c.chunks[n-1]) == cap(c.chunks[n-1]) {
			c.chunks = append(c.chunks, make([]byte, 0, rawChunk))
		}
		last := &c.chunks[len(c.chunks)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

// document returns the JSON value starting at byte offset off of the input (offsets as the
// tokenizer counts them: after a byte order mark).
func (c *rawCapture) document(off int64) ([]byte, bool) {
	if c == nil || c.over {
		return nil, false
	}
	all := make([]byte, 0, c.size)
	for _, ch := range c.chunks {
		all = append(all, ch...)
	}
	b := bytes.TrimPrefix(all, []byte{0xEF, 0xBB, 0xBF})
	if off < 0 || off >= int64(len(b)) {
		return nil, false
	}
	return b[off:], true
}

const (
	canonJSON     = "http://hl7.org/fhir/canonicalization/json"
	canonDocument = "http://hl7.org/fhir/canonicalization/json#document"
)

// checkSignature verifies the JWS signature of the top-level Bundle at node n, which started
// at byte offset off.
func (w *walker) checkSignature(n int32, off int64) {
	tr := w.tree()
	for s := tr.nodes[n].first; s >= 0; s = tr.nodes[s].next {
		if tr.nodes[s].name == "signature" {
			w.checkOneSignature(s, off)
		}
	}
}

func (w *walker) checkOneSignature(s int32, off int64) {
	tr := w.tree()
	d := tr.findChild(s, "data", -1)
	if d < 0 || tr.nodes[d].kind != valString || childString(tr, s, "sigFormat") != "application/jose" {
		return
	}
	line, col := int(tr.nodes[d].line), int(tr.nodes[d].col)
	where := w.nodeExpr(d)
	info := func(format string, args ...any) {
		w.report(SeverityInformation, CheckSignature, line, col, where, format, args...)
	}
	fail := func(format string, args ...any) {
		w.report(SeverityError, CheckSignature, line, col, where, format, args...)
	}
	jws, err := parseJWS(tr.str(d))
	if err != nil {
		fail("the signature is not a JWS: %v", err)
		return
	}
	cert := jws.certificate()
	if cert == nil {
		w.report(SeverityWarning, CheckSignature, line, col, where, "the JWS header has no certificate (x5c), so the signature was not verified")
		return
	}
	canon := canonicalization(childString(tr, s, "targetFormat"), jws.header.Canon)
	if canon != canonJSON && canon != canonDocument {
		info("the signature was not verified: the canonicalization %s is not supported", canon)
		return
	}
	doc, ok := w.raw.document(off)
	if !ok {
		info("the signature was not verified: the Bundle is larger than %d MB or not read as one document", maxSignedBytes>>20)
		return
	}
	content, err := canonicalBundle(doc, canon == canonDocument)
	if err != nil {
		info("the signature was not verified: %v", err)
		return
	}
	if jws.payload != nil && !bytes.Equal(jws.payload, content) {
		fail("the signature cannot be valid: the content to sign (%d bytes, %s) is not the same as the signed content in the JWS (%d bytes)",
			len(content), canon, len(jws.payload))
	}
	if err := jws.verify(cert, content); err != nil {
		fail("the signature did not verify against the certificate in its header (%s): %v", cert.Subject, err)
		return
	}
	info("the signature verified against the certificate in its header (%s)", cert.Subject)
}

// canonicalization is the method named by Signature.targetFormat's canonicalization parameter,
// else by the JWS header, else plain canonical JSON.
func canonicalization(targetFormat, header string) string {
	for _, p := range strings.Split(targetFormat, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "canonicalization="); ok {
			return strings.Trim(v, `"`)
		}
	}
	if header != "" {
		return header
	}
	return canonJSON
}

// canonicalBundle returns the canonical JSON of the Bundle that doc starts with: without its
// signature (and, for documents, without its id and meta), properties ordered, no whitespace,
// numbers as written.
func canonicalBundle(doc []byte, document bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the Bundle cannot be canonicalised: %w", err)
	}
	delete(m, "signature")
	if document {
		delete(m, "id")
		delete(m, "meta")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("the Bundle cannot be canonicalised: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// jwsHeader holds the JOSE header fields the check uses.
type jwsHeader struct {
	Alg   string   `json:"alg"`
	X5c   []string `json:"x5c"`
	Canon string   `json:"canon"`
}

type jwsParts struct {
	rawHeader string // base64url, as signed
	header    jwsHeader
	payload   []byte // nil when detached
	sig       []byte
}

// parseJWS reads a JWS in compact serialization, base64-encoded as Signature.data is (or, as
// some senders give it, not encoded).
func parseJWS(data string) (*jwsParts, error) {
	raw := data
	if b, err := base64.StdEncoding.DecodeString(data); err == nil {
		raw = string(b)
	}
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts, want 3 (header.payload.signature)", len(parts))
	}
	j := &jwsParts{rawHeader: parts[0]}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(h, &j.header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if parts[1] != "" {
		if j.payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
	}
	if j.sig, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return j, nil
}

// certificate is the signer's certificate, the first of the header's x5c chain.
func (j *jwsParts) certificate() *x509.Certificate {
	if len(j.header.X5c) == 0 {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(j.header.X5c[0])
	if err != nil {
		return nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	return cert
}

// verify checks the signature over the header and content, with the algorithms of RFC 7518
// section 3 (RS*, PS*, ES*).
func (j *jwsParts) verify(cert *x509.Certificate, content []byte) error {
	input := []byte(j.rawHeader + "." + base64.RawURLEncoding.EncodeToString(content))
	alg := j.header.Alg
	var h crypto.Hash
	switch alg[len(alg)-min(3, len(alg)):] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	default:
		return fmt.Errorf("algorithm %q is not supported", alg)
	}
	var digest []byte
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(input)
		digest = d[:]
	case crypto.SHA384:
		d := sha512.Sum384(input)
		digest = d[:]
	default:
		d := sha512.Sum512(input)
		digest = d[:]
	}
	switch {
	case strings.HasPrefix(alg, "RS"):
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return errors.New("the certificate's key is not an RSA key")
		}
		return rsa.VerifyPKCS1v15(pub, h, digest, j.sig)
	case strings.HasPrefix(alg, "PS"):
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return errors.New("the certificate's key is not an RSA key")
		}
		return rsa.VerifyPSS(pub, h, digest, j.sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case strings.HasPrefix(alg, "ES"):
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return errors.New("the certificate's key is not an EC key")
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(j.sig) != 2*size {
			return fmt.Errorf("an %s signature has %d bytes, not %d", alg, len(j.sig), 2*size)
		}
		r := new(big.Int).SetBytes(j.sig[:size])
		s := new(big.Int).SetBytes(j.sig[size:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return errors.New("ecdsa: verification error")
		}
		return nil
	}
	return fmt.Errorf("algorithm %q is not supported", alg)
}
