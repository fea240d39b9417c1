// Package validator is Jigsaw's FHIR validator: a streaming engine that checks resources,
// Bundles and NDJSON against element trees, primitive rules, required bindings and invariants
// generated from the official FHIR packages (R4 4.0.1 with UK Core 2.0.0, and STU3 3.0.1).
//
// Input is tokenized straight from the bytes; nothing is decoded into maps. Each resource is
// materialised as a compact tree only for the invariants, and resources inside a Bundle get trees
// of their own, so memory is bounded by the largest resource, not by the input.
package validator

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpkg"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/specdata"
)

// Version is a FHIR version the validator supports.
type Version string

// Supported versions.
const (
	R4   Version = "R4"
	STU3 Version = "STU3"
)

// ParseVersion accepts R4 / 4.0.1 and STU3 / R3 / 3.0.1, in any case.
func ParseVersion(s string) (Version, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "R4", "4.0.1", "4.0":
		return R4, nil
	case "STU3", "R3", "3.0.1", "3.0":
		return STU3, nil
	}
	return "", fmt.Errorf("unknown FHIR version %q: use R4 or STU3", s)
}

// Validator validates FHIR JSON. It is safe for concurrent use.
type Validator struct {
	version  Version
	sc       *schema
	pool     sync.Pool
	workers  int // 0: GOMAXPROCS
	comments bool
}

// Option configures a Validator.
type Option func(*config)

type config struct {
	packages []string
	profiles []string
	workers  int
	comments bool
	// matchetype: placeholders ("$instant$") are accepted in primitives (WithMatchetype).
	matchetype bool
	// valueChecks are the optional per-value checks (WithSecurityChecks, WithCanonicalTypes).
	valueChecks uint8
}

// WithComments accepts JavaScript-style comments in the JSON (the HL7 Java validator's
// allow-comments option). JSON has no comments, so they are a syntax error by default.
func WithComments() Option {
	return func(c *config) { c.comments = true }
}

// WithWorkers sets how many goroutines validate NDJSON lines and Bundle entries in parallel.
// The default, 0, uses GOMAXPROCS; 1 validates on the calling goroutine only.
func WithWorkers(n int) Option {
	return func(c *config) { c.workers = n }
}

// WithProfile validates every top-level resource against a profile (a canonical URL, without or
// with |version), besides the profiles the resource declares in meta.profile.
func WithProfile(url string) Option {
	return func(c *config) {
		if i := strings.IndexByte(url, '|'); i >= 0 {
			url = url[:i]
		}
		c.profiles = append(c.profiles, url)
	}
}

// WithPackage loads another FHIR package (.tgz) on top of the built-in definitions, for
// example a newer UK Core release. Its profiles, extensions and value sets become known.
func WithPackage(path string) Option {
	return func(c *config) { c.packages = append(c.packages, path) }
}

var (
	builtinR4 = sync.OnceValues(func() (*schema, error) {
		return loadBuiltin(specdata.R4, specdata.R4CodeSystems, specdata.R4SearchParams)
	})
	builtinSTU3 = sync.OnceValues(func() (*schema, error) {
		return loadBuiltin(specdata.STU3, specdata.STU3CodeSystems, specdata.STU3SearchParams)
	})
)

func loadBuiltin(data, codeSystems, searchParams []byte) (*schema, error) {
	d, err := model.Decode(data)
	if err != nil {
		return nil, err
	}
	sc, err := compileSchema(d)
	if err != nil {
		return nil, err
	}
	if sc.codeSystems, err = decodeCodeSystems(codeSystems); err != nil {
		return nil, err
	}
	if err := decodeGzipJSON(searchParams, &sc.searchParams); err != nil {
		return nil, fmt.Errorf("search parameters: %w", err)
	}
	return sc, nil
}

func decodeGzipJSON(data []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return json.NewDecoder(zr).Decode(v)
}

// decodeCodeSystems reads the embedded complete code systems (URL -> codes).
func decodeCodeSystems(data []byte) (map[string]map[string]struct{}, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("code systems: %w", err)
	}
	var m map[string][]string
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("code systems: %w", err)
	}
	out := make(map[string]map[string]struct{}, len(m))
	for url, codes := range m {
		set := make(map[string]struct{}, len(codes))
		for _, c := range codes {
			set[c] = struct{}{}
		}
		out[url] = set
	}
	return out, nil
}

