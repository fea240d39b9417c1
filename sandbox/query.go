package sandbox

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parsing of FHIR search requests: the query string, then each parameter by its type (token,
// string, date, reference), following the FHIR R4 search page (3.1.1.4). Everything here reads
// outside input, so it returns errors and never panics (see FuzzParseSearch).

// Limits on what one search request may contain.
const (
	maxQueryParams = 100
	maxValuesPerOr = 50
	maxOffset      = 1_000_000
	defaultCount   = 10
	maxCount       = 100
)

// queryParam is one name=value pair, name split from its modifier ("family:exact").
type queryParam struct {
	name, modifier, value string
}

// key is the parameter as written, modifier included.
func (q queryParam) key() string {
	if q.modifier == "" {
		return q.name
	}
	return q.name + ":" + q.modifier
}

// parseQueryString splits a raw query into parameters in their original order. Unlike
// url.ParseQuery it keeps the order (for self links) and treats ';' as an ordinary character.
func parseQueryString(raw string) ([]queryParam, error) {
	var out []queryParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		if len(out) == maxQueryParams {
			return nil, fmt.Errorf("more than %d query parameters", maxQueryParams)
		}
		k, v, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("parameter name %q: %w", k, err)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("value of parameter %q: %w", name, err)
		}
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			return nil, fmt.Errorf("parameter %q is not valid UTF-8", name)
		}
		name, modifier, _ := strings.Cut(name, ":")
		if name == "" {
			return nil, fmt.Errorf("parameter with an empty name in %q", part)
		}
		out = append(out, queryParam{name: name, modifier: modifier, value: value})
	}
	return out, nil
}

// cutEscaped cuts s at the first unescaped sep, leaving escapes in place for a later split.
func cutEscaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unescape removes FHIR's search escapes from one value.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitOr splits a parameter value into the values it ORs together, escapes kept.
func splitOr(s string) ([]string, error) {
	var parts []string
	for {
		before, after, found := cutEscaped(s, ',')
		parts = append(parts, before)
		if len(parts) > maxValuesPerOr {
			return nil, fmt.Errorf("more than %d comma-separated values", maxValuesPerOr)
		}
		if !found {
			return parts, nil
		}
		s = after
	}
}

// tokenValue is a token search value: [system|]code. hasSystem distinguishes "code" (any
// system) from "|code" (no system).
type tokenValue struct {
	system, code string
	hasSystem    bool
}

func parseToken(s string) tokenValue {
	sys, code, found := cutEscaped(s, '|')
	if !found {
		return tokenValue{code: unescape(s)}
	}
	return tokenValue{system: unescape(sys), code: unescape(code), hasSystem: true}
}

// dateRange is the half-open interval [lo, hi) a date or dateTime stands for at its precision.
type dateRange struct {
	lo, hi time.Time
}

// datePrefix is a date search comparator.
type datePrefix string

var datePrefixes = map[datePrefix]bool{"eq": true, "ne": true, "gt": true, "lt": true, "ge": true, "le": true, "sa": true, "eb": true}

// dateValue is a date search value: a comparator and the range of the date given.
type dateValue struct {
	prefix datePrefix
	r      dateRange
}

// parseDateValue reads [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]]].
func parseDateValue(s string) (dateValue, error) {
	v := dateValue{prefix: "eq"}
	if len(s) >= 2 && s[0] >= 'a' && s[0] <= 'z' {
		p := datePrefix(s[:2])
		if !datePrefixes[p] {
			if p == "ap" {
				return v, errors.New("the ap (approximately) prefix is not supported")
			}
			return v, fmt.Errorf("unknown date prefix %q", s[:2])
		}
		v.prefix, s = p, s[2:]
	}
	r, err := parseFHIRDate(s)
	if err != nil {
		return v, err
	}
	v.r = r
	return v, nil
}

// parseFHIRDate parses a FHIR date or dateTime into the range its precision covers. Times with no
// zone are taken as UTC.
func parseFHIRDate(s string) (dateRange, error) {
	bad := fmt.Errorf("%q is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)", s)
	switch len(s) {
	case 4:
		t, err := time.Parse("2006", s)
		if err != nil {
			return dateRange{}, bad
		}
		return dateRange{t, t.AddDate(1, 0, 0)}, nil
	case 7:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return dateRange{}, bad
		}
		return dateRange{t, t.AddDate(0, 1, 0)}, nil
	case 10:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return dateRange{}, bad
		}
		return dateRange{t, t.AddDate(0, 0, 1)}, nil
	}
	if len(s) < 16 || s[10] != 'T' {
		return dateRange{}, bad
	}
	// Split off the zone, then parse the local part at minute or second precision.
	local, zone := s, ""
	if strings.HasSuffix(s, "Z") {
		local, zone = s[:len(s)-1], "Z"
	} else if i := strings.LastIndexAny(s[11:], "+-"); i >= 0 {
		local, zone = s[:11+i], s[11+i:]
	}
	loc := time.UTC
	if zone != "" && zone != "Z" {
		z, err := time.Parse("-07:00", zone)
		if err != nil {
			return dateRange{}, bad
		}
		_, off := z.Zone()
		loc = time.FixedZone(zone, off)
	}
	for _, layout := range []struct {
		layout string
		width  time.Duration
	}{
		{"2006-01-02T15:04", time.Minute},
		{"2006-01-02T15:04:05", time.Second},
		{"2006-01-02T15:04:05.999999999", time.Second},
	} {
		if t, err := time.ParseInLocation(layout.layout, local, loc); err == nil {
			t = t.UTC()
			if layout.width == time.Second {
				t = t.Truncate(time.Second)
			}
			return dateRange{t, t.Add(layout.width)}, nil
		}
	}
	return dateRange{}, bad
}

// matches applies the comparator to a target range, as FHIR R4 search 3.1.1.5.3 defines it.
func (v dateValue) matches(target dateRange) bool {
	contains := !target.lo.Before(v.r.lo) && !target.hi.After(v.r.hi)
	switch v.prefix {
	case "ne":
		return !contains
	case "gt":
		return target.hi.After(v.r.hi)
	case "lt":
		return target.lo.Before(v.r.lo)
	case "ge":
		return target.hi.After(v.r.hi) || contains
	case "le":
		return target.lo.Before(v.r.lo) || contains
	case "sa":
		return !target.lo.Before(v.r.hi)
	case "eb":
		return !target.hi.After(v.r.lo)
	default:
		return contains
	}
}

// parseReference normalises a reference search value to "Type/id". A bare id takes the
// parameter's target type; an absolute URL must end in Type/id; a version suffix is dropped.
func parseReference(s, targetType string) (string, error) {
	if s == "" {
		return "", errors.New("empty reference")
	}
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, "/")
	switch {
	case len(parts) == 1:
		if !validID(parts[0]) {
			return "", fmt.Errorf("%q is not a valid resource id", parts[0])
		}
		return targetType + "/" + parts[0], nil
	default:
		typ, id := parts[len(parts)-2], parts[len(parts)-1]
		if !validID(id) || !validTypeName(typ) {
			return "", fmt.Errorf("%q is not a reference of the form Type/id", s)
		}
		return typ + "/" + id, nil
	}
}

// validID follows FHIR's id rule: 1 to 64 of A-Z a-z 0-9 - and '.'.
func validID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validTypeName accepts an upper-camel-case resource type name.
func validTypeName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// parseNonNegative reads a result parameter such as _count.
func parseNonNegative(name, s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a whole number of 0 or more, not %q", name, s)
	}
	if n > limit {
		n = limit
	}
	return n, nil
}
