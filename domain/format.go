package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Euro writes cents the Italian way: 1.234,56 €. It is the one spelling of
// money for people: the portal, the PDFs, the messages, the suggestions.
func Euro(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, ch := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(ch)
	}
	return fmt.Sprintf("%s%s,%02d €", sign, b.String(), cents%100)
}

// ItalianDate writes a civil date "2026-03-05" as "05/03/2026"; anything
// else is returned as it is.
func ItalianDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}
