package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// probeOptions are jigsaw probe's inputs.
type probeOptions struct {
	IO              IO
	Target          targetFlags
	Packs           []string
	IDs             []string
	List            bool
	Format          string
	KeepIdentifiers bool
	// Registry builds the probe set (injected by tests).
	Registry func() *probes.Registry
}

func newProbeCmd(streams IO) *cobra.Command {
	opts := &probeOptions{IO: streams, Registry: all.Registry}
	cmd := &cobra.Command{
		Use:   "probe --target URL [flags]",
		Short: "Probe a FHIR endpoint: transport, conformance, security, identity, terminology",
		Long: `Probe runs Jigsaw's checks against one FHIR endpoint and prints a result per probe:
pass, warn (a SHOULD not met), fail (a SHALL not met), info (a MAY), not-applicable
(the server does not claim the capability, or another probe's root finding answers
it), skip (a precondition was missing, for example no test patient) or error (the
probe could not test; never a pass or a fail). docs/probes.md states the policy and
every probe's requirement. Could-not-test results are grouped by cause (TLS trust,
refused connection, timeouts, credentials) with the remedy; after repeated timeouts
from the endpoint no more requests are sent to it. Every result carries what
was expected, what was observed, the specification it comes from and the ids of the
HTTP exchanges that evidence it (-o json prints them, with secrets and patient
identifiers removed).

The bearer token is read from --token or, better, the JIGSAW_TOKEN environment
variable (flags end up in shell history). It is sent only to the target's own origin
and only over https: a token with an http:// target is refused, unless the lab-only
--allow-token-over-http is given (with a warning). It is never printed or stored, and
no redirect carries it (or a Referer) to another origin.

Exit status: 0 when no probe failed (warnings, skips and errors included), 1 when
any probe failed, when no probe could test at all (an unreachable or silent endpoint)
or the run could not start, 2 for a usage error.`,
		Example: `  jigsaw probe --target https://fhir.example.nhs.uk/R4 --patient 9990000018
  JIGSAW_TOKEN=… jigsaw probe --target https://fhir.example.nhs.uk/R4 --pack transport --pack security
  jigsaw probe --target https://127.0.0.1:8443/fhir/r4 --ca sandbox-ca.pem -o json > results.json
  jigsaw probe --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProbe(cmd.Context(), opts)
		},
	}
	opts.Target.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Packs, "pack", nil, "run only this pack (repeatable): transport, fhir, security, identity, terminology, performance, smart, gpconnect (default: every FHIR pack, or gpconnect with --profile gpconnect)")
	fl.StringArrayVar(&opts.IDs, "probe", nil, "run only this probe id (repeatable; adds to --pack)")
	fl.BoolVar(&opts.List, "list", false, "list the probes and exit")
	fl.StringVarP(&opts.Format, "output", "o", "table", "output format: table or json")
	fl.BoolVar(&opts.KeepIdentifiers, "keep-identifiers", false, "keep patient identifiers in the recorded exchanges (they are redacted by default)")
	return cmd
}

// probeOutput is what -o json prints.
type probeOutput struct {
	RunID      string         `json:"run_id"`
	Target     probes.Target  `json:"target"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Summary    map[string]int `json:"summary"`
	// Causes groups the probes that could not test by root cause, with the remedy.
	Causes []probes.CauseSummary `json:"causes,omitempty"`
	// Warnings are set-up problems seen across the run (every data request refused...).
	Warnings  []string          `json:"warnings,omitempty"`
	Results   []probes.Result   `json:"results"`
	Exchanges []probes.Exchange `json:"exchanges"`
}

// probeListing is one row of --list.
type probeListing struct {
	ID          string          `json:"id"`
	Pack        string          `json:"pack"`
	Severity    probes.Severity `json:"severity"`
	Title       string          `json:"title"`
	SpecRef     string          `json:"spec_ref"`
	Description string          `json:"description"`
}

func runProbe(ctx context.Context, opts *probeOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	reg := opts.Registry()
	if opts.List {
		return listProbes(opts.IO.Out, reg, opts.Format)
	}
	target, err := opts.Target.target()
	if err != nil {
		return err
	}
	packs := opts.Packs
	if len(packs) == 0 && len(opts.IDs) == 0 {
		packs = defaultPacks(reg, target)
	}
	selected, err := reg.Select(packs, opts.IDs)
	if err != nil {
		return usageErrorf("%v", err)
	}
	runner := opts.Target.runner(opts.IO.ErrOut)
	runner.Client.KeepIdentifiers = opts.KeepIdentifiers
	report, err := runner.Run(ctx, target, selected)
	if err != nil {
		return fmt.Errorf("probe %s: %w", describeTarget(target), err)
	}
	counts := report.Counts()
	if opts.Format == "json" {
		out := probeOutput{
			RunID: report.RunID, Target: report.Target, StartedAt: report.StartedAt, FinishedAt: report.FinishedAt,
			Summary: map[string]int{}, Causes: report.Causes, Warnings: report.Warnings,
			Results: report.Results, Exchanges: report.Exchanges,
		}
		for _, s := range verdict.Statuses {
			out.Summary[string(s)] = counts[s]
		}
		if err := writeJSON(opts.IO.Out, out); err != nil {
			return err
		}
	} else if err := writeProbeTable(opts.IO.Out, report); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New("interrupted: the results above are incomplete")
	}
	if counts[probes.Fail] > 0 {
		return errSilentFailure
	}
	if judged := counts[probes.Pass] + counts[probes.Warn] + counts[probes.InfoOnly]; judged == 0 && counts[probes.Error] > 0 {
		// Nothing could be tested: the run says nothing about the endpoint (the causes are
		// printed above), which must not look like a clean result.
		return errSilentFailure
	}
	return nil
}

