// Package gpconnect is the sandbox's GP Connect (STU3, 1.x) provider: Foundations,
// Appointment Management and Access Record Structured for the test patients of the official
// provider test suite, with the Spine header and JWT checks a provider must make. Profiles
// exemplar (conforms), typical and legacy (documented defects, see Defects) mirror the R4
// sandbox's. It is a separate package so the R4 server knows nothing of it.
package gpconnect

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Base paths, after the SDS service-root format and the demonstrator's /fhir suffix.
const (
	ODSCode         = "B82617"
	FoundationsPath = "/" + ODSCode + "/STU3/1/gpconnect/fhir"
	StructuredPath  = "/" + ODSCode + "/STU3/1/gpconnect/structured/fhir"
	// ProviderASID is the provider's Spine ASID (the suite's default).
	ProviderASID = "918999198738"
)

// Config configures a provider.
type Config struct {
	// Profile is exemplar, typical or legacy.
	Profile string
	// XML converts a JSON resource to FHIR XML; nil means XML is not offered.
	XML func([]byte) ([]byte, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defect is one documented departure from the specification and the probe that detects it.
type Defect struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	ProbeID     string `json:"probe_id"`
}

// Defects lists the GP Connect defects of a profile.
func Defects(profile string) []Defect {
	switch profile {
	case "typical":
		return []Defect{
			{"typical.gpc.ssp-to-unchecked", "Ssp-To is not compared with the provider's ASID: requests meant for another provider are served.", "gpconnect.headers.ssp-to"},
			{"typical.gpc.jwt-lifetime-unchecked", "The JWT's exp - iat is not checked: tokens living 299 or 301 seconds are accepted.", "gpconnect.jwt.lifetime"},
			{"typical.gpc.bundle-id", "The structured record Bundle.id is a new UUID instead of the request's Ssp-TraceID.", "gpconnect.structured.bundle"},
			{"typical.gpc.empty-list-reason", "Empty structured-record lists carry no emptyReason or note.", "gpconnect.structured.lists"},
			{"typical.gpc.sub-unchecked", "The JWT's sub is not compared with requesting_practitioner.id.", "gpconnect.jwt.sub"},
		}
	case "legacy":
		return []Defect{
			{"legacy.gpc.interaction-unchecked", "Ssp-InteractionID is not checked against the request: a wrong interaction is served.", "gpconnect.headers.interaction-id"},
			{"legacy.gpc.jwt-unchecked", "The Authorization JWT is not validated at all: missing claims, bad scopes and raw JSON tokens are accepted.", "gpconnect.jwt.claims"},
			{"legacy.gpc.no-store", "Responses carry no Cache-Control: no-store.", "gpconnect.http.no-store"},
			{"legacy.gpc.restricted-patients", "Patient search returns sensitive, deceased and inactive patients.", "gpconnect.patient.restricted"},
			{"legacy.gpc.forbidden-combinations", "Forbidden structured-record parameter combinations are accepted.", "gpconnect.structured.parameters"},
			{"legacy.gpc.plain-errors", "OperationOutcomes carry neither the GPConnect-OperationOutcome-1 profile nor a Spine error code.", "gpconnect.errors.operation-outcome"},
			{"legacy.gpc.no-mutual-tls", "No client certificate is asked for: anyone who reaches the port is served.", "gpconnect.tls.client-certificate"},
		}
	}
	return nil
}

// RequiresClientCertificate says whether the provider of a profile requires mutual TLS (the
// sandbox serves it on a port of its own with that policy); legacy does not (a defect).
func RequiresClientCertificate(profile string) bool { return profile != "legacy" }

type behaviour struct {
	checkSspTo, checkLifetime, traceBundleID, emptyReason bool
	checkInteraction, checkJWT, noStore, hideRestricted   bool
	checkCombinations, spineErrors, checkSub              bool
}

func behaviourOf(profile string) behaviour {
	b := behaviour{true, true, true, true, true, true, true, true, true, true, true}
	switch profile {
	case "typical":
		b.checkSspTo, b.checkLifetime, b.traceBundleID, b.emptyReason, b.checkSub = false, false, false, false, false
	case "legacy":
		b.checkInteraction, b.checkJWT, b.noStore, b.hideRestricted, b.checkCombinations, b.spineErrors = false, false, false, false, false, false
	}
	return b
}

// Provider serves both GP Connect FHIR servers of one practice.
type Provider struct {
	b    behaviour
	cfg  Config
	data *dataset

	mu           sync.Mutex
	appointments map[string]*appointment
	booked       map[string]string // slot id -> appointment id
	seq          int
}

// New makes a provider.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{b: behaviourOf(cfg.Profile), cfg: cfg, data: newDataset(cfg.Now()),
		appointments: map[string]*appointment{}, booked: map[string]string{}}
}

