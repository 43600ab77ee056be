package commands_test

import (
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// heldStores runs a scenario on every store the commands append to: memory,
// the real PostgreSQL and EventStoreDB's test double (where a multi-stream
// append is a saga).
func heldStores(t *testing.T, scenario func(t *testing.T, f *fixture)) {
	t.Helper()
	for _, s := range []struct {
		name string
		new  func(t *testing.T) *fixture
	}{
		{"memory", func(t *testing.T) *fixture { return newFixture(t) }},
		{"postgres", func(t *testing.T) *fixture { return newPostgresFixture(t) }},
		{"esdb", esdbFixture},
	} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			scenario(t, s.new(t))
		})
	}
}

// strangersPriorService is the theft of issue 14: heirCF, a stranger,
// declares mario (alive, 10 vouchers on his booklet) dead and inserts a
// prior service of all 10 vouchers paid to laura, a registered accomplice.
func strangersPriorService(f *fixture) (claim, service string) {
	f.t.Helper()
	f.user(mario, 10000)
	f.worker(laura, ibanOK, "")
	claim = f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), heirOfMario())).ID
	service = f.must(f.h.InsertPriorService(ctx(), citizen(heirCF), commands.InsertPriorService{ClaimID: claim, WorkerCF: laura,
		Activity: "assistenza_domiciliare", StartDate: "2026-02-10", EndDate: "2026-02-10", Hours: 10, Vouchers: 10, NoKnownEmployment: true})).ID
	return claim, service
}

func lastOf(evs []eventstore.Event, typ string) (eventstore.Event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i], true
		}
	}
	return eventstore.Event{}, false
}

func TestHeldPriorServicesOnEveryStore(t *testing.T) {
	t.Parallel()
	t.Run("prior service of a registered claim is not paid", func(t *testing.T) {
		t.Parallel()
		heldStores(t, func(t *testing.T, f *fixture) {
			claim, _ := strangersPriorService(f)
			run := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"}))
			if run.Payments != 0 || run.PaidCents != 0 {
				t.Fatalf("the run paid %d cents in %d payments for a claim nobody validated", run.PaidCents, run.Payments)
			}
			if _, paid := lastOf(f.stream(domain.WorkerStream(laura)), domain.TypeWorkerPaid); paid {
				t.Fatal("the accomplice was paid")
			}
			if _, paid := lastOf(f.stream(domain.ClaimStream(claim)), domain.TypePriorServicePaid); paid {
				t.Fatal("the claim records its prior service paid")
			}
			if n, cents := f.liveBookings(laura); n != 1 || cents != 8000 {
				t.Fatalf("the held service counts %d bookings of %d cents, want it still booked (1 of 8000)", n, cents)
			}
		})
	})
	t.Run("validation releases a held prior service to the next payroll", func(t *testing.T) {
		t.Parallel()
		heldStores(t, func(t *testing.T, f *fixture) {
			claim, _ := strangersPriorService(f)
			if run := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"})); run.Payments != 0 {
				t.Fatalf("run before validation %+v", run)
			}
			f.must(f.h.ValidateHeir(ctx(), operator(), commands.ValidateHeir{ClaimID: claim}))
			run := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-02"}))
			if run.Payments != 1 || run.PaidCents != 8000 {
				t.Fatalf("run after validation %+v, want laura's 8000 cents", run)
			}
			if _, paid := lastOf(f.stream(domain.ClaimStream(claim)), domain.TypePriorServicePaid); !paid {
				t.Fatal("the claim records no PriorServicePaid")
			}
		})
	})
	t.Run("rejecting the heir reverses its unpaid prior services", func(t *testing.T) {
		t.Parallel()
		heldStores(t, func(t *testing.T, f *fixture) {
			claim, svc := strangersPriorService(f)
			f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"}))
			f.must(f.h.RejectHeir(ctx(), operator(), commands.RejectHeir{ClaimID: claim, Reason: "mario is alive"}))
			rejected, ok := lastOf(f.stream(domain.ClaimStream(claim)), domain.TypeHeirRejected)
			if !ok {
				t.Fatal("no HeirRejected")
			}
			for _, s := range []struct{ stream, typ string }{
				{domain.ClaimStream(claim), domain.TypePriorServiceReversed},
				{domain.BookletStream(mario), domain.TypeServiceReversed},
				{domain.WorkerStream(laura), domain.TypeWorkerServiceFreed},
			} {
				e, ok := lastOf(f.stream(s.stream), s.typ)
				if !ok {
					t.Fatalf("%s holds no %s", s.stream, s.typ)
				}
				if e.CausationID != rejected.ID {
					t.Fatalf("%s on %s caused by %v, want the HeirRejected %v", s.typ, s.stream, e.CausationID, rejected.ID)
				}
				if e.CorrelationID != rejected.CorrelationID {
					t.Fatalf("%s on %s is not of the rejection's request", s.typ, s.stream)
				}
			}
			if n, _ := f.liveBookings(laura); n != 0 {
				t.Fatalf("the accomplice still holds %d bookings", n)
			}
			// The booklet is mario's again, whole: his 10 vouchers are his to spend.
			f.worker(paolo, "", "")
			f.must(f.h.RecordService(ctx(), citizen(mario), service(paolo, 10)))
			_, err := f.h.ReverseService(ctx(), operator(), commands.ReverseService{ServiceID: svc, Reason: "again"})
			wantCode(t, err, domain.CodeInvalidState)
			if run := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-02"})); run.Payments != 1 || run.PaidCents != 8000-260 {
				t.Fatalf("the next run %+v, want only mario's own service to paolo", run)
			}
		})
	})
}
