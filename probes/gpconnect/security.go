package gpconnect

import (
	"context"
	"encoding/json"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Requirement texts shared by several probes ([S sec], [S err]).
const (
	reqSSPHeaders  = "Provider systems MUST check for the presence of all SSP headers; a missing or invalid header gets 400 BAD_REQUEST (error handling guidance, malformed request errors)."
	reqBearerToken = "Provider systems MUST check that an authorization bearer token is present and correctly formed; JWT claims that are missing or invalid get 400 BAD_REQUEST."
)

func securityDefs() []def {
	jwtRef := specJWT + "#jwt-payload; " + specErrors + "; " + suite + "JWT.feature"
	return []def{
		{"gpconnect.headers.ssp-traceid", probes.High, verdict.Shall, "Ssp-TraceID is required",
			specSecurity + "#secure-connection-negotiation; " + specSSP + "; " + suite + "SSP.feature",
			reqSSPHeaders, "A request without Ssp-TraceID, or with a blank one, is refused with 400 BAD_REQUEST.", headerNegatives("Ssp-TraceID")},
		{"gpconnect.headers.ssp-from", probes.High, verdict.Shall, "Ssp-From is required",
			specSecurity + "#secure-connection-negotiation; " + specSSP + "; " + suite + "SSP.feature",
			reqSSPHeaders, "A request without Ssp-From (the consumer's ASID), or with a blank one, is refused with 400 BAD_REQUEST.", headerNegatives("Ssp-From")},
		{"gpconnect.headers.ssp-to", probes.High, verdict.Shall, "Requests for another provider's ASID are refused",
			specSecurity + "#secure-connection-negotiation; " + suite + "SSP.feature",
			"Provider systems MUST only accept requests for its allocated ASID, as specified by the Ssp-To header, on its matching endpoint URL.",
			"Ssp-To missing, blank or naming another ASID gets 400 BAD_REQUEST.", headerNegatives("Ssp-To")},
		{"gpconnect.headers.interaction-id", probes.High, verdict.Shall, "The interaction id must match the request",
			specSecurity + "#secure-connection-negotiation; " + specInteraction + "; " + specErrors + "; " + suite + "SSP.feature",
			"Provider systems MUST check that the Ssp-InteractionID value is consistent with the endpoint being requested.",
			"Ssp-InteractionID missing, blank, of another interaction or unknown gets 400 BAD_REQUEST.", headerNegatives("Ssp-InteractionID")},
		{"gpconnect.headers.required", probes.High, verdict.Shall, "The Authorization bearer token is required",
			specSecurity + "#secure-connection-negotiation; " + specJWT + "#bearer-token; " + suite + "SSP.feature",
			reqBearerToken,
			"No Authorization header, an empty Bearer token and a Basic credential are each refused (400 BAD_REQUEST, or 401 as RFC 6750 §3.1 allows); a 2xx serves the request without the audit token.", headerNegatives("Authorization")},
		{"gpconnect.jwt.claims", probes.High, verdict.Shall, "The registered JWT claims are enforced",
			jwtRef, reqBearerToken + " iss, aud, exp and iat are required claims (RFC 7519).",
			"A JWT without iss, aud, exp or iat gets 400 BAD_REQUEST.",
			claimNegatives("iss", "aud", "exp", "iat")},
		{"gpconnect.jwt.sub", probes.High, verdict.Shall, "sub is required and names the requesting practitioner",
			jwtRef, "sub (required): ID for the user on whose behalf this request is being made; it matches requesting_practitioner.id.",
			"A JWT without sub, or whose sub differs from requesting_practitioner.id, gets 400 BAD_REQUEST.", jwtSub},
		{"gpconnect.jwt.lifetime", probes.High, verdict.Shall, "JWT lifetime is exactly 300 seconds",
			jwtRef, "exp (required): expiration time integer after which this authorization MUST be considered invalid: (now + 5 minutes) UTC time in seconds; expired tokens are rejected.",
			"exp - iat of 299 or 301 or negative gets 400, as does an expired token (iat 600 s ago); iat 200 s ahead is accepted by the suite (the spec is silent on clock skew: a refusal warns).", jwtLifetime},
		{"gpconnect.jwt.encoding", probes.Medium, verdict.Shall, "The JWT must be base64url encoded",
			specJWT + "#jwt-generation; " + suite + "JWT.feature",
			"The JWT SHALL consist of three base64url-encoded parts separated by dots, the header using the none algorithm and the signature empty.",
			"A bearer token that is raw JSON, or not three parts, gets 400 BAD_REQUEST.", jwtEncoding},
		{"gpconnect.jwt.scope", probes.Medium, verdict.Shall, "requested_scope is required and valid",
			jwtRef + "; " + specSecurity + "#authorisation-of-access-to-endpoints; " + suite + "AppointmentRetrieve.feature",
			"requested_scope (required): patient/*.[read|write] or organization/*.[read|write]. Providers MAY authorise endpoints by its value (the suite requires them to).",
			"A JWT without requested_scope or with 'badScope' gets 400 BAD_REQUEST (fail); a valid scope that does not fit the interaction warns when accepted (MAY in the spec, required by the suite).", jwtScope},
		{"gpconnect.jwt.reason-for-request", probes.Medium, verdict.Shall, "reason_for_request is required and is directcare",
			jwtRef, "reason_for_request (required): purpose for which access is being requested, fixed value directcare (migration only for the migrate interactions).",
			"A JWT without reason_for_request, with an unknown value or with migration on a direct-care interaction gets 400 BAD_REQUEST.", jwtReason},
		{"gpconnect.jwt.resources", probes.Medium, verdict.Shall, "JWT resources must be valid FHIR resources",
			specErrors + "; " + jwtRef,
			"requesting_device, requesting_organization and requesting_practitioner SHALL be minimal FHIR STU3 resources of their type; an invalid one is refused (400 BAD_REQUEST in the spec's error table, 422 INVALID_RESOURCE in the 1.6.0 suite).",
			"A wrong resourceType or an unknown element in a JWT resource gets 422 INVALID_RESOURCE (suite) or 400 BAD_REQUEST (spec); either passes, the observation says which.", jwtResources},
		{"gpconnect.jwt.requesting-device", probes.Medium, verdict.Shall, "requesting_device is required",
			jwtRef, "requesting_device (required): device details and/or system url making the request, a FHIR Device.",
			"A JWT without requesting_device gets 400 BAD_REQUEST.", claimNegatives("requesting_device")},
		{"gpconnect.jwt.requesting-organization", probes.Medium, verdict.Shall, "requesting_organization is required and carries an ODS code",
			jwtRef + "#population-of-requesting_organization",
			"requesting_organization (required): the FHIR Organization making the request; it SHALL include name and an identifier with system https://fhir.nhs.uk/Id/ods-organization-code and the requesting organisation's ODS code.",
			"A JWT without requesting_organization, or whose organisation has no ODS identifier, gets 400 BAD_REQUEST.", jwtOrganization},
		{"gpconnect.jwt.requesting-practitioner", probes.Medium, verdict.Shall, "requesting_practitioner is required; UNK SDS ids accepted",
			jwtRef + "#population-of-requesting_practitioner",
			"requesting_practitioner (required): the FHIR Practitioner making the request, with an SDS user id identifier (the value UNK where the user has none) and an SDS role profile id (UNK where none).",
			"A JWT without requesting_practitioner, or whose practitioner has no SDS user id identifier, gets 400 BAD_REQUEST; UNK SDS user and role profile ids are accepted.", jwtPractitioner},
	}
}

func metadataCall() Call {
	return Call{URL: "metadata", Interaction: InteractionMetadata, Scope: ScopeOrgRead}
}

func withOmit(c Call, h ...string) Call { c.Omit = h; return c }

func withSet(c Call, k, v string) Call {
	c.Set = map[string]string{k: v}
	return c
}

func withClaims(c Call, f func(jwt.MapClaims)) Call { c.Claims = f; return c }

var badRequest = []expectation{specAnswer(400, "BAD_REQUEST"), otherRefusal("the suite accepts any failure with an OperationOutcome")}

// headerNegatives sends /metadata without the header, with it blank, and (for Ssp-To,
// Ssp-InteractionID and Authorization) with a wrong value.
func headerNegatives(header string) func(context.Context, *probes.Session) probes.Result {
	return func(ctx context.Context, s *probes.Session) probes.Result {
		exp := "400 BAD_REQUEST with a GP Connect OperationOutcome when " + header + " is missing, blank or wrong"
		want := badRequest
		cases := []negativeCase{
			{name: "without " + header, call: withOmit(metadataCall(), header), want: want},
			{name: header + " blank", call: withSet(metadataCall(), header, ""), want: want},
		}
		switch header {
		case "Ssp-To":
			cases = append(cases, negativeCase{name: "Ssp-To 200000000999 (another ASID)", call: withSet(metadataCall(), "Ssp-To", "200000000999"), want: []expectation{specAnswer(400, "BAD_REQUEST")}})
		case "Ssp-InteractionID":
			wrong := metadataCall()
			wrong.Interaction = InteractionSearchPatient
			unknown := metadataCall()
			unknown.Interaction = urnPrefix + "fhir:rest:read:metadata-9"
			cases = append(cases,
				negativeCase{name: "patient-search interaction on /metadata", call: wrong, want: []expectation{specAnswer(400, "BAD_REQUEST")}},
				negativeCase{name: "unknown interaction", call: unknown, want: []expectation{specAnswer(400, "BAD_REQUEST")}})
		case "Authorization":
			unauth := expectation{status: 401, source: "RFC 6750 §3.1", noOutcome: true}
			want = append([]expectation{specAnswer(400, "BAD_REQUEST"), unauth}, otherRefusal("the suite accepts any failure with an OperationOutcome"))
			cases = []negativeCase{
				{name: "without Authorization", call: withOmit(metadataCall(), header), want: want},
				{name: "Authorization: Bearer (empty token)", call: withRaw(metadataCall(), ""), want: want},
				{name: "Authorization: Basic", call: withSet(metadataCall(), "Authorization", "Basic amlnc2F3Omluc3BlY3Rpb24="), want: want},
			}
		}
		return runNegative(ctx, s, exp, cases)
	}
}

// withRaw sends Authorization: Bearer <raw> (an empty raw sends "Bearer ").
func withRaw(c Call, raw string) Call {
	if raw == "" {
		c.Set = map[string]string{"Authorization": "Bearer "}
		return c
	}
	c.RawToken = raw
	return c
}

// claimNegatives leaves out each claim in turn.
func claimNegatives(claims ...string) func(context.Context, *probes.Session) probes.Result {
	return func(ctx context.Context, s *probes.Session) probes.Result {
		exp := "400 BAD_REQUEST for a JWT without each required claim"
		var cases []negativeCase
		for _, claim := range claims {
			cases = append(cases, negativeCase{name: "without " + claim, call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, claim) }), want: badRequest})
		}
		return runNegative(ctx, s, exp, cases)
	}
}

