package gpconnect

import (
	"context"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "gpconnect"

// def is one probe's definition: its metadata (with the requirement it tests, quoted or
// closely paraphrased from the versioned clause in ref, and the requirement's strength) and
// its run function.
type def struct {
	id       string
	sev      probes.Severity
	strength verdict.Strength
	title    string
	ref      string
	req      string
	desc     string
	run      func(context.Context, *probes.Session) probes.Result
}

func (d def) probe() probes.Probe {
	return probes.New(probes.Meta{ID: d.id, Pack: Pack, Severity: d.sev, Title: d.title, SpecRef: d.ref,
		Description: d.desc, Requirement: d.req, Strength: d.strength}, gpcOnly(d.run))
}

// Probes returns the pack's probes in report order: capability (the baseline every other
// probe depends on), Foundations, Spine headers and JWT, HTTP behaviour, Access Record
// Structured, Appointment Management, transport and performance.
func Probes() []probes.Probe {
	defs := append(append(append(append(foundationsDefs(), securityDefs()...), httpDefs()...), structuredDefs()...), appointmentDefs()...)
	defs = append(defs,
		def{"gpconnect.tls.client-certificate", probes.High, verdict.Shall, "Client certificate required",
			specSecurity + "#secure-connection-negotiation; " + suite + "Security.feature",
			"Provider systems MUST authenticate the SSP prior to responding to any requests using its client certificate.",
			"A request without a client certificate is refused: at the TLS handshake (SSLVerifyClient require, as the specification's Tomcat example) or with HTTP 495/496 (the suite). Runs with or without --cert/--key.",
			clientCertificate},
		def{"gpconnect.performance.latency", probes.Low, verdict.Shall, "Query latency within the published limits",
			specPerf,
			"Query APIs SHALL respond within 3000 ms and SHOULD respond within 1000 ms.",
			"p95 of repeated /metadata and patient searches: below 1000 ms pass, below 3000 ms warn (the SHOULD), else fail (the SHALL).",
			latency},
	)
	out := make([]probes.Probe, len(defs))
	for i, d := range defs {
		out[i] = d.probe()
	}
	return out
}

// gpcOnly skips a probe unless the target is probed as a GP Connect provider (--profile
// gpconnect): a plain FHIR server is not expected to speak GP Connect.
func gpcOnly(run func(context.Context, *probes.Session) probes.Result) func(context.Context, *probes.Session) probes.Result {
	return func(ctx context.Context, s *probes.Session) probes.Result {
		if s.Target.GPConnect == nil {
			return probes.Skipped("", "the target is not probed as a GP Connect provider (use --profile gpconnect)")
		}
		return run(ctx, s)
	}
}
