package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/reports"
)

func newFleetCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Scan a national directory of FHIR endpoints and report availability and conformance",
		Long: `Fleet watches a directory of organisations' FHIR and GP Connect endpoints, as ONC's Lantern
does for the US: each scan fetches every endpoint's CapabilityStatement politely and records
availability, latency, TLS facts and what the server declares in the central database, so
availability over time and CapabilityStatement changes can be reported.`,
	}
	cmd.AddCommand(newFleetScanCmd(f), newFleetReportCmd(f))
	return cmd
}

type fleetScanOptions struct {
	IO          IO
	Endpoints   string
	DB          string
	Concurrency int
	PerHostRate float64
	Timeout     time.Duration
	Attempts    int
	MaxWait     time.Duration
	CAFile      string
	UserAgent   string
	Output      string
	now         func() time.Time
}

func newFleetScanCmd(f *factory) *cobra.Command {
	opts := fleetScanOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "scan --endpoints endpoints.csv --db central.db",
		Short: "Check every endpoint in a directory once and record the run",
		Long: `Scan reads the endpoint directory (CSV with the header ods,name,type,region,base_url,kind),
fetches GET [base]/metadata from each endpoint with a bounded number at once, a per-host rate
limit, backoff on 429 and 503 honouring Retry-After and a descriptive User-Agent, and records
the run in the central database. An interrupted scan (Ctrl-C) records what it reached.`,
		Example: `  jigsaw fleet scan --endpoints endpoints.csv --db central.db
  jigsaw fleet scan --endpoints endpoints.csv --db central.db --concurrency 32 --rate 2 -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runFleetScan(c.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Endpoints, "endpoints", "", "endpoint directory CSV (ods,name,type,region,base_url,kind)")
	fl.StringVar(&opts.DB, "db", "central.db", "central database")
	fl.IntVar(&opts.Concurrency, "concurrency", 16, "endpoints checked at once")
	fl.Float64Var(&opts.PerHostRate, "rate", 1, "requests per second to any one host (host:port)")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "timeout of one request, body included")
	fl.IntVar(&opts.Attempts, "attempts", 3, "attempts per endpoint answering 429 or 503")
	fl.DurationVar(&opts.MaxWait, "max-retry-wait", time.Minute, "longest Retry-After honoured; longer ends the endpoint's attempts")
	fl.StringVar(&opts.CAFile, "ca", "", "extra trusted CA certificates (PEM)")
	fl.StringVar(&opts.UserAgent, "user-agent", "", "User-Agent to send (default names Jigsaw's fleet crawler)")
	addOutputFlag(cmd, &opts.Output, false)
	_ = cmd.MarkFlagRequired("endpoints")
	return cmd
}

type fleetScanResult = cliout.FleetScan

func runFleetScan(ctx context.Context, opts fleetScanOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	if opts.Concurrency < 1 {
		return usageErrorf("--concurrency must be at least 1")
	}
	if opts.PerHostRate <= 0 {
		return usageErrorf("--rate must be above 0 requests per second")
	}
	dirFile, err := os.Open(opts.Endpoints)
	if err != nil {
		return usageErrorf("--endpoints: %v", err)
	}
	// Read as a stream (the parser enforces the directory's limits as it goes), hashing what
	// is read: the run records the directory's SHA-256.
	hash := sha256.New()
	eps, err := fleet.ParseDirectory(io.TeeReader(dirFile, hash), opts.Endpoints)
	dirFile.Close()
	if err != nil {
		return err
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "Jigsaw-fleet/" + toolVersion() + " (NHS interoperability endpoint survey; +https://github.com/nhs-jigsaw/jigsaw)"
	}
	store, err := fleet.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	progressEvery := max(len(eps)/20, 1)
	crawler, err := fleet.NewCrawler(fleet.Options{
		Concurrency: opts.Concurrency, PerHostRate: opts.PerHostRate, Timeout: opts.Timeout,
		MaxAttempts: opts.Attempts, MaxRetryWait: opts.MaxWait, CAFile: opts.CAFile, UserAgent: ua,
		Progress: func(done, total int, o fleet.Observation) {
			if done%progressEvery == 0 || done == total {
				fmt.Fprintf(opts.IO.ErrOut, "[%d/%d] checked (latest: %s %s)\n", done, total, o.ODS, fleet.LevelName(o.Level))
			}
		},
	})
	if err != nil {
		return usageErrorf("--ca: %v", err)
	}
	defer crawler.Close()
	run := fleet.Run{StartedAt: opts.now().UTC(), Directory: filepath.Base(opts.Endpoints), DirectorySHA256: hex.EncodeToString(hash.Sum(nil)),
		Concurrency: opts.Concurrency, PerHostRate: opts.PerHostRate, UserAgent: ua}
	obs, scanErr := crawler.Scan(ctx, eps)
	run.FinishedAt = opts.now().UTC()
	run.Interrupted = scanErr != nil
	// An interrupted scan still records what it reached, in a context of its own.
	id, err := store.RecordRun(context.WithoutCancel(ctx), run, eps, obs)
	if err != nil {
		return err
	}
	res := fleetScanResult{RunID: id, Seconds: run.FinishedAt.Sub(run.StartedAt).Seconds(), Levels: map[string]int{}, Observations: []fleet.Observation{}}
	for _, o := range obs {
		if o.StartedAt.IsZero() {
			continue
		}
		res.Endpoints++
		if o.Up {
			res.Up++
		}
		res.Levels[fleet.LevelName(o.Level)]++
		res.Observations = append(res.Observations, o)
	}
	if opts.Output == "json" {
		if err := writeJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(opts.IO.Out, "Run %d: %d endpoints checked in %.1f s, %d up (HTTP 200)\n", id, res.Endpoints, res.Seconds, res.Up)
		for l := fleet.LevelUnreachable; l <= fleet.LevelConformant; l++ {
			fmt.Fprintf(opts.IO.Out, "  L%d %-18s %d\n", l, fleet.LevelName(l), res.Levels[fleet.LevelName(l)])
		}
		fmt.Fprintf(opts.IO.Out, "Recorded in %s\n", opts.DB)
	}
	if scanErr != nil {
		return scanErr
	}
	return nil
}

type fleetReportOptions struct {
	IO      IO
	DB      string
	Formats string
	OutDir  string
	Worst   int
	Changes int
	Output  string
	now     func() time.Time
}

func newFleetReportCmd(f *factory) *cobra.Command {
	opts := fleetReportOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "report --db central.db --format pdf,xlsx,json --out DIR",
		Short: "Write the fleet report: endpoints up and down, conformance levels, worst offenders, changes",
		Example: `  jigsaw fleet report --db central.db --out fleet/
  jigsaw fleet report --db central.db --format json --out fleet/`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runFleetReport(c.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "central.db", "central database")
	fl.StringVar(&opts.Formats, "format", "pdf,xlsx,json", "report formats: pdf, xlsx, json")
	fl.StringVar(&opts.OutDir, "out", ".", "directory to write fleet.pdf, fleet.xlsx and fleet.json to")
	fl.IntVar(&opts.Worst, "worst", 25, "how many worst offenders to list")
	fl.IntVar(&opts.Changes, "changes", 500, "how many of the latest CapabilityStatement changes to list (0: all)")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runFleetReport(ctx context.Context, opts fleetReportOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	formats, err := reports.ParseFormats(opts.Formats)
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return usageErrorf("--db %s: %v", opts.DB, err)
	}
	store, err := fleet.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	summary, err := store.Summary(ctx, opts.Changes)
	if err != nil {
		return err
	}
	if len(summary.Runs) == 0 {
		return errors.New("no fleet scans in " + opts.DB + ": run jigsaw fleet scan first")
	}
	model, err := assess.FleetReport(reports.FleetMeta{GeneratedAt: opts.now().UTC(), Generator: "jigsaw " + toolVersion(), Worst: opts.Worst}, summary)
	if err != nil {
		return err
	}
	files, err := reports.WriteFleet(ctx, opts.OutDir, model, formats)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, cliout.FleetReport{Endpoints: model.Endpoints, Up: model.Up,
			Availability: model.Availability, Runs: len(model.History), Files: nonNil(files)})
	}
	fmt.Fprintf(opts.IO.Out, "%d endpoints, %d up (%.1f%%), %d runs\n", model.Endpoints, model.Up, model.Availability*100, len(model.History))
	for _, f := range files {
		fmt.Fprintln(opts.IO.Out, f)
	}
	return nil
}
