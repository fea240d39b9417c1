package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

func newLeagueCmd(f *factory) *cobra.Command {
	streams := f.IO
	cmd := &cobra.Command{
		Use:   "league",
		Short: "Import signed submissions into the central database and publish benchmarks",
	}
	cmd.AddCommand(newLeagueImportCmd(streams), newLeagueTableCmd(f), newLeagueShowCmd(streams), newLeagueKeysCmd(streams))
	return cmd
}

type leagueImportOptions struct {
	IO     IO
	Files  []string
	DB     string
	Keys   string
	Output string
}

func newLeagueImportCmd(streams IO) *cobra.Command {
	opts := leagueImportOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "import FILE... --db central.db [--keys DIR|FILE]",
		Short: "Verify and import signed submissions",
		Long: `Import verifies each submission (canonical form, schema, evidence hashes and chain, and the
signature against the registry of organisation keys) and stores it under its cycle. Tampered,
unsigned or unknown-key submissions are refused with the reason; importing a file again
changes nothing. --keys registers public keys first: a file named after an ODS code (RX1.pub)
may sign only that organisation's submissions, any other key (an inspectorate's) any
organisation's. An organisation has one key: a second one is refused, and replacing it takes
jigsaw league keys rotate. The import is all or nothing: when any file is refused (or a key
cannot be registered) nothing is written, keys included. A file over 256 MiB is refused
without being read. Exits 1 when any file was refused.`,
		Example: `  jigsaw league import submissions/*.json --db central.db --keys keys/`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			return runLeagueImport(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "central.db", "central database")
	cmd.Flags().StringVar(&opts.Keys, "keys", "", "public key file, or directory of *.pub/*.pem files, to register")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runLeagueImport(ctx context.Context, opts leagueImportOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	var keys []league.Key
	if opts.Keys != "" {
		var err error
		if keys, err = league.LoadKeys(opts.Keys); err != nil {
			return usageErrorf("--keys: %v", err)
		}
	}
	st, err := league.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	results, err := st.ImportWithKeys(ctx, opts.Files, keys)
	if err != nil {
		return err
	}
	refused := 0
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		if r.Status == league.Refused {
			refused++
		}
	}
	if opts.Output == "json" {
		if err := writeJSON(opts.IO.Out, results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			line := fmt.Sprintf("%-9s %s", r.Status, r.File)
			if r.ODS != "" {
				line += fmt.Sprintf(" (%s, cycle %s)", r.ODS, r.Cycle)
			}
			if r.Reason != "" {
				line += ": " + r.Reason
			}
			fmt.Fprintln(opts.IO.Out, line)
		}
		fmt.Fprintf(opts.IO.Out, "%d imported, %d unchanged, %d refused", counts[league.Imported], counts[league.Unchanged], refused)
		if n := counts[league.NotImported]; n > 0 {
			fmt.Fprintf(opts.IO.Out, ", %d verified but not imported (nothing is imported while any file is refused)", n)
		}
		fmt.Fprintln(opts.IO.Out)
	}
	if refused > 0 {
		return errSilentFailure
	}
	return nil
}

type leagueTableOptions struct {
	IO        IO
	DB        string
	Checklist string
	Cycle     string
	Type      string
	Region    string
	Formats   string
	OutDir    string
	Output    string
	now       func() time.Time
}

