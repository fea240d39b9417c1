package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestServeRefusesNonLoopbackWithoutTLS(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.10:8080"} {
		var out bytes.Buffer
		err := runServe(context.Background(), serveOptions{IO: IO{Out: &out, ErrOut: &out}, Addr: addr,
			DB: filepath.Join(t.TempDir(), "e.db"), Checklist: "nhs-interop@2026.1"})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("--addr %s without TLS: %v, want a usage error", addr, err)
		}
		if out.Len() != 0 {
			t.Errorf("--addr %s: printed %q before refusing", addr, out.String())
		}
	}
	err := runServe(context.Background(), serveOptions{Addr: "127.0.0.1:0", TLSCert: "cert.pem", Checklist: "nhs-interop@2026.1"})
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("--tls-cert without --tls-key: %v", err)
	}
}

func TestServePrintsItsURLWithToken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, serveOptions{IO: IO{Out: &out, ErrOut: &errOut}, Addr: "127.0.0.1:0",
			DB: filepath.Join(t.TempDir(), "e.db"), Checklist: "nhs-interop@2026.1", NoTraining: true,
			ready: func(u string) { urls <- u }})
	}()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{43}$`).MatchString(u) {
		t.Fatalf("printed URL %q", u)
	}
	if !bytes.Contains(out.Bytes(), []byte(u)) {
		t.Errorf("stdout %q lacks the URL", out.String())
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET the printed URL: %d", resp.StatusCode)
	}
	resp, err = client.Get(u[:len(u)-len("?token=")-43])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without the token: %d, want 401", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after Ctrl-C: %v", err)
	}
}
