package domain_test

import (
	"testing"

	"github.com/inps/libretto/domain"
)

func TestPlanPayroll(t *testing.T) {
	t.Parallel()
	prior := recordedService("p1", worker2, "2026-01-05", 1)
	prior.ClaimID, prior.HeirCF, prior.Deadline = claimID, heir, ""
	b := bookletOf(user, opened(user), deposit(100000),
		recordedService("s1", worker, "2026-01-10", 2), // paid: recorded, ends before the run
		recordedService("s2", worker, "2026-01-20", 3), // paid, same worker: one fee
		recordedService("s3", worker, "2026-02-01", 1), // ends after the run date: next run
		recordedService("s4", worker, "2026-01-11", 1), // revoked
		domain.ServiceRevoked{ServiceID: "s4"},
		recordedService("s5", worker, "2026-01-12", 1), // reversed
		domain.ServiceReversed{ServiceID: "s5"},
		recordedService("s6", worker, "2026-01-13", 1), // already paid
		domain.ServicePaid{ServiceID: "s6", RunID: "old"},
		prior, // a prior service of a validated claim, worker2 with an IBAN
		recordedService("s7", worker2, "2026-01-31", 1), // ends on the run date: paid
	)
	workers := map[string]*domain.Worker{
		worker:  workerOf(worker, registered(worker, "", "")),
		worker2: workerOf(worker2, registered(worker2, iban, "")),
	}
	claims := map[string]*domain.Claim{claimID: claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), domain.HeirValidated{})}
	d := domain.PlanPayroll("run1", date("2026-01-31"), []*domain.Booklet{b}, workers, claims)
	wantEvents(t, d.Events(domain.BookletStream(user)),
		domain.ServicePaid{ServiceID: "s1", RunID: "run1", PaidOn: "2026-01-31"},
		domain.ServicePaid{ServiceID: "s2", RunID: "run1", PaidOn: "2026-01-31"},
		domain.ServicePaid{ServiceID: "p1", RunID: "run1", PaidOn: "2026-01-31"},
		domain.ServicePaid{ServiceID: "s7", RunID: "run1", PaidOn: "2026-01-31"},
	)
	wantEvents(t, d.Events(domain.ClaimStream(claimID)), domain.PriorServicePaid{ServiceID: "p1", RunID: "run1", PaidOn: "2026-01-31"})
	split := func(id, user string, heir bool, v int) domain.PaidService {
		return domain.PaidService{ServiceID: id, UserCF: user, InsertedByHeir: heir, Hours: float64(v), Vouchers: v,
			GrossCents: int64(v) * 1000, NetCents: int64(v) * 800, IVSCents: int64(v) * 165, INAILCents: int64(v) * 25, ManagementCents: int64(v) * 10}
	}
	wantEvents(t, d.Events(domain.WorkerStream(worker)), domain.WorkerPaid{RunID: "run1", RunDate: "2026-01-31",
		Services: []domain.PaidService{split("s1", user, false, 2), split("s2", user, false, 3)},
		NetCents: 4000, FeeCents: 260, PaidCents: 3740})
	wantEvents(t, d.Events(domain.WorkerStream(worker2)), domain.WorkerPaid{RunID: "run1", RunDate: "2026-01-31", IBAN: iban,
		Services: []domain.PaidService{split("p1", user, true, 1), split("s7", user, false, 1)},
		NetCents: 1600, FeeCents: 0, PaidCents: 1600})
	if summaryOf(d).PaidCents != 3740+1600 || len(summaryOf(d).Payments) != 2 {
		t.Fatalf("summary %+v", summaryOf(d))
	}
	wantEvents(t, d.Events(domain.PayrollStream("run1")), summaryOf(d))
}

func TestPaidServicesAreNotPaidTwice(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user), deposit(10000), recordedService("s1", worker, "2026-01-10", 2), domain.ServicePaid{ServiceID: "s1", RunID: "r"})
	d := domain.PlanPayroll("run2", date("2026-01-31"), []*domain.Booklet{b}, map[string]*domain.Worker{worker: workerOf(worker, registered(worker, "", ""))}, nil)
	if d.Events(domain.BookletStream(user)) != nil || d.Events(domain.WorkerStream(worker)) != nil || summaryOf(d).PaidCents != 0 || len(summaryOf(d).Payments) != 0 {
		t.Fatalf("decision %+v", d)
	}
}

func TestRunDateCannotBeInTheFuture(t *testing.T) {
	t.Parallel()
	_, err := domain.ParseRunDate("2026-02-11", date("2026-02-10"))
	wantCode(t, err, domain.CodeFutureDate)
	_, err = domain.ParseRunDate("2026-02-10", date("2026-02-10"))
	wantCode(t, err, "")
	_, err = domain.ParseRunDate("feb", date("2026-02-10"))
	wantCode(t, err, domain.CodeInvalidDate)
}
