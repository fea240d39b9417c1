package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Meta describes a probe: who it is, what it checks and where the rule comes from.
type Meta struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Pack        string   `json:"pack"`
	Severity    Severity `json:"severity"`
	SpecRef     string   `json:"spec_ref"`
	Description string   `json:"description"`
	// Requirement is the exact requirement the probe tests, quoted or closely paraphrased from
	// the clause SpecRef points at (a versioned URL).
	Requirement string `json:"requirement,omitempty"`
	// Strength is the requirement's conformance verb; a breach of it fails (SHALL), warns
	// (SHOULD) or informs (MAY). Empty until every probe states it.
	Strength verdict.Strength `json:"strength,omitempty"`
	// LongRunning marks a probe that takes long by design (repeated timed samples): the runner
	// starts it first so it overlaps the others. Results keep the registry order regardless.
	LongRunning bool `json:"-"`
}

// Probe is one check against a target. Run returns the verdict (status, expected, observed,
// and optionally a more specific spec reference); the runner fills in the metadata, timing
// and evidence. Run must honour ctx and must not touch anything but the Session.
type Probe interface {
	Meta() Meta
	Run(ctx context.Context, s *Session) Result
}

// New makes a Probe from its metadata and a run function.
func New(meta Meta, run func(ctx context.Context, s *Session) Result) Probe {
	return funcProbe{meta: meta, run: run}
}

type funcProbe struct {
	meta Meta
	run  func(ctx context.Context, s *Session) Result
}

func (p funcProbe) Meta() Meta                                 { return p.meta }
func (p funcProbe) Run(ctx context.Context, s *Session) Result { return p.run(ctx, s) }

// Verdict constructors for probes.

// Passed is a pass.
func Passed(expected, observed string) Result { return newVerdict(Pass, expected, observed) }

// Failed is a failure at the probe's severity.
func Failed(expected, observed string) Result { return newVerdict(Fail, expected, observed) }

// Warned is a warning: short of the expectation, not a failure.
func Warned(expected, observed string) Result { return newVerdict(Warn, expected, observed) }

// Skipped says a precondition was absent (no test patient, wrong FHIR version...).
func Skipped(expected, observed string) Result { return newVerdict(Skip, expected, observed) }

// Informed records an observation against a MAY: neither met nor breached.
func Informed(expected, observed string) Result { return newVerdict(InfoOnly, expected, observed) }

// NotApplicableTo says the server does not claim the capability the probe tests (no SMART
// declared, an R4-only rule on an STU3 server...). The observation says what was looked at.
func NotApplicableTo(expected, observed string) Result {
	return newVerdict(NotApplicable, expected, observed)
}

// Dependent says the probe's question is already answered by another probe's root finding
// (rootID): the probe is not applicable and names the root, so one cause is reported once.
func Dependent(expected, rootID, observed string) Result {
	r := newVerdict(NotApplicable, expected, observed+" (root finding: "+rootID+")")
	r.DependsOn = rootID
	return r
}

// SkippedFor says the probe did not run because what it needs is absent, and the root
// finding about that is rootID's: the probe points at it rather than repeating it.
func SkippedFor(expected, rootID, observed string) Result {
	r := newVerdict(Skip, expected, observed+" (root finding: "+rootID+")")
	r.DependsOn = rootID
	return r
}

// Breached is the verdict for a requirement of the given strength that is not met: SHALL
// fails, SHOULD warns, MAY informs (verdict.Strength.Breach).
func Breached(strength verdict.Strength, expected, observed string) Result {
	return newVerdict(strength.Breach(), expected, observed)
}

// Errored says the probe could not test: never a pass or a fail. The cause is classified
// (TLS trust, refused connection, timeout, credentials...) so the run can name it once.
func Errored(expected string, err error) Result {
	if err == nil {
		err = errors.New("no reason given")
	}
	r := newVerdict(Error, expected, "could not test: "+err.Error())
	c := Classify(err)
	r.Cause = &c
	return r
}

// CredentialsRefused is the could-not-test result for a request the endpoint refused with 401
// or 403 although the run's credentials were sent: the token is missing, wrong or lacks scope.
func CredentialsRefused(expected string, resp *Response) Result {
	return Errored(expected, fmt.Errorf("%w (%s)", ErrCredentialsRefused, resp.Describe()))
}

