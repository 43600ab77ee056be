package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

// requestBodies are the JSON request bodies of every route that decodes
// one, by name: FuzzDecodeBody picks one by its first input.
var requestBodies = []struct {
	name string
	new  func() any
}{
	{"empty", func() any { return &emptyBody{} }},
	{"worker", func() any { return &workerBody{} }},
	{"deposit", func() any { return &depositBody{} }},
	{"service", func() any { return &serviceBody{} }},
	{"heir_claim", func() any { return &heirClaimBody{} }},
	{"refund", func() any { return &refundBody{} }},
	{"note", func() any { return &noteBody{} }},
	{"reason", func() any { return &reasonBody{} }},
	{"refund_paid", func() any { return &refundPaidBody{} }},
	{"date_of_death", func() any { return &dateOfDeathBody{} }},
	{"payroll", func() any { return &payrollBody{} }},
	{"dev_token", func() any { return &devTokenBody{} }},
	{"isee", func() any { return &iseeBody{} }},
	{"child", func() any { return &childBody{} }},
	{"application", func() any { return &applicationBody{} }},
	{"application_status", func() any { return &applicationStatusBody{} }},
	{"payment", func() any { return &paymentBody{} }},
	{"auu", func() any { return &auuBody{} }},
	{"nido", func() any { return &nidoBody{} }},
	{"assistant", func() any { return &assistantBody{} }},
}

// FuzzDecodeBody feeds any bytes to the strict decoder of any request body.
// Decoding is what Server.Decode does after reading the body: the strict
// unmarshal, then the NUL check. It never panics; a refusal is a 400
// problem with one of the decoder's codes; an accepted body survives a round trip (encode, decode strictly
// again, the same value).
//
//	go test -run '^$' -fuzz FuzzDecodeBody -fuzztime 30s ./http/api
func FuzzDecodeBody(f *testing.F) {
	seeds := map[string]string{
		"worker":        `{"iban":"IT60X0542811101000000123456","category":"altro"}`,
		"deposit":       `{"user_cf":"RSSMRA85T10A562S","amount_cents":100000,"channel":"F24","paid_on":"2026-03-01"}`,
		"service":       `{"worker_cf":"RSSMRA85T10A562S","activity":"lavori_domestici","start_date":"2026-03-02","end_date":"2026-03-02","hours":1.5,"vouchers":2,"declarations":{"no_recent_employment":true}}`,
		"heir_claim":    `{"deceased_cf":"RSSMRA85T10A562S","date_of_death":"2026-01-01","heir_kind":"testamentario","will":{"filename":"w.pdf","content_base64":"JVBERi0="}}`,
		"refund":        `{"iban":"IT60X0542811101000000123456"}`,
		"reason":        `{"reason":"errore"}`,
		"refund_paid":   `{"paid_on":"2026-03-15","bank_reference":"CRO123"}`,
		"date_of_death": `{"date_of_death":"2026-01-01","reason":"certificato"}`,
		"payroll":       `{"run_date":"2026-03-15"}`,
		"dev_token":     `{"subject":"RSSMRA85T10A562S","roles":["citizen"]}`,
	}
	for i, b := range requestBodies {
		body := seeds[b.name]
		if body == "" {
			body = `{}`
		}
		f.Add(uint8(i), []byte(body))
	}
	for _, bad := range []string{``, ` `, `[]`, `{"a":1}`, `{"iban":1}`, `{} {}`, `{"hours":"1"}`, `{"will":{"content_base64":"%%%"}}`, `{"roles":[1]}`, "\xff"} {
		f.Add(uint8(0), []byte(bad))
		f.Add(uint8(3), []byte(bad))
	}
	codes := map[string]bool{"malformed_json": true, "invalid_type": true, "unknown_field": true, "invalid_base64": true, "invalid_character": true}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		b := requestBodies[int(which)%len(requestBodies)]
		v := b.new()
		err := unmarshalStrict(body, v)
		if err == nil {
			err = noNUL(reflect.ValueOf(v), "") // as Decode does next
		}
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				t.Fatalf("%s: %q: error %v is not a problem", b.name, body, err)
			}
			if he.Status != http.StatusBadRequest || !codes[he.Code] {
				t.Fatalf("%s: %q: refused with %d %s", b.name, body, he.Status, he.Code)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %q: accepted but not encodable: %v", b.name, body, err)
		}
		w := b.new()
		if err := unmarshalStrict(again, w); err != nil {
			t.Fatalf("%s: %q re-encoded as %s is refused: %v", b.name, body, again, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("%s: %q: round trip changed %#v into %#v", b.name, body, v, w)
		}
	})
}
