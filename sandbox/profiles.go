package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Profile names how well the reference organisation behaves.
type Profile string

// The profiles, best first.
const (
	// Exemplar conforms everywhere: every probe should pass against it.
	Exemplar Profile = "exemplar"
	// Typical has a few realistic gaps of the kind most trusts have.
	Typical Profile = "typical"
	// Legacy has many: old TLS, no authentication, HTML errors, poor coding.
	Legacy Profile = "legacy"
)

// Profiles lists every profile, best first.
func Profiles() []Profile { return []Profile{Exemplar, Typical, Legacy} }

// ParseProfile accepts a profile name in any case.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles() {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
	}
	names := make([]string, 0, 3)
	for _, p := range Profiles() {
		names = append(names, string(p))
	}
	return "", fmt.Errorf("unknown sandbox profile %q: use one of %s", s, strings.Join(names, ", "))
}

// Org is the organisation the sandbox plays.
type Org struct {
	ODSCode string `json:"ods"`
	Name    string `json:"name"`
	Type    string `json:"type"`
}

// DefaultOrg is the fictional organisation each profile plays. The ODS codes are well formed but
// not assigned to any real organisation we know of; the Welsh name exercises UTF-8 in reports.
func DefaultOrg(p Profile) Org {
	switch p {
	case Typical:
		return Org{ODSCode: "7A9", Name: "Ysbyty Glan-y-Dŵr, Porthaethwy", Type: "NHS Wales local health board"}
	case Legacy:
		return Org{ODSCode: "RZL", Name: "Fenwick Vale Community Healthcare NHS Trust", Type: "NHS trust"}
	default:
		return Org{ODSCode: "RZX", Name: "Northbridge Teaching Hospitals NHS Foundation Trust", Type: "NHS foundation trust"}
	}
}

// Defect is one documented way a profile departs from good practice, and the probe that should
// detect it. Tests observe every defect over HTTP, and docs/sandbox.md lists them, so the three
// stay in step.
type Defect struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	ProbeID     string `json:"probe_id"`
}

// Defects lists what is wrong with a profile (nothing, for exemplar).
func Defects(p Profile) []Defect {
	switch p {
	case Typical:
		return []Defect{
			{"typical.no-hsts", "HTTPS responses carry no Strict-Transport-Security header.", "transport.hsts"},
			{"typical.search-json-content-type", "Search results (Bundles) are served as application/json instead of application/fhir+json.", "fhir.content-type"},
			{"typical.count-ignored", "_count is ignored: every match comes back in one page with no next link.", "fhir.search.paging"},
			{"typical.unknown-params-echoed", "Unknown search parameters are accepted even under Prefer: handling=strict, and echoed in the self link as if applied.", "fhir.search.unknown-param"},
			{"typical.no-ukcore", "Resources declare no UK Core profile in meta.profile and the CapabilityStatement names none.", "fhir.ukcore.profiles"},
			{"typical.no-www-authenticate", "401 responses carry no WWW-Authenticate: Bearer header.", "security.auth.www-authenticate"},
			{"typical.local-codes", "About one clinical concept in four (medicines aside: they use dm+d, under SNOMED CT) is text-only or coded in a local code system; the test patient's national coverage is 9 of 11 (82 %).", "terminology.coding.coverage"},
		}
	case Legacy:
		return []Defect{
			{"legacy.tls10", "TLS 1.0 and 1.1 handshakes are accepted (and TLS 1.3 is not offered).", "transport.tls.version"},
			{"legacy.weak-ciphers", "Weak TLS 1.2 suites are accepted: 3DES, RC4 and CBC-SHA1 with RSA key exchange (the server key is RSA).", "transport.tls.weak-ciphers"},
			{"legacy.cert-expiring", "The server certificate expires 20 days after start.", "transport.tls.certificate"},
			{"legacy.http-served", "The same port also answers plain HTTP and serves patient data over it.", "transport.https.enforced"},
			{"legacy.no-hsts", "HTTPS responses carry no Strict-Transport-Security header.", "transport.hsts"},
			{"legacy.capability-no-search", "The CapabilityStatement is out of date: resources list only the read interaction and no search parameters.", "fhir.capability.resources"},
			{"legacy.json-content-type", "Every response is served as application/json, never application/fhir+json.", "fhir.content-type"},
			{"legacy.xml-crash", "A request for any format but JSON (XML, or a type FHIR does not have; by _format or Accept) fails with a 500 HTML error page.", "fhir.format.negotiation"},
			{"legacy.html-errors", "Errors are HTML pages, not OperationOutcomes.", "fhir.errors.operation-outcome"},
			{"legacy.unknown-id-200", "Reading an unknown id answers 200 with an informational OperationOutcome instead of 404.", "fhir.read.not-found"},
			{"legacy.no-etag", "Reads carry no ETag and resources no meta.versionId.", "fhir.read.versioning"},
			{"legacy.bundle-incomplete", "Search Bundles have no fullUrl and no search.mode on their entries.", "fhir.search.bundle"},
			{"legacy.unknown-param-500", "An unknown search parameter fails with a 500 HTML error page.", "fhir.search.unknown-param"},
			{"legacy.no-ukcore", "Resources declare no UK Core profile and the CapabilityStatement names none.", "fhir.ukcore.profiles"},
			{"legacy.no-auth", "Patient data is served without any credentials (a Warning Notice matter).", "security.auth.required"},
			{"legacy.invalid-token-accepted", "Any bearer token, however forged, is accepted.", "security.auth.invalid-token"},
			{"legacy.no-cache-control", "Responses with patient data carry no Cache-Control header.", "security.headers.no-store"},
			{"legacy.stack-traces", "Error pages show a Java stack trace and the application server's name and version.", "security.errors.no-leak"},
			{"legacy.nhs-number-system", "NHS numbers use the retired DSTU2 system http://fhir.nhs.net/Id/nhs-number.", "identity.nhs-number.system"},
			{"legacy.nhs-number-check-digit", "Some patients (the 2nd and 3rd in Patient?_count=5, for example) carry NHS numbers that fail the modulus 11 check.", "identity.nhs-number.check-digit"},
			{"legacy.ods-system", "Organisation identifiers and references use the retired system http://fhir.nhs.net/Id/ods-organization-code.", "identity.ods.codes"},
			{"legacy.text-only-codes", "About half the clinical concepts are text-only or local codes; every medication uses a local formulary code.", "terminology.coding.coverage"},
			{"legacy.snomed-system-variant", "Some SNOMED CT codings use the OID system urn:oid:2.16.840.1.113883.6.96.", "terminology.snomed.system-uri"},
			{"legacy.invalid-snomed", "Some SNOMED CT codes fail the Verhoeff check (transcription errors).", "terminology.snomed.valid-ids"},
			{"legacy.local-drug-codes", "Medications are coded in a local formulary, not dm+d.", "terminology.dmd.medications"},
			{"legacy.invalid-loinc", "Every LOINC code (observation codes and blood pressure components) carries a wrong check digit.", "terminology.loinc.valid-ids"},
			{"legacy.slow", "Patient searches take 1.2–1.6 s and every other response 150–300 ms (scaled by Config.LatencyScale).", "performance.latency"},
		}
	default:
		return nil
	}
}