// NoPatient turns a test-patient lookup error into a skip (no patient) or an error.
func NoPatient(expected string, err error) Result {
	if errors.Is(err, ErrNoTestPatient) {
		return Skipped(expected, err.Error())
	}
	return Errored(expected, err)
}

func newVerdict(s Status, expected, observed string) Result {
	return Result{Status: s, Expected: expected, Observed: observed}
}

// Registry is the set of probes a run can choose from, in a stable order. Build one with
// NewRegistry (probes/all.Registry builds the full set).
type Registry struct {
	probes []Probe
	byID   map[string]Probe
}

var validSeverities = []Severity{Critical, High, Medium, Low, Info}

// NewRegistry checks the probes (unique ids, id prefixed by its pack, known severity,
// title and spec reference present) and keeps them in the order given.
func NewRegistry(ps ...Probe) (*Registry, error) {
	r := &Registry{byID: make(map[string]Probe, len(ps))}
	var problems []string
	for _, p := range ps {
		m := p.Meta()
		switch {
		case m.ID == "":
			problems = append(problems, fmt.Sprintf("probe %q has no id", m.Title))
			continue
		case r.byID[m.ID] != nil:
			problems = append(problems, fmt.Sprintf("probe id %s registered twice", m.ID))
			continue
		}
		if m.Pack == "" || !strings.HasPrefix(m.ID, m.Pack+".") {
			problems = append(problems, fmt.Sprintf("probe %s: id must start with its pack %q", m.ID, m.Pack))
		}
		if !slices.Contains(validSeverities, m.Severity) {
			problems = append(problems, fmt.Sprintf("probe %s: unknown severity %q", m.ID, m.Severity))
		}
		if m.Title == "" || m.SpecRef == "" {
			problems = append(problems, fmt.Sprintf("probe %s: title and spec reference are required", m.ID))
		}
		r.byID[m.ID] = p
		r.probes = append(r.probes, p)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("probe registry: %s", strings.Join(problems, "; "))
	}
	return r, nil
}

// All returns every probe in registry order.
func (r *Registry) All() []Probe { return slices.Clone(r.probes) }

// Lookup finds a probe by id.
func (r *Registry) Lookup(id string) (Probe, bool) {
	p, ok := r.byID[id]
	return p, ok
}

// Has reports whether the id is registered.
func (r *Registry) Has(id string) bool { _, ok := r.byID[id]; return ok }

// IDs lists the probe ids in registry order.
func (r *Registry) IDs() []string {
	out := make([]string, len(r.probes))
	for i, p := range r.probes {
		out[i] = p.Meta().ID
	}
	return out
}

// Packs lists the pack names, sorted.
func (r *Registry) Packs() []string {
	seen := map[string]bool{}
	for _, p := range r.probes {
		seen[p.Meta().Pack] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Pack returns the probes of one pack in registry order.
func (r *Registry) Pack(name string) []Probe {
	var out []Probe
	for _, p := range r.probes {
		if p.Meta().Pack == name {
			out = append(out, p)
		}
	}
	return out
}

// Select returns the probes in the named packs plus the named ids, in registry order; with
// neither, every probe. Unknown names are an error that lists what exists.
func (r *Registry) Select(packs, ids []string) ([]Probe, error) {
	if len(packs) == 0 && len(ids) == 0 {
		return r.All(), nil
	}
	known := r.Packs()
	want := map[string]bool{}
	for _, pack := range packs {
		if !slices.Contains(known, pack) {
			return nil, fmt.Errorf("unknown pack %q (packs: %s)", pack, strings.Join(known, ", "))
		}
		for _, p := range r.Pack(pack) {
			want[p.Meta().ID] = true
		}
	}
	for _, id := range ids {
		if !r.Has(id) {
			return nil, fmt.Errorf("unknown probe id %q (see the ids in 'jigsaw probe --list')", id)
		}
		want[id] = true
	}
	var out []Probe
	for _, p := range r.probes {
		if want[p.Meta().ID] {
			out = append(out, p)
		}
	}
	return out, nil
}
