package domain_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
)

// The people of the tests: valid codici fiscali.
var (
	user    = "RSSMRA85T10A562S"
	user2   = "MRTMTT25D09F205Z"
	worker  = withCheck("BNCLRA90A41H501")
	worker2 = withCheck("VRDGLI70M50F205")
	heir    = withCheck("GLLSFN75H20D612")
	heir2   = withCheck("MRNDRA82L08B354")
	op      = "operator"
	iban    = "IT60X0542811101000000123456"
	claimID = "7d7c1bd6-4f8e-4d5e-9a1b-0c6d2f1e3a10"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s, "")
	if err != nil {
		panic(err)
	}
	return d
}

// eventID is the deterministic id of the n-th given event of a stream, so
// that tests can check causation ids.
func eventID(stream string, n int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s/%d", stream, n))
}

func recorded(stream string, events []domain.Event) []domain.Recorded {
	out := make([]domain.Recorded, len(events))
	for i, e := range events {
		out[i] = domain.Recorded{ID: eventID(stream, i+1), Version: int64(i + 1), Data: e}
	}
	return out
}

func bookletOf(cf string, events ...domain.Event) *domain.Booklet {
	b := domain.NewBooklet(domain.MustCF(cf))
	b.Apply(recorded("booklet", events)...)
	return b
}

func workerOf(cf string, events ...domain.Event) *domain.Worker {
	w := domain.NewWorker(domain.MustCF(cf))
	w.Apply(recorded("worker", events)...)
	return w
}

func claimOf(events ...domain.Event) *domain.Claim {
	c := domain.NewClaim(claimID)
	c.Apply(recorded("claim", events)...)
	return c
}

// Given-event builders.
func opened(cf string) domain.Event { return domain.UserRegistered{UserCF: cf} }
func deposit(cents int64) domain.Event {
	return domain.DepositRecorded{DepositID: uuid.NewString(), AmountCents: cents, Channel: "F24", PaidOn: "2026-01-10"}
}
func registered(cf, account, category string) domain.Event {
	return domain.WorkerRegistered{WorkerCF: cf, IBAN: account, Category: category}
}
func booked(year int, net int64) domain.Event {
	return domain.WorkerServiceBooked{ServiceID: uuid.NewString(), UserCF: user2, Year: year, NetCents: net}
}

// recordedService is a ServiceRecorded of user with worker for the given
// end date; net and userCap are the cap figures it carries.
func recordedService(id, workerCF, end string, vouchers int) domain.ServiceRecorded {
	d := date(end)
	return domain.ServiceRecorded{
		ServiceID: id, UserCF: user, WorkerCF: workerCF, Activity: "lavori_domestici", StartDate: end, EndDate: end,
		Hours: float64(vouchers), Vouchers: vouchers, GrossCents: int64(vouchers) * 1000, NetCents: int64(vouchers) * 800,
		UserCapCents: int64(vouchers) * 800, Year: d.Year(), Deadline: domain.RecordingDeadline(d).String(),
	}
}

func heirRegistered(heirCF, dod, kind string) domain.Event {
	return domain.HeirRegistered{ClaimID: claimID, HeirCF: heirCF, DeceasedCF: user, DateOfDeath: dod, HeirKind: kind}
}

func datas(ps []domain.Pending) []domain.Event {
	out := make([]domain.Event, len(ps))
	for i, p := range ps {
		out[i] = p.Data
	}
	return out
}

func wantEvents(t *testing.T, got []domain.Pending, want ...domain.Event) {
	t.Helper()
	if !reflect.DeepEqual(datas(got), want) {
		g, _ := json.Marshal(datas(got))
		w, _ := json.Marshal(want)
		t.Fatalf("events\n got %s\nwant %s", g, w)
	}
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if c := code(err); c != want {
		t.Fatalf("error %v: code %q, want %q", err, c, want)
	}
}

func kindOf(err error) domain.Kind {
	de, _ := err.(*domain.Error)
	if de == nil {
		return 255
	}
	return de.Kind
}

// recordOf is the ServiceRecorded a decision appends.
func recordOf(d domain.Decision) domain.ServiceRecorded {
	r, _ := domain.First[domain.ServiceRecorded](d)
	return r
}

// sides splits a decision into the events of user's booklet, worker's
// stream and the claim's, the streams the tests' services are on.
func sides(d domain.Decision) (booklet, workers, claim []domain.Pending) {
	return d.Events(domain.BookletStream(user)), d.Events(domain.WorkerStream(worker)), d.Events(domain.ClaimStream(claimID))
}

// summaryOf is the PayrollRunCompleted a run's decision appends.
func summaryOf(d domain.Decision) domain.PayrollRunCompleted {
	s, _ := domain.First[domain.PayrollRunCompleted](d)
	return s
}
