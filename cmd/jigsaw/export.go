package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

type exportOptions struct {
	IO         IO
	DB         string
	Assessment string
	ODS        string
	Checklist  string
	Key        string
	Out        string
	Format     string
	// now fixes the export time (a seam for tests).
	now func() time.Time
}

func newExportCmd(f *factory) *cobra.Command {
	opts := exportOptions{IO: f.IO, now: f.Now}
	cmd := &cobra.Command{
		Use:   "export --db FILE [--assessment ID | --org ODS] --key KEY --out FILE",
		Short: "Write an assessment as a signed, self-contained submission",
		Long: `Export writes one assessment as a submission file: its scores, answers, probe results, the
digests of every HTTP exchange and attached file (never their bodies), the canonical content
of each of its evidence rows with the chain links that tie them to the chain head, the
checklist hash, and an Ed25519 signature over all of it. The evidence chain is verified
first; a broken chain is not exported. Check a submission with jigsaw verify FILE.`,
		Example: `  jigsaw keys generate --out trust.key
  jigsaw export --db evidence.db --assessment AS-000001 --key trust.key --out 7A9-2026-Q3.json
  jigsaw verify 7A9-2026-Q3.json --pubkey trust.key.pub`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runExport(c.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "jigsaw.db", "evidence database")
	fl.StringVar(&opts.Assessment, "assessment", "", "assessment id (AS-…); default the latest")
	fl.StringVar(&opts.ODS, "org", "", "export this organisation's latest assessment")
	fl.StringVar(&opts.Checklist, "checklist", "", "checklist file the assessment used, when it is not a built-in one")
	fl.StringVar(&opts.Key, "key", "", "Ed25519 private key to sign with (jigsaw keys generate)")
	fl.StringVar(&opts.Out, "out", "", "submission file to write")
	addOutputFlag(cmd, &opts.Format, false)
	return cmd
}

type exportOutput = cliout.Export

func runExport(ctx context.Context, opts exportOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	if opts.Key == "" {
		return usageErrorf("export needs --key FILE: the private key to sign with (make one with jigsaw keys generate)")
	}
	if opts.Out == "" {
		return usageErrorf("export needs --out FILE: where to write the submission")
	}
	if _, err := os.Stat(opts.DB); err != nil {
		return usageErrorf("--db %s: %v", opts.DB, err)
	}
	priv, err := submission.LoadPrivateKey(opts.Key)
	if err != nil {
		return err
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
	payload, err := assess.Submission(ctx, store, id, find, toolVersion(), opts.now())
	if err != nil {
		return err
	}
	data, err := submission.Sign(payload, priv)
	if err != nil {
		return err
	}
	if err := submission.WriteFile(opts.Out, data); err != nil {
		return err
	}
	out := exportOutput{
		File: opts.Out, Assessment: payload.Assessment.ID, Organisation: payload.Organisation.ODS,
		Checklist: payload.Checklist.Ref(), ChainHead: payload.Evidence.Head, KeyID: submission.KeyID(priv.Public().(ed25519.PublicKey)), Bytes: len(data),
	}
	if opts.Format == "json" {
		return writeJSON(opts.IO.Out, out)
	}
	fmt.Fprintf(opts.IO.Out, "%s: assessment %s of %s (%s), chain head %s, signed by key %s\n",
		out.File, out.Assessment, payload.Organisation.Name, out.Organisation, out.ChainHead, out.KeyID)
	return nil
}