// Foundations is the Foundations and Appointment Management server, to be mounted at
// FoundationsPath with the prefix stripped.
func (p *Provider) Foundations() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, false) })
}

// Structured is the Access Record Structured server, to be mounted at StructuredPath.
func (p *Provider) Structured() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, true) })
}

// exchange is one request being answered.
type exchange struct {
	w       http.ResponseWriter
	r       *http.Request
	xml     bool
	traceID string
}

// route is what a request asks for: its interaction, the JWT scope that interaction needs,
// and the handler.
type route struct {
	interaction string
	scope       string
	handle      func(x *exchange, id string)
	id          string
}

const urn = "urn:nhs:names:services:gpconnect:"

func (p *Provider) routeOf(method string, segs []string, structured bool, interaction string) (route, bool) {
	n := len(segs)
	if structured {
		switch {
		case method == http.MethodGet && n == 1 && segs[0] == "metadata":
			return route{urn + "structured:fhir:rest:read:metadata-1", "organization/*.read", p.structuredMetadata, ""}, true
		case method == http.MethodPost && n == 2 && segs[0] == "Patient" && segs[1] == "$gpc.getstructuredrecord":
			return route{urn + "fhir:operation:gpc.getstructuredrecord-1", "patient/*.read", p.structuredRecord, ""}, true
		}
		return route{}, false
	}
	if n == 3 && method == http.MethodGet && segs[0] == "Patient" && segs[2] == "Appointment" {
		return route{urn + "fhir:rest:search:patient_appointments-1", "patient/*.read", p.patientAppointments, segs[1]}, true
	}
	if n == 0 || n > 2 {
		return route{}, false
	}
	typ := segs[0]
	id := ""
	if n == 2 {
		id = segs[1]
	}
	switch {
	case method == http.MethodGet && n == 1 && typ == "metadata":
		return route{urn + "fhir:rest:read:metadata-1", "organization/*.read", p.metadata, ""}, true
	case method == http.MethodGet && typ == "Patient":
		if n == 1 {
			return route{urn + "fhir:rest:search:patient-1", "patient/*.read", p.searchPatient, ""}, true
		}
		return route{urn + "fhir:rest:read:patient-1", "patient/*.read", p.readPatient, id}, true
	case method == http.MethodGet && (typ == "Organization" || typ == "Practitioner"):
		lower := strings.ToLower(typ)
		if n == 1 {
			return route{urn + "fhir:rest:search:" + lower + "-1", "organization/*.read", p.searchDirectory(typ), ""}, true
		}
		return route{urn + "fhir:rest:read:" + lower + "-1", "organization/*.read", p.readDirectory(typ), id}, true
	case method == http.MethodGet && typ == "Location" && n == 2:
		return route{urn + "fhir:rest:read:location-1", "organization/*.read", p.readDirectory("Location"), id}, true
	case method == http.MethodGet && typ == "Slot" && n == 1:
		return route{urn + "fhir:rest:search:slot-1", "organization/*.read", p.searchSlots, ""}, true
	case typ == "Appointment":
		switch {
		case method == http.MethodPost && n == 1:
			return route{urn + "fhir:rest:create:appointment-1", "patient/*.write", p.bookAppointment, ""}, true
		case method == http.MethodGet && n == 2:
			return route{urn + "fhir:rest:read:appointment-1", "patient/*.read", p.readAppointment, id}, true
		case method == http.MethodPut && n == 2:
			// Amend and cancel share the PUT: only the interaction tells them apart.
			if interaction == urn+"fhir:rest:cancel:appointment-1" {
				return route{interaction, "patient/*.write", p.cancelAppointment, id}, true
			}
			return route{urn + "fhir:rest:update:appointment-1", "patient/*.write", p.amendAppointment, id}, true
		}
	}
	return route{}, false
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request, structured bool) {
	x := &exchange{w: w, r: r, traceID: r.Header.Get("Ssp-TraceID")}
	if !p.negotiate(x) {
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	for _, name := range []string{"Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"} {
		if strings.TrimSpace(r.Header.Get(name)) == "" {
			p.fail(x, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", name+" header is missing or blank")
			return
		}
	}
	if p.b.checkSspTo && r.Header.Get("Ssp-To") != ProviderASID {
		p.fail(x, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "Ssp-To is not this provider's ASID")
		return
	}
	interaction := r.Header.Get("Ssp-InteractionID")
	rt, ok := p.routeOf(r.Method, segs, structured, interaction)
	if !ok {
		p.fail(x, http.StatusBadRequest, "not-supported", "BAD_REQUEST", "Bad request", fmt.Sprintf("%s %s is not a GP Connect interaction of this server", r.Method, "/"+path))
		return
	}
	if p.b.checkInteraction && interaction != rt.interaction {
		p.fail(x, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "Ssp-InteractionID does not match the request")
		return
	}
	if p.b.checkJWT {
		if status, code, msg := p.checkToken(r.Header.Get("Authorization"), rt.scope); status != 0 {
			issue := "invalid"
			if status == http.StatusUnprocessableEntity {
				issue = "invalid"
			}
			display := map[string]string{"BAD_REQUEST": "Bad request", "INVALID_RESOURCE": "Invalid validation of resource"}[code]
			p.fail(x, status, issue, code, display, msg)
			return
		}
	}
	rt.handle(x, rt.id)
}

// negotiate picks the response format: _format, then Accept; JSON by default. An unsupported
// format gets 415 ([S gen]).
func (p *Provider) negotiate(x *exchange) bool {
	want := x.r.URL.Query().Get("_format")
	if want == "" {
		want = x.r.Header.Get("Accept")
	}
	for _, part := range strings.Split(want, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(part))
		}
		switch mt {
		case "", "*/*", "application/*", "json", "application/json", "application/fhir+json", "application/json+fhir":
			return true
		case "xml", "application/fhir+xml", "application/xml+fhir":
			if p.cfg.XML != nil {
				x.xml = true
				return true
			}
		}
	}
	p.fail(x, http.StatusUnsupportedMediaType, "not-supported", "BAD_REQUEST", "Bad request", "unsupported format: use application/fhir+json or application/fhir+xml")
	return false
}

