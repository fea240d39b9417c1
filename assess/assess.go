// Package assess is the assessment workflow: it runs the probes a checklist links against a
// target, records every result and exchange in the evidence store as it arrives, imports the
// organisation's answers, and turns what was recorded into a score and a report model. The CLI
// and the demo both drive assessments through it, so the steps happen the same way everywhere.
package assess

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Options describe one assessment run.
type Options struct {
	Checklist *checklist.Checklist
	Org       evidence.Organisation
	Target    probes.Target
	// GPConnect, when set, is the organisation's GP Connect provider: the checklist's GP Connect
	// probes run against it, every other probe against Target. Without it the GP Connect probes
	// run against Target, where they skip unless Target is itself a GP Connect provider.
	GPConnect *probes.Target
	// Registry holds the probes the checklist's items may link.
	Registry *probes.Registry
	// Runner carries concurrency, timeouts, client limits and progress; its OnResult is set here.
	Runner probes.Runner
	// Answers, when set, are imported as attestations.
	Answers     *answers.File
	Cycle       string
	ToolVersion string
	KeepBodies  bool
	// Inspector and Role name who runs the assessment; they are recorded in the evidence chain
	// (see Scope) and printed on the report.
	Inspector, Role string
	// Resume continues an earlier assessment (its evidence id, "AS-000001") instead of starting
	// a new one: probes already recorded are not run again, so nothing is duplicated.
	Resume string
}

// Outcome is what a run did.
type Outcome struct {
	Assessment evidence.Assessment
	// Ran counts the probes run now; Skipped the ones already recorded by an earlier run.
	Ran, Skipped int
	Counts       map[probes.Status]int
	Imported     *evidence.ImportResult
	// Incomplete says why the assessment is stored as incomplete (empty when complete).
	Incomplete []string
}

// LinkedProbes returns the probes that the checklist's items link, in registry order. A linked
// id the registry does not know is an error: the checklist and the tool disagree.
func LinkedProbes(c *checklist.Checklist, reg *probes.Registry) ([]probes.Probe, error) {
	want := map[string]bool{}
	for _, d := range c.Domains {
		for _, it := range d.Items {
			for _, id := range it.Probes {
				want[id] = true
			}
		}
	}
	var missing []string
	for id := range want {
		if !reg.Has(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("checklist %s links probes this build does not have: %v", c.Ref(), missing)
	}
	var out []probes.Probe
	for _, p := range reg.All() {
		if want[p.Meta().ID] {
			out = append(out, p)
		}
	}
	return out, nil
}

// Run performs an assessment. Each probe's result and exchanges are committed as the probe
// finishes, so an interrupted run keeps everything it recorded; the assessment is then marked
// incomplete and can be resumed.
func Run(ctx context.Context, store *evidence.Store, opts Options) (*Outcome, error) {
	if opts.Checklist == nil || opts.Registry == nil {
		return nil, errors.New("assess: checklist and probe registry are required")
	}
	if opts.Answers != nil && opts.Answers.Checklist != opts.Checklist.Ref() {
		return nil, fmt.Errorf("answers file %s is for checklist %s, but the assessment uses %s",
			opts.Answers.Source, opts.Answers.Checklist, opts.Checklist.Ref())
	}
	linked, err := LinkedProbes(opts.Checklist, opts.Registry)
	if err != nil {
		return nil, err
	}
	asmt, done, lease, err := startOrResume(ctx, store, opts)
	if err != nil {
		return nil, err
	}
	defer lease.Release() //nolint:errcheck // an unreleased lease lapses on its own
	out := &Outcome{Assessment: asmt, Counts: map[probes.Status]int{}}
	if err := store.RecordScope(ctx, asmt.ID, ScopeOf(opts, linked)); err != nil {
		_ = store.SetAssessmentStatus(context.WithoutCancel(ctx), asmt.ID, evidence.Incomplete)
		return out, err
	}

	var toRun []probes.Probe
	for _, p := range linked {
		if done[p.Meta().ID] {
			out.Skipped++
			continue
		}
		toRun = append(toRun, p)
	}

	if len(toRun) > 0 {
		// Recording is done from the runner's callback. A failure to record stops the run:
		// results we cannot keep as evidence must not be scored.
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			// Another run took the assessment over (our lease lapsed while we stalled):
			// stop, so that the two never record the same probe.
			select {
			case <-lease.Lost():
				cancel()
			case <-runCtx.Done():
			}
		}()
		var (
			mu        sync.Mutex
			recordErr error
		)
		runner := opts.Runner
		runner.OnResult = func(r probes.Result, ex []probes.Exchange) {
			mu.Lock()
			defer mu.Unlock()
			if recordErr != nil {
				return
			}
			// Recorded even after an interrupt: a result that finished is evidence to keep.
			if _, err := store.RecordProbeResult(context.WithoutCancel(ctx), asmt.ID, r, ex); err != nil {
				recordErr = fmt.Errorf("record result of %s: %w", r.ProbeID, err)
				cancel()
				return
			}
			out.Ran++
			out.Counts[r.Status]++
		}
		var runErr error
		for _, group := range splitByTarget(toRun, opts) {
			if _, err := runner.Run(runCtx, group.target, group.probes); err != nil {
				runErr = errors.Join(runErr, err)
			}
		}
		mu.Lock()
		rerr := recordErr
		mu.Unlock()
		if rerr != nil {
			_ = store.SetAssessmentStatus(context.WithoutCancel(ctx), asmt.ID, evidence.Incomplete)
			return out, rerr
		}
		if runErr != nil {
			out.Incomplete = append(out.Incomplete, "probe run stopped: "+runErr.Error())
		}
	}

	if opts.Answers != nil {
		res, err := ImportAnswers(ctx, store, asmt.ID, opts.Answers)
		if err != nil {
			_ = store.SetAssessmentStatus(context.WithoutCancel(ctx), asmt.ID, evidence.Incomplete)
			return out, err
		}
		out.Imported = &res
	}

	if ctx.Err() != nil {
		out.Incomplete = append(out.Incomplete, "interrupted: "+ctx.Err().Error())
	}
	// One meaning of complete: scoring decides, from everything recorded (earlier runs too).
	scored, err := Score(context.WithoutCancel(ctx), store, asmt.ID, func(string) (*checklist.Checklist, error) { return opts.Checklist, nil })
	if err != nil {
		return out, err
	}
	out.Incomplete = append(out.Incomplete, scored.Result.Completeness.Reasons()...)
	status := evidence.Complete
	if len(out.Incomplete) > 0 {
		status = evidence.Incomplete
	}
	if err := store.SetAssessmentStatus(context.WithoutCancel(ctx), asmt.ID, status); err != nil {
		return out, err
	}
	out.Assessment, err = store.Assessment(context.WithoutCancel(ctx), asmt.ID)
	return out, err
}