// New returns a validator for a FHIR version.
func New(version Version, opts ...Option) (*Validator, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var sc *schema
	var err error
	data := specdata.R4
	switch version {
	case R4:
		sc, err = builtinR4()
	case STU3:
		sc, err = builtinSTU3()
		data = specdata.STU3
	default:
		return nil, fmt.Errorf("unsupported FHIR version %q", version)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s definitions: %w", version, err)
	}
	if len(cfg.packages) > 0 {
		// Decode a private copy: the built-in schema is shared and must not change.
		d, err := model.Decode(data)
		if err != nil {
			return nil, err
		}
		b := fhirpkg.NewBuilder(d.FHIRVersion, d)
		for _, p := range cfg.packages {
			pkg, err := fhirpkg.ReadFile(p, d)
			if err != nil {
				return nil, err
			}
			if err := b.Add(pkg); err != nil {
				return nil, fmt.Errorf("load package %s: %w", p, err)
			}
		}
		if sc, err = compileSchema(b.Definitions()); err != nil {
			return nil, fmt.Errorf("compile definitions with extra packages: %w", err)
		}
		builtin, err := builtinR4()
		if version == STU3 {
			builtin, err = builtinSTU3()
		}
		if err != nil {
			return nil, err
		}
		sc.codeSystems, sc.searchParams = builtin.codeSystems, builtin.searchParams
	}
	for _, p := range cfg.profiles {
		if sc.profile(p) == nil {
			if _, base := sc.byURL[p]; !base {
				return nil, fmt.Errorf("profile %s is not in the %s definitions or the packages loaded: load its package with --package", p, version)
			}
		}
	}
	v := &Validator{version: version, sc: sc, workers: cfg.workers, comments: cfg.comments}
	profiles := cfg.profiles
	matchetype, valueChecks := cfg.matchetype, cfg.valueChecks
	v.pool.New = func() any {
		return &walker{sc: sc, extraProfiles: profiles, matchetype: matchetype, valueChecks: valueChecks}
	}
	return v, nil
}

// Version is the FHIR version this validator checks.
func (v *Validator) Version() Version { return v.version }

// Sources lists the packages the definitions came from ("name#version").
func (v *Validator) Sources() []string { return append([]string(nil), v.sc.defs.Sources...) }

// Result is the outcome for one top-level resource of the input.
type Result struct {
	Index        int     `json:"index"` // 0-based position in the input
	ResourceType string  `json:"resource_type,omitempty"`
	ID           string  `json:"id,omitempty"`
	Line         int     `json:"line"`
	Issues       []Issue `json:"issues"`
}

// Errors counts the error and fatal issues.
func (r *Result) Errors() int {
	n := 0
	for _, is := range r.Issues {
		if is.Severity == SeverityError || is.Severity == SeverityFatal {
			n++
		}
	}
	return n
}

// Summary totals a validation run.
type Summary struct {
	Resources     int            `json:"resources"`
	Bytes         int64          `json:"bytes"`
	Valid         int            `json:"valid"` // resources without errors
	Errors        int            `json:"errors"`
	Warnings      int            `json:"warnings"`
	Information   int            `json:"information"`
	ResourceTypes map[string]int `json:"resource_types"`
	Checks        map[Check]int  `json:"checks"` // errors and warnings by check
}

func (s *Summary) add(r *Result) {
	s.Resources++
	if s.ResourceTypes == nil {
		s.ResourceTypes = map[string]int{}
		s.Checks = map[Check]int{}
	}
	if r.ResourceType != "" {
		s.ResourceTypes[r.ResourceType]++
	}
	errs := 0
	for _, is := range r.Issues {
		switch is.Severity {
		case SeverityError, SeverityFatal:
			s.Errors++
			errs++
			s.Checks[is.Check]++
		case SeverityWarning:
			s.Warnings++
			s.Checks[is.Check]++
		default:
			s.Information++
		}
	}
	if errs == 0 {
		s.Valid++
	}
}

