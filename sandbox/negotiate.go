package sandbox

import (
	"strconv"
	"strings"
)

// format is a response format the client may ask for.
type format int

const (
	formatJSON format = iota
	formatXML
	formatUnsupported
)

// formatAliases maps _format values and media types (parameters stripped, lower case) to formats,
// as FHIR R4 http 3.1.0.1.10 lists them, plus the STU3-era names clients still send.
var formatAliases = map[string]format{
	"json":                  formatJSON,
	"application/json":      formatJSON,
	"application/fhir+json": formatJSON,
	"application/json+fhir": formatJSON,
	"xml":                   formatXML,
	"text/xml":              formatXML,
	"application/xml":       formatXML,
	"application/fhir+xml":  formatXML,
	"application/xml+fhir":  formatXML,
}

func formatOf(mediaType string) format {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if f, ok := formatAliases[mt]; ok {
		return f
	}
	return formatUnsupported
}

// negotiateFormat picks the response format: _format wins over Accept (FHIR http 3.1.0.1.10).
// An absent or wildcard Accept means JSON. The result is formatUnsupported only when the client
// accepts nothing FHIR has.
func negotiateFormat(formatParam string, hasFormatParam bool, accept string) format {
	if hasFormatParam {
		return formatOf(formatParam)
	}
	if strings.TrimSpace(accept) == "" {
		return formatJSON
	}
	best, bestQ := formatUnsupported, 0.0
	for _, part := range strings.Split(accept, ",") {
		if len(part) > 256 {
			continue
		}
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if q == 0 {
			continue
		}
		var f format
		switch mt {
		case "*/*", "application/*":
			f = formatJSON
		default:
			f = formatOf(mt)
		}
		if f == formatUnsupported {
			continue
		}
		// Higher q wins; on a tie, JSON (the server's own format) wins.
		if q > bestQ || (q == bestQ && f == formatJSON) {
			best, bestQ = f, q
		}
	}
	return best
}
