package sandbox

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// r4Server is the FHIR R4 API of one sandbox organisation, mounted under its base path with the
// prefix stripped: it sees /metadata, /Patient/123 and so on.
type r4Server struct {
	b        behaviour
	store    *store
	token    string
	httpsURL string // "https://127.0.0.1:port/fhir/r4"
	httpURL  string // the same over plain HTTP, for profiles that serve it

	capability []byte
	smart      []byte

	latencyScale float64
	jitterMu     sync.Mutex
	jitter       rng
}

// maxSearchBody bounds a POST _search body (form-encoded parameters).
const maxSearchBody = 64 << 10

// Content types.
const (
	ctFHIRJSON  = "application/fhir+json; charset=utf-8"
	ctFHIRXML   = "application/fhir+xml; charset=utf-8"
	ctJSON      = "application/json; charset=utf-8"
	ctLegacy    = "application/json;charset=UTF-8"
	ctHTML      = "text/html;charset=utf-8"
	ctPlainText = "text/plain; charset=utf-8"
)

// responseKind says what a response carries, for its headers.
type responseKind int

const (
	kindConformance responseKind = iota // CapabilityStatement: no patient data
	kindResource                        // a read
	kindSearch                          // a search Bundle
	kindError                           // an OperationOutcome
)

// exchange is one request being answered: the negotiated format and what the route needs.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	format format
	pretty bool
	base   string // the base URL the client used (https, or http on legacy's plain listener)
	// protected marks routes behind authentication: their responses may carry patient data,
	// so they are never to be cached.
	protected bool
}

func (s *r4Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, format: formatJSON, base: s.httpsURL}
	if r.TLS == nil {
		x.base = s.httpURL
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.fail(x, http.StatusInternalServerError, "exception", "internal error", "java.lang.NullPointerException")
		}
	}()

	h := w.Header()
	if s.b.hsts && r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	if s.b.htmlErrors {
		h.Set("Server", "Apache-Coyote/1.1")
		h.Set("X-Powered-By", "Servlet/3.0 JSP/2.2 (Apache Tomcat/7.0.52 Java/1.7.0_51)")
	} else {
		h.Set("X-Content-Type-Options", "nosniff")
	}

	params, queryErr := parseQueryString(r.URL.RawQuery)
	formatParam, hasFormat := "", false
	for _, p := range params {
		switch {
		case p.name == "_format" && !hasFormat:
			formatParam, hasFormat = p.value, true
		case p.name == "_pretty" && p.value == "true":
			x.pretty = true
		}
	}
	requested := negotiateFormat(formatParam, hasFormat, r.Header.Get("Accept"))

	path := strings.TrimPrefix(r.URL.Path, "/")
	segs := strings.Split(path, "/")
	if path == "" {
		segs = nil
	}
	route := s.classify(r.Method, segs)
	x.protected = route.protected && s.b.noStore
	s.delay(r.Context(), route.kind)

	switch {
	case requested == formatXML && s.b.xml == xmlServed:
		x.format = formatXML
	case requested != formatJSON && s.b.xml == xmlCrashes:
		s.crash(x, "org.springframework.web.HttpMediaTypeNotAcceptableException", "Could not find acceptable representation")
		return
	case requested == formatUnsupported && s.b.xml == xmlServed:
		s.fail(x, http.StatusNotAcceptable, "not-supported", "none of the requested formats is supported: use _format=json or xml, or Accept: application/fhir+json or application/fhir+xml", "")
		return
	}
	if queryErr != nil {
		s.fail(x, http.StatusBadRequest, "invalid", "malformed query string: "+queryErr.Error(), "java.lang.IllegalArgumentException")
		return
	}

	if route.protected && s.b.authRequired {
		if ok, presented := s.authorised(r); !ok {
			s.unauthorised(x, presented)
			return
		}
	}
	route.serve(s, x, params)
}

// route is what a request asks for.
type route struct {
	kind      routeKind
	protected bool
	serve     func(s *r4Server, x *exchange, params []queryParam)
}

