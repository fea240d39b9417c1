package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
)

// sandboxOptions are the inputs of jigsaw sandbox.
type sandboxOptions struct {
	IO           IO
	Addr         string
	Profile      string
	Dir          string
	Format       string // table or json
	LatencyScale float64
	AccessLog    bool
	GPConnect    bool
	// ready, if set, is called once the server is serving and its facts are printed (a seam
	// for tests).
	ready func(*sandbox.Server)
}

type sandboxOutput = cliout.Sandbox

func newSandboxCmd(streams IO) *cobra.Command {
	opts := sandboxOptions{IO: streams}
	profiles := make([]string, 0, 3)
	for _, p := range sandbox.Profiles() {
		profiles = append(profiles, string(p))
	}
	cmd := &cobra.Command{
		Use:   "sandbox [--addr A] [--profile P] [--dir D]",
		Short: "Serve a reference organisation (a synthetic FHIR R4 server) to probe",
		Long: `Sandbox serves one fictional organisation's FHIR R4 API over HTTPS, with synthetic UK
patients, until interrupted. It prints the base URL, the CA certificate file to trust, the
bearer token (new at every start) and the test patient's NHS number.

Profiles: exemplar conforms everywhere; typical has a few realistic gaps; legacy has many
(old TLS, no authentication, HTML error pages, poor coding). docs/sandbox.md lists every
defect and the probe that should find it; -o json lists them too.

The CA file lives in a temporary directory removed at exit unless --dir names one.`,
		Example: `  jigsaw sandbox
  jigsaw sandbox --profile legacy --addr 127.0.0.1:9443
  jigsaw sandbox --profile typical -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runSandbox(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8443", "address to listen on (127.0.0.1:0 picks a free port)")
	cmd.Flags().StringVar(&opts.Profile, "profile", string(sandbox.Exemplar), "defect profile: "+strings.Join(profiles, ", "))
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory for the CA certificate (default: a temporary directory removed at exit)")
	addOutputFlag(cmd, &opts.Format, false)
	cmd.Flags().Float64Var(&opts.LatencyScale, "latency-scale", 1, "multiply the profile's deliberate delays (0 turns them off)")
	cmd.Flags().BoolVar(&opts.AccessLog, "access-log", false, "print one line per request on stderr")
	cmd.Flags().BoolVar(&opts.GPConnect, "gpconnect", false, "also serve a GP Connect STU3 provider (Foundations, Appointments, Access Record Structured) with the same profile")
	return cmd
}

func runSandbox(ctx context.Context, opts sandboxOptions) error {
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", opts.Format)
	}
	profile, err := sandbox.ParseProfile(opts.Profile)
	if err != nil {
		return usageErrorf("--profile: %v", err)
	}
	if opts.LatencyScale < 0 {
		return usageErrorf("--latency-scale must be 0 or more, not %g", opts.LatencyScale)
	}
	scale := opts.LatencyScale
	if scale == 0 {
		scale = -1 // Config: negative turns the delays off; zero would mean "default"
	}
	cfg := sandbox.Config{Profile: profile, Addr: opts.Addr, Dir: opts.Dir, LatencyScale: scale, GPConnect: opts.GPConnect}
	if opts.AccessLog {
		cfg.AccessLog = opts.IO.ErrOut
	}

	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := sandbox.Start(serveCtx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = srv.Shutdown(shutdownCtx)
	}()

	out := sandboxOutput{
		Profile:       string(srv.Profile),
		Organisation:  cliout.SandboxOrg{ODS: srv.Org.ODSCode, Name: srv.Org.Name, Type: srv.Org.Type},
		BaseURL:       srv.BaseURL(),
		Endpoints:     sandboxEndpoints(srv.Endpoints()),
		CAFile:        srv.CAFile,
		Token:         srv.Token,
		TestNHSNumber: srv.TestNHSNumber,
		Defects:       sandboxDefects(sandbox.Defects(srv.Profile)),
	}
	if opts.GPConnect {
		for _, d := range gpcsandbox.Defects(string(srv.Profile)) {
			out.GPConnectDefects = append(out.GPConnectDefects, cliout.SandboxDefect{ID: d.ID, Description: d.Description, ProbeID: d.ProbeID})
		}
		out.ClientCertFile, out.ClientKeyFile = srv.ClientCertFile, srv.ClientKeyFile
	}
	if out.Defects == nil {
		out.Defects = []cliout.SandboxDefect{}
	}
	if err := printSandbox(opts.IO.Out, opts.Format, out); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Serving until interrupted (Ctrl-C). Try:\n  curl --cacert %s -H 'Authorization: Bearer %s' '%s/Patient?identifier=%s'\n",
		shellQuote(srv.CAFile), srv.Token, srv.BaseURL(), url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+srv.TestNHSNumber))
	if opts.ready != nil {
		opts.ready(srv)
	}

	<-ctx.Done()
	return nil
}

func printSandbox(w io.Writer, format string, out sandboxOutput) error {
	if format == "json" {
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "profile:\t%s\n", out.Profile)
	fmt.Fprintf(tw, "organisation:\t%s\n", out.Organisation.Name)
	fmt.Fprintf(tw, "ods:\t%s\n", out.Organisation.ODS)
	fmt.Fprintf(tw, "base_url:\t%s\n", out.BaseURL)
	fmt.Fprintf(tw, "ca_file:\t%s\n", out.CAFile)
	fmt.Fprintf(tw, "token:\t%s\n", out.Token)
	fmt.Fprintf(tw, "test_nhs_number:\t%s\n", out.TestNHSNumber)
	fmt.Fprintf(tw, "defects:\t%d\n", len(out.Defects))
	if out.ClientCertFile != "" {
		fmt.Fprintf(tw, "client_cert_file:\t%s\n", out.ClientCertFile)
		fmt.Fprintf(tw, "client_key_file:\t%s\n", out.ClientKeyFile)
	}
	for i, e := range out.Endpoints {
		if i == 0 {
			continue // the R4 base URL, printed above
		}
		fmt.Fprintf(tw, "%s:\t%s\n", strings.ToLower(strings.ReplaceAll(e.Name, " ", "_")), e.URL)
	}
	return tw.Flush()
}

// shellQuote quotes a path for the example command when it needs it.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$`\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func sandboxEndpoints(eps []sandbox.Endpoint) []cliout.SandboxEndpoint {
	out := make([]cliout.SandboxEndpoint, len(eps))
	for i, e := range eps {
		out[i] = cliout.SandboxEndpoint{Name: e.Name, FHIRVersion: e.FHIRVersion, URL: e.URL}
	}
	return out
}

func sandboxDefects(ds []sandbox.Defect) []cliout.SandboxDefect {
	out := make([]cliout.SandboxDefect, len(ds))
	for i, d := range ds {
		out[i] = cliout.SandboxDefect{ID: d.ID, Description: d.Description, ProbeID: d.ProbeID}
	}
	return out
}
