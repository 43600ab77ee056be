package commands_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

// longBooklet stores mario's booklet with n events: the registration, then
// deposits and services (spread over past years, so no cap is near) taking
// turns; laura is registered as the worker.
func longBooklet(tb testing.TB, store eventstore.Store, n int) {
	ev := func(e domain.Event) eventstore.EventData {
		raw, _ := json.Marshal(e)
		return eventstore.EventData{ID: uuid.New(), Type: e.EventType(), SchemaVersion: 1, Data: raw, OccurredAt: now, Actor: eventstore.Actor{ID: mario, Role: "citizen"}}
	}
	events := []eventstore.EventData{ev(domain.UserRegistered{UserCF: mario})}
	for i := 1; len(events) < n; i++ {
		if i%2 == 1 {
			events = append(events, ev(domain.DepositRecorded{DepositID: uuid.NewString(), AmountCents: 2000, Channel: "F24", PaidOn: "2020-01-01"}))
			continue
		}
		year := 2000 + i%20
		events = append(events, ev(domain.ServiceRecorded{
			ServiceID: uuid.NewString(), UserCF: mario, WorkerCF: paolo, Activity: "lavori_domestici",
			StartDate: fmt.Sprintf("%d-05-01", year), EndDate: fmt.Sprintf("%d-05-01", year), Hours: 1, Vouchers: 1,
			GrossCents: 1000, NetCents: 800, UserCapCents: 800, Year: year, Deadline: fmt.Sprintf("%d-06-03", year),
		}))
	}
	for len(events) > 0 {
		k := min(len(events), 1000)
		if _, err := store.Append(ctx(), eventstore.StreamAppend{Stream: domain.BookletStream(mario), Expected: eventstore.Any, Events: events[:k]}); err != nil {
			tb.Fatal(err)
		}
		events = events[k:]
	}
}

// BenchmarkDecideOn10kEventBooklet measures deciding a command on a booklet
// of 10,000 events: "cached" with the handler's folded state (it reads only
// the events after the cached version), "cold" folding the whole stream each
// time. The command is refused by the last rule it checks (the cap of one
// worker for one user), so every rule is evaluated and nothing is appended.
func BenchmarkDecideOn10kEventBooklet(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		benchDecide(b, newFixtureOn(b, memory.New(), memory.NewIdempotency(), memory.NewDocuments()))
	})
	b.Run("postgres", func(b *testing.B) { benchDecide(b, newPostgresFixture(b)) })
}

func benchDecide(b *testing.B, f *fixture) {
	store := f.store
	longBooklet(b, store, 10000)
	f.worker(laura, "", "")
	f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 312))) // 249600 of 250000
	if evs := f.stream(domain.BookletStream(mario)); len(evs) != 10001 {
		b.Fatalf("booklet has %d events", len(evs))
	}
	decide := func(h *commands.Handler) {
		_, err := h.RecordService(ctx(), citizen(mario), service(laura, 1))
		if c := wantCode(b, err, domain.CodeCapExceeded); c.Facts["cap"] != "worker_for_user" {
			b.Fatalf("refused by %v", c.Facts["cap"])
		}
	}
	b.Run("cached", func(b *testing.B) {
		decide(f.h)
		for b.Loop() {
			decide(f.h)
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			decide(commands.NewHandler(store, nil, nil))
		}
	})
}

// BenchmarkRecordAndRevokeOn10kEventBooklet measures two appended commands
// (record a service, revoke it) per iteration on a 10,000-event booklet.
func BenchmarkRecordAndRevokeOn10kEventBooklet(b *testing.B) {
	f := newFixtureOn(b, memory.New(), memory.NewIdempotency(), memory.NewDocuments())
	longBooklet(b, f.store, 10000)
	f.worker(laura, "", "")
	for b.Loop() {
		res := f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
		f.must(f.h.RevokeService(ctx(), citizen(mario), commands.RevokeService{ServiceID: res.ID}))
	}
}
