package commands_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// TestRandomCommandsKeepTheInvariants runs a seeded random mix of commands
// and recomputes, from the events alone, that no booklet went below zero and
// no cap was crossed in any year.
func TestRandomCommandsKeepTheInvariants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	users := []string{mario, giulia, paolo}
	workers := []string{laura, anna, heirCF}
	for _, u := range users {
		f.user(u, 0)
	}
	for i, w := range workers {
		f.worker(w, "", []string{"altro", "pensionato", "studente_under25"}[i])
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var services []string
	refusals := map[string]int{}
	day := time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)
	for range 1000 {
		day = day.Add(time.Duration(rng.IntN(30)) * time.Hour)
		m := func(actor string, role commands.Role) commands.Meta {
			mm := meta(actor, role)
			mm.Now = day
			return mm
		}
		user := users[rng.IntN(len(users))]
		switch r := rng.IntN(10); {
		case r < 2:
			_, _ = f.h.RecordDeposit(ctx(), m("feed", commands.RoleSystem), commands.RecordDeposit{UserCF: user, AmountCents: int64(1+rng.IntN(400)) * 1000, Channel: "F24", PaidOn: day.Format(time.DateOnly)})
		case r < 7:
			end := day.AddDate(0, 0, -rng.IntN(20)).Format(time.DateOnly)
			v := 1 + rng.IntN(40)
			res, err := f.h.RecordService(ctx(), m(user, commands.RoleCitizen), commands.RecordService{WorkerCF: workers[rng.IntN(len(workers))], Activity: "lavori_domestici", StartDate: end, EndDate: end, Hours: float64(v), Vouchers: v, NoRecentEmployment: true})
			if err == nil {
				services = append(services, res.ID)
			} else if de, ok := err.(*domain.Error); ok {
				refusals[de.Code]++
			}
		case r < 8 && len(services) > 0:
			_, _ = f.h.RevokeService(ctx(), m(user, commands.RoleCitizen), commands.RevokeService{ServiceID: services[rng.IntN(len(services))]})
		case r < 9 && len(services) > 0:
			_, _ = f.h.ReverseService(ctx(), m(operCF, commands.RoleOperator), commands.ReverseService{ServiceID: services[rng.IntN(len(services))], Reason: "random"})
		default:
			_, _ = f.h.RunPayroll(ctx(), m(operCF, commands.RoleOperator), commands.RunPayroll{RunDate: day.Format(time.DateOnly)})
		}
	}
	if len(services) < 100 || refusals[domain.CodeCapExceeded] == 0 || refusals[domain.CodeInsufficientFunds] == 0 {
		t.Fatalf("%d services recorded, refusals %v: the mix does not exercise the rules", len(services), refusals)
	}
	t.Logf("%d services recorded, refusals %v", len(services), refusals)

	type key struct {
		a, b string
		year int
	}
	workerNet, userNet, pairNet := map[key]int64{}, map[key]int64{}, map[key]int64{}
	paid := 0
	balance := map[string]int64{}
	live := map[string]domain.ServiceRecorded{}
	all, err := f.store.ReadAll(ctx(), eventstore.Cursor{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all { // in the order they were committed
		if !strings.HasPrefix(e.Stream, "booklet-") {
			continue
		}
		u := strings.TrimPrefix(e.Stream, "booklet-")
		data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch v := data.(type) {
		case domain.DepositRecorded:
			balance[u] += v.AmountCents
		case domain.ServiceRecorded:
			balance[u] -= v.GrossCents
			live[v.ServiceID] = v
			workerNet[key{v.WorkerCF, "", v.Year}] += v.NetCents
			userNet[key{u, "", v.Year}] += v.UserCapCents
			pairNet[key{u, v.WorkerCF, v.Year}] += v.NetCents
		case domain.ServiceRevoked, domain.ServiceReversed:
			s := live[serviceIDOf(e)]
			balance[u] += s.GrossCents
			workerNet[key{s.WorkerCF, "", s.Year}] -= s.NetCents
			userNet[key{u, "", s.Year}] -= s.UserCapCents
			pairNet[key{u, s.WorkerCF, s.Year}] -= s.NetCents
		case domain.ServicePaid:
			paid++
		}
		if balance[u] < 0 {
			t.Fatalf("booklet %s went to %d at version %d", u, balance[u], e.Version)
		}
		for k, n := range workerNet {
			if n > domain.WorkerCap {
				t.Fatalf("worker cap crossed: %v %d", k, n)
			}
		}
		for k, n := range userNet {
			if n > domain.UserCap {
				t.Fatalf("user cap crossed: %v %d", k, n)
			}
		}
		for k, n := range pairNet {
			if n > domain.WorkerForUserCap {
				t.Fatalf("worker-for-user cap crossed: %v %d", k, n)
			}
		}
	}
	if paid == 0 {
		t.Fatal("no payroll paid anything: the mix does not exercise payroll")
	}
}

func serviceIDOf(e eventstore.Event) string {
	var v struct {
		ServiceID string `json:"service_id"`
	}
	_ = json.Unmarshal(e.Data, &v)
	return v.ServiceID
}
