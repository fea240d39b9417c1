package probes

import (
	"fmt"
	"strings"
)

// tooLargeToJudge turns a fail or warn into "could not test" when a response the probe relied
// on was larger than the read limit: the verdict would rest on part of a body (a valid 50 MB
// CapabilityStatement reads as broken JSON when cut at 4 MiB), which says nothing about the
// server. A pass, skip or error stands.
func tooLargeToJudge(res Result, tooLarge []string, limit int64) Result {
	if len(tooLarge) == 0 || (res.Status != Fail && res.Status != Warn) {
		return res
	}
	what := tooLarge[0]
	if len(tooLarge) > 1 {
		what += fmt.Sprintf(" and %d more", len(tooLarge)-1)
	}
	out := Errored(res.Expected, fmt.Errorf("too large to read (limit %s): the response to %s was cut there, so what the server sent cannot be judged", byteSize(limit), what))
	out.Exchanges, out.SpecRef, out.Severity = res.Exchanges, res.SpecRef, res.Severity
	if res.Observed != "" {
		out.Observed += " (on the part read: " + strings.TrimSpace(Clip(res.Observed, 200)) + ")"
	}
	return out
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
