package domain_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/inps/libretto/domain"
)

func TestEveryEventDecodesToItself(t *testing.T) {
	t.Parallel()
	events := []domain.Event{
		domain.UserRegistered{UserCF: user}, domain.DepositRecorded{DepositID: "d", AmountCents: 1000, Channel: "F24", PaidOn: "2026-01-01"},
		recordedService("s", worker, "2026-01-10", 2), domain.ServiceRevoked{ServiceID: "s"}, domain.ServiceReversed{ServiceID: "s", Reason: "r", OperatorCF: op},
		domain.ServicePaid{ServiceID: "s"}, domain.HeirClaimAttached{ClaimID: "c"}, domain.HeirClaimDetached{ClaimID: "c"}, domain.DateOfDeathCorrected{DateOfDeath: "2026-01-01"},
		domain.RefundReserved{RefundID: "r"}, domain.RefundReservationReleased{RefundID: "r"}, domain.RefundDisbursed{RefundID: "r"},
		heirRegistered(heir, "2026-01-01", "legittimo"), domain.HeirValidated{}, domain.HeirRejected{}, domain.ClaimDateOfDeathCorrected{},
		requested, domain.RefundApproved{}, domain.RefundRejected{}, domain.RefundPaid{}, domain.PriorServiceInserted{ServiceID: "p"},
		domain.PriorServiceReversed{}, domain.PriorServicePaid{}, registered(worker, iban, "altro"), booked(2026, 800), domain.WorkerServiceReleased{},
		domain.WorkerPaid{Services: []domain.PaidService{{ServiceID: "s"}}}, domain.PayrollRunCompleted{Payments: []domain.Payment{{WorkerCF: worker}}},
		domain.ServiceLocated{ServiceID: "s"}, domain.RefundLocated{RefundID: "r"},
		domain.DelegationGranted{DelegationID: "g", GrantorCF: user, DelegateCF: worker, Scope: []string{"libretto"}, ExpiresOn: "2026-12-31", GrantedOn: "2026-03-10"},
		domain.DelegationRevoked{DelegationID: "g", RevokedOn: "2026-03-11"}, domain.DelegationReceived{DelegationID: "g", GrantorCF: user},
	}
	seen := map[string]bool{}
	for _, e := range events {
		raw, _ := json.Marshal(e)
		got, err := domain.Decode(e.EventType(), domain.SchemaVersion, raw)
		if err != nil {
			t.Fatalf("%s: %v", e.EventType(), err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("%s decoded as %#v", e.EventType(), got)
		}
		if seen[e.EventType()] {
			t.Fatalf("type name %s used twice", e.EventType())
		}
		seen[e.EventType()] = true
	}
	if _, err := domain.Decode("Nonsense", 1, []byte(`{}`)); err == nil {
		t.Fatal("an unknown type is an error")
	}
	if _, err := domain.Decode(domain.TypeUserRegistered, 7, []byte(`{}`)); err == nil {
		t.Fatal("a schema version without an upcaster is an error")
	}
}

func TestApplyNeverFailsOnForeignOrUnknownEvents(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user))
	b.Apply(domain.Recorded{Version: 2, Data: nil}, domain.Recorded{Version: 3, Data: domain.WorkerPaid{}}, domain.Recorded{Version: 4, Data: domain.ServiceRevoked{ServiceID: "unknown"}})
	if b.Version() != 4 || !b.Exists() || b.Available() != 0 {
		t.Fatalf("version %d", b.Version())
	}
}

func TestEncodeRefusesTheNULCharacter(t *testing.T) {
	t.Parallel()
	_, err := domain.Encode(domain.ServiceReversed{ServiceID: "s", Reason: "a\x00b"})
	wantCode(t, err, domain.CodeInvalidCharacter)
	raw, err := domain.Encode(domain.ServiceReversed{ServiceID: "s", Reason: "già"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := domain.Decode(domain.TypeServiceReversed, domain.SchemaVersion, raw)
	if err != nil || got != (domain.ServiceReversed{ServiceID: "s", Reason: "già"}) {
		t.Fatalf("round trip %#v %v", got, err)
	}
}

func TestTheRegistryListsEveryTypeOnce(t *testing.T) {
	t.Parallel()
	types := domain.Types()
	for _, typ := range []string{domain.TypeUserRegistered, domain.TypeDateOfDeathWithdrawn, domain.TypeDepositLocated, domain.TypePaymentNoticePaid} {
		if !slices.Contains(types, typ) {
			t.Errorf("%s is not registered", typ)
		}
	}
	if !slices.IsSorted(types) || len(slices.Compact(slices.Clone(types))) != len(types) {
		t.Errorf("types %v: want sorted, each once", types)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a type twice must panic")
		}
	}()
	domain.Register[domain.UserRegistered]()
}
