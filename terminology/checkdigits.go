// Package terminology knows the identifier and code systems used in NHS records: check digits
// for NHS numbers, SNOMED CT and LOINC, ODS code formats, and the system URIs that name them.
package terminology

import (
	"strings"
)

// Code system and identifier system URIs used in FHIR (UK Core, GP Connect).
const (
	SystemSNOMED    = "http://snomed.info/sct"
	SystemLOINC     = "http://loinc.org"
	SystemDMD       = "https://dmd.nhs.uk"
	SystemICD10     = "http://hl7.org/fhir/sid/icd-10"
	SystemICD10UK   = "http://hl7.org/fhir/sid/icd-10-uk"
	SystemReadV2    = "http://read.info/readv2"
	SystemCTV3      = "http://read.info/ctv3"
	SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	SystemODSOrg    = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemODSSite   = "https://fhir.nhs.uk/Id/ods-site-code"
	SystemSDSUser   = "https://fhir.nhs.uk/Id/sds-user-id"
)

// NHSNumberValid reports whether s is a ten-digit NHS number whose modulus 11 check digit is
// right. Spaces are not accepted: FHIR identifiers carry the bare ten digits.
func NHSNumberValid(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return false
		}
		sum += int(d-'0') * (10 - i)
	}
	last := s[9]
	if last < '0' || last > '9' {
		return false
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return false
	}
	return int(last-'0') == check
}

// NHSNumberCheckDigit returns the check digit for the first nine digits of an NHS number, and
// false when no valid NHS number starts with them (the check would be 10).
func NHSNumberCheckDigit(first9 string) (byte, bool) {
	if len(first9) != 9 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		d := first9[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return 0, false
	}
	return byte('0' + check), true
}

// Verhoeff tables (dihedral group D5), as the SNOMED CT identifier specification uses them.
var (
	verhoeffD = [10][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0},
		{4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
		{7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	verhoeffInv = [10]byte{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

// verhoeffValid checks a digit string whose last digit is a Verhoeff check digit.
func verhoeffValid(digits string) bool {
	var c byte
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i]
		if d < '0' || d > '9' {
			return false
		}
		c = verhoeffD[c][verhoeffP[i%8][d-'0']]
	}
	return c == 0
}

// VerhoeffCheckDigit returns the Verhoeff check digit to append to digits.
func VerhoeffCheckDigit(digits string) byte {
	var c byte
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i]
		c = verhoeffD[c][verhoeffP[(i+1)%8][d-'0']]
	}
	return '0' + verhoeffInv[c]
}

// SCTIDKind is what a SNOMED CT identifier's partition says it identifies.
type SCTIDKind string

// The kinds of SNOMED CT identifier.
const (
	SCTConcept      SCTIDKind = "concept"
	SCTDescription  SCTIDKind = "description"
	SCTRelationship SCTIDKind = "relationship"
	SCTExpression   SCTIDKind = "expression"
)

// ParseSCTID checks a SNOMED CT identifier: 6 to 18 digits, no leading zero, a known partition
// (long-format partitions only on ids long enough to hold a namespace) and a valid Verhoeff
// check digit. It returns the kind the partition names.
func ParseSCTID(s string) (SCTIDKind, bool) {
	if len(s) < 6 || len(s) > 18 || s[0] == '0' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	// A long-format id (partition 1x) carries a 7-digit namespace before the partition and at
	// least one item digit: 11 digits or more.
	if s[len(s)-3] == '1' && len(s) < 11 {
		return "", false
	}
	var kind SCTIDKind
	switch s[len(s)-3 : len(s)-1] {
	case "00", "10":
		kind = SCTConcept
	case "01", "11":
		kind = SCTDescription
	case "02", "12":
		kind = SCTRelationship
	case "16":
		kind = SCTExpression
	default:
		return "", false
	}
	if !verhoeffValid(s) {
		return "", false
	}
	return kind, true
}

// SCTIDValid reports whether s is a well-formed SNOMED CT identifier of any kind.
func SCTIDValid(s string) bool {
	_, ok := ParseSCTID(s)
	return ok
}

// ConceptIDValid reports whether s is a well-formed SNOMED CT concept identifier: codes in a
// Coding must be concepts, not descriptions or relationships.
func ConceptIDValid(s string) bool {
	k, ok := ParseSCTID(s)
	return ok && k == SCTConcept
}

// LOINCValid reports whether s is a LOINC code "NNNNN-C" whose check digit (mod 10, Luhn-style
// over the number part) is right.
func LOINCValid(s string) bool {
	dash := strings.IndexByte(s, '-')
	if dash < 1 || dash > 7 || dash != len(s)-2 {
		return false
	}
	num, check := s[:dash], s[dash+1]
	if check < '0' || check > '9' {
		return false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return false
		}
	}
	return LOINCCheckDigit(num) == check
}

// LOINCCheckDigit computes the mod 10 check digit of a LOINC code's number part.
func LOINCCheckDigit(num string) byte {
	sum := 0
	double := true
	for i := len(num) - 1; i >= 0; i-- {
		d := int(num[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d = d/10 + d%10
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ODSCodeValid reports whether s has the shape of an ODS organisation or site code: 3 to 6
// upper-case letters and digits, as used for trusts (RXX), sites (RXX01), GP practices (A12345)
// and ICBs (QXX).
func ODSCodeValid(s string) bool {
	if len(s) < 3 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
