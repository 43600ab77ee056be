package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IOConfig is App IO's API (IO_API_URL, IO_API_KEY).
type IOConfig struct {
	URL    string // e.g. https://api.io.pagopa.it; messages go to URL + /api/v1/messages
	Key    string // the service's subscription key (Ocp-Apim-Subscription-Key)
	Client *http.Client
}

// AppIO sends messages to App IO, the public administration's app, by the
// person's codice fiscale.
type AppIO struct {
	url, key string
	client   *http.Client
}

// NewAppIO returns the App IO sender.
func NewAppIO(cfg IOConfig) (*AppIO, error) {
	if cfg.URL == "" || cfg.Key == "" {
		return nil, errors.New("notify: App IO needs IO_API_URL and IO_API_KEY")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &AppIO{url: strings.TrimRight(cfg.URL, "/") + "/api/v1/messages", key: cfg.Key, client: cfg.Client}, nil
}

// Channel implements Sender.
func (*AppIO) Channel() string { return ChannelIO }

// IOMessage is the body of POST /api/v1/messages (IO's NewMessage).
type IOMessage struct {
	FiscalCode string    `json:"fiscal_code"`
	Content    IOContent `json:"content"`
}

// IOContent is a message's content: subject 10–120 characters, markdown
// 80–10,000.
type IOContent struct {
	Subject  string `json:"subject"`
	Markdown string `json:"markdown"`
}

// IO's bounds on a message's content.
const (
	IOSubjectMin, IOSubjectMax   = 10, 120
	IOMarkdownMin, IOMarkdownMax = 80, 10000
)

// ioContent fits a message to IO's bounds: the subject padded or cut, the
// body followed by a footer that makes any message long enough.
func ioContent(m Message) IOContent {
	subject := m.Title
	if utf8.RuneCountInString(subject) < IOSubjectMin {
		subject += " – INPS"
	}
	if r := []rune(subject); len(r) > IOSubjectMax {
		subject = string(r[:IOSubjectMax-1]) + "…"
	}
	md := m.Body + "\n\n---\n\nMessaggio dell'INPS sul Libretto Famiglia: i dettagli sono nell'area riservata del portale, alla pagina *Notifiche*."
	if r := []rune(md); len(r) > IOMarkdownMax {
		md = string(r[:IOMarkdownMax-1]) + "…"
	}
	return IOContent{Subject: subject, Markdown: md}
}

// Send implements Sender: 201 is delivered; 429 and 5xx are retried (429
// after its Retry-After); any other status is a permanent refusal (a
// citizen without App IO answers 404).
func (a *AppIO) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(IOMessage{FiscalCode: m.PersonCF, Content: ioContent(m)})
	if err != nil {
		return &PermanentError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ocp-Apim-Subscription-Key", a.key)
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	err = fmt.Errorf("notify: App IO answered %d: %s", resp.StatusCode, strings.TrimSpace(string(detail)))
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return &RetryAfterError{After: retryAfter(resp.Header.Get("Retry-After")), Err: err}
	case resp.StatusCode >= 500:
		return err
	default:
		return &PermanentError{Err: err}
	}
}

// retryAfter reads Retry-After in seconds or as an HTTP date; 0 when absent.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
