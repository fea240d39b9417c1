package all_test

import (
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// contractIDs are the probe ids of the probe contract (PROBES.md), minus those marked later.
var contractIDs = []string{
	"transport.tls.version", "transport.tls.certificate", "transport.tls.weak-ciphers", "transport.https.enforced", "transport.hsts",
	"fhir.capability.present", "fhir.capability.version", "fhir.capability.formats", "fhir.capability.resources",
	"fhir.content-type", "fhir.format.negotiation", "fhir.errors.operation-outcome", "fhir.read.not-found",
	"fhir.read.versioning", "fhir.search.bundle", "fhir.search.paging", "fhir.search.unknown-param", "fhir.ukcore.profiles",
	"security.auth.required", "security.auth.invalid-token", "security.auth.www-authenticate", "security.headers.no-store", "security.errors.no-leak",
	"identity.nhs-number.search", "identity.nhs-number.system", "identity.nhs-number.check-digit", "identity.ods.codes",
	"terminology.coding.coverage", "terminology.snomed.valid-ids", "terminology.snomed.system-uri", "terminology.dmd.medications", "terminology.loinc.valid-ids",
	"performance.latency", "smart.configuration",
}

func TestRegistryImplementsTheContract(t *testing.T) {
	r := all.Registry()
	for _, id := range contractIDs {
		if !r.Has(id) {
			t.Errorf("contract probe %s is missing", id)
		}
	}
	for _, p := range r.All() {
		m := p.Meta()
		if m.Description == "" || m.Title == "" || m.SpecRef == "" {
			t.Errorf("%s lacks a title, description or spec reference", m.ID)
		}
		// The verdict policy (docs/probes.md): every probe states the requirement it tests and
		// its strength, which decides what a breach is (SHALL fails, SHOULD warns, MAY informs).
		if strings.TrimSpace(m.Requirement) == "" {
			t.Errorf("%s states no requirement (Meta.Requirement)", m.ID)
		}
		switch m.Strength {
		case verdict.Shall, verdict.Should, verdict.May:
		default:
			t.Errorf("%s has no requirement strength (Meta.Strength %q): give SHALL, SHOULD or MAY", m.ID, m.Strength)
		}
		if !strings.Contains(m.SpecRef, "://") {
			t.Errorf("%s: spec reference %q names no URL of its source clause", m.ID, m.SpecRef)
		}
	}
	// Later packs (gpconnect) add ids; these packs must all be there.
	for _, pack := range []string{"transport", "fhir", "security", "identity", "terminology", "performance", "smart"} {
		if len(r.Pack(pack)) == 0 {
			t.Errorf("pack %s is missing", pack)
		}
	}
}
