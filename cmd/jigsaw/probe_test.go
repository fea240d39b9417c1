package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

func startSandbox(t *testing.T, profile sandbox.Profile) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: profile, LatencyScale: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != exitUsage {
		checkJSONOutput(t, args, out.String())
	}
	return code, out.String(), errOut.String()
}

func TestProbeCommandJSON(t *testing.T) {
	srv := startSandbox(t, sandbox.Exemplar)
	t.Setenv("JIGSAW_TOKEN", srv.Token)
	code, stdout, stderr := runCLI(t, "probe", "--target", srv.BaseURL(), "--ca", srv.CAFile, "--patient", srv.TestNHSNumber,
		"--pack", "fhir", "--probe", "security.auth.required", "--rate", "-1", "--no-progress", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var out probeOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if len(out.Results) != 15 || out.Summary["pass"] != 15 {
		t.Errorf("%d results, summary %v; want 15 passes (the fhir pack and security.auth.required)", len(out.Results), out.Summary)
	}
	if out.Results[len(out.Results)-1].ProbeID != "security.auth.required" {
		t.Errorf("results not in registry order: last is %s", out.Results[len(out.Results)-1].ProbeID)
	}
	ids := map[string]bool{}
	for _, ex := range out.Exchanges {
		ids[ex.ID] = true
	}
	for _, r := range out.Results {
		for _, id := range r.Exchanges {
			if !ids[id] {
				t.Errorf("%s cites exchange %s, which the output lacks", r.ProbeID, id)
			}
		}
	}
	if strings.Contains(stdout+stderr, srv.Token) {
		t.Error("the token appears in the output")
	}
	if strings.Contains(stdout, srv.TestNHSNumber) {
		t.Error("the test patient's NHS number appears in the output")
	}
}

func TestProbeCommandTableAndExitCodes(t *testing.T) {
	srv := startSandbox(t, sandbox.Legacy)
	code, stdout, stderr := runCLI(t, "probe", "--target", srv.BaseURL(), "--ca", srv.CAFile, "--token", srv.Token,
		"--pack", "security", "--rate", "-1")
	if code != exitFailure {
		t.Fatalf("exit %d with failing probes; want %d\n%s%s", code, exitFailure, stdout, stderr)
	}
	for _, want := range []string{"STATUS", "security.auth.required", "CRITICAL failures: security.auth.required", "5 probes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "probe 5/5 (") {
		t.Errorf("no plain progress lines on a non-terminal stderr: %q", stderr)
	}
	if strings.Contains(stdout+stderr, srv.Token) {
		t.Error("the token appears in the output")
	}
}

func TestProbeCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "--target is required"},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "--pack", "nope"}, `unknown pack "nope"`},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "--probe", "fhir.nope"}, `unknown probe id "fhir.nope"`},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "-o", "xml"}, "unknown output format"},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "--fhir-version", "R5"}, "use R4 or STU3"},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "--patient", "1234567890"}, "not a valid NHS number"},
		{[]string{"probe", "--target", "https://127.0.0.1:1/fhir", "--cert", "c.pem"}, "--cert and --key go together"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

func TestProbeList(t *testing.T) {
	code, stdout, _ := runCLI(t, "probe", "--list", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var rows []probeListing
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 30 || rows[0].ID != "transport.tls.version" || rows[0].Severity != probes.High {
		t.Errorf("listing: %d rows, first %+v", len(rows), rows[0])
	}
	code, stdout, _ = runCLI(t, "probe", "--list")
	if code != exitOK || !strings.Contains(stdout, "smart.configuration") {
		t.Errorf("table listing: exit %d\n%s", code, stdout)
	}
}

// A server that accepts connections and never answers: the run stops sending after repeated
// timeouts, exits 1 (nothing could be tested) and names the cause in the summary.
func TestProbeCommandSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	code, stdout, _ := runCLI(t, "probe", "--target", "https://"+ln.Addr().String()+"/fhir", "--timeout", "300ms", "--no-progress")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout, "could not test (unresponsive)") || !strings.Contains(stdout, "check the server is answering") {
		t.Errorf("summary does not name the cause:\n%s", stdout)
	}
	if strings.Contains(stdout, "[transport.") {
		t.Errorf("summary prints a raw list:\n%s", stdout)
	}
}

// A run where some probes reached a verdict and others could not test (here: no token, so
// every patient search is refused) is incomplete: exit 1, never a clean 0, with the cause named.
func TestProbeCommandPartlyUntestedExitsOne(t *testing.T) {
	srv := startSandbox(t, sandbox.Exemplar)
	t.Setenv("JIGSAW_TOKEN", "")
	code, stdout, stderr := runCLI(t, "probe", "--target", srv.BaseURL(), "--ca", srv.CAFile, "--patient", srv.TestNHSNumber,
		"--pack", "fhir", "--rate", "-1", "--no-progress", "-o", "json")
	var out probeOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s%s", err, stdout, stderr)
	}
	if out.Summary["pass"] == 0 || out.Summary["error"] == 0 || out.Summary["fail"] != 0 {
		t.Fatalf("want passes and could-not-test results and no failure; summary %v", out.Summary)
	}
	if code != exitFailure {
		t.Errorf("exit %d with %d probes that could not test; want %d", code, out.Summary["error"], exitFailure)
	}
	if len(out.Causes) == 0 {
		t.Error("no could-not-test cause in the JSON")
	}
}
