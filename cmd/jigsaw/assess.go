package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

type assessOptions struct {
	IO        IO
	Target    targetFlags
	GPConnect string
	ODS       string
	Name      string
	Type      string
	Region    string
	Checklist string
	Answers   string
	DB        string
	Cycle     string
	Resume    string
	// KeepIdentifiers keeps patient identifiers everywhere: bodies, observations, the test patient.
	KeepIdentifiers bool
	Format          string
	Inspector       string
	Role            string
}

type assessOutput = cliout.Assess

func newAssessCmd(streams IO) *cobra.Command {
	opts := assessOptions{IO: streams}
	types := make([]string, 0, 7)
	for _, t := range checklist.OrgTypes() {
		types = append(types, string(t))
	}
	cmd := &cobra.Command{
		Use:   "assess --org ODS --name NAME --type TYPE --target URL [--answers FILE] [--db FILE]",
		Short: "Assess an organisation: probe its endpoint, import its answers, record the evidence and score it",
		Long: `Assess runs every probe the checklist links against the organisation's FHIR endpoint,
records each result and HTTP exchange in the evidence database as it arrives (tokens are never
stored; patient identifiers are redacted unless --keep-identifiers), imports the organisation's
answers file as attestations, and prints the scored summary.

--inspector and --role name who ran the assessment; they are recorded in the evidence chain
and printed on the report.

An assessment is complete when every applicable item was assessed and every linked probe gave
a result on the endpoint it needs; it is rated only when the evidence supports a rating
(docs/scoring.md). An interrupted or incomplete assessment can be continued with
--resume AS-000123 without repeating what was recorded.

Exit status: 0 complete and rated; 1 incomplete, not rated, or failed; 2 usage error.`,
		Example: `  JIGSAW_TOKEN=… jigsaw assess --org RXX --name "Example NHS Trust" --type acute-trust \
      --target https://fhir.example.nhs.uk/R4 --answers answers.yaml --db inspection.db`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runAssess(c.Context(), opts)
		},
	}
	opts.Target.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.ODS, "org", "", "ODS code of the organisation")
	fl.StringVar(&opts.GPConnect, "gpconnect", "", "the organisation's GP Connect provider base URL; the checklist's GP Connect probes run against it (with the --consumer-asid, --gpc-structured… settings)")
	fl.StringVar(&opts.Name, "name", "", "name of the organisation")
	fl.StringVar(&opts.Type, "type", "", "organisation type: "+strings.Join(types, ", "))
	fl.StringVar(&opts.Region, "region", "", "region or ICB the organisation is benchmarked in")
	fl.StringVar(&opts.Checklist, "checklist", checklist.Current, "checklist id@version, or a checklist file")
	fl.StringVar(&opts.Answers, "answers", "", "answers file (YAML) to import as attestations")
	fl.StringVar(&opts.DB, "db", "jigsaw.db", "evidence database (created if missing)")
	fl.StringVar(&opts.Cycle, "cycle", "", "assessment cycle, for example 2026-Q3")
	fl.StringVar(&opts.Resume, "resume", "", "continue the assessment with this id (AS-…) instead of starting a new one")
	addKeepIdentifiersFlag(cmd, &opts.KeepIdentifiers)
	addOutputFlag(cmd, &opts.Format, false)
	fl.StringVar(&opts.Inspector, "inspector", "", "name of the inspector running the assessment (recorded in the evidence chain; printed on the report)")
	fl.StringVar(&opts.Role, "role", "", "the inspector's role, for example \"Lead inspector, CQC\" (recorded with --inspector)")
	return cmd
}

