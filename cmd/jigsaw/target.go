package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// targetFlags are the flags that name an endpoint to probe and how to reach it, shared by the
// commands that probe.
type targetFlags struct {
	URL         string
	FHIRVersion string
	Token       string
	CAFile      string
	CertFile    string
	KeyFile     string
	Insecure    bool
	// AllowTokenOverHTTP sends the token to a plain-http target (a lab only).
	AllowTokenOverHTTP bool
	Patient            string
	Concurrency        int
	Rate               float64
	// rateGiven reports whether --rate was given: only then is loopback rate-limited too.
	rateGiven  func() bool
	Timeout    time.Duration
	NoProgress bool
	// GP Connect consumer settings (--profile gpconnect).
	Profile       string
	GPCStructured string
	ConsumerASID  string
	ProviderASID  string
	ProviderODS   string
	RequestingODS string
	Practitioner  string
	AllowWrites   bool
	WritePatient  string
	WriteSlots    []string
}

func (f *targetFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.URL, "target", "", "FHIR base URL of the endpoint to probe (https://…)")
	fl.StringVar(&f.FHIRVersion, "fhir-version", probes.R4, "FHIR version the endpoint serves: R4 or STU3")
	fl.StringVar(&f.Token, "token", "", "bearer token for the endpoint (prefer the JIGSAW_TOKEN environment variable: flags end up in shell history)")
	fl.StringVar(&f.CAFile, "ca", "", "PEM file of CA certificates to trust for the endpoint")
	fl.StringVar(&f.CertFile, "cert", "", "client certificate (PEM) for mutual TLS")
	fl.StringVar(&f.KeyFile, "key", "", "client private key (PEM) for mutual TLS")
	fl.BoolVar(&f.AllowTokenOverHTTP, "allow-token-over-http", false, "LAB ONLY: send the bearer token to a plain http:// target, where anyone on the network can read it (without this, a token with an http target is refused)")
	fl.BoolVar(&f.Insecure, "insecure", false, "do not verify the endpoint's certificate (the TLS probes still report what they see)")
	fl.StringVar(&f.Patient, "patient", "", "NHS number of the test patient to look up (default: discover one)")
	fl.IntVar(&f.Concurrency, "concurrency", probes.DefaultConcurrency, "probes run at once")
	fl.Float64Var(&f.Rate, "rate", 10, "most requests per second to one host (a politeness limit for real servers; loopback hosts such as a local sandbox are not limited unless --rate is given)")
	f.rateGiven = func() bool { return fl.Changed("rate") }
	fl.DurationVar(&f.Timeout, "timeout", probes.DefaultRequestTimeout, "time limit for one request")
	fl.BoolVar(&f.NoProgress, "no-progress", false, "do not show progress")
	fl.StringVar(&f.Profile, "profile", "", "target profile: fhir (default) or gpconnect (a GP Connect STU3 provider: Spine headers and JWT on every gpconnect probe)")
	fl.StringVar(&f.GPCStructured, "gpc-structured", "", "GP Connect Access Record Structured base URL (e.g. https://…/B82617/STU3/1/gpconnect/structured/fhir)")
	fl.StringVar(&f.ConsumerASID, "consumer-asid", "", "GP Connect consumer ASID sent as Ssp-From (default the provider test suite's 200000000359)")
	fl.StringVar(&f.ProviderASID, "provider-asid", "", "GP Connect provider ASID sent as Ssp-To (default the provider test suite's 918999198738)")
	fl.StringVar(&f.ProviderODS, "provider-ods", "", "the GP Connect provider's ODS code, for Organization search (default B82617)")
	fl.StringVar(&f.RequestingODS, "requesting-ods", "", "ODS code of the requesting organisation in the JWT (default GPCA0001)")
	fl.StringVar(&f.Practitioner, "requesting-practitioner", "", "SDS user id of the requesting practitioner in the JWT (default GCASDS0001)")
	fl.BoolVar(&f.AllowWrites, "allow-writes", false, "allow GP Connect probes that write (book, amend, cancel an appointment) — only for --gpc-write-patient in --gpc-write-slot")
	fl.StringVar(&f.WritePatient, "gpc-write-patient", "", "NHS number of the only test patient writes may book for")
	fl.StringArrayVar(&f.WriteSlots, "gpc-write-slot", nil, "id of a Slot writes may book (repeatable)")
}

