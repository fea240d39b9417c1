package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Budgets for TestHostileInputs: issue 14's "under 5 s and 300 MB". Each case runs in a child
// process so its peak memory (the child's maximum resident set) is its own; today's figures
// are 10 to 20 times below these, so a regression of that order fails here.
const (
	hostileTimeBudget   = 5 * time.Second
	hostileMemoryBudget = 300 << 20
)

// TestHostileInputs runs issue 14's hostile inputs through the real commands, each within a
// time and memory budget, and checks each is refused (or handled) with the right message.
func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("writes large files and runs child processes")
	}
	dir := t.TempDir()
	file := func(name string, write func(w *bufio.Writer)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		write(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	deep := file("deep.yaml", func(w *bufio.Writer) {
		w.WriteString("x: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000))
	})
	wide := file("wide.yaml", func(w *bufio.Writer) {
		for i := range 400_000 {
			fmt.Fprintf(w, "k%d: v\n", i)
		}
	})
	tags := file("tags.yaml", func(w *bufio.Writer) { w.WriteString(strings.Repeat("k: !t\n", 200_000)) })
	bomb := file("bomb.xlsx", func(w *bufio.Writer) {
		zw := zip.NewWriter(w)
		part, _ := zw.Create("xl/worksheets/sheet1.xml")
		row := bytes.Repeat([]byte(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`), 1<<10)
		for n := 0; n < 200<<20; n += len(row) {
			part.Write(row)
		}
		zw.Close()
	})
	csv := file("endpoints.csv", func(w *bufio.Writer) {
		w.WriteString("ods,name,type,region,base_url,kind\nRX1,")
		w.Write(bytes.Repeat([]byte("n"), 60<<20))
	})
	big := filepath.Join(dir, "big.json")
	if f, err := os.Create(big); err == nil {
		f.Truncate(300 << 20) // sparse: 300 MB to stat, nothing on disk
		f.Close()
	}
	db := file("evidence.db", func(*bufio.Writer) {})

	// A server whose every answer is a gzip bomb (50 MiB of zeros in 50 KB).
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write([]byte(`{"resourceType":"CapabilityStatement","description":"`))
	zw.Write(make([]byte, 50<<20))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"YAML nested 100,000 deep", []string{"checklist", "validate", deep}, "nests deeper than 64 levels"},
		{"YAML mapping of 400,000 keys", []string{"checklist", "validate", wide}, "more than 1000 keys"},
		{"YAML keys nested by bare tags", []string{"checklist", "validate", tags}, "nests deeper than 64 levels"},
		{"answers import of deep YAML", []string{"answers", "import", deep, "--db", db}, "nests deeper than 64 levels"},
		{"workbook unzipping to 200 MiB", []string{"answers", "import", bomb, "--db", db}, "more than the 4 MiB limit"},
		{"endpoint CSV with a 60 MB field", []string{"fleet", "scan", "--endpoints", csv, "--db", filepath.Join(dir, "central.db")}, "longer than 64 KiB"},
		{"league import of a 300 MB file", []string{"league", "import", big, "--db", filepath.Join(dir, "central.db")}, "not read"},
		{"probe of a server sending gzip bombs", []string{"probe", "--target", srv.URL + "/fhir", "--pack", "fhir", "--no-progress"}, "too large to read (limit 4 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peakFile := filepath.Join(t.TempDir(), "peak")
			t.Setenv(childPeakEnv, peakFile)
			start := time.Now()
			cmd, out := child(t, tt.args...)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * hostileTimeBudget):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running after %v", 10*hostileTimeBudget)
			}
			took := time.Since(start)
			kib, err := os.ReadFile(peakFile)
			if err != nil {
				t.Skipf("the child could not report its peak memory (no /proc?): %v", err)
			}
			peak, _ := strconv.ParseInt(string(kib), 10, 64)
			peak <<= 10
			t.Logf("%v, peak %d MB, exit %d", took.Round(time.Millisecond), peak>>20, cmd.ProcessState.ExitCode())
			if cmd.ProcessState.ExitCode() != exitFailure || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d, want 1 and %q in:\n%.2000s", cmd.ProcessState.ExitCode(), tt.want, out)
			}
			if took > hostileTimeBudget {
				t.Errorf("took %v, budget %v", took, hostileTimeBudget)
			}
			if peak > hostileMemoryBudget {
				t.Errorf("peak memory %d MB, budget %d MB", peak>>20, hostileMemoryBudget>>20)
			}
			entries, _ := filepath.Glob(filepath.Join(os.TempDir(), "excelize-*"))
			for _, e := range entries {
				if st, err := os.Stat(e); err == nil && st.ModTime().After(start) {
					t.Errorf("temporary file left behind: %s", e)
				}
			}
		})
	}
}
