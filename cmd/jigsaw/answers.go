package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

type answersImportOptions struct {
	IO         IO
	File       string
	DB         string
	Assessment string
	Checklist  string
	Provenance string
	Attach     []string
	KeepBytes  bool
	Format     string
}

func newAnswersCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "answers",
		Short: "Import self-assessment answers into an assessment",
	}
	cmd.AddCommand(newAnswersImportCmd(streams))
	return cmd
}

func newAnswersImportCmd(streams IO) *cobra.Command {
	opts := answersImportOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "import FILE.xlsx|FILE.yaml --db FILE [--assessment ID] [--attach FILE]...",
		Short: "Import a filled-in workbook or an answers file as attestations",
		Long: `Import checks every answer (every cell of a workbook, named like Answers!D17) against the
checklist the assessment used and records them as attestations, or imports nothing when
anything is wrong. Importing the same file again adds nothing. A workbook made for another
checklist version is refused.

Without --assessment the answers go to the latest assessment of the organisation the file
names. --attach records evidence files (name, size and SHA-256; the bytes only with
--keep-bytes); an answer whose evidence names an attached file (by its file name) then cites
it by evidence id. Answers can be imported after the assessment is complete (for example an
inspector's verified answers with --provenance inspector-verified).`,
		Example: `  jigsaw answers import self-assessment.xlsx --db evidence.db
  jigsaw answers import verified.yaml --db evidence.db --assessment AS-000001 --provenance inspector-verified
  jigsaw answers import self-assessment.xlsx --db evidence.db --attach "DSA v3.pdf" --keep-bytes`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			return runAnswersImport(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "jigsaw.db", "evidence database")
	fl.StringVar(&opts.Assessment, "assessment", "", "assessment id (AS-…); default the latest of the file's organisation")
	fl.StringVar(&opts.Checklist, "checklist", "", "checklist file the assessment used, when it is not a built-in one")
	fl.StringVar(&opts.Provenance, "provenance", string(answers.SelfAssessed), "provenance of a workbook's answers: self-assessed or inspector-verified")
	fl.StringSliceVar(&opts.Attach, "attach", nil, "evidence file to attach (repeatable)")
	fl.BoolVar(&opts.KeepBytes, "keep-bytes", false, "store the attached files' bytes, not only their name, size and SHA-256")
	addOutputFlag(cmd, &opts.Format, false)
	return cmd
}

type answersImportOutput = cliout.AnswersImport

func runAnswersImport(ctx context.Context, opts answersImportOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	prov := answers.Provenance(opts.Provenance)
	if prov != answers.SelfAssessed && prov != answers.InspectorVerified {
		return usageErrorf("--provenance %q: use self-assessed or inspector-verified", opts.Provenance)
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return usageErrorf("--db %s: %v", opts.DB, err)
	}
	isXLSX := strings.EqualFold(filepath.Ext(opts.File), ".xlsx")
	limit := int64(yamldoc.MaxBytes)
	if isXLSX {
		limit = answers.MaxWorkbookSize
	}
	data, err := readFileUpTo(opts.File, limit)
	if err != nil {
		return fmt.Errorf("read answers: %w", err)
	}

	store, err := evidence.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()

	// Find the assessment: named, or the latest of the file's organisation.
	ref := opts.Assessment
	if ref == "" {
		var ods string
		if isXLSX {
			ods, _, err = answers.PeekXLSX(opts.File, data)
		} else {
			var f *answers.File
			f, err = answers.Parse(opts.File, data, answers.WithContext(ctx))
			if f != nil {
				ods = f.Organisation.ODS
			}
		}
		if err != nil {
			return err
		}
		if ods == "" {
			return usageErrorf("%s names no organisation: pass --assessment ID", opts.File)
		}
		id, err := pickAssessment(ctx, store, "", ods)
		if err != nil {
			return err
		}
		ref = evidence.FormatID(evidence.KindAssessment, id)
	}
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		return usageErrorf("--assessment: %v", err)
	}
	a, err := store.Assessment(ctx, id)
	if err != nil {
		return err
	}
	find, err := checklistFinder(opts.Checklist)
	if err != nil {
		return err
	}
	c, err := assess.FindChecklist(a, find)
	if err != nil {
		return err
	}

	// Check everything before writing anything.
	var f *answers.File
	if isXLSX {
		f, err = answers.ParseXLSX(opts.File, data, c, prov)
	} else {
		f, err = answers.Parse(opts.File, data, answers.WithChecklist(c, time.Now()), answers.WithContext(ctx))
	}
	if err != nil {
		return err
	}
	if f.Organisation.ODS != a.Org.ODSCode {
		return fmt.Errorf("%s answers for %s (%s), but assessment %s is of %s (%s): pass the right --assessment",
			opts.File, f.Organisation.Name, f.Organisation.ODS, a.Ref, a.Org.Name, a.Org.ODSCode)
	}
	attachments := make([]assess.Attachment, len(opts.Attach))
	for i, path := range opts.Attach {
		content, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		attachments[i] = assess.Attachment{Name: filepath.Base(path), Content: content}
	}
	imp, err := assess.ImportAnswersWithFiles(ctx, store, id, f, attachments, opts.KeepBytes,
		"attached with answers from "+filepath.Base(opts.File))
	out := answersImportOutput{File: opts.File, Assessment: a.Ref, Answers: len(f.Answers), Files: imp.Files}
	if err != nil {
		return err
	}
	res := imp.Result
	out.Added, out.Unchanged = res.Added, res.Unchanged
	if opts.Format == "json" {
		return writeJSON(opts.IO.Out, out)
	}
	fmt.Fprintf(opts.IO.Out, "%s: %d answers for %s (%s) into assessment %s: %d added, %d already recorded\n",
		opts.File, out.Answers, a.Org.Name, a.Org.ODSCode, a.Ref, len(out.Added), out.Unchanged)
	for _, af := range out.Files {
		fmt.Fprintf(opts.IO.Out, "  attached %s %s (%d bytes, sha256 %s)\n", af.ID, af.Name, af.Size, af.SHA256)
	}
	return nil
}

// readFileUpTo reads a file of at most limit bytes, refusing a larger one before reading it.
func readFileUpTo(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than the %d MiB limit (see docs/limits.md)", path, limit>>20)
	}
	return data, nil
}