// target checks the flags and returns the target they name. The token comes from --token or
// JIGSAW_TOKEN.
func (f *targetFlags) target() (probes.Target, error) {
	if f.URL == "" {
		return probes.Target{}, usageErrorf("--target is required: the FHIR base URL to probe")
	}
	if !strings.HasPrefix(f.URL, "https://") && !strings.HasPrefix(f.URL, "http://") {
		return probes.Target{}, usageErrorf("--target %q: give an http:// or https:// URL", f.URL)
	}
	version := strings.ToUpper(f.FHIRVersion)
	if version != probes.R4 && version != probes.STU3 {
		return probes.Target{}, usageErrorf("--fhir-version %q: use R4 or STU3", f.FHIRVersion)
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return probes.Target{}, usageErrorf("--cert and --key go together")
	}
	for flag, path := range map[string]string{"--ca": f.CAFile, "--cert": f.CertFile, "--key": f.KeyFile} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return probes.Target{}, usageErrorf("%s %s: %v", flag, path, err)
		}
	}
	if f.Patient != "" && !terminology.NHSNumberValid(f.Patient) {
		return probes.Target{}, usageErrorf("--patient %q is not a valid NHS number (10 digits, modulus 11 check digit)", f.Patient)
	}
	if f.Concurrency < 1 {
		return probes.Target{}, usageErrorf("--concurrency must be at least 1")
	}
	var gpc *probes.GPConnectSettings
	switch strings.ToLower(f.Profile) {
	case "", "fhir":
		if f.AllowWrites || f.GPCStructured != "" {
			return probes.Target{}, usageErrorf("--allow-writes and --gpc-structured need --profile gpconnect")
		}
	case "gpconnect":
		if f.WritePatient != "" && !terminology.NHSNumberValid(f.WritePatient) {
			return probes.Target{}, usageErrorf("--gpc-write-patient %q is not a valid NHS number", f.WritePatient)
		}
		if f.AllowWrites && (f.WritePatient == "" || len(f.WriteSlots) == 0) {
			return probes.Target{}, usageErrorf("--allow-writes needs --gpc-write-patient and at least one --gpc-write-slot: writes touch only what you name")
		}
		if f.GPCStructured != "" && !strings.HasPrefix(f.GPCStructured, "https://") && !strings.HasPrefix(f.GPCStructured, "http://") {
			return probes.Target{}, usageErrorf("--gpc-structured %q: give an http:// or https:// URL", f.GPCStructured)
		}
		gpc = &probes.GPConnectSettings{
			StructuredURL: strings.TrimRight(f.GPCStructured, "/"), ConsumerASID: f.ConsumerASID, ProviderASID: f.ProviderASID,
			ProviderODS: f.ProviderODS, RequestingODS: f.RequestingODS, RequestingPractitioner: f.Practitioner,
			AllowWrites: f.AllowWrites, WritePatient: f.WritePatient, WriteSlots: f.WriteSlots,
		}
		if f.FHIRVersion == probes.R4 {
			version = probes.STU3
		}
	default:
		return probes.Target{}, usageErrorf("--profile %q: use fhir or gpconnect", f.Profile)
	}
	token := f.Token
	if token == "" {
		token = os.Getenv("JIGSAW_TOKEN")
	}
	if token != "" && !f.AllowTokenOverHTTP {
		for flag, u := range map[string]string{"--target": f.URL, "--gpc-structured": f.GPCStructured} {
			if strings.HasPrefix(strings.ToLower(u), "http://") {
				return probes.Target{}, usageErrorf("%s %s is plain http: refusing to send the bearer token where anyone on the network can read it; use https (or, in a lab only, --allow-token-over-http)", flag, u)
			}
		}
	}
	return probes.Target{
		BaseURL:            strings.TrimRight(f.URL, "/"),
		FHIRVersion:        version,
		Token:              token,
		CAFile:             f.CAFile,
		ClientCert:         f.CertFile,
		ClientKey:          f.KeyFile,
		Insecure:           f.Insecure,
		TestNHSNumber:      f.Patient,
		AllowTokenOverHTTP: f.AllowTokenOverHTTP,
		GPConnect:          gpc,
	}, nil
}

