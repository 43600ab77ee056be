package projections

import (
	"context"
	"testing"

	"github.com/inps/libretto/domain"
)

// TestAPriorServiceIsHeldUntilItsClaimIsValidated pins the read side of SPEC
// §8: GET /heir-claims/{id} marks a recorded prior service held while its
// claim is not validated; its status stays recorded (no new status value),
// and the booklet stays in the payroll's list of booklets to look at.
func TestAPriorServiceIsHeldUntilItsClaimIsValidated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := domain.ClaimStream("c1")
	f.emit(ev{c1, domain.HeirRegistered{ClaimID: "c1", HeirCF: "H1", DeceasedCF: "D1", DateOfDeath: "2026-02-01", HeirKind: "legittimo"}},
		ev{domain.BookletStream("D1"), domain.UserRegistered{UserCF: "D1"}})
	for _, id := range []string{"p1", "p2"} {
		f.emit(ev{c1, domain.PriorServiceInserted{ServiceID: id, WorkerCF: "W1", Activity: "lavori_domestici", StartDate: "2026-01-10", EndDate: "2026-01-10", Hours: 1, Vouchers: 1}},
			ev{domain.BookletStream("D1"), recorded(id, "D1", "W1", "2026-01-10", 1, 800, "c1")})
	}
	f.emit(ev{c1, domain.PriorServiceReversed{ServiceID: "p2", Reason: "doppio", OperatorCF: "OP"}},
		ev{domain.BookletStream("D1"), domain.ServiceReversed{ServiceID: "p2", Reason: "doppio", OperatorCF: "OP"}})
	f.sync()
	held := func() map[string]string {
		t.Helper()
		c, err := f.q.Claim(context.Background(), "c1")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range c.PriorServices {
			out[p.ServiceID] = p.Status
			if p.Held {
				out[p.ServiceID] += " held"
			}
		}
		return out
	}
	if got := held(); got["p1"] != "recorded held" || got["p2"] != "reversed" {
		t.Fatalf("prior service of a registered claim: %v, want p1 recorded held, p2 reversed", got)
	}
	users, err := f.q.UnpaidBooklets(context.Background())
	if err != nil || len(users) != 1 || users[0] != "D1" {
		t.Fatalf("unpaid booklets %v %v: the payroll still looks at the booklet of a held service", users, err)
	}
	f.emit(ev{c1, domain.HeirValidated{OperatorCF: "OP"}})
	f.sync()
	if got := held(); got["p1"] != "recorded" {
		t.Fatalf("prior service of a validated claim: %v, want p1 recorded and released", got)
	}
}
