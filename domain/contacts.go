package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
)

// Contact data (recapiti, SPEC §9): a person's e-mail address and phone
// number, on the person's own stream person-<CF>. An e-mail address receives
// messages only once the person has typed back the 6-digit code sent to it.
// The code itself is never stored: the event holds a random salt and the
// SHA-256 of salt and code.
const (
	TypeContactsChanged     = "ContactsChanged"     // new address (and phone); a code was sent to it
	TypeContactCodeRejected = "ContactCodeRejected" // a wrong code typed back: one try fewer
	TypeContactsVerified    = "ContactsVerified"    // the right code: the address receives messages
)

// The rules of the verification code.
const (
	ContactCodeTries    = 5
	ContactCodeLifetime = 15 * time.Minute
	ContactCodeDigits   = 6
)

// Codes of contact refusals.
const (
	CodeInvalidEmail    = "invalid_email"
	CodeInvalidPhone    = "invalid_phone"
	CodeInvalidCode     = "invalid_code"      // 422, with tries_left
	CodeCodeExpired     = "code_expired"      // 422: ask for a new code
	CodeTooManyAttempts = "too_many_attempts" // 422: ask for a new code
	CodeNothingToVerify = "nothing_to_verify" // 409: no code was sent, or it was used
)

// PersonStream is the stream of a person's own data: contact data.
func PersonStream(cf string) string { return "person-" + cf }

// ContactsChanged is a person giving an e-mail address (and optionally a
// phone number). CodeSalt and CodeHash let the code sent to Email be checked
// without holding it.
type ContactsChanged struct {
	Email     string    `json:"email"`
	Phone     string    `json:"phone,omitempty"`
	CodeSalt  string    `json:"code_salt"` // hex
	CodeHash  string    `json:"code_hash"` // hex SHA-256 of salt bytes and the code
	ExpiresAt time.Time `json:"expires_at"`
}

// ContactCodeRejected is a wrong code; Attempts counts the wrong ones so far
// for this code.
type ContactCodeRejected struct {
	Attempts int `json:"attempts"`
}

// ContactsVerified is the right code typed back in time: Email receives
// messages from now on.
type ContactsVerified struct {
	Email string `json:"email"`
}

func (ContactsChanged) EventType() string     { return TypeContactsChanged }
func (ContactCodeRejected) EventType() string { return TypeContactCodeRejected }
func (ContactsVerified) EventType() string    { return TypeContactsVerified }

// The contact events join the codec's table here rather than in codec.go,
// so that this feature stays in files of its own.
// HashContactCode is the stored form of a code: hex SHA-256 of the salt's
// bytes followed by the code's digits.
func HashContactCode(saltHex, code string) string {
	salt, _ := hex.DecodeString(saltHex)
	sum := sha256.Sum256(append(salt, code...))
	return hex.EncodeToString(sum[:])
}

// Person is the stream person-<CF>: the person's contact data.
type Person struct {
	version  int64
	cf       CF
	email    string // the address last given
	phone    string
	verified string // the address that receives messages ("" when none)
	salt     string
	hash     string
	expires  time.Time
	wrong    int
	open     bool // a code was sent and not yet used up
}

// NewPerson returns the empty person of cf.
func NewPerson(cf CF) *Person { return &Person{cf: cf} }

// Version is the stream version the person was folded to.
func (p *Person) Version() int64 { return p.version }

// Parties of a person's own data: the person.
func (p *Person) Parties() []string { return []string{p.cf.String()} }

// Apply folds stored events; it never fails.
func (p *Person) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > p.version {
			p.version = r.Version
		}
		switch e := r.Data.(type) {
		case ContactsChanged:
			p.email, p.phone = e.Email, e.Phone
			p.salt, p.hash, p.expires = e.CodeSalt, e.CodeHash, e.ExpiresAt
			p.wrong, p.open = 0, true
			if e.Email == p.verified {
				p.open = false // the same address again: already verified
			}
		case ContactCodeRejected:
			p.wrong = e.Attempts
		case ContactsVerified:
			p.verified = e.Email
			p.open = false
		}
	}
}

