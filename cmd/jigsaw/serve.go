package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/console"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

type serveOptions struct {
	IO         IO
	DB         string
	Central    string
	Addr       string
	TLSCert    string
	TLSKey     string
	Key        string
	Presets    string
	Checklist  string
	NoTraining bool
	// ready, when set, is told the console's URL once it listens (a seam for tests).
	ready func(url string)
}

func newServeCmd(streams IO) *cobra.Command {
	opts := serveOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "serve [--db FILE] [--central FILE] [--addr 127.0.0.1:8080]",
		Short: "Serve the local console: inspection day, interview, self-assessment, national view and training ground",
		Long: `Serve starts the Jigsaw console, a web interface to the same workflow as the commands:
start an assessment from a saved organisation preset and watch it live, read each finding with
its redacted exchanges, run the guided interview or a trust's self-assessment into the evidence
chain, download the PDF, XLSX and signed export, browse the league table and the fleet (with
--central), and practise on the sandbox organisations in the training ground.

It listens on 127.0.0.1 only, unless --addr names another address, and then only over TLS
(--tls-cert, --tls-key). It prints its address with a random access token; the browser that
opens it gets a session cookie, and nothing works without one. Stop it with Ctrl-C.`,
		Example: `  jigsaw serve --db inspection.db
  jigsaw serve --db inspection.db --central central.db --key trust.key
  jigsaw serve --addr 10.0.0.5:8443 --tls-cert console.pem --tls-key console-key.pem`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runServe(c.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "jigsaw.db", "evidence database (created if missing)")
	fl.StringVar(&opts.Central, "central", "", "central database for the league table and fleet view")
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on; beyond loopback it needs --tls-cert and --tls-key")
	fl.StringVar(&opts.TLSCert, "tls-cert", "", "TLS certificate (PEM) to serve with")
	fl.StringVar(&opts.TLSKey, "tls-key", "", "TLS private key (PEM) to serve with")
	fl.StringVar(&opts.Key, "key", "", "Ed25519 private key to sign exports with (jigsaw keys generate)")
	fl.StringVar(&opts.Presets, "presets", "", "organisation presets file (default: the database's name with .presets.json)")
	fl.StringVar(&opts.Checklist, "checklist", "nhs-interop@2026.1", "checklist new assessments use: id@version or a file")
	fl.BoolVar(&opts.NoTraining, "no-training", false, "hide the training ground (it starts sandbox organisations on 127.0.0.1)")
	return cmd
}

func runServe(ctx context.Context, opts serveOptions) error {
	tlsOn := opts.TLSCert != "" || opts.TLSKey != ""
	if tlsOn && (opts.TLSCert == "" || opts.TLSKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	if err := console.CheckBind(opts.Addr, tlsOn); err != nil {
		return usageError{err}
	}
	var cert tls.Certificate
	if tlsOn {
		var err error
		if cert, err = tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey); err != nil {
			return usageErrorf("--tls-cert/--tls-key: %v", err)
		}
	}
	reg := all.Registry()
	c, err := resolveChecklist(ctx, opts.Checklist, reg)
	if err != nil {
		return err
	}
	cfg := console.Config{
		Registry: reg, Checklist: c, FindChecklist: checklist.Catalog().Finder(c), Getenv: os.Getenv,
		SecureCookies: tlsOn, ToolVersion: toolVersion(), UserAgent: userAgent(),
		Log: log.New(opts.IO.ErrOut, "jigsaw serve: ", log.LstdFlags),
	}
	if opts.Key != "" {
		if cfg.SigningKey, err = submission.LoadPrivateKey(opts.Key); err != nil {
			return err
		}
	}
	cfg.PresetsFile = opts.Presets
	if cfg.PresetsFile == "" {
		cfg.PresetsFile = opts.DB + ".presets.json"
	}
	store, err := evidence.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	cfg.Store = store
	if opts.Central != "" {
		if _, err := os.Stat(opts.Central); err != nil {
			return usageErrorf("--central %s: %v", opts.Central, err)
		}
		ls, err := league.Open(ctx, opts.Central)
		if err != nil {
			return err
		}
		defer ls.Close()
		fs, err := fleet.Open(ctx, opts.Central)
		if err != nil {
			return err
		}
		defer fs.Close()
		cfg.League, cfg.Fleet = ls, fs
	}
	if !opts.NoTraining {
		cfg.Sandboxes = sandboxScenarios{}
	}
	srv, err := console.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	url := fmt.Sprintf("%s://%s/?token=%s", scheme, ln.Addr().String(), srv.AccessToken())
	fmt.Fprintf(opts.IO.Out, "Jigsaw console for %s: open\n  %s\n(Ctrl-C stops it.)\n", opts.DB, url)
	if opts.ready != nil {
		opts.ready(url)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: cfg.Log}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	srv.Close()
	return hs.Shutdown(shutdown)
}

// sandboxScenarios are the training ground's scenarios: the sandbox profiles and their
// documented defects.
type sandboxScenarios struct{}

func (sandboxScenarios) Scenarios() []console.Scenario {
	var out []console.Scenario
	descriptions := map[sandbox.Profile]string{
		sandbox.Exemplar: "a well-run foundation trust. Is there anything to find?",
		sandbox.Typical:  "a health board with the gaps most organisations have.",
		sandbox.Legacy:   "a community trust on old systems with many problems.",
	}
	for _, p := range sandbox.Profiles() {
		org := sandbox.DefaultOrg(p)
		sc := console.Scenario{Name: string(p), Title: org.Name, ODS: org.ODSCode, OrgName: org.Name,
			OrgType: sandboxOrgType(p), Description: descriptions[p]}
		for _, d := range sandbox.Defects(p) {
			sc.Defects = append(sc.Defects, console.Defect{ID: d.ID, Description: d.Description, ProbeID: d.ProbeID})
		}
		out = append(out, sc)
	}
	return out
}

// sandboxOrgType is the checklist organisation type each profile's organisation is assessed as.
func sandboxOrgType(p sandbox.Profile) checklist.OrgType {
	if p == sandbox.Legacy {
		return checklist.CommunityTrust
	}
	return checklist.AcuteTrust
}

func (sandboxScenarios) Start(ctx context.Context, name string) (*console.Instance, error) {
	p, err := sandbox.ParseProfile(name)
	if err != nil {
		return nil, err
	}
	srvCtx, cancel := context.WithCancel(ctx)
	srv, err := sandbox.Start(srvCtx, sandbox.Config{Profile: p, LatencyScale: 0.05, GPConnect: true})
	if err != nil {
		cancel()
		return nil, err
	}
	return &console.Instance{
		Target: probes.Target{BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, Token: srv.Token, CAFile: srv.CAFile, TestNHSNumber: srv.TestNHSNumber},
		GPConnect: &probes.Target{
			BaseURL: "https://" + srv.GPConnectAddr() + gpcsandbox.FoundationsPath, FHIRVersion: probes.STU3, CAFile: srv.CAFile,
			ClientCert: srv.ClientCertFile, ClientKey: srv.ClientKeyFile,
			GPConnect: &probes.GPConnectSettings{StructuredURL: "https://" + srv.GPConnectAddr() + gpcsandbox.StructuredPath},
		},
		Close: func() { srv.Close(); cancel() },
	}, nil
}