type routeKind int

const (
	routeOther routeKind = iota
	routePatientSearch
	routeObservationSearch
)

// classify maps method and path to a route. Unknown paths still need authentication: a
// client without a token learns nothing about what exists.
func (s *r4Server) classify(method string, segs []string) route {
	readOnly := func(serve func(*r4Server, *exchange, []queryParam)) func(*r4Server, *exchange, []queryParam) {
		if method == http.MethodGet || method == http.MethodHead {
			return serve
		}
		return func(s *r4Server, x *exchange, _ []queryParam) { s.methodNotAllowed(x, "GET, HEAD") }
	}
	switch {
	case len(segs) == 0:
		return route{protected: true, serve: readOnly(func(s *r4Server, x *exchange, _ []queryParam) {
			s.fail(x, http.StatusBadRequest, "not-supported", "system-level search is not supported: search a resource type, e.g. Patient?identifier=...", "java.lang.UnsupportedOperationException")
		})}
	case len(segs) == 1 && segs[0] == "metadata":
		return route{serve: readOnly((*r4Server).metadata)}
	case len(segs) == 2 && segs[0] == ".well-known" && segs[1] == "smart-configuration":
		return route{serve: readOnly((*r4Server).smartConfiguration)}
	case len(segs) == 2 && segs[0] == "auth" && (segs[1] == "authorize" || segs[1] == "token"):
		return route{serve: (*r4Server).oauth}
	}
	def := resourceDefByName(segs[0])
	if def == nil {
		name := segs[0]
		return route{protected: true, serve: func(s *r4Server, x *exchange, _ []queryParam) {
			s.notFound(x, "not-supported", fmt.Sprintf("resource type %q is not supported here", truncate(name, 64)))
		}}
	}
	kind := routeOther
	switch def.name {
	case "Patient":
		kind = routePatientSearch
	case "Observation":
		kind = routeObservationSearch
	}
	switch {
	case len(segs) == 1:
		if method == http.MethodPost {
			return route{protected: true, serve: func(s *r4Server, x *exchange, _ []queryParam) {
				s.methodNotAllowed(x, "GET, HEAD")
			}}
		}
		return route{kind: kind, protected: true, serve: readOnly(func(s *r4Server, x *exchange, params []queryParam) {
			s.search(x, def, params)
		})}
	case len(segs) == 2 && segs[1] == "_search":
		return route{kind: kind, protected: true, serve: func(s *r4Server, x *exchange, params []queryParam) {
			if method != http.MethodPost {
				s.methodNotAllowed(x, "POST")
				return
			}
			s.postSearch(x, def, params)
		}}
	case len(segs) == 2:
		id := segs[1]
		return route{protected: true, serve: readOnly(func(s *r4Server, x *exchange, _ []queryParam) {
			s.read(x, def, id, "")
		})}
	case len(segs) == 4 && segs[2] == "_history":
		id, vid := segs[1], segs[3]
		return route{protected: true, serve: readOnly(func(s *r4Server, x *exchange, _ []queryParam) {
			s.read(x, def, id, vid)
		})}
	}
	return route{protected: true, serve: func(s *r4Server, x *exchange, _ []queryParam) {
		s.notFound(x, "not-supported", "no such interaction: the sandbox supports read, vread and search")
	}}
}

// delay makes the profile's slow responses slow. It returns early if the request is cancelled
// (the client went away, or the server is shutting down).
func (s *r4Server) delay(ctx context.Context, kind routeKind) {
	if s.latencyScale <= 0 {
		return
	}
	var d time.Duration
	span := func(r [2]time.Duration) time.Duration {
		if r[1] <= r[0] {
			return r[0]
		}
		s.jitterMu.Lock()
		defer s.jitterMu.Unlock()
		return r[0] + time.Duration(s.jitter.intn(int(r[1]-r[0])))
	}
	switch kind {
	case routePatientSearch:
		d = span(s.b.patientSearchDelay)
	case routeObservationSearch:
		d = s.b.observationSearchDelay
	}
	if d == 0 {
		d = span(s.b.otherDelay)
	}
	d = time.Duration(float64(d) * s.latencyScale)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// authorised reports whether the request carries the server's bearer token, and whether it
// presented credentials at all.
func (s *r4Server) authorised(r *http.Request) (ok, presented bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return false, false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return false, true
	}
	token = strings.TrimSpace(token)
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1, true
}