// checkToken validates the Authorization JWT ([S jwt], [T JWT.feature]). It returns the
// status, Spine code and message of the first problem, or status 0.
func (p *Provider) checkToken(header, scope string) (int, string, string) {
	bad := func(msg string) (int, string, string) { return http.StatusBadRequest, "BAD_REQUEST", msg }
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || tok == "" {
		return bad("Authorization must be a Bearer JWT")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return bad("JWT must have three base64url parts")
	}
	head, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	body, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return bad("JWT parts are not base64url encoded")
	}
	var h struct{ Alg, Typ string }
	if json.Unmarshal(head, &h) != nil || h.Alg != "none" {
		return bad("JWT header must be {\"alg\":\"none\",\"typ\":\"JWT\"}")
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(body, &c); err != nil {
		return bad("JWT payload is not a JSON object")
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope", "requesting_device", "requesting_organization", "requesting_practitioner"} {
		if len(c[name]) == 0 || string(c[name]) == "null" {
			return bad("JWT claim " + name + " is missing")
		}
	}
	var exp, iat int64
	if json.Unmarshal(c["exp"], &exp) != nil || json.Unmarshal(c["iat"], &iat) != nil {
		return bad("JWT exp and iat must be integer seconds")
	}
	now := p.cfg.Now().Unix()
	if p.b.checkLifetime && exp-iat != 300 {
		return bad("JWT exp must be iat + 300")
	}
	if exp <= now {
		return bad("JWT has expired")
	}
	if iat > now+600 {
		return bad("JWT iat is in the future")
	}
	var reason, gotScope string
	_ = json.Unmarshal(c["reason_for_request"], &reason)
	_ = json.Unmarshal(c["requested_scope"], &gotScope)
	if reason != "directcare" {
		return bad("reason_for_request must be directcare")
	}
	base, conf, _ := strings.Cut(gotScope, " ")
	if base != scope || (conf != "" && conf != "conf/N") {
		return bad(fmt.Sprintf("requested_scope %q does not allow this interaction (%s)", gotScope, scope))
	}
	for claim, want := range map[string]string{"requesting_device": "Device", "requesting_organization": "Organization", "requesting_practitioner": "Practitioner"} {
		var res map[string]json.RawMessage
		if json.Unmarshal(c[claim], &res) != nil {
			return bad(claim + " is not a JSON object")
		}
		var rt string
		_ = json.Unmarshal(res["resourceType"], &rt)
		if rt != want {
			return http.StatusUnprocessableEntity, "INVALID_RESOURCE", fmt.Sprintf("%s must be a %s resource", claim, want)
		}
		allowed := map[string][]string{
			"Device":       {"resourceType", "id", "identifier", "model", "version", "type"},
			"Organization": {"resourceType", "id", "name", "identifier"},
			"Practitioner": {"resourceType", "id", "identifier", "name"},
		}[want]
		for k := range res {
			if !slices.Contains(allowed, k) {
				return http.StatusUnprocessableEntity, "INVALID_RESOURCE", fmt.Sprintf("%s has an element %q its minimal %s may not carry", claim, k, want)
			}
		}
		switch want {
		case "Organization":
			if !hasIdentifier(res["identifier"], systemODS) {
				return bad("requesting_organization needs an identifier in " + systemODS)
			}
		case "Practitioner":
			if !hasIdentifier(res["identifier"], systemSDSUser) {
				return bad("requesting_practitioner needs an identifier in " + systemSDSUser + " (UNK when the user has none)")
			}
			var sub, id string
			_ = json.Unmarshal(c["sub"], &sub)
			_ = json.Unmarshal(res["id"], &id)
			if p.b.checkSub && sub != id {
				return bad("sub must equal requesting_practitioner.id")
			}
		}
	}
	return 0, "", ""
}

