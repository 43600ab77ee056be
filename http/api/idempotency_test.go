package api_test

import (
	"bytes"
	"net/http"
	"testing"
)

func TestIdempotencyKeyRepeatsTheFirstAnswer(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 10000)
	before := s.get("/audit/verify", s.auditor()).want(http.StatusOK).num("events_checked")

	first := s.post("/services", w.userTok, service(w.worker, 2, 2), "Idempotency-Key", "svc-1").want(http.StatusCreated)
	afterFirst := s.get("/audit/verify", s.auditor()).want(http.StatusOK).num("events_checked")
	again := s.post("/services", w.userTok, service(w.worker, 2, 2), "Idempotency-Key", "svc-1").want(http.StatusCreated)
	if !bytes.Equal(first.raw, again.raw) {
		t.Fatalf("the repeat answered %s, the first %s", again.raw, first.raw)
	}
	afterRepeat := s.get("/audit/verify", s.auditor()).want(http.StatusOK).num("events_checked")
	if afterFirst == before || afterRepeat != afterFirst {
		t.Fatalf("events: %d before, %d after the first, %d after the repeat", before, afterFirst, afterRepeat)
	}
	dash := s.get("/families/"+w.user+"/dashboard?"+again.pos(), w.userTok).want(http.StatusOK)
	if n := len(dash.list("services")); n != 1 {
		t.Fatalf("%d services after a repeated POST", n)
	}

	// Without a key, the same body is a second service.
	second := s.post("/services", w.userTok, service(w.worker, 2, 2)).want(http.StatusCreated)
	// The hash covers the path: one key and one body on another resource is a reuse.
	s.post("/services/"+first.str("service_id")+"/revoke", w.userTok, nil, "Idempotency-Key", "rv-1").want(http.StatusOK)
	s.post("/services/"+second.str("service_id")+"/revoke", w.userTok, nil, "Idempotency-Key", "rv-1").
		problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
}

func TestMissingContentTypeIsAcceptedAsJSON(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	tok := s.token(s.cf())
	r := s.do("POST", "/users", tok, []byte(`{}`), "Content-Type", "")
	r.want(http.StatusCreated)
	s.do("POST", "/workers", tok, []byte(``), "Content-Type", "application/json; charset=utf-8").want(http.StatusCreated)
	// curl -d sends JSON as application/x-www-form-urlencoded unless told otherwise.
	s.do("POST", "/dev/token", "", []byte(`{"subject":"`+s.cf()+`"}`), "Content-Type", "application/x-www-form-urlencoded").want(http.StatusOK)
}
