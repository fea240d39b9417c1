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

// tally counts a run's finished probes by status. Each Start begins a new run (an assessment
// of two endpoints runs twice through one Progress), so the counts never exceed the total.
type tally struct {
	total, done          int
	pass, warn, fail, na int
}

func (t *tally) start(total int) { *t = tally{total: total} }

func (t *tally) add(s Status) {
	t.done++
	switch s {
	case Pass:
		t.pass++
	case Warn:
		t.warn++
	case Fail:
		t.fail++
	default:
		t.na++
	}
}

// String is the counts as the progress display shows them.
func (t *tally) String() string {
	return fmt.Sprintf("%d pass, %d warn, %d fail, %d other", t.pass, t.warn, t.fail, t.na)
}

// lineProgress prints "probe n/total (p pass, w warn, f fail, o other): status probe-id
// (duration)" per probe.
type lineProgress struct {
	w  io.Writer
	mu sync.Mutex
	t  tally
}

func (p *lineProgress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.start(total)
}

func (p *lineProgress) Finished(r Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.add(r.Status)
	fmt.Fprintf(p.w, "probe %d/%d (%s): %-5s %s (%s)\n", p.t.done, p.t.total, &p.t, r.Status, r.ProbeID, r.Duration.Round(1e6))
}

func (p *lineProgress) Stop() {}

// barProgress draws one aggregate bar per run with mpb, labelled with the pass/warn/fail
// counts, and prints each finished probe above it.
type barProgress struct {
	w   io.Writer
	p   *mpb.Progress
	bar *mpb.Bar
	mu  sync.Mutex
	t   tally
}

func (p *barProgress) Start(total int) {
	p.Stop() // a second run (another endpoint) gets a bar of its own
	p.mu.Lock()
	p.t.start(total)
	p.mu.Unlock()
	p.p = mpb.New(mpb.WithOutput(p.w), mpb.WithWidth(30))
	p.bar = p.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("probes "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.t.String()
		}, decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
}

func (p *barProgress) Finished(r Result) {
	p.mu.Lock()
	p.t.add(r.Status)
	p.mu.Unlock()
	fmt.Fprintf(p.p, "%-5s %s\n", r.Status, r.ProbeID)
	p.bar.Increment()
}

func (p *barProgress) Stop() {
	if p.p == nil {
		return
	}
	if !p.bar.Completed() {
		p.bar.Abort(false)
	}
	p.p.Wait()
	p.p, p.bar = nil, nil
}
