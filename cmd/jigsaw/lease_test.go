package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// childArgsEnv makes the test binary act as the jigsaw command (see TestMain), so that a
// test can run real second processes.
const childArgsEnv = "JIGSAW_TEST_CHILD_ARGS"

// childPeakEnv names a file the child writes its peak resident memory (KiB) to.
const childPeakEnv = "JIGSAW_TEST_CHILD_PEAK"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			os.Exit(99)
		}
		code := run(context.Background(), args, IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
		if path := os.Getenv(childPeakEnv); path != "" {
			// The child's own peak resident memory (rusage's maxrss would include the parent's:
			// the child starts as a copy of it).
			status, _ := os.ReadFile("/proc/self/status")
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB"))), 0o600)
				}
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child starts the jigsaw command in another process.
func child(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// TestTwoResumesOneWriter runs two processes resuming one assessment at once: the second is
// refused while the first holds the assessment, and every probe ends with exactly one result
// beyond the first run's "could not test" rows.
func TestTwoResumesOneWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a slow sandbox in two processes")
	}
	// First run: nothing answers, so every probe could not test and the assessment is left
	// incomplete, to be resumed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := filepath.Join(t.TempDir(), "x.db")
	base := []string{"assess", "--org", "RXX", "--name", "Slow Trust", "--type", "acute-trust", "--db", db, "--no-progress", "-o", "json"}
	if code, stdout, stderr := runCLI(t, append(base, "--target", "https://"+addr+"/fhir", "--timeout", "2s")...); code != exitFailure {
		t.Fatalf("first run exit %d\n%s\n%s", code, stdout, stderr)
	}

	// The legacy sandbox answers slowly (here 45 to 480 ms a request), so a resume takes seconds.
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: sandbox.Legacy, LatencyScale: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resume := append(base, "--target", srv.BaseURL(), "--ca", srv.CAFile, "--patient", srv.TestNHSNumber,
		"--resume", "AS-000001")
	t.Setenv("JIGSAW_TOKEN", srv.Token)

	first, firstOut := child(t, resume...)
	waitForLease(t, db)
	second, secondOut := child(t, resume...)
	secondErr := second.Wait()
	firstErr := first.Wait()

	if secondErr == nil || !strings.Contains(secondOut.String(), "another jigsaw run is writing this assessment") {
		t.Errorf("second resume was not refused (%v):\n%s", secondErr, secondOut)
	}
	if strings.Contains(firstOut.String(), "another jigsaw run") {
		t.Errorf("first resume was refused:\n%s", firstOut)
	}
	_ = firstErr // exit 1 is normal: the legacy sandbox fails probes

	store, err := evidence.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	results, err := store.ResultsFor(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]int{}
	for _, r := range results {
		if r.Status != probes.Error {
			tested[r.ProbeID]++
		}
	}
	if len(tested) == 0 {
		t.Fatalf("the resume recorded nothing:\n%s", firstOut)
	}
	for id, n := range tested {
		if n != 1 {
			t.Errorf("probe %s has %d results, want 1", id, n)
		}
	}
}

// waitForLease waits until some process holds a writer lease in db.
func waitForLease(t *testing.T, db string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM writer_leases`).Scan(&n); err == nil && n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no process claimed the assessment within 30 s")
}
