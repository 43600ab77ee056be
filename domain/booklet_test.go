package domain_test

import (
	"testing"

	"github.com/inps/libretto/domain"
)

func serviceIn(workerCF, start, end string, hours float64, vouchers int) domain.ServiceInput {
	return domain.ServiceInput{WorkerCF: workerCF, Activity: "assistenza_domiciliare", StartDate: start, EndDate: end, Hours: hours, Vouchers: vouchers, Declared: true}
}

// fundedAfter is a funded booklet after one January service of workerCF whose
// pay counts userCap towards the user cap and net towards the
// one-worker-for-one-user cap.
func fundedAfter(workerCF string, userCap, net int64) []domain.Event {
	s := recordedService("big", workerCF, "2026-01-15", 1)
	s.UserCapCents, s.NetCents = userCap, net
	return []domain.Event{opened(user), deposit(100000), s}
}

func TestRecordService(t *testing.T) {
	t.Parallel()
	funded := []domain.Event{opened(user), deposit(100000)}
	tests := []struct {
		name    string
		booklet []domain.Event
		worker  []domain.Event
		in      domain.ServiceInput
		today   string
		code    string
		facts   map[string]any
	}{
		{name: "a service within every rule is recorded", booklet: funded, in: serviceIn(worker, "2026-02-02", "2026-02-03", 3, 3), today: "2026-02-10"},
		{name: "more vouchers than hours are allowed", booklet: funded, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 3), today: "2026-02-10"},
		{name: "vouchers below ceil(hours) are refused", booklet: funded, in: serviceIn(worker, "2026-02-02", "2026-02-02", 2.5, 2), today: "2026-02-10", code: domain.CodeVouchersBelowHours},
		{name: "vouchers equal to ceil(hours) are enough", booklet: funded, in: serviceIn(worker, "2026-02-02", "2026-02-02", 2.5, 3), today: "2026-02-10"},
		{name: "zero hours are refused", booklet: funded, in: serviceIn(worker, "2026-02-02", "2026-02-02", 0, 1), today: "2026-02-10", code: domain.CodeInvalidHours},
		{name: "an unknown activity is refused", booklet: funded, in: func() domain.ServiceInput {
			s := serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1)
			s.Activity = "giardinaggio"
			return s
		}(), today: "2026-02-10", code: domain.CodeInvalidActivity},
		{name: "an invalid worker CF is refused", booklet: funded, in: serviceIn("RSSMRA85T10A562X", "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeInvalidCF},
		{name: "a malformed date is refused", booklet: funded, in: serviceIn(worker, "2026-02-02", "02/02/2026", 1, 1), today: "2026-02-10", code: domain.CodeInvalidDate},
		{name: "a service ending before it starts is refused", booklet: funded, in: serviceIn(worker, "2026-02-05", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeInvalidDate},
		{name: "a service ending in the future is refused", booklet: funded, in: serviceIn(worker, "2026-02-10", "2026-02-11", 1, 1), today: "2026-02-10", code: domain.CodeFutureDate},
		{name: "a service ending today is recorded", booklet: funded, in: serviceIn(worker, "2026-02-10", "2026-02-10", 1, 1), today: "2026-02-10"},
		{name: "recording on the 3rd of the next month is in time", booklet: funded, in: serviceIn(worker, "2026-01-31", "2026-01-31", 1, 1), today: "2026-02-03"},
		{name: "recording on the 4th of the next month is too late", booklet: funded, in: serviceIn(worker, "2026-01-31", "2026-01-31", 1, 1), today: "2026-02-04", code: domain.CodeDeadlinePassed},
		{name: "a December service may be recorded until 3 January", booklet: funded, in: serviceIn(worker, "2025-12-20", "2025-12-20", 1, 1), today: "2026-01-03"},
		{name: "the declaration of no recent employment is required", booklet: funded, in: func() domain.ServiceInput {
			s := serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1)
			s.Declared = false
			return s
		}(), today: "2026-02-10", code: domain.CodeDeclarationRequired},
		{name: "a user without a booklet cannot record", booklet: nil, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeUserNotRegistered},
		{name: "an unregistered worker is refused", booklet: funded, worker: []domain.Event{}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeWorkerNotRegistered},
		{name: "the user cannot be their own worker", booklet: funded, in: serviceIn(user, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeSelfEmployment},
		{name: "a deceased owner's booklet records no new service", booklet: append(append([]domain.Event{}, funded...), domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-02-05"}), in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10", code: domain.CodeBookletNotActive},
		{name: "the balance must cover vouchers × 1000", booklet: []domain.Event{opened(user), deposit(2000)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 3), today: "2026-02-10", code: domain.CodeInsufficientFunds, facts: map[string]any{"available": int64(2000), "required": int64(3000)}},
		{name: "committed vouchers are not available", booklet: []domain.Event{opened(user), deposit(3000), recordedService("s1", worker2, "2026-02-01", 2)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10", code: domain.CodeInsufficientFunds, facts: map[string]any{"available": int64(1000), "required": int64(2000)}},
		{name: "a balance of exactly vouchers × 1000 is enough", booklet: []domain.Event{opened(user), deposit(2000)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10"},
		{name: "a pending deposit cannot be spent", booklet: []domain.Event{opened(user), deposit(1000), pendingDeposit("f24", 50000)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10", code: domain.CodeInsufficientFunds, facts: map[string]any{"available": int64(1000), "required": int64(2000)}},
		{name: "a pending deposit once credited can be spent", booklet: []domain.Event{opened(user), pendingDeposit("f24", 50000), domain.DepositCredited{DepositID: "f24", AmountCents: 50000, CreditedOn: "2026-01-08"}}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10"},
		{name: "a revoked service's vouchers are available again", booklet: []domain.Event{opened(user), deposit(2000), recordedService("s1", worker2, "2026-02-01", 2), domain.ServiceRevoked{ServiceID: "s1"}}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10"},
		{
			name: "the worker cap of 500000 across users is refused when crossed", booklet: funded,
			worker: []domain.Event{registered(worker, iban, ""), booked(2026, 499200)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 2), today: "2026-02-10",
			code: domain.CodeCapExceeded, facts: map[string]any{"cap": "worker", "limit_cents": int64(500000), "used_cents": int64(499200), "remaining_cents": int64(800)},
		},
		{name: "the worker cap may be reached exactly", booklet: funded, worker: []domain.Event{registered(worker, iban, ""), booked(2026, 499200)}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10"},
		{name: "the worker cap counts the calendar year of the service", booklet: funded, worker: []domain.Event{registered(worker, iban, ""), booked(2025, 500000)}, in: serviceIn(worker, "2026-01-02", "2026-01-02", 1, 1), today: "2026-01-10"},
		{name: "a service spanning new year counts in the year it ends", booklet: funded, worker: []domain.Event{registered(worker, iban, ""), booked(2026, 500000)}, in: serviceIn(worker, "2025-12-31", "2026-01-01", 1, 1), today: "2026-01-10", code: domain.CodeCapExceeded, facts: map[string]any{"cap": "worker"}},
		{name: "a released booking no longer counts towards the worker cap", booklet: funded, worker: []domain.Event{registered(worker, iban, ""), domain.WorkerServiceBooked{ServiceID: "x", UserCF: user2, Year: 2026, NetCents: 500000}, domain.WorkerServiceReleased{ServiceID: "x"}}, in: serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10"},
		{
			name:    "the user cap of 1000000 across workers is refused when crossed",
			booklet: fundedAfter(worker2, 999400, 800),
			in:      serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10",
			code: domain.CodeCapExceeded, facts: map[string]any{"cap": "user", "limit_cents": int64(1000000), "used_cents": int64(999400), "remaining_cents": int64(600)},
		},
		{
			name:    "a pensioner's pay counts at 75% towards the user cap",
			booklet: fundedAfter(worker2, 999400, 800),
			worker:  []domain.Event{registered(worker, iban, "pensionato")},
			in:      serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10",
		},
		{
			name:    "the one-worker-for-one-user cap of 250000 is refused when crossed",
			booklet: fundedAfter(worker, 800, 249600),
			in:      serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10",
			code: domain.CodeCapExceeded, facts: map[string]any{"cap": "worker_for_user", "limit_cents": int64(250000), "used_cents": int64(249600), "remaining_cents": int64(400)},
		},
		{
			name:    "the one-worker-for-one-user cap counts only that worker",
			booklet: fundedAfter(worker2, 800, 249600),
			in:      serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1), today: "2026-02-10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bookletOf(user, tt.booklet...) // no events: never opened
			wevents := tt.worker
			if wevents == nil {
				wevents = []domain.Event{registered(worker, iban, "")}
			}
			in := tt.in
			s, err := domain.ParseService(in)
			if err == nil {
				w := workerOf(s.Worker.String(), wevents...)
				if s.Worker.String() != worker {
					w = workerOf(s.Worker.String(), registered(s.Worker.String(), "", ""))
				}
				var d domain.Decision
				d, err = b.RecordService(w, "svc-1", s, date(tt.today))
				if err == nil {
					checkRecorded(t, d, s)
				}
			}
			wantCode(t, err, tt.code)
			for k, v := range tt.facts {
				if got := err.(*domain.Error).Facts[k]; got != v {
					t.Errorf("fact %s = %v (%T), want %v", k, got, got, v)
				}
			}
		})
	}
}

func checkRecorded(t *testing.T, d domain.Decision, s domain.Service) {
	t.Helper()
	r := recordOf(d)
	if r.GrossCents != int64(s.Vouchers)*1000 || r.NetCents != int64(s.Vouchers)*800 || r.Year != s.End.Year() || r.Deadline != domain.RecordingDeadline(s.End).String() {
		t.Fatalf("recorded %+v", r)
	}
	wantEvents(t, d.Events(domain.BookletStream(user)), r)
	wantEvents(t, d.Events(domain.WorkerStream(r.WorkerCF)), domain.WorkerServiceBooked{ServiceID: r.ServiceID, UserCF: user, Year: r.Year, NetCents: r.NetCents})
	wantEvents(t, d.Events(domain.ServiceLocator(r.ServiceID)), domain.ServiceLocated{ServiceID: r.ServiceID, UserCF: user})
}

func TestReducedCategoryCountsExactly75Percent(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user), deposit(10000))
	for _, cat := range []string{"pensionato", "studente_under25", "disoccupato", "sostegno_reddito", "altro"} {
		s, _ := domain.ParseService(serviceIn(worker, "2026-02-02", "2026-02-02", 3, 3))
		d, err := b.RecordService(workerOf(worker, registered(worker, "", cat)), "s", s, date("2026-02-05"))
		if err != nil {
			t.Fatal(err)
		}
		want := int64(2400)
		if cat != "altro" {
			want = 1800
		}
		if recordOf(d).UserCapCents != want || recordOf(d).NetCents != 2400 {
			t.Errorf("%s: user cap counts %d of net %d, want %d", cat, recordOf(d).UserCapCents, recordOf(d).NetCents, want)
		}
	}
}

func TestRecordDeposit(t *testing.T) {
	t.Parallel()
	open := bookletOf(user, opened(user))
	tests := []struct {
		name string
		b    *domain.Booklet
		in   domain.DepositInput
		code string
	}{
		{"a deposit of a multiple of 1000 cents is recorded", open, domain.DepositInput{DepositID: "d", AmountCents: 25000, Channel: "F24", PaidOn: "2026-02-01"}, ""},
		{"a pagoPA deposit is recorded", open, domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-01"}, ""},
		{"a deposit not a multiple of 1000 cents is refused", open, domain.DepositInput{DepositID: "d", AmountCents: 1500, Channel: "F24", PaidOn: "2026-02-01"}, domain.CodeInvalidAmount},
		{"a zero deposit is refused", open, domain.DepositInput{DepositID: "d", AmountCents: 0, Channel: "F24", PaidOn: "2026-02-01"}, domain.CodeInvalidAmount},
		{"a negative deposit is refused", open, domain.DepositInput{DepositID: "d", AmountCents: -1000, Channel: "F24", PaidOn: "2026-02-01"}, domain.CodeInvalidAmount},
		{"an unknown channel is refused", open, domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "BONIFICO", PaidOn: "2026-02-01"}, domain.CodeInvalidChannel},
		{"a malformed payment date is refused", open, domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "F24", PaidOn: "1/2/2026"}, domain.CodeInvalidDate},
		{"a payment date in the future is refused", open, domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "F24", PaidOn: "2026-02-11"}, domain.CodeFutureDate},
		{"a deposit for a user without a booklet is refused", domain.NewBooklet(domain.MustCF(user)), domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "F24", PaidOn: "2026-02-01"}, domain.CodeUserNotRegistered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.b.RecordDeposit(tt.in, date("2026-02-10"))
			wantCode(t, err, tt.code)
			if err == nil {
				wantEvents(t, got, domain.DepositRecorded{DepositID: "d", AmountCents: tt.in.AmountCents, Channel: tt.in.Channel, PaidOn: tt.in.PaidOn})
			}
		})
	}
}

func TestRegisterUserTwiceIsAlreadyExists(t *testing.T) {
	t.Parallel()
	got, err := domain.NewBooklet(domain.MustCF(user)).RegisterUser()
	wantCode(t, err, "")
	wantEvents(t, got, domain.UserRegistered{UserCF: user})
	_, err = bookletOf(user, opened(user)).RegisterUser()
	wantCode(t, err, domain.CodeAlreadyExists)
	if kindOf(err) != domain.KindConflict {
		t.Fatal("already_exists is a conflict (409)")
	}
}

func TestRegisterWorker(t *testing.T) {
	t.Parallel()
	got, err := domain.NewWorker(domain.MustCF(worker)).RegisterWorker("it60 x054 2811 1010 0000 0123 456", "")
	wantCode(t, err, "")
	wantEvents(t, got, domain.WorkerRegistered{WorkerCF: worker, IBAN: iban, Category: "altro"})
	got, err = domain.NewWorker(domain.MustCF(worker)).RegisterWorker("", "studente_under25")
	wantCode(t, err, "")
	wantEvents(t, got, domain.WorkerRegistered{WorkerCF: worker, Category: "studente_under25"})
	_, err = domain.NewWorker(domain.MustCF(worker)).RegisterWorker("IT61X0542811101000000123456", "")
	wantCode(t, err, domain.CodeInvalidIBAN)
	_, err = domain.NewWorker(domain.MustCF(worker)).RegisterWorker("", "nobile")
	wantCode(t, err, domain.CodeInvalidCategory)
	_, err = workerOf(worker, registered(worker, "", "")).RegisterWorker("", "")
	wantCode(t, err, domain.CodeAlreadyExists)
}

func TestRevokeService(t *testing.T) {
	t.Parallel()
	base := []domain.Event{opened(user), deposit(10000), recordedService("s1", worker, "2026-01-20", 2)}
	tests := []struct {
		name  string
		extra []domain.Event
		id    string
		today string
		code  string
	}{
		{"a recorded service is revoked before its deadline", nil, "s1", "2026-02-01", ""},
		{"a service is revoked on its deadline", nil, "s1", "2026-02-03", ""},
		{"a service cannot be revoked after its deadline", nil, "s1", "2026-02-04", domain.CodeDeadlinePassed},
		{"a paid service cannot be revoked", []domain.Event{domain.ServicePaid{ServiceID: "s1", RunID: "r", PaidOn: "2026-01-31"}}, "s1", "2026-02-01", domain.CodeInvalidState},
		{"a revoked service cannot be revoked again", []domain.Event{domain.ServiceRevoked{ServiceID: "s1"}}, "s1", "2026-02-01", domain.CodeInvalidState},
		{"a reversed service cannot be revoked", []domain.Event{domain.ServiceReversed{ServiceID: "s1", Reason: "r", OperatorCF: op}}, "s1", "2026-02-01", domain.CodeInvalidState},
		{"an unknown service is not found", nil, "nope", "2026-02-01", domain.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bookletOf(user, append(append([]domain.Event{}, base...), tt.extra...)...)
			d, err := b.RevokeService(tt.id, date(tt.today))
			bk, wk, _ := sides(d)
			wantCode(t, err, tt.code)
			if err == nil {
				wantEvents(t, bk, domain.ServiceRevoked{ServiceID: "s1"})
				wantEvents(t, wk, domain.WorkerServiceReleased{ServiceID: "s1"})
			}
		})
	}
}

func TestRevokeAndReverseReleaseFundsAndCaps(t *testing.T) {
	t.Parallel()
	for _, release := range []domain.Event{domain.ServiceRevoked{ServiceID: "s1"}, domain.ServiceReversed{ServiceID: "s1", Reason: "r", OperatorCF: op}} {
		s := recordedService("s1", worker, "2026-01-20", 1)
		s.NetCents, s.UserCapCents = 250000, 1000000
		b := bookletOf(user, opened(user), deposit(1000), s, release)
		if b.Available() != 1000 {
			t.Fatalf("%T: available %d, want 1000", release, b.Available())
		}
		in, _ := domain.ParseService(serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1))
		if _, err := b.RecordService(workerOf(worker, registered(worker, "", "")), "s2", in, date("2026-02-10")); err != nil {
			t.Fatalf("%T: caps not released: %v", release, err)
		}
	}
	w := workerOf(worker, registered(worker, "", ""), domain.WorkerServiceBooked{ServiceID: "s1", UserCF: user, Year: 2026, NetCents: 800}, domain.WorkerServiceReleased{ServiceID: "s1"})
	if w.NetBooked(2026) != 0 {
		t.Fatalf("worker still counts %d", w.NetBooked(2026))
	}
}

func TestReverseService(t *testing.T) {
	t.Parallel()
	base := []domain.Event{opened(user), deposit(10000), recordedService("s1", worker, "2026-01-20", 2)}
	recordedEvent := eventID("booklet", 3)
	t.Run("an operator reverses an unpaid service naming the event it compensates", func(t *testing.T) {
		t.Parallel()
		d, err := bookletOf(user, base...).ReverseService("s1", "recorded twice", op)
		bk, wk, cl := sides(d)
		wantCode(t, err, "")
		wantEvents(t, bk, domain.ServiceReversed{ServiceID: "s1", Reason: "recorded twice", OperatorCF: op})
		wantEvents(t, wk, domain.WorkerServiceReleased{ServiceID: "s1"})
		if len(cl) != 0 {
			t.Fatal("a user's own service has no claim side")
		}
		if bk[0].Causation != recordedEvent || wk[0].Causation != recordedEvent {
			t.Fatalf("causation %v %v, want %v", bk[0].Causation, wk[0].Causation, recordedEvent)
		}
	})
	t.Run("a reversal after the recording deadline is allowed", func(t *testing.T) {
		t.Parallel()
		_, err := bookletOf(user, base...).ReverseService("s1", "late", op)
		wantCode(t, err, "")
	})
	t.Run("a paid service cannot be reversed", func(t *testing.T) {
		t.Parallel()
		_, err := bookletOf(user, append(base, domain.ServicePaid{ServiceID: "s1"})...).ReverseService("s1", "x", op)
		wantCode(t, err, domain.CodeInvalidState)
	})
	t.Run("a reversal needs a reason", func(t *testing.T) {
		t.Parallel()
		_, err := bookletOf(user, base...).ReverseService("s1", "", op)
		wantCode(t, err, domain.CodeReasonRequired)
	})
	t.Run("a prior service's reversal reaches its claim", func(t *testing.T) {
		t.Parallel()
		s := recordedService("p1", worker, "2026-01-20", 1)
		s.ClaimID, s.HeirCF, s.Deadline = claimID, heir, ""
		d, err := bookletOf(user, opened(user), deposit(1000), s).ReverseService("p1", "wrong worker", op)
		_, _, cl := sides(d)
		wantCode(t, err, "")
		wantEvents(t, cl, domain.PriorServiceReversed{ServiceID: "p1", Reason: "wrong worker", OperatorCF: op})
	})
}

func pendingDeposit(id string, cents int64) domain.Event {
	return domain.PendingDepositRecorded{DepositID: id, AmountCents: cents, Channel: "F24", PaidOn: "2025-12-30"}
}

func TestRecordDepositStatus(t *testing.T) {
	t.Parallel()
	open := bookletOf(user, opened(user))
	tests := []struct {
		name, status string
		want         domain.Event
		code         string
	}{
		{"a deposit without a status is credited at once", "", domain.DepositRecorded{DepositID: "d", AmountCents: 5000, Channel: "F24", PaidOn: "2026-02-01"}, ""},
		{"a deposit said credited is credited at once", "credited", domain.DepositRecorded{DepositID: "d", AmountCents: 5000, Channel: "F24", PaidOn: "2026-02-01"}, ""},
		{"a pending deposit is recorded as pending", "pending", domain.PendingDepositRecorded{DepositID: "d", AmountCents: 5000, Channel: "F24", PaidOn: "2026-02-01"}, ""},
		{"any other status is refused", "accreditato", nil, domain.CodeInvalidDepositStatus},
		{"a status is case-sensitive", "PENDING", nil, domain.CodeInvalidDepositStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := open.RecordDeposit(domain.DepositInput{DepositID: "d", AmountCents: 5000, Channel: "F24", PaidOn: "2026-02-01", Status: tt.status}, date("2026-02-10"))
			wantCode(t, err, tt.code)
			if err == nil {
				wantEvents(t, got, tt.want)
			}
		})
	}
}

func TestAPendingDepositIsNotAvailable(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user), deposit(2000), pendingDeposit("f24", 50000))
	if b.Available() != 2000 || b.Pending() != 50000 {
		t.Fatalf("available %d, pending %d: want 2000 and 50000", b.Available(), b.Pending())
	}
	if dep, _, _, _ := b.Balance(); dep != 2000 {
		t.Fatalf("deposited %d: a pending deposit is not deposited yet", dep)
	}
	b.Apply(domain.Recorded{Version: b.Version() + 1, Data: domain.DepositCredited{DepositID: "f24", AmountCents: 50000, CreditedOn: "2026-01-08"}})
	if b.Available() != 52000 || b.Pending() != 0 {
		t.Fatalf("after the credit available %d, pending %d: want 52000 and 0", b.Available(), b.Pending())
	}
}

