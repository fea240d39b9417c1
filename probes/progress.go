package probes

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Progress shows a run's progress. The runner calls Finished one call at a time.
type Progress interface {
	Start(total int)
	Finished(r Result)
	Stop()
}

// NewProgress returns a progress display for w: a live bar when w is a terminal, one plain
// line per finished probe otherwise (CI logs stay free of control characters).
func NewProgress(w io.Writer) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w}
}

type noProgress struct{}

func (noProgress) Start(int)       {}
func (noProgress) Finished(Result) {}
func (noProgress) Stop()           {}

// lineProgress prints "[n/total] status probe-id (duration)" per probe.
type lineProgress struct {
	w     io.Writer
	mu    sync.Mutex
	total int
	done  int
}

func (p *lineProgress) Start(total int) { p.total = total }

func (p *lineProgress) Finished(r Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	fmt.Fprintf(p.w, "[%d/%d] %-5s %s (%s)\n", p.done, p.total, r.Status, r.ProbeID, r.Duration.Round(1e6))
}

func (p *lineProgress) Stop() {}

// barProgress draws one aggregate bar with mpb and prints each finished probe above it.
type barProgress struct {
	w   io.Writer
	p   *mpb.Progress
	bar *mpb.Bar
}

func (p *barProgress) Start(total int) {
	p.p = mpb.New(mpb.WithOutput(p.w), mpb.WithWidth(40))
	p.bar = p.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("probes "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
}

func (p *barProgress) Finished(r Result) {
	fmt.Fprintf(p.p, "%-5s %s\n", r.Status, r.ProbeID)
	p.bar.Increment()
}

func (p *barProgress) Stop() {
	if !p.bar.Completed() {
		p.bar.Abort(false)
	}
	p.p.Wait()
}
