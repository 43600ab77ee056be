package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// rome is the civil time zone the demo's dates are in.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// IBANs of the demo (valid check digits, fictitious accounts).
const (
	ibanMaria = "IT60X0542811101000000123456"
	ibanSofia = "IT42L1234512345123456789012"
	ibanLaura = "IT84S0542811101000000654321"
)

// willPDF is the smallest PDF that passes the will check: the demo's
// testamentary heir uploads it.
var willPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\nstartxref\n0\n%%EOF\n")

// Seed fills the store with the demo data through h, as it would have
// happened over the four months before now: families open their booklets
// and pay deposits, record services each month that a payroll run pays on
// the 10th; Giuseppe Bianchi dies in the third month, his two heirs register
// (Laura's claim is validated, she inserts a prior service and requests the
// refund; Marco's awaits validation); Anna Verdi has an unpaid service of
// this month she may still revoke. So each worker has a monthly payslip for
// each of the last months (one run a month), Giovanni's with the bonifico
// domiciliato fee.
//
// Every command carries an idempotency key derived from its step, so Seed is
// idempotent: running it again, even after a partial failure, appends
// nothing twice. When the demo people exist already without the seed's
// keys (someone registered them by hand), Seed does nothing.
func Seed(ctx context.Context, h *commands.Handler, now time.Time, opts ...Option) error {
	s := &seeder{h: h, now: now.In(rome)}
	for _, o := range opts {
		o(s)
	}
	return s.run(ctx)
}

// Option tunes Seed.
type Option func(*seeder)

// WaitFor makes Seed wait for the read models to reach a command's position
// before each payroll run. Pass it when the handler finds the booklets to
// pay through a read model (commands.WithUnpaidBooklets), which would otherwise miss
// the services recorded an instant before the run.
func WaitFor(wait func(ctx context.Context, position int64) error) Option {
	return func(s *seeder) { s.wait = wait }
}

type seeder struct {
	h    *commands.Handler
	now  time.Time
	step int
	wait func(ctx context.Context, position int64) error
	last int64 // position of the last command
}

// at is an instant of the demo's past, never after now.
func (s *seeder) at(t time.Time) time.Time {
	if t.After(s.now) {
		return s.now
	}
	return t
}

func (s *seeder) meta(actor string, role commands.Role, at time.Time) commands.Meta {
	s.step++
	return commands.Meta{
		ActorCF:        actor,
		Role:           role,
		Now:            s.at(at),
		CorrelationID:  uuid.NewSHA1(seedNamespace, fmt.Appendf(nil, "%d", s.step)),
		IdempotencyKey: fmt.Sprintf("demo-seed-%d", s.step),
		RequestHash:    "demo-seed",
	}
}

var seedNamespace = uuid.MustParse("2c9b7a1e-5d0f-4f7e-8a3b-1f6d9e2c4b70")

