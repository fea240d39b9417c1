package evidence

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Environment of the helper process that the multi-process tests start from this test binary.
const (
	helperEnv           = "JIGSAW_EVIDENCE_TEST_HELPER"
	helperDBEnv         = "JIGSAW_EVIDENCE_TEST_DB"
	helperAssessmentEnv = "JIGSAW_EVIDENCE_TEST_ASSESSMENT"
	helperCountEnv      = "JIGSAW_EVIDENCE_TEST_COUNT"
	helperPrefixEnv     = "JIGSAW_EVIDENCE_TEST_PREFIX"
	// helperStartEnv names a file the helper waits for before writing, so that writers
	// started one after the other still write at the same time.
	helperStartEnv = "JIGSAW_EVIDENCE_TEST_START"
)

// writeResults records count results (forever when count is 0), each with two exchanges, as
// a runner would as probes finish.
func writeResults(ctx context.Context, s *Store, assessmentID int64, prefix string, count int) error {
	body := patientBundle(realLookingNHSNumber)
	for i := 0; count == 0 || i < count; i++ {
		id := fmt.Sprintf("%s.%d", prefix, i)
		res := sampleResult(id, probes.Pass, "a", "b")
		if _, err := s.RecordProbeResult(ctx, assessmentID, res, []probes.Exchange{
			sampleExchange("a", id, body), sampleExchange("b", id, body),
		}); err != nil {
			return fmt.Errorf("writer %s, result %d: %w", prefix, i, err)
		}
	}
	return nil
}

// TestHelperProcess is not a test: it is the writer process the multi-process tests start.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process for the multi-process tests")
	}
	ctx := context.Background()
	id, _ := strconv.ParseInt(os.Getenv(helperAssessmentEnv), 10, 64)
	count, _ := strconv.Atoi(os.Getenv(helperCountEnv))
	s, err := Open(ctx, os.Getenv(helperDBEnv))
	if start := os.Getenv(helperStartEnv); start != "" {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if _, statErr := os.Stat(start); statErr == nil {
				break
			}
		}
	}
	if err == nil {
		err = writeResults(ctx, s, id, os.Getenv(helperPrefixEnv), count)
		s.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}

func startWriterProcess(t *testing.T, path string, assessmentID int64, prefix string, count int, startFile string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+path, helperStartEnv+"="+startFile,
		helperAssessmentEnv+"="+strconv.FormatInt(assessmentID, 10),
		helperCountEnv+"="+strconv.Itoa(count), helperPrefixEnv+"="+prefix)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &stderr
}

// checkAllRecorded verifies the chain and that every writer's results are there with their
// exchanges.
func checkAllRecorded(t *testing.T, s *Store, assessmentID int64, results int) {
	t.Helper()
	ctx := context.Background()
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("VerifyChain: %+v, %v", rep, err)
	}
	got, err := s.ResultsFor(ctx, assessmentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != results || rep.Rows["exchanges"] != int64(2*results) {
		t.Fatalf("%d results and %d exchanges recorded, want %d and %d", len(got), rep.Rows["exchanges"], results, 2*results)
	}
}

func TestConcurrentWritersOnSeparateConnections(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	const perWriter = 40
	// Two stores on the same file (as two commands would have), plus two goroutines sharing one.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	writers := []struct {
		store  *Store
		prefix string
	}{{s, "w1"}, {other, "w2"}, {other, "w3"}}
	var wg sync.WaitGroup
	errs := make(chan error, len(writers))
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- writeResults(ctx, w.store, a.ID, w.prefix, perWriter)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkAllRecorded(t, s, a.ID, len(writers)*perWriter)
}

func TestConcurrentWriterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	const perWriter = 150
	type proc struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}
	var procs []proc
	start := filepath.Join(t.TempDir(), "start")
	for _, prefix := range []string{"p1", "p2"} {
		cmd, out := startWriterProcess(t, path, a.ID, prefix, perWriter, start)
		procs = append(procs, proc{cmd, out})
	}
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("writer process %d: %v\n%s", i+1, err, p.out)
		}
	}
	checkAllRecorded(t, s, a.ID, 2*perWriter)
	results, _ := s.ResultsFor(context.Background(), a.ID)
	slices.SortFunc(results, func(x, y StoredResult) int { return strings.Compare(x.ID, y.ID) })
	switches := 0
	for i := 1; i < len(results); i++ {
		if results[i].ProbeID[:2] != results[i-1].ProbeID[:2] {
			switches++
		}
	}
	t.Logf("writers alternated %d times in chain order", switches)
}

func TestWriterKilledMidwayLeavesASoundDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	s.Close()

	// Kill the writer several times, each after it has made progress: it spends nearly all its
	// time inside write transactions, so kills land mid-transaction.
	target := int64(0)
	for round := 0; round < 3; round++ {
		cmd, out := startWriterProcess(t, path, a.ID, fmt.Sprintf("k%d", round), 0, "")
		target += 60
		waitForHead(t, path, target, out)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix: no chance to clean up
			t.Fatal(err)
		}
		cmd.Wait()
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	problems, err := s.IntegrityCheck(ctx)
	if err != nil || len(problems) != 0 {
		t.Fatalf("integrity_check after SIGKILL: %v, %v", problems, err)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("VerifyChain after SIGKILL: %+v, %v", rep, err)
	}
	// Nothing half written: every result has both its exchanges and no exchange is orphaned.
	results, err := s.ResultsFor(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 60 || rep.Rows["exchanges"] != int64(2*len(results)) {
		t.Fatalf("%d results, %d exchanges after the kill", len(results), rep.Rows["exchanges"])
	}
	for _, r := range results {
		for _, id := range r.Exchanges {
			if _, err := s.Exchange(ctx, id); err != nil {
				t.Fatalf("result %s cites %s: %v", r.ID, id, err)
			}
		}
	}
	// And the file takes new evidence after the crash.
	recordSample(t, s, a.ID, "after.kill")
}

// waitForHead waits until another process has extended the chain to at least seq.
func waitForHead(t *testing.T, path string, seq int64, out *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	watcher, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		head, err := watcher.ChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if head.Seq >= seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer made no progress (head %v, want %d)\n%s", head, seq, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func BenchmarkRecordProbeResult(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			ctx := context.Background()
			path := b.TempDir() + "/bench.db"
			s, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.write.ExecContext(ctx, "PRAGMA synchronous = "+sync); err != nil {
				b.Fatal(err)
			}
			if err := s.UpsertOrganisation(ctx, Organisation{ODSCode: "RX1", Name: "T", Type: "acute-trust"}); err != nil {
				b.Fatal(err)
			}
			a, err := s.CreateAssessment(ctx, NewAssessment{ODSCode: "RX1", ChecklistID: "c", ChecklistVersion: "1",
				ChecklistSHA256: checklistSum(), TargetURL: "https://127.0.0.1/", FHIRVersion: "R4", ToolVersion: "b"})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if err := writeResults(ctx, s, a.ID, "b", b.N); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkVerifyChain(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertOrganisation(ctx, Organisation{ODSCode: "RX1", Name: "T", Type: "acute-trust"}); err != nil {
		b.Fatal(err)
	}
	a, err := s.CreateAssessment(ctx, NewAssessment{ODSCode: "RX1", ChecklistID: "c", ChecklistVersion: "1",
		ChecklistSHA256: checklistSum(), TargetURL: "https://127.0.0.1/", FHIRVersion: "R4", ToolVersion: "b"})
	if err != nil {
		b.Fatal(err)
	}
	if err := writeResults(ctx, s, a.ID, "v", 1000); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rep, err := s.VerifyChain(ctx); err != nil || !rep.OK {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(3001, "rows/op")
}
