package submission

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/evidence"
)

// Build gathers an assessment's payload from the store: its score (against the exact
// checklist text it used, which find must supply), answers, probe results, evidence digests and
// the chain proof. It fails if the evidence chain does not verify.
func Build(ctx context.Context, store *evidence.Store, assessmentID int64, find assess.ChecklistFinder, toolVersion string, now time.Time) (*Payload, error) {
	scored, err := assess.Score(ctx, store, assessmentID, find)
	if err != nil {
		return nil, err
	}
	// Read after the snapshot the score came from, so the rows cover everything it names.
	ev, err := store.ExportEvidence(ctx, assessmentID)
	if err != nil {
		return nil, err
	}
	snap := scored.Snapshot
	a := snap.Assessment
	p := &Payload{
		ExportedAt:  now.UTC(),
		ToolVersion: toolVersion,
		Organisation: Organisation{
			ODS: a.Org.ODSCode, Name: a.Org.Name, Type: string(a.Org.Type), Region: a.Org.Region, ICB: a.Org.ICB,
		},
		Assessment: Assessment{
			ID: a.Ref, Cycle: a.Cycle, Status: string(a.Status), TargetURL: a.TargetURL, FHIRVersion: a.FHIRVersion,
			StartedAt: a.StartedAt, FinishedAt: a.FinishedAt,
		},
		Checklist: Checklist{ID: a.ChecklistID, Version: a.ChecklistVersion, SHA256: a.ChecklistSHA256},
		Score:     scored.Result,
		Answers:   nonNil(snap.Attestations),
		Results:   nonNil(snap.Results),
		Exchanges: nonNil(snap.Exchanges),
		Files:     nonNil(snap.Files),
		Evidence:  Evidence{Head: ev.Head, Links: ev.Links, Rows: ev.Rows},
	}
	return p, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

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
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write submission %s: %w", path, err)
	}
	return nil
}
