// Package redact hides the personal identifiers Libretto handles, codici
// fiscali and IBANs, wherever text leaves the process for people other than
// their owner: log lines and problem documents (SPEC §8: "Logs and problem
// documents never hold a whole CF or IBAN"). It is the one place that knows
// their shapes for that purpose; it imports nothing of Libretto.
package redact

import (
	"regexp"
	"strings"
)

// cfPattern finds codici fiscali (omocodia letters included), in either case.
var cfPattern = regexp.MustCompile(`(?i)\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b`)

// ibanPattern finds IBANs in electronic form (15 to 34 letters and digits
// after the country and check digits) and in the printed form in groups of
// four separated by single spaces.
var ibanPattern = regexp.MustCompile(`(?i)\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)\b`)

// CF hides the middle of a codice fiscale, keeping what lets an operator
// tell log lines apart: RSSMRA*******62S. Anything that is not a codice
// fiscale (a system's name) is returned as it is.
func CF(s string) string {
	if len(s) == 16 && cfPattern.MatchString(s) {
		return s[:6] + "*******" + s[13:]
	}
	return s
}

// IBAN hides an IBAN but its country, check digits and last four
// characters: IT60***********************3456 (spaces of the printed
// form are dropped).
func IBAN(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 {
		return s
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}

// String hides every codice fiscale and IBAN in s.
func String(s string) string {
	if len(s) < 15 {
		return s // shorter than any IBAN or CF: the common case costs nothing
	}
	s = cfPattern.ReplaceAllStringFunc(s, CF)
	return ibanPattern.ReplaceAllStringFunc(s, IBAN)
}
