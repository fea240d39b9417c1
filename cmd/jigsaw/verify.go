package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

// verifyOptions are the inputs of jigsaw verify.
type verifyOptions struct {
	IO IO
	DB string
	// File is a submission to verify instead of a database.
	File string
	// PubKeys are the public keys trusted to sign submissions.
	PubKeys []string
	Format  string // table or json
}

type verifyOutput = cliout.Verify

func newVerifyCmd(streams IO) *cobra.Command {
	opts := verifyOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "verify FILE [--pubkey KEY] | --db FILE",
		Short: "Prove that a submission or the evidence in a database was not altered",
		Long: `Verify recomputes the hash of every evidence row (assessments, HTTP exchanges, probe
results, attestations, attached files) and the hash chain that links them, and runs SQLite's
integrity check. It prints OK with the row counts and the chain head, or names the first row
that does not match and exits 1. The database is opened read-only and never changed.

The chain head (SEQ:SHA256) printed here is what an export carries: a database whose head
still matches a head recorded earlier has not been altered up to that point.

With a submission FILE (jigsaw export), verify checks that the file is in its canonical form,
valid against the submission schema, signed (Ed25519) over its canonical payload, that its
chain links recompute to its chain head, that each evidence row hashes to its link and that
the answers, results, exchanges and files it lists match those rows. Any changed byte fails.
With --pubkey the signer must hold one of the given keys; without it the file is only shown
to be intact, not who signed it.`,
		Example: `  jigsaw verify --db evidence.db
  jigsaw verify --db evidence.db -o json
  jigsaw verify 7A9-2026-Q3.json --pubkey trust.key.pub`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			return runVerify(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "", "evidence database to verify")
	cmd.Flags().StringSliceVar(&opts.PubKeys, "pubkey", nil, "public key(s) trusted to sign a submission (repeatable)")
	addOutputFlag(cmd, &opts.Format, false)
	return cmd
}

func runVerify(ctx context.Context, opts verifyOptions) error {
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", opts.Format)
	}
	switch {
	case opts.File != "" && opts.DB != "":
		return usageErrorf("verify either a submission FILE or --db FILE, not both")
	case opts.File != "":
		return runVerifySubmission(opts)
	case len(opts.PubKeys) > 0:
		return usageErrorf("--pubkey applies to a submission FILE, not to --db")
	case opts.DB == "":
		return usageErrorf("verify needs a submission FILE or --db FILE: the evidence database to check")
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
		if err := writeJSON(opts.IO.Out, out); err != nil {
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

func runVerifySubmission(opts verifyOptions) error {
	var trusted []ed25519.PublicKey
	for _, path := range opts.PubKeys {
		k, err := submission.LoadPublicKey(path)
		if err != nil {
			return err
		}
		trusted = append(trusted, k)
	}
	sub, err := submission.Read(opts.File)
	if err != nil {
		if opts.Format == "json" {
			if werr := writeJSON(opts.IO.Out, submission.Report{Source: opts.File, Checks: []submission.Check{{Name: "read", Detail: err.Error()}}}); werr != nil {
				return werr
			}
			return errSilentFailure
		}
		return err
	}
	rep, verr := submission.Verify(sub, trusted)
	if opts.Format == "json" {
		if err := writeJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		printSubmissionReport(opts.IO.Out, rep, len(trusted) > 0)
	}
	if verr != nil {
		return errSilentFailure
	}
	return nil
}

func printSubmissionReport(w io.Writer, rep submission.Report, keysGiven bool) {
	if rep.OK {
		fmt.Fprintf(w, "OK  %s: assessment %s of %s (%s), checklist %s, chain head %s\n",
			rep.Source, rep.Assessment, rep.Organisation.Name, rep.Organisation.ODS, rep.Checklist, rep.Head)
	} else {
		fmt.Fprintf(w, "FAILED  %s\n", rep.Source)
	}
	for _, c := range rep.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		if c.Detail != "" {
			fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
		} else {
			fmt.Fprintf(w, "  %s %s\n", mark, c.Name)
		}
	}
	switch {
	case rep.Trusted:
		fmt.Fprintf(w, "signed by trusted key %s\n", rep.KeyID)
	case !keysGiven && rep.OK:
		fmt.Fprintf(w, "warning: signed by key %s, but no --pubkey was given: the file is intact, its signer unproven\n", rep.KeyID)
	}
}