// ChangeContacts gives a new e-mail address and phone number. saltHex and
// codeHash are HashContactCode's of the code about to be sent; now + 15
// minutes is its expiry. Giving the already verified address again only
// updates the phone and sends no code (needsCode false).
func (p *Person) ChangeContacts(email, phone, saltHex, codeHash string, now time.Time) (events []Pending, needsCode bool, err error) {
	addr, err := ParseEmail(email)
	if err != nil {
		return nil, false, err
	}
	ph, err := ParsePhone(phone)
	if err != nil {
		return nil, false, err
	}
	e := ContactsChanged{Email: addr, Phone: ph}
	if addr != p.verified {
		e.CodeSalt, e.CodeHash, e.ExpiresAt = saltHex, codeHash, now.Add(ContactCodeLifetime).UTC()
		needsCode = true
	}
	return pending(e), needsCode, nil
}

// VerifyContacts checks a code typed back. A wrong code is recorded (the
// returned events) and refused with invalid_code and the tries left; the
// fifth wrong one uses the code up. An expired or used-up code is refused
// with nothing recorded.
func (p *Person) VerifyContacts(code string, now time.Time) ([]Pending, error) {
	if !p.open {
		return nil, ConflictError(CodeNothingToVerify, "no verification code is waiting: give your e-mail address first")
	}
	if p.wrong >= ContactCodeTries {
		return nil, RuleError(CodeTooManyAttempts, "code", "too many wrong codes: give your e-mail address again for a new code")
	}
	if !now.Before(p.expires) {
		return nil, RuleError(CodeCodeExpired, "code", "the code has expired: give your e-mail address again for a new code")
	}
	code = strings.TrimSpace(code)
	if len(code) != ContactCodeDigits || strings.Trim(code, "0123456789") != "" ||
		subtle.ConstantTimeCompare([]byte(HashContactCode(p.salt, code)), []byte(p.hash)) != 1 {
		wrong := p.wrong + 1
		err := RuleError(CodeInvalidCode, "code", "the code is not the one sent to your e-mail address").With("tries_left", ContactCodeTries-wrong)
		return pending(ContactCodeRejected{Attempts: wrong}), err
	}
	return pending(ContactsVerified{Email: p.email}), nil
}

// ContactsView is a person's contact data as GET /me/contacts shows it.
type ContactsView struct {
	Email         string     `json:"email"`          // the address last given
	Phone         string     `json:"phone"`          // "" when none
	Verified      bool       `json:"verified"`       // Email is the verified address
	VerifiedEmail string     `json:"verified_email"` // the address that receives messages, "" when none
	CodeExpiresAt *time.Time `json:"code_expires_at"`
	TriesLeft     int        `json:"tries_left"` // of the code waiting, 0 when none
}

// View returns the person's contact data at now.
func (p *Person) View(now time.Time) ContactsView {
	v := ContactsView{Email: p.email, Phone: p.phone, Verified: p.email != "" && p.email == p.verified, VerifiedEmail: p.verified}
	if p.open && p.wrong < ContactCodeTries && now.Before(p.expires) {
		exp := p.expires
		v.CodeExpiresAt = &exp
		v.TriesLeft = ContactCodeTries - p.wrong
	}
	return v
}

// ParseEmail checks a plain e-mail address (no display name) of at most 254
// characters and returns it with its domain lower-cased.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := RuleError(CodeInvalidEmail, "email", "not a valid e-mail address")
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\r\n") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", bad
	}
	return s[:at+1] + strings.ToLower(s[at+1:]), nil
}

// ParsePhone checks an optional phone number: digits, an optional leading
// +, spaces ignored, 6 to 15 digits. "" is no phone.
func ParsePhone(s string) (string, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if s == "" {
		return "", nil
	}
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 6 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return "", RuleError(CodeInvalidPhone, "phone", "not a valid phone number")
	}
	return s, nil
}
