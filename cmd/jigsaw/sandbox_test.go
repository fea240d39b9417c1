package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// serveSandbox runs jigsaw sandbox until check has looked at the running server, then
// interrupts it, and returns what it printed.
func serveSandbox(t *testing.T, opts sandboxOptions, check func(*sandbox.Server)) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts.ready = func(srv *sandbox.Server) {
		check(srv)
		cancel()
	}
	done := make(chan error, 1)
	go func() { done <- runSandbox(ctx, opts) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runSandbox: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("jigsaw sandbox did not stop after interruption")
	}
	return out.String(), errOut.String()
}

func sandboxClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read CA file: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestSandboxCommandJSON(t *testing.T) {
	var caFile string
	stdout, stderr := serveSandbox(t, sandboxOptions{Addr: "127.0.0.1:0", Profile: "typical", Format: "json", LatencyScale: 0}, func(srv *sandbox.Server) {
		caFile = srv.CAFile
		req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+"/Patient?identifier="+srv.TestNHSNumber, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := sandboxClient(t, srv.CAFile).Do(req)
		if err != nil {
			t.Errorf("search the running sandbox: %v", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("search: %d", resp.StatusCode)
		}
	})
	checkJSONAgainst(t, "cli-sandbox", "jigsaw sandbox -o json", stdout)
	var out sandboxOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("-o json output is not JSON: %v\n%s", err, stdout)
	}
	if out.Profile != "typical" || out.Organisation.ODS != "7A9" || !strings.Contains(out.Organisation.Name, "Dŵr") {
		t.Errorf("output %+v", out)
	}
	if !strings.HasPrefix(out.BaseURL, "https://127.0.0.1:") || out.TestNHSNumber != "9990000018" || out.Token == "" || out.CAFile != caFile {
		t.Errorf("output %+v", out)
	}
	if len(out.Defects) != len(sandbox.Defects(sandbox.Typical)) || len(out.Endpoints) != 1 {
		t.Errorf("%d defects, %d endpoints", len(out.Defects), len(out.Endpoints))
	}
	if !strings.Contains(stderr, "curl --cacert") {
		t.Errorf("no hint on stderr: %q", stderr)
	}
	if _, err := os.Stat(caFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary CA file %s left after exit", caFile)
	}
}

func TestSandboxCommandTable(t *testing.T) {
	dir := t.TempDir()
	var token string
	stdout, _ := serveSandbox(t, sandboxOptions{Addr: "127.0.0.1:0", Profile: "exemplar", Dir: dir, Format: "table", LatencyScale: 1}, func(srv *sandbox.Server) {
		token = srv.Token
	})
	for _, want := range []string{"profile:", "exemplar", "base_url:", "https://127.0.0.1:", "ca_file:", dir, "token:", token, "test_nhs_number:", "9990000018", "defects:", "0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if lines := strings.Count(stdout, "\n"); lines != 8 {
		t.Errorf("%d lines, want one per fact (8)", lines)
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--profile", "shiny"},
		{"sandbox", "-o", "xml"},
		{"sandbox", "--latency-scale", "-1"},
		{"sandbox", "extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	// An address already in use is a failure, not a usage error.
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if code := run(context.Background(), []string{"sandbox", "--addr", srv.Addr()}, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != exitFailure {
		t.Errorf("address in use: exit %d, want %d", code, exitFailure)
	}
}
