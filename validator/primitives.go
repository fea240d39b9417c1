package validator

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// primitiveCheck validates the lexical form of a primitive value and returns a reason when it is
// wrong. The hand-written checkers implement the regular expressions published in the FHIR
// definitions (tests hold them against those regexes) plus the rules the regexes cannot express:
// real calendar dates, 32-bit integer range, and the control characters the string type forbids.
type primitiveCheck func(v []byte) string

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(v []byte, i, n int) bool {
	if i+n > len(v) {
		return false
	}
	for j := i; j < i+n; j++ {
		if !isDigit(v[j]) {
			return false
		}
	}
	return true
}

func num2(v []byte, i int) int { return int(v[i]-'0')*10 + int(v[i+1]-'0') }

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDate reads YYYY[-MM[-DD]] from the start of v, returning the bytes consumed and whether
// the day was present. allowPartial false requires the full date.
func parseDate(v []byte, allowPartial bool) (int, int, string) {
	if !digits(v, 0, 4) {
		return 0, 0, "the year must be four digits"
	}
	year := int(v[0]-'0')*1000 + int(v[1]-'0')*100 + num2(v, 2)
	if year == 0 {
		return 0, 0, "year 0000 does not exist"
	}
	if len(v) == 4 || v[4] != '-' {
		if !allowPartial {
			return 0, 0, "a full date YYYY-MM-DD is required"
		}
		return 4, 1, ""
	}
	if !digits(v, 5, 2) {
		return 0, 0, "the month must be two digits"
	}
	month := num2(v, 5)
	if month < 1 || month > 12 {
		return 0, 0, "the month must be 01 to 12"
	}
	if len(v) == 7 || v[7] != '-' {
		if !allowPartial {
			return 0, 0, "a full date YYYY-MM-DD is required"
		}
		return 7, 2, ""
	}
	if !digits(v, 8, 2) {
		return 0, 0, "the day must be two digits"
	}
	day := num2(v, 8)
	if day < 1 || day > daysIn(year, month) {
		return 0, 0, "the day does not exist in that month"
	}
	return 10, 3, ""
}

// parseTime reads hh:mm:ss[.fff] from v[i:].
func parseTime(v []byte, i int) (int, string) {
	if !digits(v, i, 2) || i+8 > len(v) || v[i+2] != ':' || !digits(v, i+3, 2) || v[i+5] != ':' || !digits(v, i+6, 2) {
		return 0, "the time must be hh:mm:ss"
	}
	if num2(v, i) > 23 || num2(v, i+3) > 59 || num2(v, i+6) > 60 {
		return 0, "the time is out of range"
	}
	i += 8
	if i < len(v) && v[i] == '.' {
		j := i + 1
		for j < len(v) && isDigit(v[j]) {
			j++
		}
		if j == i+1 {
			return 0, "the fraction of a second needs digits"
		}
		i = j
	}
	return i, ""
}

// parseZone reads Z or +hh:mm / -hh:mm at v[i:] and requires it to end the value.
func parseZone(v []byte, i int) string {
	if i >= len(v) {
		return "a time zone (Z or +hh:mm) is required when a time is given"
	}
	if v[i] == 'Z' {
		if i+1 != len(v) {
			return "unexpected text after the time zone"
		}
		return ""
	}
	if (v[i] != '+' && v[i] != '-') || i+6 != len(v) || !digits(v, i+1, 2) || v[i+3] != ':' || !digits(v, i+4, 2) {
		return "the time zone must be Z or +hh:mm"
	}
	h, m := num2(v, i+1), num2(v, i+4)
	if m > 59 || h > 14 || (h == 14 && m != 0) {
		return "the time zone offset is out of range"
	}
	return ""
}

func checkDate(v []byte) string {
	n, _, why := parseDate(v, true)
	if why != "" {
		return why
	}
	if n != len(v) {
		return "unexpected text after the date"
	}
	return ""
}

func checkDateTime(v []byte) string {
	n, parts, why := parseDate(v, true)
	if why != "" {
		return why
	}
	if n == len(v) {
		return ""
	}
	if parts != 3 || v[n] != 'T' {
		return "expected a date, optionally followed by T and a time"
	}
	i, why := parseTime(v, n+1)
	if why != "" {
		return why
	}
	return parseZone(v, i)
}

func checkInstant(v []byte) string {
	n, _, why := parseDate(v, false)
	if why != "" {
		return why
	}
	if n >= len(v) || v[n] != 'T' {
		return "an instant needs a date, a time and a time zone"
	}
	i, why := parseTime(v, n+1)
	if why != "" {
		return why
	}
	return parseZone(v, i)
}

func checkTime(v []byte) string {
	i, why := parseTime(v, 0)
	if why != "" {
		return why
	}
	if i != len(v) {
		return "unexpected text after the time"
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func checkString(v []byte) string {
	for _, c := range v {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return "strings must not contain control characters other than tab, carriage return and line feed"
		}
	}
	if len(v) > 1<<20 {
		return "strings are limited to 1 MB"
	}
	return ""
}

func checkCode(v []byte) string {
	if isSpace(v[0]) || isSpace(v[len(v)-1]) {
		return "a code must not start or end with whitespace"
	}
	for i, c := range v {
		if isSpace(c) && i+1 < len(v) && isSpace(v[i+1]) {
			return "a code must not contain runs of whitespace"
		}
		if c < 0x20 && !isSpace(c) {
			return "a code must not contain control characters"
		}
	}
	return ""
}

func checkID(v []byte) string {
	if len(v) > 64 {
		return "an id is at most 64 characters"
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '-' || c == '.') {
			return "an id may contain only letters, digits, '-' and '.'"
		}
	}
	return ""
}