func (s *r4Server) unauthorised(x *exchange, presented bool) {
	if s.b.wwwAuthenticate {
		challenge := `Bearer realm="` + s.httpsURL + `"`
		if presented {
			challenge += `, error="invalid_token", error_description="the access token is not valid"`
		}
		x.w.Header().Set("WWW-Authenticate", challenge)
	}
	msg := "authentication required: send Authorization: Bearer <token>"
	if presented {
		msg = "the access token is not valid"
	}
	s.writeOutcome(x, http.StatusUnauthorized, "login", msg)
}

func (s *r4Server) methodNotAllowed(x *exchange, allow string) {
	x.w.Header().Set("Allow", allow)
	s.fail(x, http.StatusMethodNotAllowed, "not-supported", "method "+truncate(x.r.Method, 16)+" is not allowed here: the sandbox is read-only", "org.springframework.web.HttpRequestMethodNotSupportedException")
}

// notFound answers a missing resource type, interaction or page.
func (s *r4Server) notFound(x *exchange, code, msg string) {
	if s.b.htmlErrors {
		s.htmlPage(x, http.StatusNotFound, "", "The requested resource is not available.")
		return
	}
	s.writeOutcome(x, http.StatusNotFound, code, msg)
}

// fail answers an error: an OperationOutcome, or on the legacy profile an HTML page with a stack
// trace naming javaException.
func (s *r4Server) fail(x *exchange, status int, code, msg, javaException string) {
	if s.b.htmlErrors {
		if javaException == "" {
			javaException = "java.lang.IllegalStateException"
		}
		s.htmlPage(x, status, javaException, msg)
		return
	}
	s.writeOutcome(x, status, code, msg)
}

// crash answers 500 with the legacy profile's error page.
func (s *r4Server) crash(x *exchange, javaException, msg string) {
	s.htmlPage(x, http.StatusInternalServerError, javaException, msg)
}

func (s *r4Server) writeOutcome(x *exchange, status int, code, msg string) {
	severity := "error"
	if status < 400 {
		severity = "information"
	}
	body, err := marshalJSON(operationOutcome{
		ResourceType: "OperationOutcome",
		Issue:        []operationOutcomeIssue{{Severity: severity, Code: code, Diagnostics: msg}},
	})
	if err != nil {
		http.Error(x.w, "internal error", http.StatusInternalServerError)
		return
	}
	s.write(x, status, kindError, body)
}

