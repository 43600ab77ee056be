package domain

import "strings"

// CF is a validated codice fiscale of a natural person: 16 characters,
// upper-case, with a correct check character. The zero value is no CF.
type CF struct{ s string }

// String returns the codice fiscale, upper-case.
func (c CF) String() string { return c.s }

// IsZero reports whether c holds no codice fiscale.
func (c CF) IsZero() bool { return c.s == "" }

// omocodia maps the letters that may replace a digit (DM 12/03/1974,
// "omocodia") back to that digit.
const omocodia = "LMNPQRSTUV"

// monthLetters are the month codes A (January) … T (December).
const monthLetters = "ABCDEHLMPRST"

// oddDigit and oddLetter are the check-character values of characters in odd
// (1-based) positions, by digit (0-9) or letter (A-Z): the official table.
// Characters in even positions count as their digit or alphabet index.
var oddDigit = [10]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21}
var oddLetter = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// digitPositions are the 0-based positions that hold digits (year, day,
// comune number), where omocodia letters are also accepted.
var digitPositions = [16]bool{6: true, 7: true, 9: true, 10: true, 12: true, 13: true, 14: true}

// ParseCF trims and upper-cases s and checks it is a codice fiscale: the
// letter and digit positions (omocodia letters LMNPQRSTUV accepted for
// digits), the month letter, the day (1–31, +40 for women) and the check
// character. The error is invalid_cf without a field: callers name it.
func ParseCF(s string) (CF, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 16 {
		return CF{}, RuleError(CodeInvalidCF, "", "a codice fiscale has 16 characters")
	}
	for i := 0; i < 15; i++ {
		ch := s[i]
		switch {
		case digitPositions[i]:
			if !isDigit(ch) && strings.IndexByte(omocodia, ch) < 0 {
				return CF{}, RuleError(CodeInvalidCF, "", "the codice fiscale has a letter where a digit belongs")
			}
		default:
			if !isLetter(ch) {
				return CF{}, RuleError(CodeInvalidCF, "", "the codice fiscale has a digit where a letter belongs")
			}
		}
	}
	if strings.IndexByte(monthLetters, s[8]) < 0 {
		return CF{}, RuleError(CodeInvalidCF, "", "the codice fiscale has an unknown month letter")
	}
	day := cfDigit(s[9])*10 + cfDigit(s[10])
	if !(day >= 1 && day <= 31) && !(day >= 41 && day <= 71) {
		return CF{}, RuleError(CodeInvalidCF, "", "the codice fiscale has an impossible day of birth")
	}
	if !isLetter(s[15]) || cfCheck(s[:15]) != s[15] {
		return CF{}, RuleError(CodeInvalidCF, "", "the check character of the codice fiscale is wrong")
	}
	return CF{s: s}, nil
}

// MustCF parses s and panics when it is not a codice fiscale; for tests and
// constants only.
func MustCF(s string) CF {
	c, err := ParseCF(s)
	if err != nil {
		panic(err)
	}
	return c
}

// CFCheckChar returns the check character of the first 15 characters of a
// codice fiscale (upper-case letters and digits).
func CFCheckChar(first15 string) byte { return cfCheck(strings.ToUpper(first15)) }

func cfCheck(first15 string) byte {
	sum := 0
	for i := 0; i < len(first15); i++ {
		ch := first15[i]
		odd := i%2 == 0 // 1-based odd positions
		switch {
		case isDigit(ch) && odd:
			sum += oddDigit[ch-'0']
		case isDigit(ch):
			sum += int(ch - '0')
		case isLetter(ch) && odd:
			sum += oddLetter[ch-'A']
		case isLetter(ch):
			sum += int(ch - 'A')
		}
	}
	return byte('A' + sum%26)
}

func cfDigit(ch byte) int {
	if isDigit(ch) {
		return int(ch - '0')
	}
	return strings.IndexByte(omocodia, ch)
}

func isDigit(ch byte) bool  { return ch >= '0' && ch <= '9' }
func isLetter(ch byte) bool { return ch >= 'A' && ch <= 'Z' }
