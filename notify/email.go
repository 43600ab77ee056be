package notify

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// EmailConfig is the SMTP relay of SMTP_URL and the sender of SMTP_FROM.
type EmailConfig struct {
	// URL is smtp://user:pass@host:port (port default 587; user and password
	// optional). STARTTLS is used when the server offers it.
	URL string
	// From is the sender, e.g. "Libretto Famiglia INPS <noreply@inps.it>".
	From string
	// Domain is the right-hand side of every Message-ID (default the host of
	// From's address).
	Domain string
	// Timeout bounds one delivery (default 30 s).
	Timeout time.Duration
}

// Email sends messages over SMTP with go-mail: a plain-text part and an HTML
// alternative, the Message-ID derived from the outbox id, so a message sent
// twice (a crash between the send and its record) is recognisably one.
type Email struct {
	client *mail.Client
	from   string
	domain string
}

// NewEmail parses cfg and returns the sender.
func NewEmail(cfg EmailConfig) (*Email, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("notify: SMTP_URL %q is not smtp://[user:pass@]host[:port]", redactURL(cfg.URL))
	}
	port := 587
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("notify: SMTP_URL port %q", p)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithTimeout(cfg.Timeout)}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	c, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP client: %w", err)
	}
	from := cfg.From
	if from == "" {
		from = "Libretto Famiglia INPS <noreply@libretto.inps.it>"
	}
	probe := mail.NewMsg()
	if err := probe.From(from); err != nil {
		return nil, fmt.Errorf("notify: SMTP_FROM %q: %w", from, err)
	}
	domain := cfg.Domain
	if domain == "" {
		domain = "libretto.inps.it"
		if at := strings.LastIndexByte(from, '@'); at >= 0 {
			domain = strings.TrimRight(from[at+1:], "> ")
		}
	}
	return &Email{client: c, from: from, domain: domain}, nil
}

// Channel implements Sender.
func (*Email) Channel() string { return ChannelEmail }

// Send implements Sender.
func (e *Email) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(e.from); err != nil {
		return &PermanentError{Err: err}
	}
	if err := msg.To(m.Address); err != nil {
		return &PermanentError{Err: fmt.Errorf("recipient: %w", err)}
	}
	msg.Subject(m.Title)
	msg.SetMessageIDWithValue(m.ID.String() + "@" + e.domain)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, emailText(m))
	msg.AddAlternativeString(mail.TypeTextHTML, emailHTML(m))
	err := e.client.DialAndSendWithContext(ctx, msg)
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.Reason == mail.ErrSMTPRcptTo {
		return &PermanentError{Err: err} // the server refuses the address for good
	}
	return err
}

const emailFooter = "Questo messaggio è inviato automaticamente dall'INPS (Libretto Famiglia) all'indirizzo indicato nella pagina \"I miei recapiti\". Non rispondere a questo indirizzo."

func emailText(m Message) string {
	return m.Title + "\n\n" + m.Body + "\n\n--\n" + emailFooter + "\n"
}

func emailHTML(m Message) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="it"><head><meta charset="utf-8"><title>`)
	b.WriteString(html.EscapeString(m.Title))
	b.WriteString(`</title></head><body><h1>`)
	b.WriteString(html.EscapeString(m.Title))
	b.WriteString(`</h1>`)
	for _, p := range strings.Split(m.Body, "\n\n") {
		b.WriteString("<p>" + html.EscapeString(p) + "</p>")
	}
	b.WriteString(`<hr><p><small>` + html.EscapeString(emailFooter) + `</small></p></body></html>`)
	return b.String()
}

// redactURL hides the password of a URL for an error message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}