// tableObservedWidth caps the observation in the table; -o json has it whole.
const tableObservedWidth = 140

func writeProbeTable(w io.Writer, report *probes.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSEVERITY\tPROBE\tOBSERVED")
	for _, r := range report.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Status, r.Severity, r.ProbeID, termSafe(probes.Clip(r.Observed, tableObservedWidth)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := report.Counts()
	var tally []string
	for _, st := range verdict.Statuses {
		if n := counts[st]; n > 0 || st == probes.Pass || st == probes.Fail {
			tally = append(tally, fmt.Sprintf("%d %s", n, strings.ToLower(st.Label())))
		}
	}
	fmt.Fprintf(w, "\n%s: %d probes: %s (%s)\n", report.Target.BaseURL, len(report.Results), strings.Join(tally, ", "),
		report.FinishedAt.Sub(report.StartedAt).Round(time.Millisecond))
	for _, warning := range report.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
	for _, c := range report.Causes {
		fmt.Fprintf(w, "%s\n  probes: %s\n", c.String(), strings.Join(c.Probes, ", "))
	}
	var critical []string
	for _, r := range report.Results {
		if r.Status == probes.Fail && r.Severity == probes.Critical {
			critical = append(critical, r.ProbeID)
		}
	}
	if len(critical) > 0 {
		fmt.Fprintf(w, "CRITICAL failures: %s\n", strings.Join(critical, ", "))
	}
	_, err := fmt.Fprintln(w, "Full observations, spec references and evidence: -o json")
	return err
}

func listProbes(w io.Writer, reg *probes.Registry, format string) error {
	var rows []probeListing
	for _, p := range reg.All() {
		m := p.Meta()
		rows = append(rows, probeListing{ID: m.ID, Pack: m.Pack, Severity: m.Severity, Title: m.Title, SpecRef: m.SpecRef, Description: m.Description})
	}
	if format == "json" {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tSEVERITY\tTITLE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Title)
	}
	return tw.Flush()
}
