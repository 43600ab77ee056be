package domain

import "strings"

// IBAN is a validated International Bank Account Number (ISO 13616), without
// spaces, upper-case. The zero value is no IBAN.
type IBAN struct{ s string }

// String returns the IBAN in electronic form (no spaces).
func (i IBAN) String() string { return i.s }

// IsZero reports whether i holds no IBAN.
func (i IBAN) IsZero() bool { return i.s == "" }

// ibanLengths are the lengths of the SEPA countries' IBANs an Italian payer
// may meet; any other country is accepted at 15–34 characters.
var ibanLengths = map[string]int{
	"IT": 27, "SM": 27, "VA": 22, "DE": 22, "FR": 27, "ES": 24, "AT": 20, "BE": 16,
	"NL": 18, "PT": 25, "CH": 21, "GB": 22, "IE": 22, "LU": 20, "MC": 27, "SI": 19,
	"HR": 21, "GR": 27, "PL": 28, "RO": 24, "MT": 31, "CY": 28, "FI": 18, "SE": 24,
	"DK": 18, "NO": 15, "CZ": 24, "SK": 24, "HU": 28, "BG": 22, "LT": 20, "LV": 21,
	"EE": 20, "AL": 28,
}

// ParseIBAN removes spaces, upper-cases s and checks the country length and
// the mod-97 check digits. An Italian IBAN must also have its structure:
// CIN letter, 5-digit ABI, 5-digit CAB, 12-character account.
func ParseIBAN(s string) (IBAN, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	bad := func(detail string) (IBAN, error) {
		return IBAN{}, RuleError(CodeInvalidIBAN, "iban", detail)
	}
	if len(s) < 15 || len(s) > 34 {
		return bad("an IBAN has 15 to 34 characters")
	}
	if !isLetter(s[0]) || !isLetter(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return bad("an IBAN starts with a country code and two check digits")
	}
	for i := 4; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return bad("an IBAN has only letters and digits")
		}
	}
	if n, ok := ibanLengths[s[:2]]; ok && len(s) != n {
		return bad("an IBAN of this country has a different length")
	}
	if s[:2] == "IT" {
		if !isLetter(s[4]) || !allDigits(s[5:15]) {
			return bad("an Italian IBAN has a CIN letter, ABI and CAB")
		}
	}
	if ibanMod97(s[4:]+s[:4]) != 1 {
		return bad("the check digits of the IBAN are wrong")
	}
	return IBAN{s: s}, nil
}

func ibanMod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if isDigit(ch) {
			r = (r*10 + int(ch-'0')) % 97
		} else {
			v := int(ch-'A') + 10
			r = (r*100 + v) % 97
		}
	}
	return r
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