// ValidateResource validates one document held in memory (a resource or a Bundle; several
// concatenated or NDJSON resources are validated in turn) and returns all issues.
func (v *Validator) ValidateResource(ctx context.Context, data []byte) []Issue {
	var all []Issue
	_, err := v.ValidateStream(ctx, bytes.NewReader(data), func(r Result) error {
		all = append(all, r.Issues...)
		return nil
	})
	if err != nil && len(all) == 0 {
		all = append(all, Issue{Severity: SeverityFatal, Code: "exception", Check: CheckLimit, Message: err.Error()})
	}
	return all
}

// ValidateResourceProfiles is ValidateResource with profiles applied to each top-level resource
// besides those it declares and those the validator was built with (for example the profiles a
// server's CapabilityStatement claims for the resource's type). Unknown profiles are reported
// as issues of the resource, not as an error.
func (v *Validator) ValidateResourceProfiles(ctx context.Context, data []byte, profiles []string) []Issue {
	w := v.pool.Get().(*walker)
	saved := w.extraProfiles
	extra := append(append([]string(nil), saved...), profiles...)
	for i, p := range extra {
		if k := strings.IndexByte(p, '|'); k >= 0 {
			extra[i] = p[:k]
		}
	}
	w.extraProfiles = extra
	defer func() {
		w.extraProfiles = saved
		v.pool.Put(w)
	}()
	var all []Issue
	// A tree callback keeps the validation on this walker (the parallel NDJSON path would
	// use walkers without the extra profiles).
	_, err := v.streamWith(ctx, w, bytes.NewReader(data), func(r Result) error {
		all = append(all, r.Issues...)
		return nil
	}, func(*tree) {})
	if err != nil && len(all) == 0 {
		all = append(all, Issue{Severity: SeverityFatal, Code: "exception", Check: CheckLimit, Message: err.Error()})
	}
	return all
}

// maxLineBytes bounds one NDJSON line.
const maxLineBytes = jsontok.MaxTokenBytes

// ValidateStream validates everything in r — one resource, a Bundle, concatenated resources, or
// NDJSON — calling fn once per top-level resource in input order. Memory stays bounded whatever
// the size of r. A JSON syntax error ends a document, but in NDJSON only its own line. The
// returned error is an I/O error, a cancellation or fn's error; findings are in the results.
func (v *Validator) ValidateStream(ctx context.Context, r io.Reader, fn func(Result) error) (Summary, error) {
	return v.stream(ctx, r, fn, nil)
}

func (v *Validator) stream(ctx context.Context, r io.Reader, fn func(Result) error, onTree func(*tree)) (Summary, error) {
	w := v.pool.Get().(*walker)
	defer v.pool.Put(w)
	return v.streamWith(ctx, w, r, fn, onTree)
}

func (v *Validator) streamWith(ctx context.Context, w *walker, r io.Reader, fn func(Result) error, onTree func(*tree)) (Summary, error) {
	w.ctx = ctx
	w.onTree = onTree
	// The input's first bytes are kept to verify a signed Bundle (JSON documents, not NDJSON).
	cr := &countingReader{r: r, keep: &rawCapture{}}
	defer func() { w.raw = nil }()
	br := bufio.NewReaderSize(cr, 64<<10)
	var sum Summary
	emit := func(res Result) error {
		sum.add(&res)
		return fn(res)
	}
	// A UTF-8 byte order mark is allowed before the JSON text (RFC 8259 lets parsers ignore
	// it, and the HL7 Java validator does).
	if bom, _ := br.Peek(3); len(bom) == 3 && bom[0] == 0xEF && bom[1] == 0xBB && bom[2] == 0xBF {
		br.Discard(3)
	}
	ndjson, err := sniffNDJSON(br)
	if err != nil {
		return sum, err
	}
	if ndjson {
		cr.keep = nil
		// Small inputs (a response body on one line) are not worth the goroutines.
		if n := v.workerCount(); n > 1 && onTree == nil && !smallInput(br) {
			err = v.streamLinesParallel(ctx, br, emit, n)
		} else {
			err = v.streamLines(ctx, w, br, emit)
		}
	} else {
		w.raw = cr.keep
		tr := jsontok.NewReader(br)
		tr.SetMulti(false)
		tr.SetComments(v.comments)
		if n := v.workerCount(); n > 1 && onTree == nil {
			// Workers start with the first Bundle entry, so a small resource costs nothing.
			pctx, cancel := context.WithCancel(ctx)
			w.parStart = func() *entryPool { return v.newEntryPool(pctx, n) }
			w.ctx = pctx
			err = v.streamDocument(w, tr, 0, 0, emit)
			cancel()
			if w.par != nil {
				w.par.close()
			}
			w.par, w.parStart = nil, nil
			w.ctx = ctx
		} else {
			err = v.streamDocument(w, tr, 0, 0, emit)
		}
	}
	sum.Bytes = cr.n
	return sum, err
}