func newLeagueTableCmd(f *factory) *cobra.Command {
	opts := leagueTableOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "table --db central.db [--cycle C] [--type T] [--region R] --format pdf,xlsx,json --out DIR",
		Short: "Write a cycle's league table (PDF, XLSX, JSON)",
		Long: `Table builds the league table of a cycle (default the latest) from the verified submissions:
ranks, national and peer-group percentiles and quartiles, medians, and change since the
previous cycle. --type and --region choose the rows shown; ranks stay national.

Only rated submissions are ranked; not-rated ones are listed apart. Medians, quartiles and
percentiles are withheld for groups of fewer than 5 rated organisations. Submissions scored
against different checklist versions are never ranked together: when a cycle holds more than
one, choose it with --checklist.`,
		Example: `  jigsaw league table --db central.db --out league/
  jigsaw league table --db central.db --cycle 2026-Q1 --type acute-trust --region London --format pdf --out league/`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runLeagueTable(c.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "central.db", "central database")
	fl.StringVar(&opts.Cycle, "cycle", "", "cycle (default the latest)")
	fl.StringVar(&opts.Checklist, "checklist", "", "checklist id@version to rank (needed when a cycle holds several)")
	fl.StringVar(&opts.Type, "type", "", "organisation type to show")
	fl.StringVar(&opts.Region, "region", "", "region to show")
	fl.StringVar(&opts.Formats, "format", "pdf,xlsx,json", "formats: pdf, xlsx, json")
	fl.StringVar(&opts.OutDir, "out", ".", "directory for league.pdf, league.xlsx, league.json")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runLeagueTable(ctx context.Context, opts leagueTableOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	formats, err := reports.ParseFormats(opts.Formats)
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	if opts.Type != "" && !containsOrgType(checklist.OrgType(opts.Type)) {
		return usageErrorf("--type %q is not an organisation type", opts.Type)
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return usageErrorf("--db %s: %v", opts.DB, err)
	}
	st, err := league.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := st.Benchmark(ctx, league.Filter{Cycle: opts.Cycle, OrgType: checklist.OrgType(opts.Type), Region: opts.Region, Checklist: opts.Checklist})
	if err != nil {
		return err
	}
	title := "Interoperability maturity league table"
	if opts.Type != "" || opts.Region != "" {
		title += ": " + joinNonEmpty(opts.Type, opts.Region)
	}
	model, err := reports.BuildLeague(reports.LeagueMeta{Title: title, Cycle: b.Cycle, PreviousCycle: b.PreviousCycle,
		Checklist: b.Checklist, Generator: "jigsaw " + toolVersion(), GeneratedAt: opts.now().UTC()}, b.Table)
	if err != nil {
		return err
	}
	files, err := reports.WriteLeague(ctx, opts.OutDir, model, formats)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, cliout.LeagueTable{Cycle: b.Cycle, Checklist: b.Checklist, Organisations: len(b.Table.Rows),
			RatedNational: b.Table.National.Count, NationalMedian: b.Table.National.Median,
			MedianWithheld: b.Table.National.Withheld, Files: nonNil(files)})
	}
	median := fmt.Sprintf("national median %.1f%%", b.Table.National.Median)
	if b.Table.National.Withheld != "" {
		median = "national median withheld (" + b.Table.National.Withheld + ")"
	}
	fmt.Fprintf(opts.IO.Out, "Cycle %s, checklist %s: %d organisations (%d rated nationally), %s\n", b.Cycle, b.Checklist, len(b.Table.Rows), b.Table.National.Count, median)
	for _, f := range files {
		fmt.Fprintln(opts.IO.Out, f)
	}
	return nil
}

type leagueShowOptions struct {
	IO     IO
	ODS    string
	DB     string
	Output string
}