// GPConnectPack names the probe pack that needs a GP Connect provider as its target.
const GPConnectPack = "gpconnect"

type targetGroup struct {
	target probes.Target
	probes []probes.Probe
}

// splitByTarget sends the GP Connect probes to the GP Connect provider when one is given, and
// everything else to the main target.
func splitByTarget(ps []probes.Probe, opts Options) []targetGroup {
	if opts.GPConnect == nil {
		return []targetGroup{{opts.Target, ps}}
	}
	main, gpc := targetGroup{target: opts.Target}, targetGroup{target: *opts.GPConnect}
	for _, p := range ps {
		if p.Meta().Pack == GPConnectPack {
			gpc.probes = append(gpc.probes, p)
		} else {
			main.probes = append(main.probes, p)
		}
	}
	var out []targetGroup
	for _, g := range []targetGroup{main, gpc} {
		if len(g.probes) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// startOrResume creates the assessment, or reopens the one named by opts.Resume and returns the
// ids of the probes it already recorded. Either way this run becomes the assessment's only
// writer until the returned lease is released: a second run resuming it is refused before it
// reads what is done, so no probe is recorded twice.
func startOrResume(ctx context.Context, store *evidence.Store, opts Options) (evidence.Assessment, map[string]bool, *evidence.WriterLease, error) {
	done := map[string]bool{}
	if opts.Resume != "" {
		id, err := evidence.ParseAssessmentID(opts.Resume)
		if err != nil {
			return evidence.Assessment{}, nil, nil, fmt.Errorf("--resume: %w", err)
		}
		a, err := store.Assessment(ctx, id)
		if err != nil {
			return evidence.Assessment{}, nil, nil, fmt.Errorf("resume assessment %s: %w", opts.Resume, err)
		}
		if a.ChecklistRef() != opts.Checklist.Ref() || a.ChecklistSHA256 != opts.Checklist.SHA256 {
			return evidence.Assessment{}, nil, nil, fmt.Errorf("assessment %s used checklist %s (sha256 %.12s…), not %s (sha256 %.12s…): resume with the same checklist",
				a.Ref, a.ChecklistRef(), a.ChecklistSHA256, opts.Checklist.Ref(), opts.Checklist.SHA256)
		}
		if a.Org.ODSCode != opts.Org.ODSCode {
			return evidence.Assessment{}, nil, nil, fmt.Errorf("assessment %s is for %s, not %s", a.Ref, a.Org.ODSCode, opts.Org.ODSCode)
		}
		lease, err := store.ClaimWriter(ctx, id)
		if err != nil {
			return evidence.Assessment{}, nil, nil, err
		}
		results, err := store.ResultsFor(ctx, id)
		if err != nil {
			lease.Release() //nolint:errcheck // it lapses anyway
			return evidence.Assessment{}, nil, nil, err
		}
		for _, r := range results {
			// A probe that could not test is worth another try; anything else is final.
			if r.Status != probes.Error {
				done[r.ProbeID] = true
			}
		}
		if err := store.SetAssessmentStatus(ctx, id, evidence.Running); err != nil {
			lease.Release() //nolint:errcheck // it lapses anyway
			return evidence.Assessment{}, nil, nil, err
		}
		return a, done, lease, nil
	}
	if err := store.UpsertOrganisation(ctx, opts.Org); err != nil {
		return evidence.Assessment{}, nil, nil, err
	}
	var testNumbers []string
	if opts.Target.TestNHSNumber != "" {
		testNumbers = []string{opts.Target.TestNHSNumber}
	}
	targets := []evidence.Target{{Role: evidence.TargetFHIR, URL: opts.Target.BaseURL, FHIRVersion: opts.Target.FHIRVersion}}
	if g := opts.GPConnect; g != nil {
		targets = append(targets, evidence.Target{Role: evidence.TargetGPConnect, URL: g.BaseURL, FHIRVersion: g.FHIRVersion})
	}
	a, err := store.CreateAssessment(ctx, evidence.NewAssessment{
		ODSCode:          opts.Org.ODSCode,
		ChecklistID:      opts.Checklist.ID,
		ChecklistVersion: opts.Checklist.Version,
		ChecklistSHA256:  opts.Checklist.SHA256,
		TargetURL:        opts.Target.BaseURL,
		FHIRVersion:      opts.Target.FHIRVersion,
		Targets:          targets,
		Cycle:            opts.Cycle,
		ToolVersion:      opts.ToolVersion,
		KeepBodies:       opts.KeepBodies,
		TestNHSNumbers:   testNumbers,
	})
	if err != nil {
		return a, nil, nil, err
	}
	lease, err := store.ClaimWriter(ctx, a.ID)
	if err != nil {
		return a, nil, nil, err
	}
	return a, done, lease, nil
}

// ImportAnswers records an answers file's answers as attestations of the assessment. Importing
// the same file again adds nothing.
func ImportAnswers(ctx context.Context, store *evidence.Store, assessmentID int64, f *answers.File) (evidence.ImportResult, error) {
	answeredAt := f.AnsweredOn()
	atts := make([]evidence.Attestation, 0, len(f.Answers))
	for _, a := range f.Answers {
		att := evidence.Attestation{
			ItemID:     a.Item,
			Status:     evidence.AttestationStatus(a.Status),
			Level:      a.Level,
			Provenance: evidence.Provenance(a.Provenance),
			AnsweredBy: f.AnsweredBy,
			AnsweredAt: answeredAt,
			Owner:      a.Owner,
			Notes:      a.Notes,
		}
		for _, d := range a.Evidence {
			ref := d.Name
			if d.SHA256 != "" {
				ref += " (sha256 " + d.SHA256 + ")"
			}
			att.EvidenceRefs = append(att.EvidenceRefs, ref)
		}
		if a.Waiver != nil {
			att.WaiverReason = a.Waiver.Reason
			// The answers file names the last day the waiver applies; validation has checked
			// the date, so a parse failure here cannot happen for a validated file.
			last, err := time.Parse(time.DateOnly, a.Waiver.Expires)
			if err != nil {
				return evidence.ImportResult{}, fmt.Errorf("%s: item %s: waiver expiry %q: %w", f.Source, a.Item, a.Waiver.Expires, err)
			}
			att.WaiverExpiry = last
		}
		atts = append(atts, att)
	}
	return store.RecordAttestations(ctx, assessmentID, evidence.AttestationSource{File: f.Source, SHA256: f.SHA256}, atts)
}
