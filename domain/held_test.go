package domain_test

import (
	"testing"

	"github.com/inps/libretto/domain"
)

// priorService is a ServiceRecorded an heir inserted through claim on user's
// booklet.
func priorService(id, claim, workerCF, end string, vouchers int) domain.ServiceRecorded {
	s := recordedService(id, workerCF, end, vouchers)
	s.ClaimID, s.HeirCF, s.Deadline = claim, heir, ""
	return s
}

func priorInserted(s domain.ServiceRecorded) domain.PriorServiceInserted {
	return domain.PriorServiceInserted{ServiceID: s.ServiceID, WorkerCF: s.WorkerCF, Activity: s.Activity, StartDate: s.StartDate, EndDate: s.EndDate, Hours: s.Hours, Vouchers: s.Vouchers}
}

// TestHeldPriorServices pins SPEC §8: a prior service inserted through a
// claim is recorded at once but no payroll pays it while the claim is not
// validated; validation releases it to the next run.
func TestHeldPriorServices(t *testing.T) {
	t.Parallel()
	p1 := priorService("p1", claimID, worker2, "2026-01-10", 2)
	registeredClaim := []domain.Event{heirRegistered(heir, "2026-01-15", "legittimo"), priorInserted(p1)}
	validatedClaim := append(append([]domain.Event{}, registeredClaim...), domain.HeirValidated{OperatorCF: op})
	rejectedClaim := append(append([]domain.Event{}, registeredClaim...), domain.HeirRejected{Reason: "r", OperatorCF: op})
	tests := []struct {
		name   string
		claim  []domain.Event // nil: the run was given no claim
		paid   []string       // the services the run pays, in order
		prior  bool           // the claim gets PriorServicePaid for p1
		worker bool           // worker2 (p1's) is paid
	}{
		{name: "prior service of a registered claim is not paid", claim: registeredClaim, paid: []string{"s1"}},
		{name: "prior service of a validated claim is paid", claim: validatedClaim, paid: []string{"s1", "p1"}, prior: true, worker: true},
		{name: "prior service of a rejected claim is not paid", claim: rejectedClaim, paid: []string{"s1"}},
		{name: "prior service whose claim the run was not given is not paid", paid: []string{"s1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := deceasedBooklet(p1)
			claims := map[string]*domain.Claim{}
			if tt.claim != nil {
				claims[claimID] = claimOf(tt.claim...)
			}
			workers := map[string]*domain.Worker{worker: workerOf(worker, registered(worker, "", "")), worker2: workerOf(worker2, registered(worker2, iban, ""))}
			d := domain.PlanPayroll("run1", date("2026-01-31"), []*domain.Booklet{b}, workers, claims)
			var want []domain.Event
			for _, id := range tt.paid {
				want = append(want, domain.ServicePaid{ServiceID: id, RunID: "run1", PaidOn: "2026-01-31"})
			}
			wantEvents(t, d.Events(domain.BookletStream(user)), want...)
			if got := len(d.Events(domain.ClaimStream(claimID))) == 1; got != tt.prior {
				t.Fatalf("claim events %v, want PriorServicePaid: %v", datas(d.Events(domain.ClaimStream(claimID))), tt.prior)
			}
			if got := d.Events(domain.WorkerStream(worker2)) != nil; got != tt.worker {
				t.Fatalf("worker2 paid: %v, want %v", got, tt.worker)
			}
			if tt.worker {
				return
			}
			// Held: still recorded, its funds committed and its caps counted.
			if _, state, _ := b.Service("p1"); state != domain.ServiceRecordedState {
				t.Fatalf("a held prior service is %s, want recorded", state)
			}
			if b.Available() != 5000 {
				t.Fatalf("available %d, want 5000: a held service keeps its funds committed", b.Available())
			}
		})
	}
}

func TestValidationReleasesHeldPriorServicesToTheNextPayroll(t *testing.T) {
	t.Parallel()
	p1 := priorService("p1", claimID, worker2, "2026-01-10", 2)
	b := deceasedBooklet(p1, domain.ServicePaid{ServiceID: "s1", RunID: "earlier"})
	workers := map[string]*domain.Worker{worker2: workerOf(worker2, registered(worker2, iban, ""))}
	c := claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), priorInserted(p1))
	claims := map[string]*domain.Claim{claimID: c}
	if d := domain.PlanPayroll("run1", date("2026-01-31"), []*domain.Booklet{b}, workers, claims); len(summaryOf(d).Payments) != 0 || d.Events(domain.BookletStream(user)) != nil {
		t.Fatalf("a run before validation pays %+v", summaryOf(d))
	}
	c.Apply(domain.Recorded{Version: c.Version() + 1, Data: domain.HeirValidated{OperatorCF: op}})
	d := domain.PlanPayroll("run2", date("2026-02-15"), []*domain.Booklet{b}, workers, claims)
	wantEvents(t, d.Events(domain.BookletStream(user)), domain.ServicePaid{ServiceID: "p1", RunID: "run2", PaidOn: "2026-02-15"})
	wantEvents(t, d.Events(domain.ClaimStream(claimID)), domain.PriorServicePaid{ServiceID: "p1", RunID: "run2", PaidOn: "2026-02-15"})
	if summaryOf(d).PaidCents != 1600 {
		t.Fatalf("paid %d, want 1600", summaryOf(d).PaidCents)
	}
}

