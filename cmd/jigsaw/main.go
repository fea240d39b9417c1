// Command jigsaw measures how interoperable a health or care organisation is, with evidence.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes: 0 success, 1 failure (including "the check found errors"), 2 usage error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors caused by how the command was called, so main exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// silentFailure is returned by commands that already printed their findings and only need the
// process to exit 1 (for example validate finding errors).
var errSilentFailure = errors.New("failure already reported")

// IO bundles the streams a command writes to, so tests run commands without a shell.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}

// run executes the command line and maps the outcome to an exit code.
func run(ctx context.Context, args []string, streams IO) int {
	root := newRootCmd(streams)
	root.SetArgs(args)
	return exitCode(root.ExecuteContext(ctx), streams)
}

// exitCode reports err and maps it to the process's exit status.
func exitCode(err error, streams IO) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errSilentFailure) {
		return exitFailure
	}
	fmt.Fprintln(streams.ErrOut, "jigsaw:", termSafe(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailure
}

func newRootCmd(streams IO) *cobra.Command {
	return newRootCmdWith(defaultFactory(streams))
}

// newRootCmdWith builds the command tree on f.
func newRootCmdWith(f *factory) *cobra.Command {
	streams := f.IO
	var configFile string
	root := &cobra.Command{
		Use:   "jigsaw",
		Short: "Interoperability maturity inspection for health and care organisations",
		Long: `Jigsaw measures how interoperable a health or care organisation really is.
It runs a versioned checklist, actively probes FHIR and GP Connect endpoints, stores
every piece of evidence in SQLite, scores maturity against a benchmark and writes
PDF, Excel and JSON reports.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		// Flags not given on the command line come from JIGSAW_* variables, then the config file.
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			return applyFlagSources(c, f, configFile)
		},
	}
	root.SetVersionTemplate(versionText())
	root.PersistentFlags().StringVar(&configFile, "config", "", "YAML file of flag values (default $JIGSAW_CONFIG, else jigsaw/config.yaml in the user config directory); precedence: flag > JIGSAW_* variable > config file > default")
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	// Command groups register here, one constructor per file.
	root.AddCommand(
		// commands:
		newDemoCmd(f),
		newAssessCmd(streams),
		newReportCmd(f),
		newChecklistCmd(f),
		newSchemaCmd(streams),
		newVerifyCmd(streams),
		newKeysCmd(streams),
		newExportCmd(f),
		newAnswersCmd(streams),
		newSandboxCmd(streams),
		newValidateCmd(streams),
		newTerminologyCmd(streams),
		newProbeCmd(streams),
		newFleetCmd(f),
		newLeagueCmd(f),
		newServeCmd(streams),
		newVersionCmd(streams),
	)
	registerCompletions(root, f)
	return root
}

// isCobraUsageError recognises cobra's own argument errors ("unknown command", "accepts 1 arg").
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "required flag"} {
		if len(msg) >= len(prefix) && msg[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