func checkURI(v []byte) string {
	// A URI naming a UUID or an OID must name a valid one (lower-case hexadecimal for a UUID),
	// as the HL7 Java validator requires of uri, url and canonical values.
	if bytes.HasPrefix(v, []byte("urn:uuid:")) {
		return checkUUID(v)
	}
	if bytes.HasPrefix(v, []byte("urn:oid:")) {
		return checkOID(v)
	}
	for _, c := range v {
		if isSpace(c) {
			return "a URI must not contain whitespace"
		}
		if c < 0x20 {
			return "a URI must not contain control characters"
		}
	}
	return ""
}

func checkOID(v []byte) string {
	const p = "urn:oid:"
	if len(v) < len(p)+3 || string(v[:len(p)]) != p {
		return "an oid must look like urn:oid:1.2.3"
	}
	s := v[len(p):]
	if s[0] < '0' || s[0] > '2' || s[1] != '.' {
		return "an oid must start with 0, 1 or 2 followed by '.'"
	}
	i := 1
	for i < len(s) {
		if s[i] != '.' || i+1 >= len(s) || !isDigit(s[i+1]) {
			return "an oid is numbers separated by single dots"
		}
		j := i + 1
		if s[j] == '0' && j+1 < len(s) && isDigit(s[j+1]) {
			return "an oid component must not have a leading zero"
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		i = j
	}
	return ""
}

func checkUUID(v []byte) string {
	const p = "urn:uuid:"
	if len(v) != len(p)+36 || string(v[:len(p)]) != p {
		return "a uuid must look like urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	}
	for i, c := range v[len(p):] {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "a uuid must look like urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
			}
		default:
			if !(isDigit(c) || c >= 'a' && c <= 'f') {
				return "a uuid uses lower-case hexadecimal digits"
			}
		}
	}
	return ""
}

func checkBase64(v []byte) string {
	n, pad := 0, 0
	for _, c := range v {
		switch {
		case isSpace(c):
			continue
		case c == '=':
			pad++
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', isDigit(c), c == '+', c == '/':
			if pad > 0 {
				return "base64 padding '=' may only appear at the end"
			}
		default:
			return "invalid base64 character"
		}
		n++
	}
	if n == 0 {
		return "base64 data must not be only whitespace"
	}
	if n%4 != 0 || pad > 2 {
		return "base64 data must be a whole number of 4-character groups"
	}
	return ""
}

// checkInteger validates a JSON number as a 32-bit integer with an optional lower bound.
func checkInteger(min int64) primitiveCheck {
	return func(v []byte) string {
		for i, c := range v {
			if !isDigit(c) && !(i == 0 && c == '-') {
				return "an integer has no fraction or exponent"
			}
		}
		if d := strings.TrimPrefix(string(v), "-"); len(d) > 1 && d[0] == '0' {
			return "an integer must not have leading zeros"
		}
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil {
			return "the integer is outside the 32-bit range"
		}
		if n < min {
			if min == 1 {
				return "the value must be 1 or more"
			}
			return "the value must be 0 or more"
		}
		return ""
	}
}

func checkDecimalNoExponent(v []byte) string {
	for _, c := range v {
		if c == 'e' || c == 'E' {
			return "this FHIR version does not allow an exponent in a decimal"
		}
	}
	return ""
}

// builtinChecks are the hand-written checkers by FHIR primitive type name.
func builtinChecks(stu3 bool) map[string]primitiveCheck {
	m := map[string]primitiveCheck{
		"string":       checkString,
		"markdown":     checkString,
		"code":         checkCode,
		"id":           checkID,
		"uri":          checkURI,
		"url":          checkURI,
		"canonical":    checkURI,
		"oid":          checkOID,
		"uuid":         checkUUID,
		"date":         checkDate,
		"dateTime":     checkDateTime,
		"instant":      checkInstant,
		"time":         checkTime,
		"base64Binary": checkBase64,
		"integer":      checkInteger(-1 << 31),
		"positiveInt":  checkInteger(1),
		"unsignedInt":  checkInteger(0),
		"decimal":      func([]byte) string { return "" }, // the JSON number grammar is the decimal grammar
		"boolean":      func([]byte) string { return "" }, // the JSON type is the whole rule
		"xhtml":        checkString,
	}
	if stu3 {
		m["decimal"] = checkDecimalNoExponent
	}
	return m
}

// regexCheck builds a checker from a definition's regex, for primitive types that a loaded
// package defines and Jigsaw has no hand-written checker for.
func regexCheck(expr string) (primitiveCheck, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, err
	}
	return func(v []byte) string {
		if !re.Match(v) {
			return "the value does not match the type's pattern " + expr
		}
		return ""
	}, nil
}