// TestRejectingTheHeirReversesItsPriorServices pins SPEC §8: rejecting a
// heir reverses every unpaid prior service of the claim in the same
// append, funds and caps released on booklet and worker, each event caused
// by the HeirRejected; paid ones, ordinary services and other claims'
// prior services are left as they are.
func TestRejectingTheHeirReversesItsPriorServices(t *testing.T) {
	t.Parallel()
	p1 := priorService("p1", claimID, worker2, "2026-01-10", 2)
	p2 := priorService("p2", claimID, worker, "2026-01-11", 1)
	p3 := priorService("p3", claimID, worker2, "2026-01-12", 1) // paid
	p4 := priorService("p4", "other-claim", worker2, "2026-01-13", 1)
	given := []domain.Event{p1, p2, p3, domain.ServicePaid{ServiceID: "p3", RunID: "r"},
		domain.HeirClaimAttached{ClaimID: "other-claim", HeirCF: heir2, DateOfDeath: "2026-01-15"}, p4}
	claimGiven := []domain.Event{heirRegistered(heir, "2026-01-15", "legittimo"), priorInserted(p1), priorInserted(p2), priorInserted(p3)}
	tests := []struct {
		name  string
		claim []domain.Event
	}{
		{"rejecting the heir reverses its unpaid prior services", claimGiven},
		{"rejecting the heir of a validated claim reverses its prior services not yet paid", append(append([]domain.Event{}, claimGiven...), domain.HeirValidated{OperatorCF: op})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := deceasedBooklet(given...)
			before := b.Available()
			w2 := workerOf(worker2, registered(worker2, iban, ""), domain.WorkerServiceBooked{ServiceID: "p1", UserCF: user, Year: 2026, NetCents: 1600})
			r, err := claimOf(tt.claim...).RejectHeir(b, rejection, "the owner is alive", op)
			wantCode(t, err, "")
			wantEvents(t, r.Events(domain.ClaimStream(claimID)), domain.HeirRejected{Reason: "the owner is alive", OperatorCF: op},
				domain.PriorServiceReversed{ServiceID: "p1", Reason: "the owner is alive", OperatorCF: op},
				domain.PriorServiceReversed{ServiceID: "p2", Reason: "the owner is alive", OperatorCF: op})
			wantEvents(t, r.Events(domain.BookletStream(user)), domain.HeirClaimDetached{ClaimID: claimID, Reason: "the owner is alive"},
				domain.ServiceReversed{ServiceID: "p1", Reason: "the owner is alive", OperatorCF: op},
				domain.ServiceReversed{ServiceID: "p2", Reason: "the owner is alive", OperatorCF: op})
			wantEvents(t, r.Events(domain.WorkerStream(worker2)), domain.WorkerServiceReleased{ServiceID: "p1"})
			wantEvents(t, r.Events(domain.WorkerStream(worker)), domain.WorkerServiceReleased{ServiceID: "p2"})
			if len(r.Changes) != 4 || r.Changes[0].Stream != domain.ClaimStream(claimID) {
				t.Fatalf("streams %v, want the claim's first, the booklet's and only those of the workers of p1 and p2", r.Changes)
			}
			if r.Events(domain.ClaimStream(claimID))[0].ID != rejection {
				t.Fatalf("the HeirRejected is stored with id %v, want the one chosen %v", r.Events(domain.ClaimStream(claimID))[0].ID, rejection)
			}
			for _, ps := range [][]domain.Pending{r.Events(domain.ClaimStream(claimID))[1:], r.Events(domain.BookletStream(user))[1:], r.Events(domain.WorkerStream(worker)), r.Events(domain.WorkerStream(worker2))} {
				for _, p := range ps {
					if p.Causation != rejection {
						t.Fatalf("%T caused by %v, want the HeirRejected %v", p.Data, p.Causation, rejection)
					}
				}
			}
			for i, p := range r.Events(domain.BookletStream(user)) {
				b.Apply(domain.Recorded{Version: b.Version() + int64(i) + 1, Data: p.Data})
			}
			if got := b.Available(); got != before+3000 {
				t.Fatalf("available %d after the rejection, want %d: the reversed services' funds return", got, before+3000)
			}
			for id, want := range map[string]domain.ServiceState{"p1": domain.ServiceReversedState, "p2": domain.ServiceReversedState, "p3": domain.ServicePaidState, "p4": domain.ServiceRecordedState, "s1": domain.ServiceRecordedState} {
				if _, got, _ := b.Service(id); got != want {
					t.Fatalf("%s is %s after the rejection, want %s", id, got, want)
				}
			}
			w2.Apply(domain.Recorded{Version: w2.Version() + 1, Data: r.Events(domain.WorkerStream(worker2))[0].Data})
			if got := w2.NetBooked(2026); got != 0 {
				t.Fatalf("worker2 still counts %d towards the cap", got)
			}
		})
	}
}

func TestAClaimSnapshotMarksItsHeldPriorServices(t *testing.T) {
	t.Parallel()
	p1, p2 := priorService("p1", claimID, worker, "2026-01-10", 1), priorService("p2", claimID, worker, "2026-01-11", 1)
	evs := []domain.Event{heirRegistered(heir, "2026-01-15", "legittimo"), priorInserted(p1), priorInserted(p2), domain.PriorServiceReversed{ServiceID: "p2"}}
	s := claimOf(evs...).Snapshot()
	if !s.PriorServices[0].Held || s.PriorServices[0].Status != "recorded" || s.PriorServices[1].Held {
		t.Fatalf("registered claim: %+v, want p1 recorded and held, p2 reversed and not held", s.PriorServices)
	}
	s = claimOf(append(evs, domain.HeirValidated{})...).Snapshot()
	if s.PriorServices[0].Held {
		t.Fatalf("validated claim: %+v, want p1 released", s.PriorServices)
	}
}
