package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/scoring"
	"github.com/nhs-jigsaw/jigsaw/submission"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// demoOrg is one sandbox organisation the demo assesses: the profile it serves, the example
// answers it submits and the region it is benchmarked in.
type demoOrg struct {
	Profile sandbox.Profile
	Answers string
	Region  string
}

var demoOrgs = []demoOrg{
	{Profile: sandbox.Exemplar, Answers: "exemplar", Region: "North East and Yorkshire"},
	{Profile: sandbox.Typical, Answers: "typical", Region: "Wales"},
	{Profile: sandbox.Legacy, Answers: "legacy", Region: "Midlands"},
}

// demoConcurrency is how many probes run at once against each demo sandbox: the sandboxes are
// in-process on loopback, so the run waits on their deliberate latency, not on politeness.
// The latency itself is never scaled down: the legacy profile's Patient searches still take
// 1.2-1.6 s and performance.latency still sees them.
const demoConcurrency = 12

type demoOptions struct {
	IO           IO
	OutDir       string
	Checklist    string
	Formats      string
	Format       string // table or json
	LatencyScale float64
	Concurrency  int
	NoProgress   bool
	// now fixes the reports' generation time (a seam for tests).
	now func() time.Time
}

type demoOrgResult = cliout.DemoOrg

type demoOutput = cliout.Demo

