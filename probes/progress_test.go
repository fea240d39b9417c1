package probes

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The bar display must finish promptly, even when fewer probes finish than were announced.
func TestBarProgressStops(t *testing.T) {
	var buf bytes.Buffer
	p := &barProgress{w: &buf}
	p.Start(3)
	p.Finished(Result{ProbeID: "a.b", Status: Pass})
	p.Finished(Result{ProbeID: "a.c", Status: Fail})
	done := make(chan struct{})
	go func() { p.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("progress bar did not stop")
	}
	// mpb draws nothing on a writer that is not a terminal, which is why NewProgress picks
	// plain lines there; what it draws on a terminal is checked by hand (see doc.go).
	if strings.Contains(buf.String(), "\r") {
		t.Errorf("control characters written to a non-terminal: %q", buf.String())
	}
}
