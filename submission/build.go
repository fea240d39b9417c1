package submission

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/nhs-jigsaw/jigsaw/internal/atomicfile"
)

// Sign signs the payload and returns the submission file's bytes: the canonical JSON of the
// whole submission and a newline.
func Sign(p *Payload, priv ed25519.PrivateKey) ([]byte, error) {
	canon, err := canonicalJSON(p)
	if err != nil {
		return nil, fmt.Errorf("sign submission: payload: %w", err)
	}
	pub, ok := priv.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("sign submission: not an Ed25519 key")
	}
	sum := sha256.Sum256(canon)
	sub := Submission{
		Format:  Format,
		Payload: *p,
		Signature: Signature{
			Algorithm:     Algorithm,
			PublicKey:     base64.StdEncoding.EncodeToString(pub),
			KeyID:         KeyID(pub),
			PayloadSHA256: hex.EncodeToString(sum[:]),
			Value:         base64.StdEncoding.EncodeToString(ed25519.Sign(priv, canon)),
		},
	}
	doc, err := canonicalJSON(sub)
	if err != nil {
		return nil, fmt.Errorf("sign submission: %w", err)
	}
	return append(doc, '\n'), nil
}

func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonicalize(b)
}

// WriteFile writes a submission's bytes to path atomically: a reader sees the old file or the
// whole new one, never half of it.
func WriteFile(path string, data []byte) error {
	if err := atomicfile.WriteBytes(path, data, 0o644); err != nil {
		return fmt.Errorf("write submission: %w", err)
	}
	return nil
}
