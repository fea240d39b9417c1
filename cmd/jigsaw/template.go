package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/internal/atomicfile"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

type templateOptions struct {
	IO        IO
	XLSX      string
	Checklist string
	OrgType   string
	Output    string
}

func newChecklistTemplateCmd(streams IO) *cobra.Command {
	opts := templateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "template --xlsx FILE [--checklist ID@VER] [--type ORGTYPE]",
		Short: "Write a self-assessment workbook for a trust to fill in",
		Long: `Template writes an Excel workbook an organisation's IG lead can fill in without training:
one row per checklist item with the question, guidance and the four achievement statements,
level and status dropdowns, evidence, owner and notes columns, the items mandatory for
--type highlighted, a frozen header and a read-me sheet. The checklist id, version and
SHA-256 are recorded in the workbook, so jigsaw answers import refuses it for another
checklist version.`,
		Example: `  jigsaw checklist template --xlsx self-assessment.xlsx --type acute-trust
  jigsaw answers import self-assessment.xlsx --db evidence.db`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runChecklistTemplate(c.Context(), opts) },
	}
	cmd.Flags().StringVar(&opts.XLSX, "xlsx", "", "workbook file to write (required)")
	cmd.Flags().StringVar(&opts.Checklist, "checklist", checklist.Current, "checklist id@version or file")
	cmd.Flags().StringVar(&opts.OrgType, "type", "", "organisation type, to highlight its mandatory items")
	addOutputFlag(cmd, &opts.Output, false)
	return cmd
}

func runChecklistTemplate(ctx context.Context, opts templateOptions) error {
	if err := checkOutputFormat(opts.Output); err != nil {
		return err
	}
	if opts.XLSX == "" {
		return usageErrorf("template needs --xlsx FILE: the workbook to write")
	}
	if opts.OrgType != "" && !validOrgType(checklist.OrgType(opts.OrgType)) {
		return usageErrorf("--type %q is not one of %v", opts.OrgType, checklist.OrgTypes())
	}
	c, err := resolveChecklist(ctx, opts.Checklist, all.Registry())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := answers.WriteTemplate(&buf, c, checklist.OrgType(opts.OrgType)); err != nil {
		return err
	}
	// Written whole or not at all.
	if err := atomicfile.WriteBytes(opts.XLSX, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, cliout.Template{File: opts.XLSX, Checklist: c.Ref(), SHA256: c.SHA256, Items: c.ItemCount()})
	}
	fmt.Fprintf(opts.IO.Out, "%s: self-assessment workbook for %s (%d items, sha256 %s)\n", opts.XLSX, c.Ref(), c.ItemCount(), c.SHA256)
	return nil
}
