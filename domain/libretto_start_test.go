package domain_test

import (
	"testing"

	"github.com/inps/libretto/domain"
)

// TestNoDateBeforeTheLibretto pins SPEC §8: the Libretto Famiglia started on
// 2017-07-10, so a date of death, a service's start or a deposit's paid_on
// before it is refused with invalid_date on its field, whichever command
// brings it; the day itself is accepted.
func TestNoDateBeforeTheLibretto(t *testing.T) {
	t.Parallel()
	today := date("2026-02-10")
	deceased := func() *domain.Booklet { return deceasedBooklet() }
	registerHeir := func(dod string) error {
		_, _, err := bookletOf(user, opened(user), deposit(5000)).RegisterHeir(claimID, domain.MustCF(heir), domain.HeirInput{DateOfDeath: dod, HeirKind: "legittimo"}, today)
		return err
	}
	correct := func(dod string) error {
		_, err := deceased().CorrectDateOfDeath(nil, dod, "registry says so", op, today)
		return err
	}
	recordService := func(start string) error {
		s, err := domain.ParseService(serviceIn(worker, start, "2026-02-02", 1, 1))
		if err != nil {
			return err
		}
		_, err = bookletOf(user, opened(user), deposit(100000)).RecordService(workerOf(worker, registered(worker, "", "")), "s2", s, today)
		return err
	}
	insertPrior := func(start string) error {
		s, err := domain.ParseService(serviceIn(worker, start, "2026-01-14", 1, 1))
		if err != nil {
			return err
		}
		_, err = claimOf(heirRegistered(heir, "2026-01-15", "legittimo")).InsertPriorService(deceased(), workerOf(worker, registered(worker, "", "")), "p1", s, today)
		return err
	}
	deposit := func(paidOn string) error {
		_, err := bookletOf(user, opened(user)).RecordDeposit(domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "F24", PaidOn: paidOn}, today)
		return err
	}
	tests := []struct {
		name  string
		when  func(string) error
		date  string
		field string // the field named by the refusal; "" when accepted
	}{
		{"date of death before 2017-07-10 is refused", registerHeir, "2017-07-09", "date_of_death"},
		{"date of death in 2009 is refused", registerHeir, "2009-03-01", "date_of_death"},
		{"date of death on 2017-07-10 is accepted", registerHeir, "2017-07-10", ""},
		{"corrected date of death before 2017-07-10 is refused", correct, "2017-07-09", "date_of_death"},
		{"corrected date of death on 2017-07-10 is accepted", correct, "2017-07-10", ""},
		{"service starting before 2017-07-10 is refused", recordService, "2017-07-09", "start_date"},
		{"prior service starting before 2017-07-10 is refused", insertPrior, "2017-07-09", "start_date"},
		{"prior service starting in 2009 is refused", insertPrior, "2009-01-01", "start_date"},
		{"deposit paid before 2017-07-10 is refused", deposit, "2017-07-09", "paid_on"},
		{"deposit paid on 2017-07-10 is accepted", deposit, "2017-07-10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.when(tt.date)
			if tt.field == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, domain.CodeInvalidDate)
			if de := err.(*domain.Error); de.Field != tt.field || de.Kind != domain.KindRule {
				t.Fatalf("refusal on field %q kind %d, want %q and 422", de.Field, de.Kind, tt.field)
			}
		})
	}
}
