package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/evidence"
)

// verifyOptions are the inputs of jigsaw verify.
type verifyOptions struct {
	IO     IO
	DB     string
	Format string // table or json
}

// verifyOutput is what verify prints with -o json.
type verifyOutput struct {
	Database string `json:"database"`
	OK       bool   `json:"ok"`
	// Integrity lists what SQLite's integrity_check found; empty when the file is sound.
	Integrity []string              `json:"integrity"`
	Chain     evidence.VerifyReport `json:"chain"`
}

func newVerifyCmd(streams IO) *cobra.Command {
	opts := verifyOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "verify --db FILE",
		Short: "Prove that the evidence in a database was not altered",
		Long: `Verify recomputes the hash of every evidence row (assessments, HTTP exchanges, probe
results, attestations, attached files) and the hash chain that links them, and runs SQLite's
integrity check. It prints OK with the row counts and the chain head, or names the first row
that does not match and exits 1. The database is opened read-only and never changed.

The chain head (SEQ:SHA256) printed here is what an export carries: a database whose head
still matches a head recorded earlier has not been altered up to that point.`,
		Example: `  jigsaw verify --db evidence.db
  jigsaw verify --db evidence.db -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runVerify(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "", "evidence database to verify (required)")
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "table", "output format: table or json")
	return cmd
}

func runVerify(ctx context.Context, opts verifyOptions) error {
	if opts.DB == "" {
		return usageErrorf("verify needs --db FILE: the evidence database to check")
	}
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", opts.Format)
	}
	store, err := evidence.OpenReadOnly(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()

	out := verifyOutput{Database: opts.DB, Integrity: []string{}}
	problems, err := store.IntegrityCheck(ctx)
	if err != nil {
		return err
	}
	out.Integrity = append(out.Integrity, problems...)
	if out.Chain, err = store.VerifyChain(ctx); err != nil {
		return err
	}
	out.OK = out.Chain.OK && len(out.Integrity) == 0

	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if err := printVerify(opts, out); err != nil {
		return err
	}
	if !out.OK {
		return errSilentFailure
	}
	return nil
}

func printVerify(opts verifyOptions, out verifyOutput) error {
	w := opts.IO.Out
	rep := out.Chain
	if out.OK {
		fmt.Fprintf(w, "OK  %s: %d evidence rows verified, chain head %s\n", out.Database, rep.Total, rep.Head)
	} else {
		fmt.Fprintf(w, "FAILED  %s\n", out.Database)
	}
	for _, p := range out.Integrity {
		fmt.Fprintf(w, "  SQLite integrity check: %s\n", p)
	}
	if p := rep.Problem; p != nil {
		where := p.Table
		if p.ID != "" {
			where += " " + p.ID
		}
		fmt.Fprintf(w, "  first bad row: %s (seq %d): %s\n", where, p.Seq, p.Reason)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "    field\t%s\n    expected\t%s\n    stored\t%s\n", p.Field, p.Expected, p.Stored)
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "  the rows before it verify, up to %s\n", rep.Head)
	}
	tables := make([]string, 0, len(rep.Rows))
	for t := range rep.Rows {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "  %-14s %8d\n", t, rep.Rows[t])
	}
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	return nil
}