func newLeagueShowCmd(streams IO) *cobra.Command {
	opts := leagueShowOptions{IO: streams}
	cmd := &cobra.Command{
		Use:     "show ODS --db central.db",
		Short:   "Show one organisation's benchmark position and history",
		Example: `  jigsaw league show RX1 --db central.db -o json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.ODS = args[0]
			return runLeagueShow(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "central.db", "central database")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runLeagueShow(ctx context.Context, opts leagueShowOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return usageErrorf("--db %s: %v", opts.DB, err)
	}
	st, err := league.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := st.Show(ctx, opts.ODS)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, h)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "%s %s (%s, %s)\n", h.ODS, h.Name, h.OrgType, h.Region)
	fmt.Fprintf(w, "%-10s %-10s %-11s %-11s %7s %-22s %9s %10s %9s %11s %8s %7s %s\n", "CYCLE", "ASSESSMENT", "DATE", "ASSESSED", "SCORE", "RATING", "RANK", "PERCENTILE", "PEER RANK", "PEER PCTILE", "NAT MED", "CHANGE", "GAP (over-claimed/compared)")
	for _, p := range h.Positions {
		r := p.Row
		change, gap := "–", "–"
		if r.Change != nil && r.Change.DeltaPercent != nil {
			change = fmt.Sprintf("%+.1f", *r.Change.DeltaPercent)
		}
		if p.Gap != nil {
			gap = fmt.Sprintf("%d/%d, mean %+.1f", p.Gap.OverClaimed, p.Gap.Items, p.Gap.MeanGap)
		}
		score, rank, natMed := percentText(r.Percent), fmt.Sprintf("%d/%d", r.Rank, p.Rated), fmt.Sprintf("%.1f", p.NationalMedian)
		if r.Rating == scoring.NotRated {
			score, rank = percentText(r.ProvisionalPercent)+"?", "not ranked"
		}
		if p.NationalMedian == 0 {
			natMed = "withheld"
		}
		date := "–"
		if !r.AssessedAt.IsZero() {
			date = r.AssessedAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(w, "%-10s %-10s %-11s %-11s %7s %-22s %9s %10s %9s %11s %8s %7s %s\n", p.Cycle, r.Assessment, date,
			fmt.Sprintf("%.0f%% %s", r.Completeness*100, r.Status), score, ratingLabel(r.Rating),
			rank, percentText(r.Percentile), fmt.Sprintf("%d/%d", r.PeerRank, r.PeerSize),
			percentText(r.PeerPercentile), natMed, change, gap)
	}
	return nil
}

func containsOrgType(t checklist.OrgType) bool {
	for _, o := range checklist.OrgTypes() {
		if o == t {
			return true
		}
	}
	return false
}

func joinNonEmpty(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += p
	}
	return out
}

func newLeagueKeysCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "The central key registry: list its record, rotate an organisation's key",
	}
	var db, ods, reason, output string
	rotate := &cobra.Command{
		Use:   "rotate --db central.db --ods ODS NEWKEY.pub --reason TEXT",
		Short: "Replace an organisation's key with a new one",
		Long: `Rotate retires an organisation's registered key and registers NEWKEY.pub in its place.
Submissions the old key signed before the rotation still import; later ones are refused. The
rotation, its reason and both key ids are recorded in the key registry's hash chain (see
league keys list). This is the only way to give an organisation a second key.`,
		Example: `  jigsaw league keys rotate --db central.db --ods RX1 keys/RX1-2027.pub --reason "old key on a stolen laptop"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if ods == "" {
				return usageErrorf("--ods is required: the organisation whose key is replaced")
			}
			pub, err := submission.LoadPublicKey(args[0])
			if err != nil {
				return usageErrorf("%v", err)
			}
			st, err := league.Open(c.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			e, err := st.RotateKey(c.Context(), ods, league.NewKey(pub, ods, args[0]), reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "%s: key %s retired, key %s registered (event %d, %s)\n", e.ODS, e.PreviousKeyID, e.KeyID, e.Seq, e.Hash[:12])
			return nil
		},
	}
	rotate.Flags().StringVar(&db, "db", "central.db", "central database")
	rotate.Flags().StringVar(&ods, "ods", "", "ODS code of the organisation")
	rotate.Flags().StringVar(&reason, "reason", "", "why the key is replaced (kept in the record)")
	list := &cobra.Command{
		Use:   "list --db central.db",
		Short: "List every key registration and rotation, checking their hash chain",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkOutputFormat(output); err != nil {
				return err
			}
			st, err := league.Open(c.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			events, err := st.KeyEvents(c.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(streams.Out, nonNil(events))
			}
			for _, e := range events {
				line := fmt.Sprintf("%d  %s  %-8s %-6s %s", e.Seq, e.At, e.Action, cmpOrDash(e.ODS), e.KeyID)
				if e.PreviousKeyID != "" {
					line += " (replaces " + e.PreviousKeyID + ")"
				}
				if e.Reason != "" {
					line += ": " + e.Reason
				}
				fmt.Fprintln(streams.Out, termSafe(line))
			}
			return nil
		},
	}
	list.Flags().StringVar(&db, "db", "central.db", "central database")
	addOutputFlag(list, &output, false)
	cmd.AddCommand(rotate, list)
	return cmd
}

func cmpOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