func runAssess(ctx context.Context, opts assessOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	target, gpcTarget, err := opts.Target.splitGPConnect(opts.GPConnect)
	if err != nil {
		return err
	}
	if !terminology.ODSCodeValid(opts.ODS) {
		return usageErrorf("--org %q is not an ODS code (3 to 6 upper-case letters and digits)", opts.ODS)
	}
	if strings.TrimSpace(opts.Name) == "" && opts.Resume == "" {
		return usageErrorf("--name is required")
	}
	if strings.TrimSpace(opts.Role) != "" && strings.TrimSpace(opts.Inspector) == "" {
		return usageErrorf("--role needs --inspector: name the inspector whose role it is")
	}
	orgType := checklist.OrgType(opts.Type)
	if !validOrgType(orgType) && opts.Resume == "" {
		return usageErrorf("--type %q: use one of %v", opts.Type, checklist.OrgTypes())
	}
	reg := all.Registry()
	c, err := resolveChecklist(ctx, opts.Checklist, reg)
	if err != nil {
		return err
	}
	var ans *answers.File
	if opts.Answers != "" {
		ans, err = answers.Load(opts.Answers, answers.WithChecklist(c, time.Now()), answers.WithContext(ctx))
		if err != nil {
			return err
		}
		if ans.Organisation.ODS != "" && ans.Organisation.ODS != opts.ODS {
			return usageErrorf("answers file %s is for %s, not --org %s", opts.Answers, ans.Organisation.ODS, opts.ODS)
		}
	}

	store, err := evidence.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()

	if !opts.Target.NoProgress {
		fmt.Fprintf(opts.IO.ErrOut, "Assessing %s (%s) against %s with %s\n", opts.Name, opts.ODS, describeTarget(target), c.Ref())
	}
	keep := opts.KeepIdentifiers
	runner := opts.Target.runner(opts.IO.ErrOut)
	runner.Client.KeepIdentifiers = keep
	outcome, runErr := assess.Run(ctx, store, assess.Options{
		Checklist:   c,
		Org:         evidence.Organisation{ODSCode: opts.ODS, Name: opts.Name, Type: orgType, Region: opts.Region},
		Target:      target,
		GPConnect:   gpcTarget,
		Registry:    reg,
		Runner:      runner,
		Answers:     ans,
		Cycle:       opts.Cycle,
		ToolVersion: toolVersion(),
		KeepBodies:  keep,
		Resume:      opts.Resume,
		Inspector:   strings.TrimSpace(opts.Inspector),
		Role:        strings.TrimSpace(opts.Role),
	})
	if runErr != nil {
		if outcome != nil && outcome.Assessment.Ref != "" {
			return fmt.Errorf("assessment %s in %s: %w (what was recorded is kept; --resume %s continues it)",
				outcome.Assessment.Ref, opts.DB, runErr, outcome.Assessment.Ref)
		}
		return runErr
	}
	// Scoring reads back what was stored, so the summary shows exactly what the evidence holds.
	scored, err := assess.Score(context.WithoutCancel(ctx), store, outcome.Assessment.ID, checklist.Catalog().Finder(c))
	if err != nil {
		return err
	}
	r := scored.Result
	out := assessOutput{
		Rating: r.Rating.Label(), Completeness: r.Completeness.Share, Status: r.Completeness.Status,
		Percent: r.Percent, Provisional: r.Provisional, NotRatedReasons: r.NotRatedReasons, Limitations: r.Limitations,
		Assessment: outcome.Assessment, Database: opts.DB, Ran: outcome.Ran, Resumed: outcome.Skipped,
		Probes: outcome.Counts, Imported: outcome.Imported, Incomplete: outcome.Incomplete, Score: r,
	}
	if scored.Scope != nil {
		out.Inspector, out.Role = scored.Scope.Inspector, scored.Scope.Role
	}
	if opts.Format == "json" {
		err = writeJSON(opts.IO.Out, out)
	} else {
		err = printAssess(opts.IO.Out, out, scored)
	}
	if err != nil {
		return err
	}
	// Exit 0 only when complete and rated: the same words the summary, JSON and reports use.
	if r.Completeness.Incomplete || r.Rating == scoring.NotRated || len(outcome.Incomplete) > 0 {
		return errSilentFailure
	}
	return nil
}

// resolveChecklist reads the checklist a --checklist flag names (a file, or ID[@VERSION] in
// the catalogue) and checks its probe links against this build's probes. Reading a file stops
// when ctx is cancelled.
func resolveChecklist(ctx context.Context, ref string, reg *probes.Registry) (*checklist.Checklist, error) {
	c, err := checklist.Resolve(ref, checklist.WithKnownProbes(reg.Has), checklist.WithContext(ctx))
	if err != nil && !checklist.IsFile(ref) {
		return nil, usageErrorf("--checklist: %v", err)
	}
	return c, err
}

