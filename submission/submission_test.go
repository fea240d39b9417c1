package submission_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

// fixture is a store holding two organisations' assessments with interleaved evidence (so the
// chain links of another assessment sit between this one's rows), answers, a probe result with
// its exchange and an attached file.
type fixture struct {
	store *evidence.Store
	path  string
	id    int64
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "evidence.db")
	store, err := evidence.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	f, err := answers.Example("typical", c)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ods := range []string{f.Organisation.ODS, "RX1"} {
		if err := store.UpsertOrganisation(ctx, evidence.Organisation{ODSCode: ods, Name: "Trust " + ods, Type: checklist.AcuteTrust, Region: "Wales"}); err != nil {
			t.Fatal(err)
		}
		a, err := store.CreateAssessment(ctx, evidence.NewAssessment{
			ODSCode: ods, ChecklistID: c.ID, ChecklistVersion: c.Version, ChecklistSHA256: c.SHA256,
			TargetURL: "https://127.0.0.1:8443/fhir", FHIRVersion: "R4", Cycle: "2026-Q3", ToolVersion: "test",
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	for i, id := range ids {
		body := []byte(`{"resourceType":"Bundle","type":"searchset","total":0}`)
		ex := probes.Exchange{ID: "ex-1", ProbeID: "identity.nhs-number.search", Method: http.MethodGet,
			URL: "https://127.0.0.1:8443/fhir/Patient?identifier=x", StatusCode: 200,
			ResponseHeaders: http.Header{"Content-Type": {"application/fhir+json"}}, ResponseBody: body, ResponseSize: int64(len(body)),
			StartedAt: time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC), Duration: time.Millisecond}
		res := probes.Result{ProbeID: "identity.nhs-number.search", Title: "Search by NHS number", Pack: "identity",
			Status: []probes.Status{probes.Pass, probes.Fail}[i], Severity: probes.Medium, Expected: "a searchset Bundle",
			Observed: "a searchset Bundle", StartedAt: ex.StartedAt, Duration: time.Millisecond, Exchanges: []string{"ex-1"}}
		if _, err := store.RecordProbeResult(ctx, id, res, []probes.Exchange{ex}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := assess.ImportAnswers(ctx, store, ids[0], f); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AttachFile(ctx, ids[0], evidence.FileInput{Name: "dsa-v3.pdf", Content: strings.NewReader("%PDF-1.7 data sharing agreement")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := store.SetAssessmentStatus(ctx, id, evidence.Complete); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{store: store, path: path, id: ids[0]}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func export(t *testing.T, fx fixture, priv ed25519.PrivateKey) []byte {
	t.Helper()
	p, err := assess.Submission(context.Background(), fx.store, fx.id, checklist.Lookup, "test", time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	data, err := submission.Sign(p, priv)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func pub(priv ed25519.PrivateKey) ed25519.PublicKey { return priv.Public().(ed25519.PublicKey) }

func verifyBytes(data []byte, trusted ...ed25519.PublicKey) (submission.Report, error) {
	sub, err := submission.Parse("sub.json", data)
	if err != nil {
		return submission.Report{}, err
	}
	return submission.Verify(sub, trusted)
}

func TestExportVerifies(t *testing.T) {
	fx := newFixture(t)
	priv := newKey(t)
	data := export(t, fx, priv)
	rep, err := verifyBytes(data, pub(priv))
	if err != nil {
		t.Fatalf("Verify: %v\n%+v", err, rep.Checks)
	}
	if !rep.OK || !rep.Trusted || rep.KeyID != submission.KeyID(pub(priv)) {
		t.Errorf("report: %+v", rep)
	}
	sub, _ := submission.Parse("sub.json", data)
	p := sub.Payload
	head, err := fx.store.ChainHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Evidence.Head != head {
		t.Errorf("chain head %s, store has %s", p.Evidence.Head, head)
	}
	if p.Organisation.ODS != "7A9" || p.Checklist.Ref() != "nhs-interop@2026.1" || len(p.Answers) == 0 ||
		len(p.Results) != 1 || len(p.Exchanges) != 1 || len(p.Files) != 1 || p.Score.Percent == nil {
		t.Errorf("payload misses something: org %+v checklist %s answers %d results %d exchanges %d files %d",
			p.Organisation, p.Checklist.Ref(), len(p.Answers), len(p.Results), len(p.Exchanges), len(p.Files))
	}
	// Only this assessment's rows, but every link.
	for _, r := range p.Evidence.Rows {
		if strings.Contains(r.Canonical, `"ods_code":"RX1"`) || strings.Contains(r.Canonical, `"assessment_id":2,`) {
			t.Errorf("row of another assessment exported: %s", r.ID)
		}
	}
	if int64(len(p.Evidence.Links)) != head.Seq {
		t.Errorf("%d links for head %d", len(p.Evidence.Links), head.Seq)
	}

	// Without trusted keys the file is shown intact but not trusted.
	rep, err = verifyBytes(data)
	if err != nil || rep.Trusted {
		t.Errorf("Verify without keys: %v, trusted %v", err, rep.Trusted)
	}
	// Another key is not trusted.
	if _, err := verifyBytes(data, pub(newKey(t))); !errors.Is(err, submission.ErrInvalid) || !strings.Contains(err.Error(), "not among") {
		t.Errorf("Verify with another key: %v", err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	fx := newFixture(t)
	priv := newKey(t)
	data := export(t, fx, priv)
	path := filepath.Join(t.TempDir(), "sub.json")
	if err := submission.WriteFile(path, data); err != nil {
		t.Fatal(err)
	}
	sub, err := submission.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := submission.Verify(sub, []ed25519.PublicKey{pub(priv)}); err != nil {
		t.Fatal(err)
	}
}

// TestAnyChangedByteIsDetected flips bytes all over the file: each change must fail to parse
// or fail verification.
func TestAnyChangedByteIsDetected(t *testing.T) {
	fx := newFixture(t)
	priv := newKey(t)
	data := export(t, fx, priv)
	positions := []int{}
	// Every byte of the first and last 300 (format, payload start, signature block), and a
	// sample of the rest.
	for i := 0; i < len(data); i++ {
		if i < 300 || i >= len(data)-300 {
			positions = append(positions, i)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		positions = append(positions, rng.IntN(len(data)))
	}
	masks := []byte{0x01, 0x20, 0x80, 0x04}
	for n, i := range positions {
		mask := masks[n%len(masks)]
		mutated := bytes.Clone(data)
		mutated[i] ^= mask
		if _, err := verifyBytes(mutated, pub(priv)); err == nil {
			t.Fatalf("byte %d (%q) xor %#x went unnoticed", i, data[i], mask)
		}
	}
}

// resign edits the payload, then re-encodes and re-signs it with priv: what a forger with a
// key (or the trust itself) could do. The deeper checks must still catch the edit.
func resign(t *testing.T, data []byte, priv ed25519.PrivateKey, edit func(p *submission.Payload)) []byte {
	t.Helper()
	sub, err := submission.Parse("sub.json", data)
	if err != nil {
		t.Fatal(err)
	}
	edit(&sub.Payload)
	out, err := submission.Sign(&sub.Payload, priv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTamperedPartsAreDetected(t *testing.T) {
	fx := newFixture(t)
	priv := newKey(t)
	data := export(t, fx, priv)
	attacker := newKey(t)

	editJSON := func(edit func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		b, _ := json.Marshal(doc)
		canon, err := submission.Canonicalize(b)
		if err != nil {
			t.Fatal(err)
		}
		return append(canon, '\n')
	}
	payload := func(doc map[string]any) map[string]any { return doc["payload"].(map[string]any) }
	sig := func(doc map[string]any) map[string]any { return doc["signature"].(map[string]any) }

	cases := []struct {
		name    string
		data    []byte
		trusted []ed25519.PublicKey
		want    string
	}{
		{"pretty-printed", func() []byte { var b bytes.Buffer; json.Indent(&b, data, "", " "); return b.Bytes() }(), nil, "canonical form"},
		{"score raised", editJSON(func(d map[string]any) { payload(d)["score"].(map[string]any)["rating"] = "outstanding" }), nil, "signature"},
		{"answer level raised", editJSON(func(d map[string]any) {
			payload(d)["answers"].([]any)[0].(map[string]any)["level"] = 4.0
		}), nil, "signature"},
		{"organisation renamed", editJSON(func(d map[string]any) { payload(d)["organisation"].(map[string]any)["name"] = "Other" }), nil, "signature"},
		{"result flipped", editJSON(func(d map[string]any) { payload(d)["results"].([]any)[0].(map[string]any)["status"] = "fail" }), nil, "signature"},
		{"file digest changed", editJSON(func(d map[string]any) {
			payload(d)["files"].([]any)[0].(map[string]any)["sha256"] = strings.Repeat("0", 64)
		}), nil, "signature"},
		{"chain head changed", editJSON(func(d map[string]any) {
			payload(d)["evidence"].(map[string]any)["chain_head"].(map[string]any)["seq"] = 1.0
		}), nil, "signature"},
		{"signature value changed", editJSON(func(d map[string]any) {
			v := []byte(sig(d)["value"].(string))
			v[0] ^= 1
			sig(d)["value"] = string(v)
		}), nil, "signature"},
		{"payload hash changed", editJSON(func(d map[string]any) { sig(d)["payload_sha256"] = strings.Repeat("a", 64) }), nil, "signature"},
		{"public key swapped", editJSON(func(d map[string]any) {
			k := pub(attacker)
			sig(d)["public_key"] = base64.StdEncoding.EncodeToString(k)
			sig(d)["key_id"] = submission.KeyID(k)
		}), nil, "signature"},
		{"format changed", editJSON(func(d map[string]any) { d["format"] = "jigsaw-submission/2" }), nil, "format"},
		{"unknown field added", editJSON(func(d map[string]any) { d["extra"] = true }), nil, "unknown field"},
		{"re-signed by another key", resign(t, data, attacker, func(p *submission.Payload) { p.Organisation.Name = "Forged" }), []ed25519.PublicKey{pub(priv)}, "not among"},
		{"row altered and re-signed", resign(t, data, priv, func(p *submission.Payload) {
			r := &p.Evidence.Rows[len(p.Evidence.Rows)-1]
			r.Canonical = strings.Replace(r.Canonical, `"size":`, `"size":1`, 1)
		}), nil, "evidence rows"},
		{"answer level raised and re-signed", resign(t, data, priv, func(p *submission.Payload) {
			for i := range p.Answers {
				if p.Answers[i].Level > 0 && p.Answers[i].Level < 4 {
					p.Answers[i].Level++
					return
				}
			}
		}), nil, "level is"},
		{"link altered and re-signed", resign(t, data, priv, func(p *submission.Payload) {
			p.Evidence.Links[1].ContentSHA256 = strings.Repeat("b", 64)
		}), nil, "evidence chain"},
		{"link removed and re-signed", resign(t, data, priv, func(p *submission.Payload) {
			p.Evidence.Links = p.Evidence.Links[:len(p.Evidence.Links)-1]
		}), nil, "evidence chain"},
		{"file row dropped and re-signed", resign(t, data, priv, func(p *submission.Payload) {
			rows := p.Evidence.Rows[:0]
			for _, r := range p.Evidence.Rows {
				if r.Table != "files" {
					rows = append(rows, r)
				}
			}
			p.Evidence.Rows = rows
		}), nil, "not in the submission"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyBytes(tc.data, tc.trusted...)
			if err == nil {
				t.Fatal("tampering went unnoticed")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	privPath, pubPath := filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")
	pk, err := submission.GenerateKeys(privPath, pubPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(privPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, %v", st.Mode().Perm(), err)
	}
	priv, err := submission.LoadPrivateKey(privPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := submission.LoadPublicKey(pubPath)
	if err != nil || !got.Equal(pk) || !pub(priv).Equal(pk) {
		t.Fatalf("keys do not round-trip: %v", err)
	}
	if _, err := submission.GenerateKeys(privPath, pubPath+"2"); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Errorf("overwrote a key: %v", err)
	}
	if err := os.Chmod(privPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := submission.LoadPrivateKey(privPath); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("loaded a world-readable private key: %v", err)
	}
	raw := filepath.Join(dir, "raw.pub")
	os.WriteFile(raw, []byte(base64.StdEncoding.EncodeToString(pk)+"\n"), 0o644)
	if got, err := submission.LoadPublicKey(raw); err != nil || !got.Equal(pk) {
		t.Errorf("base64 public key: %v", err)
	}
}

func TestCanonicalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[1.0,2.50,-0,1e21,1e-7,0.000001]}`, `{"a":[1,2.5,0,1e+21,1e-7,0.000001],"b":1}`},
		{`{"\u20ac":1,"\r":2,"a":"\u00e9\u2028\n<"}`, "{\"\\r\":2,\"a\":\"é\u2028\\n<\",\"€\":1}"},
		{` [ true , false , null ] `, `[true,false,null]`},
	}
	for _, tc := range cases {
		got, err := submission.Canonicalize([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} {}`, `[1e400]`, "\"\xff\"", `{"a":}`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := submission.Canonicalize([]byte(bad)); err == nil {
			t.Errorf("Canonicalize(%q) accepted", bad)
		}
	}
}

func FuzzParseVerify(f *testing.F) {
	f.Add([]byte(`{"format":"jigsaw-submission/1","payload":{},"signature":{}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sub, err := submission.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		if _, err := submission.Verify(sub, nil); err == nil {
			t.Fatalf("an unsigned fuzz input verified: %q", data)
		}
	})
}

func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(`{"b":[1,2.5e3,"x\u0001"],"a":{"c":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c1, err := submission.Canonicalize(data)
		if err != nil {
			return
		}
		c2, err := submission.Canonicalize(c1)
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("canonical form is not stable: %q -> %q (%v)", c1, c2, err)
		}
	})
}
