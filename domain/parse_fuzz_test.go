package domain

import (
	"strings"
	"testing"
)

// FuzzParseCF: ParseCF never panics; what it accepts is 16 upper-case
// characters with the right check character, parses again to itself, and is
// accepted whatever the case and surrounding spaces of the input.
//
//	go test -run '^$' -fuzz FuzzParseCF -fuzztime 30s ./domain
func FuzzParseCF(f *testing.F) {
	for _, s := range []string{"RSSMRA85T10A562S", "rssmra85t10a562s", " RSSMRA85T10A562S ", "RSSMRA85T10A562T",
		"RSSMRA85T10A56NS", "RSSMRA85Z10A562S", "RSSMRA85T00A562S", "RSSMRA85T72A562S", "", "RSSMRA85T10A562", "ÀSSMRA85T10A562S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cf, err := ParseCF(s)
		if err != nil {
			if code := err.(*Error).Code; code != CodeInvalidCF {
				t.Fatalf("ParseCF(%q): code %s", s, code)
			}
			return
		}
		got := cf.String()
		if len(got) != 16 || got != strings.ToUpper(got) || CFCheckChar(got[:15]) != got[15] {
			t.Fatalf("ParseCF(%q) accepted %q", s, got)
		}
		again, err := ParseCF(got)
		if err != nil || again != cf {
			t.Fatalf("ParseCF(%q) = %q, which parses again as %q, %v", s, got, again.String(), err)
		}
		if lower, err := ParseCF(" " + strings.ToLower(got) + "\t"); err != nil || lower != cf {
			t.Fatalf("ParseCF of %q in lower case with spaces: %q, %v", got, lower.String(), err)
		}
	})
}

// FuzzParseIBAN: ParseIBAN never panics; what it accepts is 15–34 upper-case
// letters and digits whose mod-97 check is 1, parses again to itself, and
// is accepted with spaces between groups of four.
//
//	go test -run '^$' -fuzz FuzzParseIBAN -fuzztime 30s ./domain
func FuzzParseIBAN(f *testing.F) {
	for _, s := range []string{"IT60X0542811101000000123456", "it60 x054 2811 1010 0000 0123 456", "IT61X0542811101000000123456",
		"DE89370400440532013000", "GB82WEST12345698765432", "IT60X054281110100000012345", "IT6", "", "IT60X05428111010000001234567890123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iban, err := ParseIBAN(s)
		if err != nil {
			if code := err.(*Error).Code; code != CodeInvalidIBAN {
				t.Fatalf("ParseIBAN(%q): code %s", s, code)
			}
			return
		}
		got := iban.String()
		if len(got) < 15 || len(got) > 34 || ibanMod97(got[4:]+got[:4]) != 1 {
			t.Fatalf("ParseIBAN(%q) accepted %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if !isDigit(got[i]) && !isLetter(got[i]) {
				t.Fatalf("ParseIBAN(%q) accepted %q with %q", s, got, got[i])
			}
		}
		again, err := ParseIBAN(got)
		if err != nil || again != iban {
			t.Fatalf("ParseIBAN(%q) = %q, which parses again as %q, %v", s, got, again.String(), err)
		}
		var grouped strings.Builder
		for i := 0; i < len(got); i += 4 {
			grouped.WriteString(strings.ToLower(got[i:min(i+4, len(got))]) + " ")
		}
		if g, err := ParseIBAN(grouped.String()); err != nil || g != iban {
			t.Fatalf("ParseIBAN(%q) = %q, %v; want %q", grouped.String(), g.String(), err, got)
		}
	})
}