func TestAPendingDepositIsNotRefundedToAnHeir(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user), deposit(3000), pendingDeposit("f24", 50000),
		domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-01-20"})
	c := claimOf(heirRegistered(heir, "2026-01-20", "legittimo"))
	_, _, amount, err := c.RequestRefund(b, "r1", iban)
	if err != nil {
		t.Fatal(err)
	}
	if amount != 3000 {
		t.Fatalf("refund of %d cents: only the credited 3000 are available, not the pending 50000", amount)
	}
	only := bookletOf(user, opened(user), pendingDeposit("f24", 50000),
		domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-01-20"})
	_, _, _, err = c.RequestRefund(only, "r1", iban)
	wantCode(t, err, domain.CodeNothingToRefund)
}

func TestCreditDeposit(t *testing.T) {
	t.Parallel()
	given := recorded("booklet", []domain.Event{opened(user), pendingDeposit("f24", 50000), domain.DepositRecorded{DepositID: "now", AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-01-02"}})
	tests := []struct {
		name   string
		extra  []domain.Event
		id     string
		code   string
		kind   domain.Kind
		events bool
	}{
		{name: "a pending deposit is credited", id: "f24", events: true},
		{name: "a deposit credited at once cannot be credited again", id: "now", code: domain.CodeAlreadyCredited, kind: domain.KindConflict},
		{name: "a pending deposit is credited once", extra: []domain.Event{domain.DepositCredited{DepositID: "f24", AmountCents: 50000, CreditedOn: "2026-01-08"}}, id: "f24", code: domain.CodeAlreadyCredited, kind: domain.KindConflict},
		{name: "an unknown deposit is not found", id: "nope", code: domain.CodeNotFound, kind: domain.KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := domain.NewBooklet(domain.MustCF(user))
			b.Apply(given...)
			for _, e := range tt.extra {
				b.Apply(domain.Recorded{Version: b.Version() + 1, Data: e})
			}
			got, err := b.CreditDeposit(tt.id, date("2026-01-08"))
			wantCode(t, err, tt.code)
			if err != nil {
				if kindOf(err) != tt.kind {
					t.Fatalf("kind %d, want %d", kindOf(err), tt.kind)
				}
				return
			}
			wantEvents(t, got, domain.DepositCredited{DepositID: "f24", AmountCents: 50000, CreditedOn: "2026-01-08"})
			if got[0].Causation != given[1].ID {
				t.Fatalf("causation %s, want the PendingDepositRecorded %s", got[0].Causation, given[1].ID)
			}
		})
	}
}
