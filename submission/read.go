package submission

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/schemas"
)

// MaxFileSize bounds a submission file; a real one is a few MiB at most. Callers check a
// file's size against it before reading it.
const MaxFileSize = 256 << 20

// ErrInvalid is wrapped by every verification failure, so callers can tell a tampered or
// broken submission from a failure to read it.
var ErrInvalid = errors.New("submission does not verify")

// Read reads and parses a submission file. It checks that the file is JSON of the submission's
// shape; Verify checks everything else.
func Read(path string) (*Submission, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read submission: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("read submission %s: %d bytes is larger than the %d MiB limit", path, st.Size(), MaxFileSize>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read submission: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a submission from data read from name.
func Parse(name string, data []byte) (*Submission, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("submission %s: larger than the %d MiB limit", name, MaxFileSize>>20)
	}
	sub := &Submission{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(sub); err != nil {
		return nil, fmt.Errorf("submission %s: not a Jigsaw submission: %w", name, err)
	}
	if sub.Format != Format {
		return nil, fmt.Errorf("submission %s: format %q is not %q (made by another tool or version?)", name, sub.Format, Format)
	}
	sub.Source = name
	sub.raw = data
	return sub, nil
}

// Check is one verification step and what it found.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Report is what Verify found.
type Report struct {
	Source string `json:"source"`
	OK     bool   `json:"ok"`
	// KeyID names the key that signed the submission.
	KeyID string `json:"key_id"`
	// Trusted says the signing key is one of the keys Verify was given; false when it was
	// given none (the file is then only shown to be intact, not who made it).
	Trusted      bool               `json:"trusted"`
	Organisation Organisation       `json:"organisation"`
	Assessment   string             `json:"assessment"`
	Checklist    string             `json:"checklist"`
	Head         evidence.ChainHead `json:"chain_head"`
	Checks       []Check            `json:"checks"`
}

// Verify checks a submission: that the file is in canonical form (so no byte can change
// unnoticed), valid against the published schema, its signature over the canonical payload
// is good and made by one of the trusted keys (when any are given), the chain links recompute
// to the chain head, every exported row hashes to its link, and the answers, results, files and
// exchanges listed match the rows. The error wraps ErrInvalid and names the first failed check;
// the report lists every check.
func Verify(sub *Submission, trusted []ed25519.PublicKey) (Report, error) {
	p := &sub.Payload
	rep := Report{
		Source: sub.Source, KeyID: sub.Signature.KeyID, Organisation: p.Organisation,
		Assessment: p.Assessment.ID, Checklist: p.Checklist.Ref(), Head: p.Evidence.Head,
	}
	add := func(name string, err error) bool {
		c := Check{Name: name, OK: err == nil}
		if err != nil {
			c.Detail = err.Error()
		}
		rep.Checks = append(rep.Checks, c)
		return err == nil
	}

	canonPayload, formOK := checkCanonicalForm(sub.raw, add)
	add("schema", checkSchema(sub.raw))
	if formOK {
		add("signature", checkSignature(sub, canonPayload, trusted, &rep))
	} else {
		add("signature", errors.New("not checked: the file is not in canonical form"))
	}
	add("evidence chain", checkChain(p))
	add("evidence rows", checkRows(p))

	rep.OK = true
	for _, c := range rep.Checks {
		if !c.OK {
			rep.OK = false
			return rep, fmt.Errorf("%w: %s: %s: %s", ErrInvalid, sub.Source, c.Name, c.Detail)
		}
	}
	return rep, nil
}

// checkCanonicalForm requires the file to be exactly its canonical form and a newline, and
// returns the canonical payload (what is signed).
func checkCanonicalForm(raw []byte, add func(string, error) bool) ([]byte, bool) {
	canon, err := Canonicalize(raw)
	if err != nil {
		return nil, add("canonical form", err)
	}
	want := append(canon, '\n')
	if !bytes.Equal(raw, want) {
		at := 0
		for at < len(raw) && at < len(want) && raw[at] == want[at] {
			at++
		}
		return nil, add("canonical form", fmt.Errorf("the file differs from its canonical JSON at byte %d: it was edited after signing", at))
	}
	var doc struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Payload) == 0 {
		return nil, add("canonical form", errors.New("no payload"))
	}
	// A member of canonical JSON is itself canonical.
	return []byte(doc.Payload), add("canonical form", nil)
}

func checkSchema(raw []byte) error {
	sch, err := schemas.Compile("submission")
	if err != nil {
		return fmt.Errorf("load submission schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return errors.New(strings.Join(leafMessages(ve), "; "))
		}
		return err
	}
	return nil
}

func leafMessages(ve *jsonschema.ValidationError) []string {
	if len(ve.Causes) == 0 {
		return []string{"/" + strings.Join(ve.InstanceLocation, "/") + ": " + ve.ErrorKind.LocalizedString(message.NewPrinter(language.English))}
	}
	var out []string
	for _, c := range ve.Causes {
		out = append(out, leafMessages(c)...)
	}
	return out
}

func checkSignature(sub *Submission, canonPayload []byte, trusted []ed25519.PublicKey, rep *Report) error {
	s := sub.Signature
	if s.Algorithm != Algorithm {
		return fmt.Errorf("algorithm %q is not %s", s.Algorithm, Algorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return errors.New("public_key is not the base64 of a 32-byte Ed25519 key")
	}
	pub := ed25519.PublicKey(raw)
	if KeyID(pub) != s.KeyID {
		return fmt.Errorf("key_id %s does not name the public key (its id is %s)", s.KeyID, KeyID(pub))
	}
	sum := sha256.Sum256(canonPayload)
	if got := hex.EncodeToString(sum[:]); got != s.PayloadSHA256 {
		return fmt.Errorf("payload SHA-256 is %s, the signature block says %s: the payload was altered", got, s.PayloadSHA256)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Value)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("signature value is not the base64 of a 64-byte Ed25519 signature")
	}
	if !ed25519.Verify(pub, canonPayload, sig) {
		return errors.New("Ed25519 signature does not match the payload: the payload or the signature was altered")
	}
	if len(trusted) == 0 {
		return nil
	}
	for _, k := range trusted {
		if k.Equal(pub) {
			rep.Trusted = true
			return nil
		}
	}
	return fmt.Errorf("signed by key %s, which is not among the %d trusted key(s)", s.KeyID, len(trusted))
}

func checkChain(p *Payload) error {
	head, err := evidence.RecomputeChain(p.Evidence.Links)
	if err != nil {
		return err
	}
	if head != p.Evidence.Head {
		return fmt.Errorf("the links recompute to chain head %s, the submission says %s", head, p.Evidence.Head)
	}
	return nil
}

// checkRows ties the exported rows to the chain and the listed evidence to the rows.
func checkRows(p *Payload) error {
	links := p.Evidence.Links
	rows := map[string]map[string]any{}
	for _, r := range p.Evidence.Rows {
		_, seq, err := evidence.ParseID(r.ID)
		if err != nil {
			return err
		}
		if seq > int64(len(links)) {
			return fmt.Errorf("row %s lies beyond the chain head %d", r.ID, len(links))
		}
		if got := evidence.ContentSHA256([]byte(r.Canonical)); got != links[seq-1].ContentSHA256 {
			return fmt.Errorf("row %s hashes to %s, its chain link says %s: the row was altered", r.ID, got, links[seq-1].ContentSHA256)
		}
		var fields map[string]any
		dec := json.NewDecoder(strings.NewReader(r.Canonical))
		dec.UseNumber()
		if err := dec.Decode(&fields); err != nil {
			return fmt.Errorf("row %s: canonical content is not a JSON object: %w", r.ID, err)
		}
		if _, dup := rows[r.ID]; dup {
			return fmt.Errorf("row %s appears twice", r.ID)
		}
		rows[r.ID] = fields
	}
	_, aseq, err := evidence.ParseID(p.Assessment.ID)
	if err != nil {
		return fmt.Errorf("assessment id: %w", err)
	}
	if err := match(rows, p.Assessment.ID, map[string]any{
		"_table": "assessments", "ods_code": p.Organisation.ODS, "org_name": p.Organisation.Name,
		"org_type": p.Organisation.Type, "checklist_id": p.Checklist.ID, "checklist_version": p.Checklist.Version,
		"checklist_sha256": p.Checklist.SHA256, "cycle": p.Assessment.Cycle,
	}); err != nil {
		return err
	}
	for _, a := range p.Answers {
		// Everything scoring reads from an answer is tied to its row, documents and waiver too.
		refs := a.EvidenceRefs
		if refs == nil {
			refs = []string{}
		}
		refsJSON, err := json.Marshal(refs)
		if err != nil {
			return fmt.Errorf("answer %s: evidence refs: %w", a.ID, err)
		}
		expiry := ""
		if !a.WaiverExpiry.IsZero() {
			expiry = a.WaiverExpiry.UTC().Format(time.RFC3339Nano)
		}
		if err := match(rows, a.ID, map[string]any{"_table": "attestations", "assessment_id": aseq, "item_id": a.ItemID,
			"status": string(a.Status), "level": int64(a.Level), "provenance": string(a.Provenance), "answered_by": a.AnsweredBy,
			"evidence_refs": string(refsJSON), "waiver_expiry": expiry}); err != nil {
			return err
		}
	}
	for _, r := range p.Results {
		if err := match(rows, r.ID, map[string]any{"_table": "probe_results", "assessment_id": aseq, "probe_id": r.ProbeID,
			"status": string(r.Status), "severity": string(r.Severity)}); err != nil {
			return err
		}
	}
	for _, e := range p.Exchanges {
		if err := match(rows, e.ID, map[string]any{"_table": "exchanges", "assessment_id": aseq, "probe_id": e.ProbeID,
			"url": e.URL, "status_code": int64(e.StatusCode), "response_sha256": e.ResponseSHA256, "response_size": e.ResponseSize}); err != nil {
			return err
		}
	}
	for _, f := range p.Files {
		if err := match(rows, f.ID, map[string]any{"_table": "files", "assessment_id": aseq, "name": f.Name,
			"sha256": f.SHA256, "size": f.Size}); err != nil {
			return err
		}
	}
	return checkScope(p)
}

// checkScope ties the payload's scope text to the assessment's latest scope file.
func checkScope(p *Payload) error {
	latest := evidence.LatestScopeFile(p.Files)
	switch {
	case latest == nil && p.Scope == "":
		return nil
	case latest == nil:
		return fmt.Errorf("the payload carries a scope but lists no %s file", evidence.ScopeFileName)
	case p.Scope == "":
		return fmt.Errorf("file %s (%s) is listed but the payload carries no scope: the league could not re-score with the endpoints probed", latest.ID, evidence.ScopeFileName)
	}
	sum := sha256.Sum256([]byte(p.Scope))
	if got := hex.EncodeToString(sum[:]); got != latest.SHA256 {
		return fmt.Errorf("the payload's scope hashes to %s, but file %s (%s) has SHA-256 %s: the scope was altered", got, latest.ID, evidence.ScopeFileName, latest.SHA256)
	}
	if _, err := evidence.ParseScope(latest.ID, []byte(p.Scope)); err != nil {
		return err
	}
	return nil
}

func match(rows map[string]map[string]any, id string, want map[string]any) error {
	row, ok := rows[id]
	if !ok {
		return fmt.Errorf("%s is listed but its evidence row is not in the submission", id)
	}
	for k, w := range want {
		got := row[k]
		var same bool
		switch wv := w.(type) {
		case string:
			s, _ := got.(string)
			same = s == wv
		case int64:
			n, _ := got.(json.Number)
			i, err := n.Int64()
			same = err == nil && i == wv
		}
		if !same {
			return fmt.Errorf("%s: %s is %v in its evidence row but %v in the submission", id, k, got, w)
		}
	}
	return nil
}