// runner returns a probe runner configured by the flags, with progress on errOut unless
// switched off.
func (f *targetFlags) runner(errOut io.Writer) probes.Runner {
	r := probes.Runner{
		Concurrency: f.Concurrency,
		Client: probes.ClientOptions{
			RequestTimeout: f.Timeout,
			RatePerSecond:  f.Rate,
			LimitLoopback:  f.rateGiven != nil && f.rateGiven(),
			UserAgent:      userAgent(),
		},
	}
	if !f.NoProgress {
		r.Progress = probes.NewProgress(errOut)
	}
	if f.AllowTokenOverHTTP && (f.Token != "" || os.Getenv("JIGSAW_TOKEN") != "") &&
		(strings.HasPrefix(strings.ToLower(f.URL), "http://") || strings.HasPrefix(strings.ToLower(f.GPCStructured), "http://")) {
		fmt.Fprintln(errOut, "WARNING: --allow-token-over-http: the bearer token is being sent over plain http, readable by anyone on the network. Use this only in a lab, with a throwaway token.")
	}
	return r
}

// describeTarget is how a target is named in messages.
func describeTarget(t probes.Target) string {
	return fmt.Sprintf("%s (FHIR %s)", t.BaseURL, t.FHIRVersion)
}

// gpConnectPack is the probe pack that speaks GP Connect (Spine headers, JWT).
const gpConnectPack = "gpconnect"

// defaultPacks chooses what a run probes when the user names no pack or probe: a GP Connect
// provider gets the GP Connect pack, any other FHIR server every other pack. The GP Connect
// probes only skip on a plain FHIR server, and the plain FHIR probes would call a GP Connect
// provider without the Spine headers it requires, so neither belongs in the other's run.
func defaultPacks(reg *probes.Registry, t probes.Target) []string {
	if t.GPConnect != nil {
		return []string{gpConnectPack}
	}
	var packs []string
	for _, p := range reg.Packs() {
		if p != gpConnectPack {
			packs = append(packs, p)
		}
	}
	return packs
}

// splitGPConnect returns the main FHIR target and the GP Connect provider target of an
// assessment that probes both: the GP Connect consumer settings (ASIDs, structured base,
// writes) apply to the provider only, --patient to the FHIR server only. The token, CA and
// client certificate apply to both.
func (f *targetFlags) splitGPConnect(gpcURL string) (probes.Target, *probes.Target, error) {
	if gpcURL == "" {
		t, err := f.target()
		return t, nil, err
	}
	if !strings.HasPrefix(gpcURL, "https://") && !strings.HasPrefix(gpcURL, "http://") {
		return probes.Target{}, nil, usageErrorf("--gpconnect %q: give an http:// or https:// URL", gpcURL)
	}
	if p := strings.ToLower(f.Profile); p != "" && p != "fhir" {
		return probes.Target{}, nil, usageErrorf("--gpconnect names the GP Connect provider; --target stays a FHIR server (leave out --profile)")
	}
	mainFlags := *f
	mainFlags.Profile, mainFlags.GPCStructured, mainFlags.AllowWrites = "", "", false
	main, err := mainFlags.target()
	if err != nil {
		return probes.Target{}, nil, err
	}
	gpcFlags := *f
	// The FHIR server's test patient is not the provider's: GP Connect probes use the provider
	// test suite's patients unless writes name one.
	gpcFlags.URL, gpcFlags.Profile, gpcFlags.FHIRVersion, gpcFlags.Patient = gpcURL, "gpconnect", probes.STU3, ""
	gpc, err := gpcFlags.target()
	if err != nil {
		return probes.Target{}, nil, err
	}
	return main, &gpc, nil
}

// addKeepIdentifiersFlag registers --keep-identifiers, shared by the commands that record HTTP
// exchanges. --keep-bodies, assess's old name for it, stays as a deprecated alias.
func addKeepIdentifiersFlag(cmd *cobra.Command, p *bool) {
	fl := cmd.Flags()
	fl.BoolVar(p, "keep-identifiers", false, "keep patient identifiers in the recorded exchanges (they are redacted by default)")
	fl.BoolVar(p, "keep-bodies", false, "old name of --keep-identifiers")
	_ = fl.MarkDeprecated("keep-bodies", "use --keep-identifiers")
}
