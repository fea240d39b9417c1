package sandbox

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// searchRequest is a parsed search: criteria to match, paging, and the parameters as they will
// be written back in the Bundle's links.
type searchRequest struct {
	criteria []criterion
	count    int // -1: not given
	offset   int
	pretty   bool

	applied []queryParam // recognised parameters, in request order (without _count and _offset)
	unknown []queryParam // parameters the server does not know
}

// searchError is a search the server refuses, with the OperationOutcome issue code to say why.
type searchError struct {
	code string // OperationOutcome issue code: invalid, not-supported
	msg  string
}

func (e *searchError) Error() string { return e.msg }

// resultParams are FHIR result and format parameters the server understands.
var resultParams = map[string]bool{"_count": true, "_offset": true, "_format": true, "_pretty": true}

// stringModifiers are the modifiers string parameters accept.
var stringModifiers = map[string]bool{"exact": true, "contains": true}

// parseSearch turns request parameters into a search of def. Unknown parameters are collected,
// not refused: whether they are an error depends on Prefer: handling and the profile. Bad values
// of known parameters, and unknown modifiers, are always errors (ignoring a modifier would change
// what the search means).
func parseSearch(def *resourceDef, params []queryParam) (*searchRequest, *searchError) {
	req := &searchRequest{count: -1}
	for _, p := range params {
		if resultParams[p.name] {
			if p.modifier != "" {
				return nil, &searchError{"invalid", fmt.Sprintf("%s takes no modifier (got %s)", p.name, p.key())}
			}
			switch p.name {
			case "_count":
				n, err := parseNonNegative("_count", p.value, maxCount)
				if err != nil {
					return nil, &searchError{"invalid", err.Error()}
				}
				req.count = n
				continue
			case "_offset":
				n, err := parseNonNegative("_offset", p.value, maxOffset)
				if err != nil {
					return nil, &searchError{"invalid", err.Error()}
				}
				req.offset = n
				continue
			case "_pretty":
				b, err := strconv.ParseBool(p.value)
				if err != nil {
					return nil, &searchError{"invalid", fmt.Sprintf("_pretty must be true or false, not %q", p.value)}
				}
				req.pretty = b
			}
			req.applied = append(req.applied, p)
			continue
		}
		pd := def.param(p.name)
		if pd == nil {
			req.unknown = append(req.unknown, p)
			continue
		}
		if p.value == "" {
			// FHIR: a parameter with an empty value is ignored.
			continue
		}
		c, err := parseCriterion(pd, p)
		if err != nil {
			return nil, err
		}
		req.criteria = append(req.criteria, c)
		req.applied = append(req.applied, p)
	}
	return req, nil
}

func parseCriterion(pd *paramDef, p queryParam) (criterion, *searchError) {
	c := criterion{param: pd, modifier: p.modifier}
	switch pd.typ {
	case paramString:
		if p.modifier != "" && !stringModifiers[p.modifier] {
			return c, unsupportedModifier(p)
		}
	case paramReference:
		if p.modifier != "" && !validTypeName(p.modifier) {
			return c, unsupportedModifier(p)
		}
	default:
		if p.modifier != "" {
			return c, unsupportedModifier(p)
		}
	}
	values, err := splitOr(p.value)
	if err != nil {
		return c, &searchError{"invalid", fmt.Sprintf("%s: %v", p.key(), err)}
	}
	for _, v := range values {
		switch pd.typ {
		case paramToken:
			t := parseToken(v)
			if t.code == "" && t.system == "" {
				return c, &searchError{"invalid", fmt.Sprintf("%s: empty token in %q", p.key(), p.value)}
			}
			c.tokens = append(c.tokens, t)
		case paramString:
			c.strs = append(c.strs, unescape(v))
		case paramDate:
			d, err := parseDateValue(v)
			if err != nil {
				return c, &searchError{"invalid", fmt.Sprintf("%s: %v", p.key(), err)}
			}
			c.dates = append(c.dates, d)
		case paramReference:
			target := pd.target
			if p.modifier != "" {
				target = p.modifier
			}
			ref, err := parseReference(unescape(v), target)
			if err != nil {
				return c, &searchError{"invalid", fmt.Sprintf("%s: %v", p.key(), err)}
			}
			c.refs = append(c.refs, ref)
		}
	}
	return c, nil
}

func unsupportedModifier(p queryParam) *searchError {
	return &searchError{"not-supported", fmt.Sprintf("modifier :%s is not supported on %s", p.modifier, p.name)}
}

// encodeParams writes parameters back as a query string.
func encodeParams(params []queryParam) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.key()))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// pageLink is the URL of one page of a search.
func pageLink(typeURL string, applied []queryParam, count, offset int) string {
	params := append([]queryParam(nil), applied...)
	params = append(params, queryParam{name: "_count", value: strconv.Itoa(count)})
	if offset > 0 {
		params = append(params, queryParam{name: "_offset", value: strconv.Itoa(offset)})
	}
	return typeURL + "?" + encodeParams(params)
}
