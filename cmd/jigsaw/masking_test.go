package main

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// TestTestPatientMaskedEverywhere: the test patient's NHS number appears nowhere an
// assessment's outputs go — the evidence database, the JSON, XLSX and PDF reports and the
// signed submission — unless --keep-identifiers.
func TestTestPatientMaskedEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an assessment and every report")
	}
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: sandbox.Typical, LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("JIGSAW_TOKEN", srv.Token)
	nhs := srv.TestNHSNumber
	forms := []string{nhs, nhs[:3] + " " + nhs[3:6] + " " + nhs[6:], nhs[:3] + "-" + nhs[3:6] + "-" + nhs[6:]}

	for _, keep := range []bool{false, true} {
		dir := t.TempDir()
		db := filepath.Join(dir, "e.db")
		args := []string{"assess", "--org", "7A9", "--name", "Masking Trust", "--type", "acute-trust", "--target", srv.BaseURL(),
			"--ca", srv.CAFile, "--patient", nhs, "--db", db, "--no-progress", "-o", "json"}
		if keep {
			args = append(args, "--keep-identifiers")
		}
		if code, stdout, stderr := runCLI(t, args...); code != exitOK && code != exitFailure {
			t.Fatalf("assess exit %d\n%s\n%s", code, stdout, stderr)
		}
		out := filepath.Join(dir, "reports")
		if code, stdout, stderr := runCLI(t, "report", "--db", db, "--out", out, "--format", "json,xlsx,pdf"); code != exitOK {
			t.Fatalf("report exit %d\n%s\n%s", code, stdout, stderr)
		}
		key := filepath.Join(dir, "k.key")
		if code, _, stderr := runCLI(t, "keys", "generate", "--out", key); code != exitOK {
			t.Fatalf("keys: %s", stderr)
		}
		sub := filepath.Join(dir, "sub.json")
		if code, _, stderr := runCLI(t, "export", "--db", db, "--key", key, "--out", sub); code != exitOK {
			t.Fatalf("export: %s", stderr)
		}

		texts := map[string]string{"evidence database": readAll(t, db) + readAll(t, db+"-wal"), "submission": readAll(t, sub)}
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		for _, f := range files {
			switch filepath.Ext(f) {
			case ".json":
				texts[filepath.Base(f)] = readAll(t, f)
			case ".xlsx":
				texts[filepath.Base(f)] = unzipText(t, f)
			case ".pdf":
				if _, err := exec.LookPath("pdftotext"); err == nil {
					b, err := exec.Command("pdftotext", f, "-").Output()
					if err != nil {
						t.Fatal(err)
					}
					texts[filepath.Base(f)] = string(b)
				}
			}
		}
		if len(texts) < 5 {
			t.Fatalf("only %d outputs to check", len(texts))
		}
		for where, text := range texts {
			found := false
			for _, form := range forms {
				found = found || strings.Contains(text, form)
			}
			if !keep && found {
				t.Errorf("the test patient's NHS number is in the %s", where)
			}
			if keep && where == "evidence database" && !found {
				t.Errorf("--keep-identifiers: the test patient's NHS number is not in the %s", where)
			}
		}
	}
}

func readAll(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func unzipText(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var b strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&b, rc)
		rc.Close()
	}
	return b.String()
}