func day(month time.Time, d, hour int) time.Time {
	return time.Date(month.Year(), month.Month(), d, hour, 0, 0, 0, rome)
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

func (s *seeder) run(ctx context.Context) error {
	first := time.Date(s.now.Year(), s.now.Month(), 1, 0, 0, 0, 0, rome)
	months := []time.Time{first.AddDate(0, -4, 0), first.AddDate(0, -3, 0), first.AddDate(0, -2, 0), first.AddDate(0, -1, 0)}
	start := day(months[0], 1, 9)

	// The deceased's booklet comes first: when it exists without the seed's
	// idempotency key, the store holds someone else's data.
	if _, err := s.h.RegisterUser(ctx, s.meta(DeceasedCF, commands.RoleCitizen, start), commands.RegisterUser{}); err != nil {
		if errors.Is(err, &domain.Error{Code: domain.CodeAlreadyExists}) {
			return nil
		}
		return fmt.Errorf("seed: register %s: %w", DeceasedCF, err)
	}
	for _, cf := range []string{FamilyVerdiCF, FamilyFerrariCF} {
		if _, err := s.h.RegisterUser(ctx, s.meta(cf, commands.RoleCitizen, start), commands.RegisterUser{}); err != nil {
			return fmt.Errorf("seed: register user %s: %w", cf, err)
		}
	}
	workers := []struct {
		cf string
		w  commands.RegisterWorker
	}{
		{WorkerMariaCF, commands.RegisterWorker{IBAN: ibanMaria, Category: "altro"}},
		{WorkerGiovanniCF, commands.RegisterWorker{Category: "studente_under25"}},
		{WorkerSofiaCF, commands.RegisterWorker{IBAN: ibanSofia, Category: "pensionato"}},
	}
	for _, w := range workers {
		if _, err := s.h.RegisterWorker(ctx, s.meta(w.cf, commands.RoleCitizen, start), w.w); err != nil {
			return fmt.Errorf("seed: register worker %s: %w", w.cf, err)
		}
	}
	deposits := []commands.RecordDeposit{
		{UserCF: FamilyVerdiCF, AmountCents: 150000, Channel: "PAGOPA"},
		{UserCF: FamilyFerrariCF, AmountCents: 80000, Channel: "F24"},
		{UserCF: DeceasedCF, AmountCents: 60000, Channel: "PAGOPA"},
	}
	for _, d := range deposits {
		d.PaidOn = date(start)
		if _, err := s.h.RecordDeposit(ctx, s.meta("pagopa-feed", commands.RoleSystem, start), d); err != nil {
			return fmt.Errorf("seed: deposit for %s: %w", d.UserCF, err)
		}
	}

	death := day(months[2], 5, 8)
	for i, m := range months {
		recordOn := day(m.AddDate(0, 1, 0), 2, 18)
		services := []struct {
			user string
			svc  commands.RecordService
		}{
			{FamilyVerdiCF, commands.RecordService{WorkerCF: WorkerMariaCF, Activity: "assistenza_domiciliare", StartDate: date(day(m, 6, 0)), EndDate: date(day(m, 20, 0)), Hours: 10, Vouchers: 10}},
			{FamilyVerdiCF, commands.RecordService{WorkerCF: WorkerSofiaCF, Activity: "lavori_domestici", StartDate: date(day(m, 12, 0)), EndDate: date(day(m, 12, 0)), Hours: 3.5, Vouchers: 4}},
			{FamilyFerrariCF, commands.RecordService{WorkerCF: WorkerGiovanniCF, Activity: "insegnamento_privato", StartDate: date(day(m, 3, 0)), EndDate: date(day(m, 24, 0)), Hours: 6, Vouchers: 6}},
		}
		if i < 2 {
			services = append(services, struct {
				user string
				svc  commands.RecordService
			}{DeceasedCF, commands.RecordService{WorkerCF: WorkerSofiaCF, Activity: "assistenza_domiciliare", StartDate: date(day(m, 15, 0)), EndDate: date(day(m, 16, 0)), Hours: 2, Vouchers: 2}})
		}
		if i == 3 {
			if err := s.heirs(ctx, months[3], death); err != nil {
				return err
			}
		}
		for _, sv := range services {
			sv.svc.NoRecentEmployment = true
			res, err := s.h.RecordService(ctx, s.meta(sv.user, commands.RoleCitizen, recordOn), sv.svc)
			if err != nil {
				return fmt.Errorf("seed: service of %s for %s: %w", sv.user, date(m), err)
			}
			s.last = max(s.last, res.Position)
		}
		if s.wait != nil {
			if err := s.wait(ctx, s.last); err != nil {
				return fmt.Errorf("seed: wait for the read models: %w", err)
			}
		}
		runOn := s.at(day(m.AddDate(0, 1, 0), 10, 9))
		if _, err := s.h.RunPayroll(ctx, s.meta(OperatorCF, commands.RoleOperator, runOn), commands.RunPayroll{RunDate: date(runOn)}); err != nil {
			return fmt.Errorf("seed: payroll of %s: %w", date(runOn), err)
		}
	}

	// A service of this month, still unpaid and revocable.
	if s.now.Day() > 2 {
		end := s.now.AddDate(0, 0, -1)
		svc := commands.RecordService{WorkerCF: WorkerMariaCF, Activity: "assistenza_domiciliare", StartDate: date(end), EndDate: date(end), Hours: 3, Vouchers: 3, NoRecentEmployment: true}
		if _, err := s.h.RecordService(ctx, s.meta(FamilyVerdiCF, commands.RoleCitizen, s.now), svc); err != nil {
			return fmt.Errorf("seed: this month's service: %w", err)
		}
	}
	return s.money(ctx)
}

// money is what families have on the way to their booklets: the Ferrari
// family's F24 of 300 € paid two days ago, seen but not yet credited by
// INPS, and Anna Verdi's pagoPA notice of 200 € issued today, still open.
// Its steps come after every other, so that a store seeded before they
// existed gets them without its earlier steps' keys moving.
func (s *seeder) money(ctx context.Context) error {
	paid := s.now.AddDate(0, 0, -2)
	f24 := commands.RecordDeposit{UserCF: FamilyFerrariCF, AmountCents: 30000, Channel: "F24", PaidOn: date(paid), Status: domain.DepositPendingStatus.String()}
	if _, err := s.h.RecordDeposit(ctx, s.meta("f24-feed", commands.RoleSystem, s.now), f24); err != nil {
		return fmt.Errorf("seed: pending F24: %w", err)
	}
	if _, err := s.h.IssueNotice(ctx, s.meta(FamilyVerdiCF, commands.RoleCitizen, s.now), commands.IssueNotice{AmountCents: 20000}); err != nil {
		return fmt.Errorf("seed: pagoPA notice: %w", err)
	}
	return nil
}

// heirs registers Giuseppe Bianchi's two heirs during the month after his
// death: Laura's claim is validated, she inserts a prior service and asks
// for the refund; Marco, testamentary heir, uploads the will and waits.
func (s *seeder) heirs(ctx context.Context, month, death time.Time) error {
	laura, err := s.h.RegisterHeir(ctx, s.meta(HeirLauraCF, commands.RoleCitizen, day(month, 12, 10)), commands.RegisterHeir{
		DeceasedCF: DeceasedCF, DateOfDeath: date(death), HeirKind: "legittimo",
	})
	if err != nil {
		return fmt.Errorf("seed: Laura's claim: %w", err)
	}
	prior := commands.InsertPriorService{
		ClaimID: laura.ID, WorkerCF: WorkerMariaCF, Activity: "lavori_domestici",
		StartDate: date(death.AddDate(0, 0, -4)), EndDate: date(death.AddDate(0, 0, -1)), Hours: 3, Vouchers: 3, NoKnownEmployment: true,
	}
	res, err := s.h.InsertPriorService(ctx, s.meta(HeirLauraCF, commands.RoleCitizen, day(month, 12, 11)), prior)
	if err != nil {
		return fmt.Errorf("seed: prior service: %w", err)
	}
	s.last = max(s.last, res.Position)
	if _, err := s.h.RegisterHeir(ctx, s.meta(HeirMarcoCF, commands.RoleCitizen, day(month, 14, 16)), commands.RegisterHeir{
		DeceasedCF: DeceasedCF, DateOfDeath: date(death), HeirKind: "testamentario",
		Will: &commands.WillUpload{Filename: "testamento-bianchi.pdf", Content: willPDF},
	}); err != nil {
		return fmt.Errorf("seed: Marco's claim: %w", err)
	}
	if _, err := s.h.ValidateHeir(ctx, s.meta(OperatorCF, commands.RoleOperator, day(month, 15, 9)), commands.ValidateHeir{
		ClaimID: laura.ID, Note: "Dichiarazione sostitutiva verificata con l'anagrafe.",
	}); err != nil {
		return fmt.Errorf("seed: validate Laura: %w", err)
	}
	if _, err := s.h.RequestRefund(ctx, s.meta(HeirLauraCF, commands.RoleCitizen, day(month, 16, 17)), commands.RequestRefund{
		ClaimID: laura.ID, IBAN: ibanLaura,
	}); err != nil {
		return fmt.Errorf("seed: Laura's refund: %w", err)
	}
	return nil
}