func validOrgType(t checklist.OrgType) bool {
	for _, k := range checklist.OrgTypes() {
		if k == t {
			return true
		}
	}
	return false
}

func printAssess(w io.Writer, out assessOutput, scored *assess.Scored) error {
	a := out.Assessment
	r := out.Score
	fmt.Fprintf(w, "Assessment %s of %s (%s): %s, %s\n", a.Ref, a.Org.Name, a.Org.ODSCode, r.Completeness.Status, ratedWord(r))
	if out.Inspector != "" {
		fmt.Fprintf(w, "Inspector  %s", out.Inspector)
		if out.Role != "" {
			fmt.Fprintf(w, ", %s", out.Role)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Checklist  %s   Target %s (FHIR %s)\n", a.ChecklistRef(), a.TargetURL, a.FHIRVersion)
	fmt.Fprintf(w, "Probes     %d run", out.Ran)
	if out.Resumed > 0 {
		fmt.Fprintf(w, ", %d already recorded", out.Resumed)
	}
	fmt.Fprintf(w, ": %d pass, %d warn, %d fail, %d info, %d skip, %d not applicable, %d could not test\n",
		out.Probes[probes.Pass], out.Probes[probes.Warn], out.Probes[probes.Fail], out.Probes[verdict.Info],
		out.Probes[probes.Skip], out.Probes[verdict.NotApplicable], out.Probes[probes.Error])
	if out.Imported != nil {
		fmt.Fprintf(w, "Answers    %d imported, %d already recorded\n", len(out.Imported.Added), out.Imported.Unchanged)
	}
	c := r.Completeness
	fmt.Fprintf(w, "Assessed   %d of %d applicable items (%.0f%%; a rating needs %.0f%%)\n", c.Scored, c.Applicable, c.Share*100, c.Threshold*100)
	score := percentText(r.Percent)
	if r.Provisional {
		score += " (provisional)"
	}
	fmt.Fprintf(w, "Score      %s   Rating %s\n", score, r.Rating.Label())
	for _, why := range r.NotRatedReasons {
		fmt.Fprintf(w, "           not rated: %s\n", why)
	}
	for _, l := range r.Limiters {
		fmt.Fprintf(w, "           limited: %s\n", l)
	}
	if r.WarningNotice.Flagged {
		fmt.Fprintf(w, "WARNING NOTICE consideration flagged (section %s):\n", cmpOr(r.WarningNotice.Section, "n/a"))
		for _, reason := range r.WarningNotice.Reasons {
			fmt.Fprintf(w, "  - %s\n", reason)
		}
	}
	for _, l := range r.Limitations {
		fmt.Fprintf(w, "Limitation %s\n", l)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tSCORE\tLEVEL")
	for _, d := range r.Domains {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", d.Title, percentText(d.Percent), d.Level)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// The largest over-claims are what an inspector asks about first.
	type gap struct {
		id, title         string
		claimed, verified int
	}
	var gaps []gap
	for _, it := range r.Items {
		if it.OverClaimed {
			title := it.ItemID
			if item, _, ok := scored.Checklist.Item(it.ItemID); ok {
				title = item.Title
			}
			gaps = append(gaps, gap{it.ItemID, title, it.Claimed, it.Verified})
		}
	}
	if len(gaps) > 0 {
		sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].claimed-gaps[i].verified > gaps[j].claimed-gaps[j].verified })
		fmt.Fprintf(w, "\nOver-claimed: probes contradict the claim (largest first):\n")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ITEM\tTITLE\tCLAIMED\tVERIFIED")
		for _, g := range gaps {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", g.id, g.title, g.claimed, g.verified)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, reason := range out.Incomplete {
		fmt.Fprintf(w, "\nIncomplete: %s", reason)
	}
	if len(out.Incomplete) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "\nContinue with: jigsaw assess --resume %s --db %s … (same flags)\n", a.Ref, out.Database)
	}
	fmt.Fprintf(w, "\nEvidence in %s. Reports: jigsaw report --db %s --assessment %s --out DIR\n", out.Database, out.Database, a.Ref)
	return nil
}

// ratedWord is "rated Good" or "not rated".
func ratedWord(r scoring.Result) string {
	if r.Rating == scoring.NotRated {
		return "not rated"
	}
	return "rated " + r.Rating.Label()
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
