package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	smtp "github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/notify"
	"github.com/inps/libretto/projections"
)

// mailbox is an in-process SMTP server (emersion/go-smtp) that keeps every
// message it accepts.
type mailbox struct {
	mu   sync.Mutex
	msgs []received
	addr string
}

type received struct {
	to        string
	messageID string
	subject   string
	raw       string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

func (mb *mailbox) all() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.msgs...)
}

// waitFor waits until a message matches, and returns it.
func (mb *mailbox) waitFor(t *testing.T, what string, match func(received) bool) received {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range mb.all() {
			if match(m) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no e-mail %s arrived; got %d: %+v", what, len(mb.all()), mb.all())
	return received{}
}

type session struct {
	mb *mailbox
	to []string
}

func (s *session) Reset()                                    { s.to = nil }
func (s *session) Logout() error                             { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *session) AuthMechanisms() []string                  { return nil }
func (s *session) Auth(string) (smtp.AuthSession, error)     { return nil, smtp.ErrAuthUnsupported }
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	// The parts are quoted-printable: keep the message decoded, to read it.
	decoded, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	for _, to := range s.to {
		s.mb.msgs = append(s.mb.msgs, received{to: to, messageID: m.Header.Get("Message-Id"), subject: subject, raw: string(decoded)})
	}
	return nil
}

// world is Libretto's back end on a private database with the notifier.
type world struct {
	t      *testing.T
	pool   *pgxpool.Pool
	runner *projections.Runner
	cmd    *commands.Handler
	now    time.Time
	cfs    int
}

func newWorld(t *testing.T, cfg notify.ProjectorConfig) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url := pgtest.NewDatabase(t)
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)
	runner := projections.NewRunner(pool, store, slog.New(slog.DiscardHandler), notify.NewProjector(cfg))
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); runner.Wait() })
	h := commands.NewHandler(store, postgres.NewIdempotency(pool), postgres.NewDocuments(pool))
	return &world{t: t, pool: pool, runner: runner, cmd: h, now: time.Now()}
}

func (w *world) cf() string {
	w.cfs++
	n := w.cfs
	first := string([]byte{'N', byte('A' + n/26%26), byte('A' + n%26)}) + "MRA85T10A562"
	return first + string(domain.CFCheckChar(first))
}

func (w *world) meta(cf string, role commands.Role) commands.Meta {
	return commands.Meta{ActorCF: cf, Role: role, Now: w.now}
}

func (w *world) must(res commands.Result, err error) commands.Result {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.runner.WaitFor(context.Background(), res.Position); err != nil {
		w.t.Fatal(err)
	}
	return res
}

// serviceOf records a service of 2 vouchers (16,00 € net) by a funded user
// for a registered worker, and returns the user, the worker and the result.
func (w *world) serviceOf(worker string) (string, commands.Result) {
	user := w.cf()
	today := w.now.In(rome).Format(time.DateOnly)
	w.must(w.cmd.RegisterUser(context.Background(), w.meta(user, commands.RoleCitizen), commands.RegisterUser{}))
	w.must(w.cmd.RecordDeposit(context.Background(), w.meta("F24", commands.RoleSystem), commands.RecordDeposit{UserCF: user, AmountCents: 10000, Channel: "F24", PaidOn: today}))
	res := w.must(w.cmd.RecordService(context.Background(), w.meta(user, commands.RoleCitizen), commands.RecordService{
		WorkerCF: worker, Activity: "lavori_domestici", StartDate: today, EndDate: today, Hours: 2, Vouchers: 2, NoRecentEmployment: true}))
	return user, res
}

var rome, _ = time.LoadLocation("Europe/Rome")

