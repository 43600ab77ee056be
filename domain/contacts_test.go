package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
)

func personWith(t *testing.T, cf string, events ...domain.Event) *domain.Person {
	t.Helper()
	id, err := domain.ParseCF(cf)
	if err != nil {
		t.Fatal(err)
	}
	p := domain.NewPerson(id)
	for i, e := range events {
		p.Apply(domain.Recorded{ID: uuid.New(), Version: int64(i + 1), Data: e})
	}
	return p
}

func TestContactCodes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	salt := "00112233445566778899aabbccddeeff"
	changed := domain.ContactsChanged{Email: "a@example.it", CodeSalt: salt, CodeHash: domain.HashContactCode(salt, "123456"), ExpiresAt: now.Add(15 * time.Minute)}
	wrong := func(n int) domain.Event { return domain.ContactCodeRejected{Attempts: n} }
	tests := []struct {
		name   string
		given  []domain.Event
		code   string
		at     time.Time
		want   string // the event type, or
		refuse string // the code of the refusal
	}{
		{"the right code in time verifies the address", []domain.Event{changed}, "123456", now.Add(14 * time.Minute), domain.TypeContactsVerified, ""},
		{"a wrong code is recorded and refused", []domain.Event{changed}, "654321", now, domain.TypeContactCodeRejected, domain.CodeInvalidCode},
		{"the right code after four wrong ones still verifies", []domain.Event{changed, wrong(1), wrong(2), wrong(3), wrong(4)}, "123456", now, domain.TypeContactsVerified, ""},
		{"after five wrong codes even the right one is refused", []domain.Event{changed, wrong(1), wrong(2), wrong(3), wrong(4), wrong(5)}, "123456", now, "", domain.CodeTooManyAttempts},
		{"a code past 15 minutes is refused", []domain.Event{changed}, "123456", now.Add(15 * time.Minute), "", domain.CodeCodeExpired},
		{"with no code sent there is nothing to verify", nil, "123456", now, "", domain.CodeNothingToVerify},
		{"a used code is not taken twice", []domain.Event{changed, domain.ContactsVerified{Email: "a@example.it"}}, "123456", now, "", domain.CodeNothingToVerify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := personWith(t, user, tc.given...)
			events, err := p.VerifyContacts(tc.code, tc.at)
			if tc.refuse != "" && !errors.Is(err, &domain.Error{Code: tc.refuse}) {
				t.Fatalf("err %v, want %s", err, tc.refuse)
			}
			if tc.refuse == "" && err != nil {
				t.Fatal(err)
			}
			if (tc.want == "") != (len(events) == 0) || (tc.want != "" && events[0].Data.EventType() != tc.want) {
				t.Fatalf("events %+v, want %s", events, tc.want)
			}
		})
	}
}

func TestChangeContactsChecksAndHashes(t *testing.T) {
	t.Parallel()
	p := personWith(t, user)
	if _, _, err := p.ChangeContacts("not an address", "", "00", "x", time.Now()); !errors.Is(err, &domain.Error{Code: domain.CodeInvalidEmail}) {
		t.Fatalf("bad address: %v", err)
	}
	if _, _, err := p.ChangeContacts("a@example.it", "12ab", "00", "x", time.Now()); !errors.Is(err, &domain.Error{Code: domain.CodeInvalidPhone}) {
		t.Fatalf("bad phone: %v", err)
	}
	events, needsCode, err := p.ChangeContacts("Mario.Rossi@Example.IT", "+39 333 1234567", "00", "hash", time.Now())
	if err != nil || !needsCode {
		t.Fatal(err)
	}
	e := events[0].Data.(domain.ContactsChanged)
	if e.Email != "Mario.Rossi@example.it" || e.Phone != "+393331234567" || e.CodeHash != "hash" {
		t.Fatalf("%+v", e)
	}
	verified := personWith(t, user, e, domain.ContactsVerified{Email: e.Email})
	if _, needsCode, _ := verified.ChangeContacts(e.Email, "", "00", "hash", time.Now()); needsCode {
		t.Fatal("the verified address again needs no code")
	}
}
