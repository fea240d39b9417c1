package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

// evidenceDB writes a small evidence database and returns its path and the id of its exchange.
func evidenceDB(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "evidence.db")
	s, err := evidence.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertOrganisation(ctx, evidence.Organisation{ODSCode: "RX1", Name: "Test Trust", Type: checklist.AcuteTrust}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("checklist"))
	a, err := s.CreateAssessment(ctx, evidence.NewAssessment{ODSCode: "RX1", ChecklistID: "nhs-interop", ChecklistVersion: "2026.1",
		ChecklistSHA256: hex.EncodeToString(sum[:]), TargetURL: "https://127.0.0.1/fhir", FHIRVersion: "R4", ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.RecordProbeResult(ctx, a.ID, probes.Result{ProbeID: "fhir.capability.present", Status: probes.Pass, Severity: probes.High, Exchanges: []string{"e1"}},
		[]probes.Exchange{{ID: "e1", Method: http.MethodGet, URL: "https://127.0.0.1/fhir/metadata", StatusCode: 200,
			ResponseBody: []byte(`{"resourceType":"CapabilityStatement"}`), StartedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return path, rec.Exchanges["e1"]
}

func TestVerifyReportsOK(t *testing.T) {
	path, _ := evidenceDB(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"verify", "--db", path}, IO{Out: &out, ErrOut: &errOut})
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"OK  " + path + ": 3 evidence rows verified, chain head 3:", "exchanges", "probe_results"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestVerifyNamesTheFirstBadRow(t *testing.T) {
	path, exchangeID := evidenceDB(t)
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER exchanges_append_only_update`, `UPDATE exchanges SET status_code = 500`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"verify", "--db", path}, IO{Out: &out, ErrOut: &errOut})
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, exitFailure, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{"FAILED", "first bad row: exchanges " + exchangeID, "row content was altered", "content_sha256", "warning: append-only trigger exchanges_append_only_update is missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	out.Reset()
	err = runVerify(context.Background(), verifyOptions{IO: IO{Out: &out}, DB: path, Format: "json"})
	if !errors.Is(err, errSilentFailure) {
		t.Fatalf("runVerify -o json: %v", err)
	}
	var rep verifyOutput
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	if rep.OK || rep.Chain.Problem == nil || rep.Chain.Problem.ID != exchangeID || rep.Chain.Problem.Field != "content_sha256" {
		t.Errorf("json report = %+v", rep)
	}
}

func TestVerifyUsageAndMissingFiles(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verify"}, exitUsage, "--db"},
		{[]string{"verify", "--db", "x.db", "-o", "yaml"}, exitUsage, "output format"},
		{[]string{"verify", "one.json", "two.json"}, exitUsage, "accepts at most 1 arg"},
		{[]string{"verify", "sub.json", "--db", "x.db"}, exitUsage, "not both"},
		{[]string{"verify", filepath.Join(t.TempDir(), "missing.json")}, exitFailure, "no such file"},
		{[]string{"verify", "--db", filepath.Join(t.TempDir(), "missing.db")}, exitFailure, "no such file"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, IO{Out: &out, ErrOut: &errOut})
		if code != c.code || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut.String(), c.code, c.want)
		}
	}
}
