package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

func TestAssessSandboxThenReport(t *testing.T) {
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: sandbox.Typical, LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "inspection.db")
	t.Setenv("JIGSAW_TOKEN", srv.Token)
	code, stdout, stderr := runCLI(t, "assess", "--org", "7A9", "--name", srv.Org.Name, "--type", "acute-trust",
		"--target", srv.BaseURL(), "--ca", srv.CAFile, "--patient", srv.TestNHSNumber, "--db", db,
		"--answers", "../../answers/examples/typical.yaml", "--no-progress", "-o", "json")
	if code != exitOK {
		t.Fatalf("assess exit %d\n%s\n%s", code, stdout, stderr)
	}
	var got assessOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Assessment.Status != evidence.Complete || got.Ran == 0 || got.Imported == nil || len(got.Imported.Added) == 0 {
		t.Errorf("assessment %+v: want complete, probes run and answers imported", got)
	}
	if strings.Contains(stdout+stderr, srv.Token) {
		t.Error("the token was printed")
	}

	out := filepath.Join(dir, "reports")
	code, stdout, stderr = runCLI(t, "report", "--db", db, "--out", out, "--format", "json,pdf")
	if code != exitOK {
		t.Fatalf("report exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, got.Assessment.Ref) || !strings.Contains(stdout, ".pdf") {
		t.Errorf("report output %q does not name the assessment and its files", stdout)
	}
}

// An unreachable endpoint makes the probes error, never pass; the assessment is kept as
// incomplete, exit 1, and a resume against the same endpoint adds no duplicate evidence.
func TestAssessUnreachableTargetIsIncomplete(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now

	db := filepath.Join(t.TempDir(), "x.db")
	args := []string{"assess", "--org", "RXX", "--name", "Nowhere Trust", "--type", "acute-trust",
		"--target", "https://" + addr + "/fhir", "--db", db, "--no-progress", "--timeout", "2s", "-o", "json"}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	var got assessOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Assessment.Status != evidence.Incomplete || len(got.Incomplete) == 0 {
		t.Fatalf("status %s, reasons %v: want incomplete with reasons", got.Assessment.Status, got.Incomplete)
	}
	if got.Probes["pass"] > 0 {
		t.Errorf("%d probes passed against an endpoint that does not answer", got.Probes["pass"])
	}

	code, stdout, _ = runCLI(t, append(args, "--resume", got.Assessment.Ref)...)
	if code != exitFailure {
		t.Fatalf("resume exit %d, want 1", code)
	}
	var again assessOutput
	if err := json.Unmarshal([]byte(stdout), &again); err != nil {
		t.Fatal(err)
	}
	if again.Assessment.Ref != got.Assessment.Ref {
		t.Errorf("resume made a new assessment %s, want %s", again.Assessment.Ref, got.Assessment.Ref)
	}
}

func TestAssessUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"assess", "--org", "RXX", "--name", "N", "--type", "acute-trust"}, "--target is required"},
		{"bad ODS", []string{"assess", "--org", "rx-1", "--name", "N", "--type", "acute-trust", "--target", "https://127.0.0.1:1"}, "not an ODS code"},
		{"bad type", []string{"assess", "--org", "RXX", "--name", "N", "--type", "hospital", "--target", "https://127.0.0.1:1"}, "--type"},
		{"bad patient", []string{"assess", "--org", "RXX", "--name", "N", "--type", "acute-trust", "--target", "https://127.0.0.1:1", "--patient", "1234567891"}, "not a valid NHS number"},
		{"answers for another org", []string{"assess", "--org", "RXX", "--name", "N", "--type", "acute-trust", "--target", "https://127.0.0.1:1", "--answers", "../../answers/examples/typical.yaml", "--db", filepath.Join(t.TempDir(), "x.db")}, "is for 7A9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// With --gpconnect the GP Connect probes run against the provider and the rest against the FHIR
// server, in one assessment.
func TestAssessWithGPConnectProvider(t *testing.T) {
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: sandbox.Exemplar, LatencyScale: -1, GPConnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("JIGSAW_TOKEN", srv.Token)
	base := "https://" + srv.GPConnectAddr()
	code, stdout, stderr := runCLI(t, "assess", "--org", "RZX", "--name", srv.Org.Name, "--type", "acute-trust",
		"--target", srv.BaseURL(), "--ca", srv.CAFile, "--patient", srv.TestNHSNumber,
		"--cert", srv.ClientCertFile, "--key", srv.ClientKeyFile,
		"--gpconnect", base+"/B82617/STU3/1/gpconnect/fhir", "--gpc-structured", base+"/B82617/STU3/1/gpconnect/structured/fhir",
		"--db", filepath.Join(t.TempDir(), "x.db"), "--no-progress", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var got assessOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Probes["fail"] != 0 || got.Probes["error"] != 0 || got.Probes["pass"] < 50 {
		for _, it := range got.Score.Items {
			for _, p := range it.Probes {
				if p.Status == "fail" {
					t.Logf("%s: %s failed", it.ItemID, p.ProbeID)
				}
			}
		}
		t.Errorf("probe counts %v: want the FHIR and GP Connect packs to pass against the exemplar", got.Probes)
	}
	code, _, stderr = runCLI(t, "assess", "--org", "RZX", "--name", "N", "--type", "acute-trust", "--target", srv.BaseURL(),
		"--gpconnect", base+"/gpc", "--profile", "gpconnect", "--db", filepath.Join(t.TempDir(), "y.db"))
	if code != exitUsage || !strings.Contains(stderr, "leave out --profile") {
		t.Errorf("exit %d, %q: want a usage error for --profile with --gpconnect", code, stderr)
	}
}