func jwtSub(ctx context.Context, s *probes.Session) probes.Result {
	return runNegative(ctx, s, "400 BAD_REQUEST for a JWT without sub or with sub ≠ requesting_practitioner.id", []negativeCase{
		{name: "without sub", call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, "sub") }), want: badRequest},
		{name: "sub ≠ requesting_practitioner.id", call: withClaims(metadataCall(), func(c jwt.MapClaims) { c["sub"] = "jigsaw-someone-else" }), want: badRequest},
	})
}

func jwtLifetime(ctx context.Context, s *probes.Session) probes.Result {
	exp := "400 when exp - iat is not 300 or the token has expired; iat 200 s ahead accepted (suite)"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	lifetime := func(d int64) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + d }
	}
	past := metadataCall()
	past.Now = time.Now().Add(-600 * time.Second)
	var o negativeOutcome
	if err := o.send(ctx, s, []negativeCase{
		{name: "exp - iat = 301", call: withClaims(metadataCall(), lifetime(301)), want: badRequest},
		{name: "exp - iat = 299", call: withClaims(metadataCall(), lifetime(299)), want: badRequest},
		{name: "exp before iat", call: withClaims(metadataCall(), lifetime(-1)), want: badRequest},
		{name: "iat 600 s ago (expired)", call: past, want: badRequest},
	}); err != nil {
		return probes.Errored(exp, err)
	}
	future := metadataCall()
	future.Now = time.Now().Add(200 * time.Second)
	sent, err := Do(ctx, s, future)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		// The spec is silent on clock skew; the suite expects acceptance.
		o.warns = append(o.warns, "iat 200 s ahead refused ("+sent.Describe()+"): the suite (JWT.feature) expects 200, the specification is silent on clock skew")
	} else {
		o.notes = append(o.notes, "iat 200 s ahead: HTTP 200")
	}
	return o.result(exp)
}