// write sends a FHIR body with the headers the profile gives it.
func (s *r4Server) write(x *exchange, status int, kind responseKind, body []byte) {
	h := x.w.Header()
	if x.protected {
		h.Set("Cache-Control", "no-store")
	}
	ct := ctFHIRJSON
	switch {
	case !s.b.fhirContentType:
		ct = ctLegacy
	case x.format == formatXML:
		ct = ctFHIRXML
		converted, err := fhirJSONToXML(body)
		if err != nil {
			x.format = formatJSON
			s.writeOutcome(x, http.StatusInternalServerError, "exception", "could not render XML: "+err.Error())
			return
		}
		body = converted
	case kind == kindSearch && s.b.searchJSONContentType:
		ct = ctJSON
	}
	if x.pretty && x.format == formatJSON {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	h.Set("Content-Type", ct)
	x.w.WriteHeader(status)
	if x.r.Method != http.MethodHead {
		_, _ = x.w.Write(body)
	}
}

func (s *r4Server) metadata(x *exchange, _ []queryParam) {
	s.write(x, http.StatusOK, kindConformance, s.capability)
}

func (s *r4Server) smartConfiguration(x *exchange, _ []queryParam) {
	if !s.b.smart {
		s.notFound(x, "not-found", "no SMART configuration")
		return
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	if x.r.Method != http.MethodHead {
		_, _ = x.w.Write(s.smart)
	}
}

// oauth answers the SMART endpoints the configuration advertises. The sandbox runs no
// authorisation server: its one token is printed at start, so both endpoints refuse, in OAuth's
// own error format.
func (s *r4Server) oauth(x *exchange, _ []queryParam) {
	if !s.b.smart {
		s.notFound(x, "not-found", "no such endpoint")
		return
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(x.w, `{"error":"unauthorized_client","error_description":"the Jigsaw sandbox issues no tokens: use the bearer token printed by jigsaw sandbox"}`)
}

func (s *r4Server) read(x *exchange, def *resourceDef, id, vid string) {
	ts := s.store.types[def.name]
	rec := ts.byID[id]
	if s.b.notFound200 && rec == nil {
		s.writeOutcome(x, http.StatusOK, "not-found", "No record found")
		return
	}
	if !validID(id) {
		s.fail(x, http.StatusBadRequest, "invalid", fmt.Sprintf("%q is not a valid FHIR id", truncate(id, 80)), "java.lang.IllegalArgumentException")
		return
	}
	if rec == nil {
		s.fail(x, http.StatusNotFound, "not-found", def.name+"/"+id+" is not known", "")
		return
	}
	if vid != "" && s.b.etags && vid != fmt.Sprint(rec.version) {
		s.fail(x, http.StatusNotFound, "not-found", fmt.Sprintf("%s/%s has no version %q", def.name, id, truncate(vid, 20)), "")
		return
	}
	if s.b.etags {
		x.w.Header().Set("ETag", rec.etag())
		x.w.Header().Set("Last-Modified", rec.lastUpdated.Format(http.TimeFormat))
		if inm := x.r.Header.Get("If-None-Match"); inm != "" && slices.Contains(splitETags(inm), rec.etag()) {
			if x.protected {
				x.w.Header().Set("Cache-Control", "no-store")
			}
			x.w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.write(x, http.StatusOK, kindResource, rec.body)
}

func splitETags(h string) []string {
	var out []string
	for _, t := range strings.Split(h, ",") {
		out = append(out, strings.TrimSpace(t))
	}
	return out
}

// postSearch is POST [type]/_search: parameters in a form body, added to any in the URL.
func (s *r4Server) postSearch(x *exchange, def *resourceDef, params []queryParam) {
	mt, _, err := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		s.fail(x, http.StatusUnsupportedMediaType, "not-supported", "POST _search takes application/x-www-form-urlencoded parameters", "org.springframework.web.HttpMediaTypeNotSupportedException")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, maxSearchBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(x, http.StatusRequestEntityTooLarge, "too-costly", fmt.Sprintf("search body larger than %d bytes", maxSearchBody), "")
			return
		}
		s.fail(x, http.StatusBadRequest, "invalid", "could not read the request body", "")
		return
	}
	more, err := parseQueryString(string(body))
	if err != nil {
		s.fail(x, http.StatusBadRequest, "invalid", "malformed form body: "+err.Error(), "java.lang.IllegalArgumentException")
		return
	}
	if len(params)+len(more) > maxQueryParams {
		s.fail(x, http.StatusBadRequest, "too-costly", fmt.Sprintf("more than %d parameters", maxQueryParams), "")
		return
	}
	s.search(x, def, append(params, more...))
}

// strictHandling reports whether the client sent Prefer: handling=strict.
func strictHandling(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			for _, kv := range strings.Split(part, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
				if strings.EqualFold(strings.TrimSpace(k), "handling") && strings.EqualFold(strings.Trim(strings.TrimSpace(val), `"`), "strict") {
					return true
				}
			}
		}
	}
	return false
}

func (s *r4Server) search(x *exchange, def *resourceDef, params []queryParam) {
	req, serr := parseSearch(def, params)
	if serr != nil {
		if s.b.htmlErrors {
			s.crash(x, "java.lang.IllegalArgumentException", serr.msg)
			return
		}
		s.writeOutcome(x, http.StatusBadRequest, serr.code, serr.msg)
		return
	}
	if len(req.unknown) > 0 {
		names := make([]string, 0, len(req.unknown))
		for _, p := range req.unknown {
			names = append(names, p.key())
		}
		list := truncate(strings.Join(names, ", "), 200)
		switch s.b.unknown {
		case unknownCrash:
			s.crash(x, "java.lang.IllegalArgumentException", "Unknown search parameter: "+list)
			return
		case unknownLenientOrStrict:
			if strictHandling(x.r) {
				s.writeOutcome(x, http.StatusBadRequest, "not-supported", "unknown search parameters (Prefer: handling=strict): "+list)
				return
			}
		}
	}

	typeURL := x.base + "/" + def.name
	matches := s.store.types[def.name].search(req.criteria, s.b.lenientIdentity)
	total := len(matches)
	count, offset := req.count, req.offset
	if count < 0 {
		count = defaultCount
	}
	if !s.b.honourCount {
		count, offset = total, 0
	}
	page := matches[min(offset, total):min(offset+count, total)]

	b := bundle{ResourceType: "Bundle", ID: newUUID(), Meta: &meta{LastUpdated: time.Now().UTC().Format(time.RFC3339)}, Type: "searchset", Total: &total}
	if s.b.unknown == unknownEchoed || !s.b.honourCount {
		self := typeURL
		if x.r.URL.RawQuery != "" {
			self += "?" + x.r.URL.RawQuery
		}
		b.Link = []bundleLink{{Relation: "self", URL: self}}
	} else {
		b.Link = []bundleLink{{Relation: "self", URL: pageLink(typeURL, req.applied, count, offset)}}
		if count > 0 {
			b.Link = append(b.Link, bundleLink{Relation: "first", URL: pageLink(typeURL, req.applied, count, 0)})
			if offset > 0 {
				b.Link = append(b.Link, bundleLink{Relation: "previous", URL: pageLink(typeURL, req.applied, count, max(0, offset-count))})
			}
			if offset+count < total {
				b.Link = append(b.Link, bundleLink{Relation: "next", URL: pageLink(typeURL, req.applied, count, offset+count)})
			}
			last := 0
			if total > 0 {
				last = (total - 1) / count * count
			}
			b.Link = append(b.Link, bundleLink{Relation: "last", URL: pageLink(typeURL, req.applied, count, last)})
		}
	}
	for _, rec := range page {
		e := bundleEntry{Resource: rec.body}
		if s.b.bundleComplete {
			e.FullURL = typeURL + "/" + rec.id
			e.Search = &bundleSearch{Mode: "match"}
		}
		b.Entry = append(b.Entry, e)
	}
	if len(req.unknown) > 0 && s.b.unknown == unknownLenientOrStrict {
		// Tell the client what was ignored, as FHIR search 3.1.1.2.1 suggests.
		names := make([]string, 0, len(req.unknown))
		for _, p := range req.unknown {
			names = append(names, p.key())
		}
		oo, err := marshalJSON(operationOutcome{ResourceType: "OperationOutcome", Issue: []operationOutcomeIssue{{
			Severity: "warning", Code: "not-supported", Diagnostics: "ignored unknown search parameters: " + truncate(strings.Join(names, ", "), 200),
		}}})
		if err == nil {
			b.Entry = append(b.Entry, bundleEntry{FullURL: "urn:uuid:" + newUUID(), Resource: oo, Search: &bundleSearch{Mode: "outcome"}})
		}
	}
	body, err := marshalJSON(b)
	if err != nil {
		s.writeOutcome(x, http.StatusInternalServerError, "exception", "could not render the Bundle")
		return
	}
	s.write(x, http.StatusOK, kindSearch, body)
}

// truncate shortens what a client sent before it is echoed in an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
