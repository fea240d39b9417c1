// Package sandbox is Jigsaw's reference organisation: a real FHIR R4 server over HTTPS, with
// deterministic synthetic UK patient data and three defect profiles (exemplar, typical, legacy)
// that the probes are expected to tell apart. It is the built-in default target for the demo, the
// integration tests and new users.
//
// Nothing in the product imports this package except cmd/jigsaw and tests: the probes must work
// against any FHIR server, so they may not know the sandbox's internals. What they can rely on is
// written down as data: Defects lists, per profile, what is wrong and which probe id should see it.
//
// Routing is by base path: the R4 server lives under /fhir/r4 and each further service (a GP
// Connect STU3 provider, say) mounts its own handler under its own base path (see Server.mount).
package sandbox