// hasIdentifier reports whether a JSON identifier array holds a value in the system.
func hasIdentifier(raw json.RawMessage, system string) bool {
	var ids []struct{ System, Value string }
	if json.Unmarshal(raw, &ids) != nil {
		return false
	}
	return slices.ContainsFunc(ids, func(id struct{ System, Value string }) bool { return id.System == system && id.Value != "" })
}

// write sends a resource with the GP Connect headers.
func (p *Provider) write(x *exchange, status int, body []byte, etag string) {
	h := x.w.Header()
	if p.b.noStore {
		h.Set("Cache-Control", "no-store")
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
	if x.xml {
		if xb, err := p.cfg.XML(body); err == nil {
			h.Set("Content-Type", "application/fhir+xml;charset=utf-8")
			p.send(x, status, xb)
			return
		}
	}
	h.Set("Content-Type", "application/fhir+json;charset=utf-8")
	p.send(x, status, body)
}

// send writes the body, gzip-compressed when the client accepts it ([S gen]: GZIP SHALL be
// supported).
func (p *Provider) send(x *exchange, status int, body []byte) {
	if !acceptsGzip(x.r.Header.Get("Accept-Encoding")) {
		x.w.WriteHeader(status)
		_, _ = x.w.Write(body)
		return
	}
	x.w.Header().Set("Content-Encoding", "gzip")
	x.w.Header().Add("Vary", "Accept-Encoding")
	x.w.WriteHeader(status)
	zw := gzip.NewWriter(x.w)
	_, _ = zw.Write(body)
	_ = zw.Close()
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (p *Provider) writeJSON(x *exchange, status int, v any, etag string) {
	body, err := json.Marshal(v)
	if err != nil {
		p.fail(x, http.StatusInternalServerError, "exception", "INTERNAL_SERVER_ERROR", "Internal server error", "could not render the response")
		return
	}
	p.write(x, status, body, etag)
}

// fail answers with a GP Connect OperationOutcome.
func (p *Provider) fail(x *exchange, status int, issueCode, spineCode, display, diagnostics string) {
	p.writeJSON(x, status, p.outcome("error", issueCode, spineCode, display, diagnostics), "")
}

func (p *Provider) outcome(severity, issueCode, spineCode, display, diagnostics string) map[string]any {
	issue := map[string]any{"severity": severity, "code": issueCode, "diagnostics": diagnostics}
	oo := map[string]any{"resourceType": "OperationOutcome", "issue": []any{issue}}
	if p.b.spineErrors {
		if display == "" {
			display = spineDisplay[spineCode]
		}
		oo["meta"] = map[string]any{"profile": []string{"https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"}}
		issue["details"] = map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": spineCode, "display": display}}}
	}
	return oo
}

var spineDisplay = map[string]string{
	"BAD_REQUEST":               "Bad request",
	"INVALID_PARAMETER":         "Invalid parameter",
	"INVALID_RESOURCE":          "Invalid validation of resource",
	"INVALID_NHS_NUMBER":        "Invalid NHS number",
	"PATIENT_NOT_FOUND":         "Patient not found",
	"ORGANISATION_NOT_FOUND":    "Organisation record not found",
	"PRACTITIONER_NOT_FOUND":    "Practitioner record not found",
	"NO_RECORD_FOUND":           "No record found",
	"DUPLICATE_REJECTED":        "Create would lead to creation of a duplicate resource",
	"NOT_IMPLEMENTED":           "Not implemented",
	"FHIR_CONSTRAINT_VIOLATION": "FHIR constraint violated",
}
