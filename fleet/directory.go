// Package fleet scans a national directory of FHIR endpoints the way ONC's Lantern does for
// the US: a polite crawler fetches each endpoint's CapabilityStatement and records
// availability, latency, TLS facts and what the server declares, once per run; the store keeps
// every run so availability over time and CapabilityStatement changes can be reported.
package fleet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Endpoint kinds a directory can list.
const (
	KindFHIRR4    = "fhir-r4"
	KindFHIRSTU3  = "fhir-stu3"
	KindGPConnect = "gpconnect"
)

// Kinds lists the endpoint kinds a directory may use.
func Kinds() []string { return []string{KindFHIRR4, KindFHIRSTU3, KindGPConnect} }

// Endpoint is one row of the endpoint directory.
type Endpoint struct {
	ODS     string            `json:"ods"`
	Name    string            `json:"name"`
	OrgType checklist.OrgType `json:"org_type"`
	Region  string            `json:"region"`
	BaseURL string            `json:"base_url"`
	Kind    string            `json:"kind"`
	// Line is the row's line in the directory file (1 is the header).
	Line int `json:"-"`
}

// FHIRVersion is the FHIR version the endpoint's kind speaks.
func (e Endpoint) FHIRVersion() string {
	if e.Kind == KindFHIRR4 {
		return "R4"
	}
	return "STU3"
}

// directoryColumns are the required header names, in the documented order (any order is read).
var directoryColumns = []string{"ods", "name", "type", "region", "base_url", "kind"}

// maxDirectoryRows bounds what one directory may list, so a wrong file (a database dump, say)
// is refused instead of being crawled.
const maxDirectoryRows = 200_000

// Limits on a directory file, enforced while it is read (docs/limits.md): no line, field or
// file may be larger than these, so a hostile file costs bounded memory.
const (
	// MaxDirectoryBytes is the largest directory file read (200,000 rows of ~300 bytes).
	MaxDirectoryBytes = 64 << 20
	// maxDirectoryLine caps one record (one line, unless a quoted field spans lines).
	maxDirectoryLine = 64 << 10
	// maxDirectoryField caps one field (a name, a region, a base URL).
	maxDirectoryField = 2048
)

// ErrDirectoryLimit is wrapped by the errors of a directory that passes a limit.
var ErrDirectoryLimit = errors.New("directory limit")

// limitedLines passes bytes through, failing once a record (a line, or several when a quoted
// field holds line breaks) or the whole input is too long, so encoding/csv never buffers an
// unbounded record. Quotes toggle whether a line break ends the record, as in RFC 4180 (a
// doubled quote toggles twice).
type limitedLines struct {
	r            io.Reader
	record, size int
	line, start  int // lines read, and the line the current record started on (from 0)
	quoted       bool
}

func (l *limitedLines) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		l.size++
		l.record++
		switch {
		case c == '"':
			l.quoted = !l.quoted
		case c == '\n':
			l.line++
			if !l.quoted {
				l.record, l.start = 0, l.line
			}
		}
		if l.record > maxDirectoryLine {
			return 0, fmt.Errorf("the record at line %d is longer than %d KiB: %w", l.start+1, maxDirectoryLine>>10, ErrDirectoryLimit)
		}
	}
	if l.size > MaxDirectoryBytes {
		return 0, fmt.Errorf("the file is larger than %d MiB (split the directory): %w", MaxDirectoryBytes>>20, ErrDirectoryLimit)
	}
	return n, err
}

// ParseDirectory reads an endpoint directory CSV: a header naming the columns ods, name,
// type, region, base_url and kind (in any order; extra columns are ignored), then one
// endpoint per row. Every problem is reported with the file name and line; nothing is returned
// unless the whole file is valid. name is the file name used in messages.
func ParseDirectory(r io.Reader, name string) ([]Endpoint, error) {
	cr := csv.NewReader(&limitedLines{r: r})
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty; the first line must be the header %s", name, strings.Join(directoryColumns, ","))
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		if !utf8.ValidString(h) || len(h) > maxDirectoryField {
			return nil, fmt.Errorf("%s:1: header column %d is not short UTF-8 text; the header must name %s", name, i+1, strings.Join(directoryColumns, ","))
		}
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if _, dup := col[h]; dup && h != "" {
			return nil, fmt.Errorf("%s:1: column %q appears twice in the header", name, h)
		}
		col[h] = i
	}
	var missing []string
	for _, c := range directoryColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s:1: header lacks column(s) %s; the header must name %s", name, strings.Join(missing, ", "), strings.Join(directoryColumns, ","))
	}

	var errs []error
	var out []Endpoint
	seenURL := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		for i, f := range rec {
			if !utf8.ValidString(f) {
				return nil, fmt.Errorf("%s:%d: column %d is not UTF-8 text; save the directory as UTF-8 (CSV UTF-8 in Excel)", name, line, i+1)
			}
			if len(f) > maxDirectoryField {
				return nil, fmt.Errorf("%s:%d: column %d is %d bytes, longer than the %d byte limit: %w", name, line, i+1, len(f), maxDirectoryField, ErrDirectoryLimit)
			}
		}
		if len(out) >= maxDirectoryRows {
			return nil, fmt.Errorf("%s:%d: more than %d endpoints; split the directory", name, line, maxDirectoryRows)
		}
		field := func(c string) string {
			i := col[c]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		e := Endpoint{
			ODS: strings.ToUpper(field("ods")), Name: field("name"), OrgType: checklist.OrgType(field("type")),
			Region: field("region"), Kind: strings.ToLower(field("kind")), Line: line,
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
		}
		if !terminology.ODSCodeValid(e.ODS) {
			bad("ods %q is not an ODS code (3 to 6 letters and digits, such as RX1 or A81001)", field("ods"))
		}
		if e.Name == "" {
			bad("name is empty")
		}
		if !slices.Contains(checklist.OrgTypes(), e.OrgType) {
			bad("type %q is not an organisation type (want one of %s)", e.OrgType, orgTypeList())
		}
		if e.Region == "" {
			bad("region is empty")
		}
		if !slices.Contains(Kinds(), e.Kind) {
			bad("kind %q is not one of %s", field("kind"), strings.Join(Kinds(), ", "))
		}
		base, err := normaliseBaseURL(field("base_url"))
		if err != nil {
			bad("base_url: %v", err)
		} else {
			e.BaseURL = base
			if first, dup := seenURL[base]; dup {
				bad("base_url %s is already listed on line %d; list each endpoint once", base, first)
			}
			seenURL[base] = line
		}
		out = append(out, e)
	}
	if len(errs) > 0 {
		const show = 20
		if len(errs) > show {
			errs = append(errs[:show], fmt.Errorf("%s: and %d more problems", name, len(errs)-show))
		}
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no endpoints listed after the header", name)
	}
	return out, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func orgTypeList() string {
	var s []string
	for _, t := range checklist.OrgTypes() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

// normaliseBaseURL accepts an absolute http(s) URL without credentials, query or fragment and
// returns it without a trailing slash.
func normaliseBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty; give the FHIR base URL, such as https://fhir.example.nhs.uk/R4")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%q: scheme must be https (or http)", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q: port %s is not between 1 and 65535", raw, p)
		}
	}
	if u.User != nil {
		return "", fmt.Errorf("%q carries credentials; directories must not hold secrets", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: a base URL has no query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}
