package seed_test

import (
	"context"
	"slices"
	"testing"
	"time"

	backend "github.com/inps/libretto/cmd/libretto/app/stack"
	"github.com/inps/libretto/commands/seed"
)

// TestDemoOnTheRealStack seeds PostgreSQL with the read models live, as
// `make run` does, and checks what a newcomer will see.
func TestDemoOnTheRealStack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := backend.ForTest(t, nil)
	store, h, runner := b.Store, b.Commands, b.Runner
	q := runner.Queries()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	if err := seed.Seed(ctx, h, now, seed.WaitFor(q.WaitFor)); err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	if err := q.WaitFor(ctx, head.Position); err != nil {
		t.Fatal(err)
	}

	st, err := q.Statement(ctx, seed.WorkerMariaCF, 2026)
	if err != nil {
		t.Fatal(err)
	}
	// July–October services, each paid on the 10th of the next month, and
	// the prior service inserted by Laura paid in November.
	if st.Totals.Services != 5 || len(st.ByMonth) != 4 {
		t.Fatalf("Maria's statement: %d services over %d months, want 5 over 4: %+v", st.Totals.Services, len(st.ByMonth), st.ByMonth)
	}
	// Giovanni, paid by bonifico domiciliato, has a payslip for each month
	// of payment, his 2,60 € withheld by each run.
	months, err := q.PayslipMonths(ctx, seed.WorkerGiovanniCF)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-11", "2026-10", "2026-09", "2026-08"}; !slices.Equal(months, want) {
		t.Fatalf("Giovanni's payslip months %v, want %v", months, want)
	}
	p, err := q.Payslip(ctx, seed.WorkerGiovanniCF, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Payments) != 1 || p.Payments[0].UserCF != seed.FamilyFerrariCF || p.Totals.FeeCents != 260 || p.Totals.PaidCents != 4800-260 {
		t.Fatalf("Giovanni's October payslip: %+v", p)
	}
	claims, err := q.ClaimsByHeir(ctx, seed.HeirLauraCF)
	if err != nil || len(claims) != 1 {
		t.Fatalf("Laura's claims: %v %v", claims, err)
	}
	if c := claims[0]; c.Status != "validated" || c.Refund == nil || c.Refund.Status != "requested" || len(c.PriorServices) != 1 || c.PriorServices[0].Status != "paid" {
		t.Fatalf("Laura's claim: %+v", c)
	}
	wl, err := q.Worklist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(wl.ClaimsToValidate) != 1 || wl.ClaimsToValidate[0].HeirCF != seed.HeirMarcoCF || len(wl.RefundsToApprove) != 1 {
		t.Fatalf("worklist: %+v", wl)
	}
	db, err := q.Dashboard(ctx, seed.FamilyVerdiCF, "2026-11-24")
	if err != nil {
		t.Fatal(err)
	}
	var unpaid int
	for _, s := range db.Services {
		if s.Status == "recorded" {
			unpaid++
		}
	}
	if unpaid != 1 {
		t.Fatalf("Anna Verdi has %d unpaid services, want this month's one", unpaid)
	}
	ferrari, err := q.Dashboard(ctx, seed.FamilyFerrariCF, "2026-11-24")
	if err != nil {
		t.Fatal(err)
	}
	if ferrari.Booklet.PendingCents != 30000 || len(ferrari.Deposits) != 2 || ferrari.Deposits[0].Status != "pending" {
		t.Fatalf("the Ferrari family has an F24 of 300 € in accredito: %+v %+v", ferrari.Booklet, ferrari.Deposits)
	}
	notices, err := runner.PGQueries().OpenNotices(ctx, seed.FamilyVerdiCF, "2026-11-24")
	if err != nil || len(notices) != 1 || notices[0].AmountCents != 20000 {
		t.Fatalf("Anna Verdi has an open pagoPA notice of 200 €: %+v %v", notices, err)
	}
}