func newDemoCmd(f *factory) *cobra.Command {
	opts := demoOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Assess the three built-in sandbox organisations end to end and write their reports and a league table",
		Long: `Demo starts the three sandbox organisations (exemplar, typical, legacy) in-process on
127.0.0.1, assesses each against the checklist with its bundled example answers, records all
evidence in DIR/evidence.db, writes each organisation's PDF, XLSX and JSON report and a league
table (league.pdf, league.xlsx, league.json), and prints a summary.`,
		Example: `  jigsaw demo
  jigsaw demo --out /tmp/jigsaw-demo --format pdf,json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDemo(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", "jigsaw-demo", "directory for the evidence database and reports")
	cmd.Flags().StringVar(&opts.Checklist, "checklist", checklist.Current, "checklist id@version")
	cmd.Flags().StringVar(&opts.Formats, "format", "pdf,xlsx,json", "report formats")
	addOutputFlag(cmd, &opts.Format, false)
	cmd.Flags().Float64Var(&opts.LatencyScale, "latency-scale", 1, "multiply the sandboxes' deliberate delays (0 turns them off)")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", demoConcurrency, "probes run at once per organisation")
	cmd.Flags().BoolVar(&opts.NoProgress, "no-progress", false, "do not show progress")
	return cmd
}

func runDemo(ctx context.Context, opts demoOptions) error {
	start := time.Now()
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", opts.Format)
	}
	formats, err := reports.ParseFormats(opts.Formats)
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	if opts.LatencyScale < 0 {
		return usageErrorf("--latency-scale must be 0 or more, not %g", opts.LatencyScale)
	}
	c, err := checklist.Lookup(opts.Checklist)
	if err != nil {
		return usageErrorf("--checklist: %v", err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	dbPath := filepath.Join(opts.OutDir, "evidence.db")
	store, err := evidence.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer store.Close()

	// The demo stands in for the inspectorate: it signs each organisation's submission with a
	// key made for this run and imports them into a fresh central database, as
	// `jigsaw export` and `jigsaw league import` would.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("make the demo's signing key: %w", err)
	}
	subDir := filepath.Join(opts.OutDir, "submissions")
	if err := os.MkdirAll(subDir, 0o755); err != nil {
		return fmt.Errorf("create submissions directory: %w", err)
	}

	reg := all.Registry()
	out := demoOutput{OutDir: opts.OutDir, Database: dbPath, Checklist: c.Ref()}
	generatedAt := opts.now().UTC()
	// The organisations are independent: assess them at once, as three inspectors would. The
	// evidence store serialises their writes.
	out.Organisations = make([]demoOrgResult, len(demoOrgs))
	subFiles := make([]string, len(demoOrgs))
	g, gctx := errgroup.WithContext(ctx)
	for i, d := range demoOrgs {
		g.Go(func() error {
			res, id, err := demoAssess(gctx, opts, store, reg, c, d, formats, generatedAt)
			if err != nil {
				return fmt.Errorf("demo organisation %s: %w", d.Profile, err)
			}
			payload, err := assess.Submission(gctx, store, id, checklist.Lookup, toolVersion(), generatedAt)
			if err != nil {
				return fmt.Errorf("demo organisation %s: %w", d.Profile, err)
			}
			data, err := submission.Sign(payload, priv)
			if err != nil {
				return err
			}
			subFiles[i] = filepath.Join(subDir, reportBaseName(res.ODS, res.Assessment)+".json")
			if err := submission.WriteFile(subFiles[i], data); err != nil {
				return err
			}
			out.Organisations[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	b, err := demoLeague(ctx, filepath.Join(opts.OutDir, "league.db"), pub, subFiles)
	if err != nil {
		return err
	}
	table := b.Table
	league, err := reports.BuildLeague(reports.LeagueMeta{
		Title:       "Jigsaw demo: interoperability league table",
		Cycle:       b.Cycle,
		Checklist:   b.Checklist,
		Generator:   "jigsaw " + toolVersion(),
		GeneratedAt: generatedAt,
	}, table)
	if err != nil {
		return err
	}
	out.LeagueFiles, err = reports.WriteLeague(ctx, opts.OutDir, league, formats)
	if err != nil {
		return fmt.Errorf("write league table: %w", err)
	}
	for _, row := range table.Rows {
		for i := range out.Organisations {
			if out.Organisations[i].ODS == row.ODS {
				out.Organisations[i].Rank = row.Rank
			}
		}
	}
	out.Seconds = time.Since(start).Seconds()
	return printDemo(opts.IO.Out, opts.Format, out)
}

// demoLeague imports the signed submissions into a fresh central database through the league
// store and benchmarks the demo cycle, exactly as `league import` and `league table` do.
func demoLeague(ctx context.Context, dbPath string, pub ed25519.PublicKey, files []string) (*league.Benchmark, error) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("replace the demo's central database: %w", err)
		}
	}
	st, err := league.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.AddKeys(ctx, []league.Key{league.NewKey(pub, "", "jigsaw demo")}); err != nil {
		return nil, err
	}
	results, err := st.Import(ctx, files)
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.Status == league.Refused {
			return nil, fmt.Errorf("league import refused %s: %s", r.File, r.Reason)
		}
	}
	b, err := st.Benchmark(ctx, league.Filter{Cycle: demoCycle})
	if err != nil {
		return nil, fmt.Errorf("build league table: %w", err)
	}
	return b, nil
}

// demoCycle is the benchmark cycle the demo's assessments belong to.
const demoCycle = "demo"

func demoAssess(ctx context.Context, opts demoOptions, store *evidence.Store, reg *probes.Registry, c *checklist.Checklist,
	d demoOrg, formats []reports.Format, generatedAt time.Time) (demoOrgResult, int64, error) {
	ans, err := answers.Example(d.Answers, c)
	if err != nil {
		return demoOrgResult{}, 0, err
	}
	scale := opts.LatencyScale
	if scale == 0 {
		scale = -1 // sandbox.Config: negative turns the delays off
	}
	srvCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := sandbox.Start(srvCtx, sandbox.Config{
		Profile:      d.Profile,
		Org:          sandbox.Org{ODSCode: ans.Organisation.ODS, Name: ans.Organisation.Name},
		LatencyScale: scale,
		GPConnect:    true,
	})
	if err != nil {
		return demoOrgResult{}, 0, fmt.Errorf("start sandbox: %w", err)
	}
	defer srv.Close()

	org := evidence.Organisation{ODSCode: ans.Organisation.ODS, Name: ans.Organisation.Name, Type: ans.Organisation.Type, Region: d.Region}
	// Three runs share the terminal, so progress is one line per organisation, not a bar each.
	runner := probes.Runner{Concurrency: opts.Concurrency, Client: probes.ClientOptions{UserAgent: userAgent()}}
	started := time.Now()
	if !opts.NoProgress {
		fmt.Fprintf(opts.IO.ErrOut, "Assessing %s (%s, sandbox profile %s) at %s\n", org.Name, org.ODSCode, d.Profile, srv.BaseURL())
	}
	outcome, err := assess.Run(ctx, store, assess.Options{
		Checklist: c,
		Org:       org,
		Target: probes.Target{
			BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, Token: srv.Token,
			CAFile: srv.CAFile, TestNHSNumber: srv.TestNHSNumber,
		},
		// The organisation's GP Connect provider, as a hospital reading GP records would call it.
		GPConnect: &probes.Target{
			BaseURL: "https://" + srv.GPConnectAddr() + gpcsandbox.FoundationsPath, FHIRVersion: probes.STU3, CAFile: srv.CAFile,
			ClientCert: srv.ClientCertFile, ClientKey: srv.ClientKeyFile,
			GPConnect: &probes.GPConnectSettings{StructuredURL: "https://" + srv.GPConnectAddr() + gpcsandbox.StructuredPath},
		},
		Registry:    reg,
		Runner:      runner,
		Answers:     ans,
		Cycle:       demoCycle,
		ToolVersion: toolVersion(),
		Inspector:   "Jigsaw demo",
		Role:        "sandbox demonstration, not an inspection",
	})
	if err != nil {
		return demoOrgResult{}, 0, err
	}
	scored, err := assess.Score(ctx, store, outcome.Assessment.ID, checklist.Lookup)
	if err != nil {
		return demoOrgResult{}, 0, err
	}
	if err := scored.AttachDigest(ctx, store); err != nil {
		return demoOrgResult{}, 0, err
	}
	report, err := reports.Build(assess.ReportInput(scored, generatedAt, "jigsaw "+toolVersion()))
	if err != nil {
		return demoOrgResult{}, 0, fmt.Errorf("build report: %w", err)
	}
	files, err := reports.WriteReport(ctx, opts.OutDir, reportBaseName(org.ODSCode, outcome.Assessment.Ref), report, formats)
	if err != nil {
		return demoOrgResult{}, 0, fmt.Errorf("write report: %w", err)
	}
	if !opts.NoProgress {
		fmt.Fprintf(opts.IO.ErrOut, "Assessed %s (%s) in %.1fs: %s, %s\n", org.Name, org.ODSCode, time.Since(started).Seconds(),
			percentText(scored.Result.Percent), ratingLabel(scored.Result.Rating))
	}
	counts := map[verdict.Status]int{}
	for st, n := range outcome.Counts {
		counts[st] = n
	}
	res := demoOrgResult{
		Profile: string(d.Profile), ODS: org.ODSCode, Name: org.Name, Assessment: outcome.Assessment.Ref,
		Status: scored.Result.Completeness.Status, Completeness: scored.Result.Completeness.Share,
		Percent: scored.Result.Percent, Provisional: scored.Result.Provisional, Rating: scored.Result.Rating,
		WarningNotice: scored.Result.WarningNotice.Flagged, Probes: counts, Files: files,
	}
	return res, outcome.Assessment.ID, nil
}

// reportBaseName names an organisation's report files after its ODS code and assessment.
func reportBaseName(ods, assessmentRef string) string {
	return ods + "-" + assessmentRef
}

func printDemo(w io.Writer, format string, out demoOutput) error {
	if format == "json" {
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tODS\tORGANISATION\tSCORE\tRATING\tWARNING NOTICE\tPROBES (pass/warn/fail/skip/error)\tASSESSED\tSTATUS")
	for _, o := range out.Organisations {
		rank, score := dashIfZero(o.Rank), percentText(o.Percent)
		if o.Provisional {
			score += " (provisional)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d/%d/%d/%d\t%.0f%%\t%s\n", rank, o.ODS, o.Name, score,
			ratingLabel(o.Rating), yesNo(o.WarningNotice), o.Probes[verdict.Pass], o.Probes[verdict.Warn], o.Probes[verdict.Fail],
			o.Probes[verdict.Skip], o.Probes[verdict.Error], o.Completeness*100, o.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nEvidence: %s\nReports:\n", out.Database)
	for _, o := range out.Organisations {
		for _, f := range o.Files {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	fmt.Fprintln(w, "League table:")
	for _, f := range out.LeagueFiles {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "Done in %.1fs.\n", out.Seconds)
	return nil
}

func percentText(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *p)
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "no"
}

func ratingLabel(r scoring.Rating) string {
	switch r {
	case scoring.Outstanding:
		return "Outstanding"
	case scoring.Good:
		return "Good"
	case scoring.RequiresImprovement:
		return "Requires improvement"
	case scoring.Inadequate:
		return "Inadequate"
	}
	return "Not rated"
}

func dashIfZero(n int) string {
	if n == 0 {
		return "–"
	}
	return strconv.Itoa(n)
}
