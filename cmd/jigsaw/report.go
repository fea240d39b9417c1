package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/reports"
)

type reportOptions struct {
	IO         IO
	DB         string
	Assessment string
	ODS        string
	Checklist  string
	Formats    string
	OutDir     string
	Output     string
	// now fixes the reports' generation time (a seam for tests).
	now func() time.Time
}

func newReportCmd(f *factory) *cobra.Command {
	opts := reportOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "report --db FILE [--assessment ID | --org ODS] --format pdf,xlsx,json --out DIR",
		Short: "Write an assessment's PDF, Excel and JSON reports from the evidence database",
		Long: `Report reads an assessment back from the evidence database, scores it against the exact
checklist it used (matched by SHA-256), and writes the reports. Without --assessment it
reports the latest assessment (of --org, when given). Each file appears whole or not at all.`,
		Example: `  jigsaw report --db inspection.db --out reports/
  jigsaw report --db inspection.db --assessment AS-000042 --format pdf --out reports/`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runReport(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "jigsaw.db", "evidence database")
	fl.StringVar(&opts.Assessment, "assessment", "", "assessment id (AS-…); default the latest")
	fl.StringVar(&opts.ODS, "org", "", "report this organisation's latest assessment")
	fl.StringVar(&opts.Checklist, "checklist", "", "checklist file the assessment used, when it is not a built-in one")
	fl.StringVar(&opts.Formats, "format", "pdf,xlsx,json", "report formats: pdf, xlsx, json")
	fl.StringVar(&opts.OutDir, "out", ".", "directory to write the reports to")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runReport(ctx context.Context, opts reportOptions) error {
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
	find, err := checklistFinder(opts.Checklist)
	if err != nil {
		return err
	}
	store, err := evidence.OpenReadOnly(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()

	id, err := pickAssessment(ctx, store, opts.Assessment, opts.ODS)
	if err != nil {
		return err
	}
	scored, err := assess.Score(ctx, store, id, find)
	if err != nil {
		return err
	}
	if err := scored.AttachDigest(ctx, store); err != nil {
		return err
	}
	report, err := reports.Build(assess.ReportInput(scored, opts.now().UTC(), "jigsaw "+toolVersion()))
	if err != nil {
		return fmt.Errorf("build report: %w", err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	a := scored.Snapshot.Assessment
	files, err := reports.WriteReport(ctx, opts.OutDir, reportBaseName(a.Org.ODSCode, a.Ref), report, formats)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, cliout.Report{Assessment: a.Ref, Organisation: a.Org.Name, ODS: a.Org.ODSCode,
			Checklist: scored.Checklist.Ref(), Percent: scored.Result.Percent, Rating: scored.Result.Rating, Files: nonNil(files)})
	}
	fmt.Fprintf(opts.IO.Out, "Assessment %s of %s (%s): %s, %s\n", a.Ref, a.Org.Name, a.Org.ODSCode,
		percentText(scored.Result.Percent), ratingLabel(scored.Result.Rating))
	for _, f := range files {
		fmt.Fprintln(opts.IO.Out, f)
	}
	return nil
}

// pickAssessment resolves --assessment / --org to an assessment id: the one named, else the
// latest of the organisation, else the latest in the database.
func pickAssessment(ctx context.Context, store *evidence.Store, ref, ods string) (int64, error) {
	if ref != "" {
		id, err := evidence.ParseAssessmentID(ref)
		if err != nil {
			return 0, usageErrorf("--assessment: %v", err)
		}
		return id, nil
	}
	list, err := store.ListAssessments(ctx, evidence.AssessmentFilter{ODSCode: ods, Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(list) == 0 {
		if ods != "" {
			return 0, fmt.Errorf("no assessment of %s in %s", ods, store.Path())
		}
		return 0, fmt.Errorf("no assessments in %s: run jigsaw assess first", store.Path())
	}
	return list[0].ID, nil
}

// checklistFinder finds the checklist an assessment recorded: the file a user names (for an
// assessment that did not use a built-in checklist) when it is that checklist, else the
// built-in catalogue.
func checklistFinder(file string) (assess.ChecklistFinder, error) {
	if file == "" {
		return checklist.Catalog().Finder(nil), nil
	}
	c, err := checklist.Load(file, checklist.WithKnownProbes(all.Registry().Has))
	if err != nil {
		return nil, err
	}
	return checklist.Catalog().Finder(c), nil
}
