package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
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

Exit status: 0 when every probe reached a verdict and none failed (warnings, skips and
not-applicable included), 1 when any probe failed or could not test (the run is incomplete:
the causes and remedies are printed above the exit) or the run could not start, 2 for a
usage error.`,
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
	addOutputFlag(cmd, &opts.Format, false)
	addKeepIdentifiersFlag(cmd, &opts.KeepIdentifiers)
	return cmd
}

type probeOutput = cliout.Probe

type probeListing = cliout.ProbeListing

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
	} else if err := writeProbeTable(opts.IO.Out, report, terminalOf(opts.IO.Out, os.Getenv)); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New("interrupted: the results above are incomplete")
	}
	if counts[probes.Fail] > 0 {
		return errSilentFailure
	}
	if counts[probes.Error] > 0 {
		// A probe that could not test leaves the run incomplete (the causes are printed
		// above): like an incomplete assessment, it must not look like a clean result.
		return errSilentFailure
	}
	return nil
}

// tableObservedWidth caps the observation in the table when the terminal's width is unknown;
// -o json has it whole.
const tableObservedWidth = 140

// minObservedWidth is the narrowest the observation column gets on a narrow terminal.
const minObservedWidth = 20

// writeProbeTable prints one row per result, the observation clipped so each row fits ti's
// width, statuses coloured when ti has colour.
func writeProbeTable(w io.Writer, report *probes.Report, ti termInfo) error {
	const gap = 2
	wStatus, wSeverity, wProbe := len("STATUS"), len("SEVERITY"), len("PROBE")
	for _, r := range report.Results {
		wStatus = max(wStatus, len(r.Status))
		wSeverity = max(wSeverity, len(r.Severity))
		wProbe = max(wProbe, len(r.ProbeID))
	}
	observed := tableObservedWidth
	if ti.Width > 0 {
		// Clip adds an ellipsis after the runes it keeps, hence the 1.
		observed = max(ti.Width-wStatus-wSeverity-wProbe-3*gap-1, minObservedWidth)
	}
	sep := strings.Repeat(" ", gap)
	fmt.Fprintln(w, ti.paint(sgrBold, pad("STATUS", wStatus)+sep+pad("SEVERITY", wSeverity)+sep+pad("PROBE", wProbe)+sep+"OBSERVED"))
	for _, r := range report.Results {
		fmt.Fprintln(w, ti.paint(statusColor(r.Status), pad(string(r.Status), wStatus))+sep+pad(string(r.Severity), wSeverity)+sep+
			pad(r.ProbeID, wProbe)+sep+termSafe(probes.Clip(r.Observed, observed)))
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