func jwtEncoding(ctx context.Context, s *probes.Session) probes.Result {
	claims := Claims(Settings(s.Target), s.Target.BaseURL, ScopeOrgRead, time.Now())
	raw, _ := json.Marshal(claims)
	return runNegative(ctx, s, "400 BAD_REQUEST for a token that is not a base64url JWT", []negativeCase{
		{name: "raw JSON token", call: withRaw(metadataCall(), string(raw)), want: badRequest},
		{name: "one-part token", call: withRaw(metadataCall(), "not-a-jwt"), want: badRequest},
	})
}

func jwtScope(ctx context.Context, s *probes.Session) probes.Result {
	badScope := metadataCall()
	badScope.Scope = "badScope"
	wrongScope := metadataCall()
	wrongScope.Scope = ScopePatientWrite
	return runNegative(ctx, s, "400 BAD_REQUEST without requested_scope or with an invalid one; a scope that does not fit the interaction refused (suite)", []negativeCase{
		{name: "without requested_scope", call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, "requested_scope") }), want: badRequest},
		{name: "requested_scope badScope", call: badScope, want: badRequest},
		{name: "patient/*.write on /metadata", call: wrongScope, want: []expectation{specAnswer(400, "BAD_REQUEST")},
			suiteOnly: "the specification lets providers authorise by requested_scope (MAY); the suite requires it"},
	})
}