// smallInput reports whether all of the input is already in br's buffer and small.
func smallInput(br *bufio.Reader) bool {
	_, err := br.Peek(60 << 10)
	return errors.Is(err, io.EOF)
}

func (v *Validator) workerCount() int {
	if v.workers > 0 {
		return v.workers
	}
	return runtime.GOMAXPROCS(0)
}

type countingReader struct {
	r    io.Reader
	n    int64
	keep *rawCapture // when set, the bytes read are kept (up to its limit)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.keep != nil && n > 0 {
		c.keep.write(p[:n])
	}
	return n, err
}

// sniffNDJSON decides whether the input is NDJSON: its first line holds a complete JSON value
// and something follows on a later line. A single-line resource counts as NDJSON too, which
// validates the same way.
func sniffNDJSON(br *bufio.Reader) (bool, error) {
	for n := 4096; ; n *= 2 {
		peek, err := br.Peek(n)
		if i := bytes.IndexByte(peek, '\n'); i >= 0 {
			line := bytes.TrimSpace(peek[:i])
			if len(line) == 0 {
				// Leading blank lines: NDJSON only if the first real line is complete.
				rest := bytes.TrimLeft(peek, " \t\r\n")
				if len(rest) == len(peek) {
					return false, nil
				}
				j := bytes.IndexByte(rest, '\n')
				if j < 0 {
					return false, nil
				}
				line = bytes.TrimSpace(rest[:j])
			}
			return completeValue(line), nil
		}
		if err != nil || n >= 1<<20 {
			// No newline in the first MB (or the whole input is one line): treat it as a
			// document; the streaming reader handles any size.
			return false, nil
		}
	}
}

// completeValue reports whether b is exactly one complete JSON object.
func completeValue(b []byte) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	tr := jsontok.NewReaderBytes(b)
	for {
		t, err := tr.Next()
		if err != nil {
			return false
		}
		if t.Kind == jsontok.EOF {
			return true
		}
	}
}

// streamLines validates NDJSON line by line.
func (v *Validator) streamLines(ctx context.Context, w *walker, br *bufio.Reader, emit func(Result) error) error {
	line := 0
	index := 0
	var long []byte // gathers a line longer than the reader's buffer
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf []byte
		tooLong := false
		var readErr error
		// A line that fits in the reader's buffer is validated where it lies (it is read
		// to the end before the next read); a longer one is gathered into buf.
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], chunk...)
			for {
				chunk, err = br.ReadSlice('\n')
				if len(long)+len(chunk) > maxLineBytes {
					tooLong = true
				} else if !tooLong {
					long = append(long, chunk...)
				}
				if !errors.Is(err, bufio.ErrBufferFull) {
					break
				}
			}
			buf = long
		} else {
			buf = chunk
		}
		readErr = err
		if len(buf) == 0 && !tooLong && readErr != nil {
			if errors.Is(readErr, io.EOF) {
				return nil
			}
			return readErr
		}
		line++
		if tooLong {
			res := Result{Index: index, Line: line, Issues: []Issue{{Severity: SeverityFatal, Code: "too-costly", Check: CheckLimit,
				Message: fmt.Sprintf("line %d is longer than %d MB and was not validated", line, maxLineBytes>>20), Line: line, Column: 1}}}
			index++
			if err := emit(res); err != nil {
				return err
			}
		} else if len(bytes.TrimSpace(buf)) > 0 {
			if w.lineRdr == nil {
				w.lineRdr = jsontok.NewReaderBytes(nil)
				w.lineRdr.SetComments(v.comments)
			}
			w.lineRdr.ResetBytes(buf)
			n, err := v.docValues(w, w.lineRdr, index, line-1, emit)
			index += n
			if err != nil {
				return err
			}
		}
		if readErr != nil {
			if errors.Is(readErr, io.EOF) {
				return nil
			}
			return readErr
		}
	}
}