// plainHTTP is what a profile does with a plain-HTTP request on its HTTPS port.
type plainHTTP int

const (
	// plainRefused lets Go's http.Server answer 400 "Client sent an HTTP request to an HTTPS server".
	plainRefused plainHTTP = iota
	// plainRedirect answers 308 to the same URL over https.
	plainRedirect
	// plainServed serves the FHIR API over plain HTTP too.
	plainServed
)

// xmlHandling is what a profile does when a client asks for XML.
type xmlHandling int

const (
	xmlServed  xmlHandling = iota // FHIR XML, converted from the JSON
	xmlAsJSON                     // answered in JSON anyway
	xmlCrashes                    // 500 HTML error page, as for any format but JSON
)

// unknownParams is how a profile treats search parameters it does not know.
type unknownParams int

const (
	unknownLenientOrStrict unknownParams = iota // ignored and left out of the self link; 400 under handling=strict
	unknownEchoed                               // ignored, even under strict, but echoed in the self link
	unknownCrash                                // 500 HTML error page
)

// behaviour is a profile spelled out as switches. Defects documents the same facts for people
// and tests; the profile tests check every documented defect against this behaviour over HTTP.
type behaviour struct {
	legacyTLS bool // TLS 1.0+, weak suites, RSA key, certificate expiring soon
	plain     plainHTTP
	hsts      bool

	authRequired    bool
	wwwAuthenticate bool
	smart           bool

	fhirContentType       bool // false: application/json everywhere
	searchJSONContentType bool // Bundles from searches as application/json
	htmlErrors            bool // Java-style HTML error pages with stack traces
	xml                   xmlHandling
	etags                 bool
	noStore               bool
	notFound200           bool
	unknown               unknownParams
	honourCount           bool
	bundleComplete        bool // fullUrl and search.mode on entries
	ukCore                bool
	capabilitySearch      bool // the CapabilityStatement lists search-type and search params

	// Data quality.
	degradeEvery    int // every Nth clinical concept of a patient (offset degradeOffset) is text-only or local
	degradeOffset   int
	legacyCoding    bool // OID SNOMED system, broken SNOMED and LOINC check digits, local drug codes
	legacyIdentity  bool // retired NHS number and ODS systems, bad NHS number check digits
	lenientIdentity bool // identifier search ignores the system

	// Latency before answering, before Config.LatencyScale.
	patientSearchDelay     [2]time.Duration // min, max
	observationSearchDelay time.Duration
	otherDelay             [2]time.Duration
}

func behaviourOf(p Profile) behaviour {
	switch p {
	case Typical:
		return behaviour{
			plain:                  plainRefused,
			authRequired:           true,
			smart:                  true,
			fhirContentType:        true,
			searchJSONContentType:  true,
			xml:                    xmlAsJSON,
			etags:                  true,
			noStore:                true,
			unknown:                unknownEchoed,
			bundleComplete:         true,
			capabilitySearch:       true,
			degradeEvery:           4,
			degradeOffset:          3,
			observationSearchDelay: 50 * time.Millisecond,
		}
	case Legacy:
		return behaviour{
			legacyTLS:          true,
			plain:              plainServed,
			htmlErrors:         true,
			xml:                xmlCrashes,
			notFound200:        true,
			unknown:            unknownCrash,
			honourCount:        true,
			degradeEvery:       2,
			degradeOffset:      1,
			legacyCoding:       true,
			legacyIdentity:     true,
			lenientIdentity:    true,
			patientSearchDelay: [2]time.Duration{1200 * time.Millisecond, 1600 * time.Millisecond},
			otherDelay:         [2]time.Duration{150 * time.Millisecond, 300 * time.Millisecond},
		}
	default:
		return behaviour{
			plain:            plainRedirect,
			hsts:             true,
			authRequired:     true,
			wwwAuthenticate:  true,
			smart:            true,
			fhirContentType:  true,
			xml:              xmlServed,
			etags:            true,
			noStore:          true,
			unknown:          unknownLenientOrStrict,
			honourCount:      true,
			bundleComplete:   true,
			ukCore:           true,
			capabilitySearch: true,
		}
	}
}