func (w *world) outboxCount(channel string) int {
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM notify.outbox WHERE channel = $1`, channel).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// startDispatcher drains the outbox with senders until the returned stop.
func (w *world) startDispatcher(senders ...notify.Sender) (*notify.Dispatcher, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	d, err := notify.NewDispatcher(ctx, notify.DispatcherConfig{Pool: w.pool, Senders: senders, Poll: 30 * time.Millisecond,
		Backoff: 50 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	stop := func() { cancel(); <-done }
	w.t.Cleanup(stop)
	return d, stop
}

var codeRE = regexp.MustCompile(`è (\d{6})\.`)

// TestEmailsArriveOnceAcrossARestartAndARebuild verifies an address with
// the code that came by e-mail, then checks that the worker's messages
// arrive once each with the right recipient, subject and amount, including
// one composed while no dispatcher ran (a restart between the outbox insert
// and the send), and that a rebuild of the notifier sends nothing again.
func TestEmailsArriveOnceAcrossARestartAndARebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL and SMTP")
	}
	t.Parallel()
	mb := newMailbox(t)
	w := newWorld(t, notify.ProjectorConfig{Email: true})
	email, err := notify.NewEmail(notify.EmailConfig{URL: "smtp://" + mb.addr, From: "Libretto Famiglia <noreply@libretto.test>"})
	if err != nil {
		t.Fatal(err)
	}
	d, stop := w.startDispatcher(email)
	w.cmd.SetCodeSender(&notify.Codes{Pool: w.pool, Wake: d.Wake})
	ctx := context.Background()

	worker := w.cf()
	w.must(w.cmd.RegisterWorker(ctx, w.meta(worker, commands.RoleCitizen), commands.RegisterWorker{}))
	w.must(w.cmd.ChangeContacts(ctx, w.meta(worker, commands.RoleCitizen), commands.ChangeContacts{Email: "prestatore@example.it"}))
	codeMail := mb.waitFor(t, "with the code", func(m received) bool { return strings.Contains(m.subject, "Codice di verifica") })
	code := codeRE.FindStringSubmatch(codeMail.raw)
	if codeMail.to != "prestatore@example.it" || code == nil {
		t.Fatalf("code e-mail to %s:\n%s", codeMail.to, codeMail.raw)
	}
	if _, err := w.cmd.VerifyContacts(ctx, w.meta(worker, commands.RoleCitizen), commands.VerifyContacts{Code: "000000"}); err == nil && code[1] != "000000" {
		t.Fatal("a wrong code was taken")
	}
	w.must(w.cmd.VerifyContacts(ctx, w.meta(worker, commands.RoleCitizen), commands.VerifyContacts{Code: code[1]}))
	var body string
	if err := w.pool.QueryRow(ctx, `SELECT body FROM notify.outbox WHERE kind = 'contact_code'`).Scan(&body); err != nil || body != "" {
		t.Fatalf("the code's text is kept after sending: %q %v", body, err)
	}

	_, svc := w.serviceOf(worker)
	recorded := mb.waitFor(t, "about the service", func(m received) bool { return m.subject == "Nuova prestazione comunicata" })
	if recorded.to != "prestatore@example.it" || !strings.Contains(recorded.raw, "16,00") || !strings.Contains(recorded.raw, svc.ID) {
		t.Fatalf("service e-mail to %s:\n%s", recorded.to, recorded.raw)
	}
	if !strings.Contains(recorded.raw, "text/plain") || !strings.Contains(recorded.raw, "text/html") {
		t.Fatalf("the e-mail lacks a plain or an HTML part:\n%s", recorded.raw)
	}

	// The dispatcher stops; the payroll's message is composed into the
	// outbox meanwhile, and a new dispatcher sends it once.
	stop()
	w.must(w.cmd.RunPayroll(ctx, w.meta("OPERATORE-1", commands.RoleOperator), commands.RunPayroll{RunDate: w.now.In(rome).Format(time.DateOnly)}))
	var pending int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM notify.outbox WHERE channel = 'email' AND status = 'pending'`).Scan(&pending); err != nil || pending != 1 {
		t.Fatalf("pending e-mails while stopped: %d %v", pending, err)
	}
	w.startDispatcher(email)
	paid := mb.waitFor(t, "about the payment", func(m received) bool { return strings.HasPrefix(m.subject, "Pagamento disposto") })
	// No IBAN: bonifico domiciliato, 2,60 € withheld from 16,00 €.
	if !strings.Contains(paid.subject, "13,40 €") || !strings.Contains(paid.raw, "16,00 €") || !strings.Contains(paid.raw, "2,60 €") || paid.to != "prestatore@example.it" {
		t.Fatalf("payment e-mail: %q to %s", paid.subject, paid.to)
	}

	before := w.outboxCount("email") + w.outboxCount("inbox")
	if err := w.runner.Rebuild(ctx, []string{notify.ProjectorName}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a resend would have been taken by now
	if after := w.outboxCount("email") + w.outboxCount("inbox"); after != before {
		t.Fatalf("the rebuild wrote %d outbox rows", after-before)
	}
	seen := map[string]int{}
	for _, m := range mb.all() {
		seen[m.messageID]++
	}
	if len(mb.all()) != 3 {
		t.Errorf("%d e-mails arrived, want 3 (code, service, payment)", len(mb.all()))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("e-mail %s arrived %d times", id, n)
		}
	}
	// The inbox holds both messages of the worker, unread.
	inbox := notify.NewInbox(w.pool)
	notes, err := inbox.List(ctx, worker)
	if err != nil || len(notes) != 2 {
		t.Fatalf("inbox: %v %+v", err, notes)
	}
	if err := inbox.MarkRead(ctx, worker, notes[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := inbox.Unread(ctx, worker); n != 1 {
		t.Fatalf("unread %d after reading one of two", n)
	}
	if err := inbox.MarkRead(ctx, w.cf(), notes[1].ID); err != notify.ErrNotFound {
		t.Fatalf("someone else marked it read: %v", err)
	}
}

// ioFake checks requests as App IO's OpenAPI does and answers each new
// message 429 first, then 201.
type ioFake struct {
	mu        sync.Mutex
	tries     map[string]int
	delivered map[string]int
	invalid   []string
}

var fiscalCode = regexp.MustCompile(`^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$`)

func (f *ioFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m notify.IOMessage
	err := json.NewDecoder(r.Body).Decode(&m)
	subject, md := utf8.RuneCountInString(m.Content.Subject), utf8.RuneCountInString(m.Content.Markdown)
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/api/v1/messages":
		w.WriteHeader(http.StatusNotFound)
		return
	case r.Header.Get("Ocp-Apim-Subscription-Key") != "chiave-di-prova":
		w.WriteHeader(http.StatusUnauthorized)
		return
	case err != nil || !fiscalCode.MatchString(m.FiscalCode) || subject < 10 || subject > 120 || md < 80 || md > 10000:
		f.invalid = append(f.invalid, m.FiscalCode+" "+m.Content.Subject)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := m.FiscalCode + "|" + m.Content.Subject + "|" + m.Content.Markdown
	f.tries[key]++
	if f.tries[key] == 1 {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	f.delivered[key]++
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"id":"01HQ"}`))
}

// TestAppIOHonours429AndDeliversOnce sends the worker's and the user's
// messages through an App IO that throttles every first try.
func TestAppIOHonours429AndDeliversOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL")
	}
	t.Parallel()
	fake := &ioFake{tries: map[string]int{}, delivered: map[string]int{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	w := newWorld(t, notify.ProjectorConfig{IO: true})
	ctx := context.Background()
	worker := w.cf()
	w.must(w.cmd.RegisterWorker(ctx, w.meta(worker, commands.RoleCitizen), commands.RegisterWorker{}))
	w.serviceOf(worker) // the user's deposit and the worker's service: two messages
	io, err := notify.NewAppIO(notify.IOConfig{URL: srv.URL, Key: "chiave-di-prova"})
	if err != nil {
		t.Fatal(err)
	}
	w.startDispatcher(io)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sent int
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM notify.outbox WHERE channel = 'io' AND status = 'sent'`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d App IO messages sent, want 2", sent)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.invalid) > 0 {
		t.Fatalf("App IO refused: %v", fake.invalid)
	}
	if len(fake.delivered) != 2 {
		t.Fatalf("delivered %v", fake.delivered)
	}
	for k, n := range fake.delivered {
		if n != 1 || fake.tries[k] != 2 {
			t.Errorf("%.40s…: delivered %d times after %d tries", k, n, fake.tries[k])
		}
	}
}
