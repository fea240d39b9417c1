package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

type keysGenerateOptions struct {
	IO     IO
	Out    string // private key path; the public key goes to Out + ".pub"
	Format string
}

func newKeysCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the Ed25519 keys that sign submissions",
	}
	cmd.AddCommand(newKeysGenerateCmd(streams))
	return cmd
}

func newKeysGenerateCmd(streams IO) *cobra.Command {
	opts := keysGenerateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "generate [--out FILE]",
		Short: "Make a new Ed25519 signing key pair",
		Long: `Generate writes a new Ed25519 key pair: the private key (PKCS #8 PEM, file mode 0600) to
--out and the public key (PKIX PEM) next to it with ".pub" added. Give the public key to
whoever verifies your submissions; keep the private key to yourself. Keys are never stored in
an evidence database and an existing key file is never overwritten.`,
		Example: `  jigsaw keys generate --out trust-7A9.key
  jigsaw export --db evidence.db --key trust-7A9.key --out 7A9-2026-Q3.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runKeysGenerate(c.Context(), opts) },
	}
	cmd.Flags().StringVar(&opts.Out, "out", "jigsaw-signing.key", "private key file to write (the public key goes to FILE.pub)")
	addOutputFlag(cmd, &opts.Format, false)
	return cmd
}

type keysGenerateOutput = cliout.KeysGenerate

func runKeysGenerate(_ context.Context, opts keysGenerateOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	if opts.Out == "" {
		return usageErrorf("--out FILE is empty: name the private key file")
	}
	pubPath := opts.Out + ".pub"
	pub, err := submission.GenerateKeys(opts.Out, pubPath)
	if err != nil {
		return err
	}
	out := keysGenerateOutput{PrivateKey: filepath.Clean(opts.Out), PublicKey: filepath.Clean(pubPath), KeyID: submission.KeyID(pub)}
	if opts.Format == "json" {
		return writeJSON(opts.IO.Out, out)
	}
	fmt.Fprintf(opts.IO.Out, "private key %s (mode 0600: keep it secret)\npublic key  %s\nkey id      %s\n", out.PrivateKey, out.PublicKey, out.KeyID)
	return nil
}