func jwtReason(ctx context.Context, s *probes.Session) probes.Result {
	reason := func(v string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c["reason_for_request"] = v } }
	return runNegative(ctx, s, "400 BAD_REQUEST for a JWT without reason_for_request or with a value other than directcare", []negativeCase{
		{name: "without reason_for_request", call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, "reason_for_request") }), want: badRequest},
		{name: "reason_for_request invalid", call: withClaims(metadataCall(), reason("invalid")), want: badRequest},
		{name: "reason_for_request migration on /metadata", call: withClaims(metadataCall(), reason("migration")), want: badRequest},
	})
}

func jwtResources(ctx context.Context, s *probes.Session) probes.Result {
	want := []expectation{{status: 422, codes: []string{"INVALID_RESOURCE"}, source: "suite"}, specAnswer(400, "BAD_REQUEST")}
	setField := func(claim, key string, v any) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c[claim].(map[string]any)[key] = v }
	}
	return runNegative(ctx, s, "422 INVALID_RESOURCE (suite) or 400 BAD_REQUEST (spec) for invalid JWT resources", []negativeCase{
		{name: "device resourceType InvalidResourceType", call: withClaims(metadataCall(), setField("requesting_device", "resourceType", "InvalidResourceType")), want: want},
		{name: "device with an unknown element", call: withClaims(metadataCall(), setField("requesting_device", "jigsawUnknownElement", "x")), want: want},
		{name: "organization resourceType InvalidResourceType", call: withClaims(metadataCall(), setField("requesting_organization", "resourceType", "InvalidResourceType")), want: want},
		{name: "practitioner resourceType InvalidResourceType", call: withClaims(metadataCall(), setField("requesting_practitioner", "resourceType", "InvalidResourceType")), want: want},
	})
}

func jwtOrganization(ctx context.Context, s *probes.Session) probes.Result {
	return runNegative(ctx, s, "400 BAD_REQUEST for a JWT without requesting_organization or without its ODS code", []negativeCase{
		{name: "without requesting_organization", call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, "requesting_organization") }), want: badRequest},
		{name: "requesting_organization without an ODS identifier", call: withClaims(metadataCall(), func(c jwt.MapClaims) {
			delete(c["requesting_organization"].(map[string]any), "identifier")
		}), want: badRequest},
	})
}

func jwtPractitioner(ctx context.Context, s *probes.Session) probes.Result {
	exp := "400 BAD_REQUEST without requesting_practitioner or its SDS user id; 200 with UNK SDS ids"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	var o negativeOutcome
	if err := o.send(ctx, s, []negativeCase{
		{name: "without requesting_practitioner", call: withClaims(metadataCall(), func(c jwt.MapClaims) { delete(c, "requesting_practitioner") }), want: badRequest},
		{name: "practitioner without an SDS user id", call: withClaims(metadataCall(), func(c jwt.MapClaims) {
			c["requesting_practitioner"].(map[string]any)["identifier"] = []any{map[string]any{"system": "https://jigsaw.inspection.invalid/user", "value": "local-1"}}
		}), want: badRequest},
	}); err != nil {
		return probes.Errored(exp, err)
	}
	sent, err := Do(ctx, s, withClaims(metadataCall(), func(c jwt.MapClaims) {
		pr := c["requesting_practitioner"].(map[string]any)
		pr["identifier"] = []any{map[string]any{"system": SystemSDSUser, "value": "UNK"}, map[string]any{"system": SystemSDSRole, "value": "UNK"}}
	}))
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode != 200 {
		o.bad = append(o.bad, "UNK SDS user and role profile ids refused: "+sent.Describe())
	} else {
		o.notes = append(o.notes, "UNK SDS ids: HTTP 200")
	}
	return o.result(exp)
}