// streamDocument validates a (possibly huge) JSON document or concatenated documents.
func (v *Validator) streamDocument(w *walker, tr *jsontok.Reader, index, lineOffset int, emit func(Result) error) error {
	tr.SetMulti(false)
	_, err := v.docValues(w, tr, index, lineOffset, emit)
	return err
}

// docValues validates each top-level value a reader yields. It returns how many results it
// emitted.
func (v *Validator) docValues(w *walker, tr *jsontok.Reader, index, lineOffset int, emit func(Result) error) (int, error) {
	n := 0
	w.tr = tr
	for {
		w.issues = w.issues[:0]
		w.dropped = 0
		w.path = w.path[:0]
		w.trees = w.trees[:0]
		w.depth = 0
		w.profiles = nil
		w.bundles = w.bundles[:0]
		w.pending = pendingEntry{}
		tok, err := tr.Next()
		if err == nil && tok.Kind == jsontok.EOF {
			return n, nil
		}
		res := Result{Index: index + n, Line: tok.Line + lineOffset}
		stop := false
		if err == nil {
			if tok.Kind != jsontok.BeginObject {
				w.report(SeverityError, CheckJSONType, tok.Line, tok.Col, "", "expected a resource (a JSON object), found %s", tok.Kind)
				err = tr.Skip(tok.Kind)
			} else {
				var t *typeDef
				t, res.ID, err = w.resource(&tok, -1, "", nil, -1, true)
				if t != nil {
					res.ResourceType = t.name
				}
			}
		}
		if err != nil {
			var se *jsontok.SyntaxError
			switch {
			case errors.As(err, &se):
				w.issues = append(w.issues, Issue{Severity: SeverityFatal, Code: issueType[CheckSyntax], Check: CheckSyntax,
					Message: "invalid JSON: " + se.Msg, Line: se.Line + lineOffset, Column: se.Col, Expression: w.expr()})
				stop = true
			case errors.Is(err, errCanceled):
				return n, context.Canceled
			default:
				return n, err
			}
		}
		if w.dropped > 0 {
			w.issues = append(w.issues, Issue{Severity: SeverityInformation, Code: issueType[CheckLimit], Check: CheckLimit,
				Message: fmt.Sprintf("%d more issues were not reported (limit %d per resource)", w.dropped, maxIssuesPerResource)})
		}
		if lineOffset != 0 {
			for i := range w.issues {
				if w.issues[i].Line > 0 && w.issues[i].Check != CheckSyntax {
					w.issues[i].Line += lineOffset
				}
			}
		}
		sortIssues(w.issues)
		res.Issues = append([]Issue(nil), w.issues...)
		if res.Issues == nil {
			res.Issues = []Issue{}
		}
		n++
		if err := emit(res); err != nil {
			return n, err
		}
		if stop {
			return n, nil
		}
	}
}

func sortIssues(is []Issue) {
	if len(is) < 2 {
		return
	}
	slices.SortStableFunc(is, func(a, b Issue) int {
		if a.Line != b.Line {
			return cmp.Compare(a.Line, b.Line)
		}
		return cmp.Compare(a.Column, b.Column)
	})
}

// ValidateFile validates a file ("-" is standard input is not handled here; see the CLI).
func (v *Validator) ValidateFile(ctx context.Context, path string, fn func(Result) error) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	sum, err := v.ValidateStream(ctx, f, fn)
	if err != nil {
		return sum, fmt.Errorf("validate %s: %w", path, err)
	}
	return sum, nil
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// InvariantCoverage reports how many of the definitions' invariants the FHIRPath subset
// evaluates, and why each of the others is skipped (by key).
func (v *Validator) InvariantCoverage() (evaluated, total int, skipped map[string]string) {
	skipped = map[string]string{}
	for _, c := range v.sc.constraints {
		if c.key == "ele-1" || c.key == "ext-1" {
			evaluated++ // checked natively
			total++
			continue
		}
		total++
		if c.compiled != nil {
			evaluated++
			continue
		}
		skipped[c.key] = c.reason
	}
	return evaluated, total, skipped
}
