package probes

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Runner runs probes against one target. The zero value works with the defaults.
type Runner struct {
	// Client tunes the recording HTTP client (timeouts, caps, per-host rate).
	Client ClientOptions
	// Concurrency is how many probes run at once (default 4).
	Concurrency int
	// ProbeTimeout bounds one probe (default 2 minutes).
	ProbeTimeout time.Duration
	// RunTimeout bounds the whole run (default 10 minutes); probes not started by then
	// report an error.
	RunTimeout time.Duration
	// OnResult is called as each probe finishes, one call at a time, with its result and the
	// exchanges it references that no earlier call delivered. Persisting here means an
	// interrupted run loses nothing already recorded.
	OnResult func(Result, []Exchange)
	// Progress shows the run's progress (nil for none).
	Progress Progress
}

// Runner defaults.
const (
	DefaultConcurrency  = 4
	DefaultProbeTimeout = 2 * time.Minute
	DefaultRunTimeout   = 10 * time.Minute
	// abandonGrace is how long a probe past its timeout gets to return before the runner
	// records an error and moves on without it.
	abandonGrace = 2 * time.Second
)

// Report is a finished run: results in the order the probes were given and every exchange
// the results reference.
type Report struct {
	RunID      string     `json:"run_id"`
	Target     Target     `json:"target"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Results    []Result   `json:"results"`
	Exchanges  []Exchange `json:"exchanges"`
	// Causes groups the probes that could not test by root cause (TLS trust, refused
	// connection, timeouts, credentials...), each with the inspector's remedy.
	Causes []CauseSummary `json:"causes,omitempty"`
	// Warnings are set-up problems seen across the run, such as every request for data being
	// refused (no token given, or the wrong one).
	Warnings []string `json:"warnings,omitempty"`
}

// AuthRefusedMinimum is how many requests for data must all be refused before the run warns
// that its credentials do not work.
const AuthRefusedMinimum = 3

// Counts tallies results by status.
func (r *Report) Counts() map[Status]int {
	out := map[Status]int{}
	for _, res := range r.Results {
		out[res.Status]++
	}
	return out
}

// Run runs the probes against the target. It returns an error only when the run cannot start
// (a bad target, CA file or client certificate); everything that goes wrong during the run
// becomes a result.
func (r *Runner) Run(ctx context.Context, target Target, ps []Probe) (*Report, error) {
	target, err := target.Normalize()
	if err != nil {
		return nil, err
	}
	client, err := NewClient(target, r.Client)
	if err != nil {
		return nil, err
	}
	runTimeout := r.RunTimeout
	if runTimeout <= 0 {
		runTimeout = DefaultRunTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()

	// The report is output: it names the target but carries none of its secrets, and the test
	// patient's NHS number only when identifiers are kept.
	public := target
	public.Token, public.ClientKey = "", ""
	if public.TestNHSNumber != "" && !r.Client.KeepIdentifiers {
		public.TestNHSNumber = MaskIdentifier(public.TestNHSNumber)
	}
	report := &Report{RunID: client.RunID(), Target: public, StartedAt: time.Now().UTC()}
	report.Results = make([]Result, len(ps))
	opts := r.Client.withDefaults()
	shared := newSharedCache(runCtx, newBreaker(BreakerThreshold, opts.RequestTimeout))
	progress := r.Progress
	if progress == nil {
		progress = noProgress{}
	}
	progress.Start(len(ps))

	var deliverMu sync.Mutex
	delivered := map[string]bool{}
	deliver := func(i int, res Result) {
		deliverMu.Lock()
		defer deliverMu.Unlock()
		report.Results[i] = res
		var fresh []Exchange
		for _, id := range res.Exchanges {
			if delivered[id] {
				continue
			}
			if ex, ok := client.Exchange(id); ok {
				delivered[id] = true
				fresh = append(fresh, ex)
			}
		}
		report.Exchanges = append(report.Exchanges, fresh...)
		if r.OnResult != nil {
			r.OnResult(res, fresh)
		}
		progress.Finished(res)
	}

	limit := r.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	var g errgroup.Group
	g.SetLimit(limit)
	// Long-running probes start first so they overlap the rest; results keep the given order.
	order := make([]int, 0, len(ps))
	for i, p := range ps {
		if p.Meta().LongRunning {
			order = append(order, i)
		}
	}
	for i, p := range ps {
		if !p.Meta().LongRunning {
			order = append(order, i)
		}
	}
	for _, i := range order {
		p := ps[i]
		g.Go(func() error {
			deliver(i, r.runOne(runCtx, client, shared, p))
			return nil
		})
	}
	_ = g.Wait()
	progress.Stop()
	report.FinishedAt = time.Now().UTC()
	if all, n := shared.auth.allRefused(AuthRefusedMinimum); all {
		if target.Token == "" {
			report.Warnings = append(report.Warnings, fmt.Sprintf("no token was given (JIGSAW_TOKEN or --token) and the endpoint answered 401/403 to all %d requests for data: the probes that read data could not test the server", n))
		} else {
			report.Warnings = append(report.Warnings, fmt.Sprintf("the endpoint refused the token (401/403) on all %d requests for data: it is wrong, expired or lacks read access", n))
		}
	}
	report.Causes = Summarise(report.Results)
	return report, nil
}

// runOne runs one probe with its timeout, turning panics and hangs into error results.
func (r *Runner) runOne(runCtx context.Context, client *Client, shared *sharedCache, p Probe) (res Result) {
	meta := p.Meta()
	start := time.Now()
	session := newSession(meta, client, shared)
	defer func() {
		res = tooLargeToJudge(res, session.TooLarge(), client.opts.ReadLimit)
		// What a probe observed may quote a response: the same redaction as the evidence
		// (secrets always; NHS numbers, the test patient's included, unless identifiers are kept).
		res.Observed = client.redact.text(res.Observed)
		res = finish(res, meta, start, session.Evidence())
		res.SpecRef = versionedSpecRef(res.SpecRef, client.Target())
	}()
	if err := runCtx.Err(); err != nil {
		return Errored("", fmt.Errorf("the run's deadline passed before this probe started (%v)", err))
	}
	timeout := r.ProbeTimeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(runCtx, timeout)
	defer cancel()

	done := make(chan Result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- Errored("", fmt.Errorf("probe panicked: %v", v))
			}
		}()
		done <- p.Run(ctx, session)
	}()
	select {
	case res = <-done:
	case <-ctx.Done():
		select {
		case res = <-done:
		case <-time.After(abandonGrace):
			res = Errored("", fmt.Errorf("probe did not stop within %s of its deadline (%v)", abandonGrace, ctx.Err()))
		}
	}
	return res
}

// finish fills in what the runner owns: metadata, timing and evidence.
func finish(res Result, meta Meta, start time.Time, evidence []string) Result {
	if !res.Status.Valid() {
		res = Errored(res.Expected, fmt.Errorf("probe returned no valid status (%q)", res.Status))
	}
	if res.Status != Error {
		res.Cause = nil
	}
	res.ProbeID, res.Title, res.Pack = meta.ID, meta.Title, meta.Pack
	if res.Severity == "" {
		res.Severity = meta.Severity
	}
	if res.SpecRef == "" {
		res.SpecRef = meta.SpecRef
	}
	if res.Expected == "" {
		res.Expected = meta.Description
	}
	res.StartedAt = start.UTC()
	res.Duration = time.Since(start)
	seen := map[string]bool{}
	var ids []string
	for _, id := range append(res.Exchanges, evidence...) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	res.Exchanges = ids
	return res
}

// versionedSpecRef points links into the R4 specification at the STU3 one for STU3 targets,
// so every result cites the version actually tested.
func versionedSpecRef(ref string, t Target) string {
	const r4 = "http://hl7.org/fhir/R4/"
	if rest, ok := strings.CutPrefix(ref, r4); ok && !t.IsR4() {
		return t.Spec(rest)
	}
	return ref
}
