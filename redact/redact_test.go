package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/inps/libretto/redact"
)

func TestStringHidesEveryCodiceFiscaleAndIBAN(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"a CF alone keeps its first six and last three characters", "RSSMRA85T10A562S", "RSSMRA*******62S"},
		{"a CF in a path is masked", "/api/v1/workers/RSSMRA85T10A562S/statements/2026", "/api/v1/workers/RSSMRA*******62S/statements/2026"},
		{"an omocodic CF is masked", "RSSMRA85T10A56NS", "RSSMRA*******6NS"},
		{"a lower-case CF is masked", "worker rssmra85t10a562s", "worker rssmra*******62s"},
		{"an IBAN keeps its country, check digits and last four", "to IT60X0542811101000000123456.", "to IT60*******************3456."},
		{"a printed IBAN is masked", "IBAN IT60 X054 2811 1010 0000 0123 456 ok", "IBAN IT60*******************3456 ok"},
		{"a foreign IBAN is masked", "DE89370400440532013000", "DE89**************3000"},
		{"a system name is kept", "F24-FEED", "F24-FEED"},
		{"a UUID is kept", "claim-0195f3a2-7c1e-7d4b-9a3e-2f1d4c5b6a79", "claim-0195f3a2-7c1e-7d4b-9a3e-2f1d4c5b6a79"},
		{"a SHA-256 is kept", "ab12" + strings.Repeat("0", 60), "ab12" + strings.Repeat("0", 60)},
		{"prose is kept", "the worker cap of 500000 cents for 2026 would be crossed", "the worker cap of 500000 cents for 2026 would be crossed"},
	}
	for _, tc := range cases {
		if got := redact.String(tc.in); got != tc.want {
			t.Errorf("%s: String(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

type person struct{ CF, IBAN string }

func TestTheHandlerHidesIdentifiersInEveryPartOfALine(t *testing.T) {
	t.Parallel()
	const cf, iban = "RSSMRA85T10A562S", "IT60X0542811101000000123456"
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(redact.NewHandler(h)).With("subject", cf)
		log.WithGroup("req").Info("refund to "+iban+" for "+cf,
			"path", "/workers/"+cf, "err", fmt.Errorf("wrap: %w", errors.New("no booklet for "+cf)),
			"who", person{cf, iban}, "raw", []byte(iban), slog.Group("g", "iban", iban), "n", 42)
		out := buf.String()
		if strings.Contains(out, cf) || strings.Contains(out, iban) {
			t.Errorf("%s: a whole identifier is logged:\n%s", format, out)
		}
		if !strings.Contains(out, "RSSMRA*******62S") || !strings.Contains(out, "42") {
			t.Errorf("%s: the line lost what it should keep:\n%s", format, out)
		}
	}
	h := redact.NewHandler(slog.DiscardHandler)
	if redact.NewHandler(h) != h {
		t.Error("wrapping twice wraps twice")
	}
}
