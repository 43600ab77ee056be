package portal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	backend "github.com/inps/libretto/cmd/libretto/app/stack"
	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	pgsessions "github.com/inps/libretto/http/portal/sessions/postgres"
	"github.com/inps/libretto/notify"
	"github.com/inps/libretto/projections"
)

// stack is the real back end on a private PostgreSQL database with the
// portal in front: the back end app serves (backend.ForTest: migrations,
// the PostgreSQL event store, the command handler, the live projectors). The clock is the real one, because the
// store stamps events with it.
type stack struct {
	srv      *httptest.Server
	commands *commands.Handler
	queries  projections.Queries
	store    eventstore.Store
	portal   *Portal // its page rules, for walking them
	pool     *pgxpool.Pool
}

func newStack(t *testing.T) *stack {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := backend.ForTest(t, logger, notify.NewProjector(notify.ProjectorConfig{}))
	p, err := New(Config{
		Commands: st.Commands, Queries: st.Runner.Queries(), Documents: st.Documents, Store: st.Store, Inbox: notify.NewInbox(st.Pool),
		Logger: logger, Dev: true, SessionKey: testKey, Sessions: pgsessions.New(st.Pool), StatementPDF: fakePDF, PayslipPDF: fakePayslipPDF, NoticePDF: fakeNoticePDF,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &stack{srv: srv, commands: st.Commands, queries: st.Runner.Queries(), store: st.Store, portal: p, pool: st.Pool}
}

// run executes a setup command and waits for the read models.
func (s *stack) run(t *testing.T, what string, f func(ctx context.Context) (commands.Result, error)) commands.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := f(ctx)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := s.queries.WaitFor(ctx, res.Position); err != nil {
		t.Fatalf("%s: wait for read models: %v", what, err)
	}
	return res
}

func as(cf string, role commands.Role) commands.Meta {
	return commands.Meta{ActorCF: cf, Role: role, Now: time.Now()}
}

// deceasedWithBooklet opens a booklet for cf with a deposit, as it stood
// before the owner died, and registers worker.
func (s *stack) deceasedWithBooklet(t *testing.T, cf string, cents int64, worker string) {
	t.Helper()
	s.run(t, "register deceased", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RegisterUser(ctx, as(cf, commands.RoleCitizen), commands.RegisterUser{})
	})
	s.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{
			UserCF: cf, AmountCents: cents, Channel: "PAGOPA", PaidOn: time.Now().AddDate(0, 0, -40).Format(time.DateOnly),
		})
	})
	s.run(t, "register worker", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RegisterWorker(ctx, as(worker, commands.RoleCitizen), commands.RegisterWorker{Category: "altro"})
	})
}

// fakeNoticePDF stands in for the API's notice renderer: enough to see
// which notice was rendered.
func fakeNoticePDF(n projections.Notice, _ time.Time) ([]byte, error) {
	number, err := domain.ParseNoticeNumber(n.NoticeNumber, "")
	if err != nil {
		return nil, err
	}
	return []byte("%PDF-1.4 AVVISO " + number.Grouped()), nil
}

// fakePDF stands in for the API's renderer (the portal must not import
// http/api): enough to see which statement was rendered.
func fakePDF(st projections.Statement, _ time.Time) ([]byte, error) {
	return []byte(fmt.Sprintf("%%PDF-1.4 %s %d %d", st.WorkerCF, st.Year, st.Totals.PaidCents)), nil
}
