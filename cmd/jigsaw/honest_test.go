package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateRefusesEmptyInput(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty.json": "", "blank.ndjson": " \n\t\r\n  \n"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "validate", path)
		if code != exitFailure || !strings.Contains(stderr, "nothing to validate") || !strings.Contains(stderr, name) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and an error naming the file", name, code, stderr)
		}
	}
}

func TestProbeExitsOneWhenNothingCouldBeTested(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	code, stdout, stderr := runCLI(t, "probe", "--target", "https://"+addr+"/fhir", "--pack", "fhir", "--no-progress", "--timeout", "2s")
	if code != exitFailure {
		t.Errorf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
}

func TestProbeRefusesTokenOverPlainHTTP(t *testing.T) {
	t.Setenv("JIGSAW_TOKEN", "s3cr3t-token")
	code, _, stderr := runCLI(t, "probe", "--target", "http://127.0.0.1:1/fhir", "--no-progress")
	if code != exitUsage || !strings.Contains(stderr, "--allow-token-over-http") || strings.Contains(stderr, "s3cr3t") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --allow-token-over-http", code, stderr)
	}
}

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, «ünïcode»\n\tok": "plain text, «ünïcode»\n\tok",
		"\x1b[31mred\x07":             `\x1b[31mred\x07`,
		"bad \xff byte":               `bad \xff byte`,
		"c1 \u009b2J":                 `c1 \x9b2J`,
		"bidi \u202eevil":             `bidi \u202eevil`,
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
