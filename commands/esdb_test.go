package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/esdb"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
	"github.com/inps/libretto/eventstore/memory"
)

// esdbFixture is a fixture on EventStoreDB through its protocol test
// double, where a command's multi-stream append is the store's saga
// (eventstore/esdb, whose own tests inject faults into it).
func esdbFixture(t *testing.T) *fixture {
	t.Helper()
	srv := esdbtest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return newFixtureOn(t, s, memory.NewIdempotency(), memory.NewDocuments())
}

// liveBookings is the net cents of a worker's bookings not released.
func (f *fixture) liveBookings(workerCF string) (n int, cents int64) {
	f.t.Helper()
	booked := map[string]int64{}
	for _, e := range f.stream(domain.WorkerStream(workerCF)) {
		switch e.Type {
		case domain.TypeWorkerServiceBooked:
			var b domain.WorkerServiceBooked
			if err := json.Unmarshal(e.Data, &b); err != nil {
				f.t.Fatal(err)
			}
			booked[b.ServiceID] = b.NetCents
		case domain.TypeWorkerServiceFreed:
			var r domain.WorkerServiceReleased
			if err := json.Unmarshal(e.Data, &r); err != nil {
				f.t.Fatal(err)
			}
			delete(booked, r.ServiceID)
		}
	}
	for _, c := range booked {
		cents += c
	}
	return len(booked), cents
}

func TestRecordAndRevokeOnEventStoreDB(t *testing.T) {
	t.Parallel()
	f := esdbFixture(t)
	f.user(laura, 100000)
	f.worker(mario, ibanOK, "altro")
	res := f.must(f.h.RecordService(ctx(), citizen(laura), service(mario, 10)))
	if n, cents := f.liveBookings(mario); n != 1 || cents != 8000 {
		t.Fatalf("worker holds %d bookings of %d cents, want 1 of 8000", n, cents)
	}
	if loc := f.stream(domain.ServiceLocator(res.ID)); len(loc) != 1 {
		t.Fatalf("locator has %d events", len(loc))
	}
	f.must(f.h.RevokeService(ctx(), citizen(laura), commands.RevokeService{ServiceID: res.ID}))
	if n, _ := f.liveBookings(mario); n != 0 {
		t.Fatalf("worker holds %d bookings after the revocation", n)
	}
}

func TestWorkerCapHoldsUnderRacingUsersOnEventStoreDB(t *testing.T) {
	t.Parallel()
	f := esdbFixture(t)
	users := []string{laura, giulia, paolo, anna, heirCF, heir2CF}
	for _, u := range users {
		f.user(u, 200000)
	}
	f.worker(mario, ibanOK, "altro")
	// Six users record two services of 100 vouchers each (80000 net) at
	// once: 960000 net asked of a worker whose yearly cap is 500000.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, refused int
	for _, u := range users {
		for range 2 {
			wg.Go(func() {
				_, err := f.h.RecordService(ctx(), citizen(u), service(mario, 100))
				mu.Lock()
				defer mu.Unlock()
				var de *domain.Error
				switch {
				case err == nil:
					ok++
				case errors.As(err, &de) && de.Code == domain.CodeCapExceeded:
					refused++
				default:
					t.Errorf("%s: %v", u, err)
				}
			})
		}
	}
	wg.Wait()
	n, cents := f.liveBookings(mario)
	if cents > 500000 {
		t.Fatalf("worker cap crossed: %d bookings of %d cents", n, cents)
	}
	if ok != 6 || refused != 6 || n != 6 {
		t.Errorf("%d recorded, %d refused, %d live bookings; want 6, 6, 6", ok, refused, n)
	}
	if broken, err := f.store.Verify(ctx(), nil); err != nil || len(broken.Broken) > 0 {
		t.Errorf("verify: %+v, %v", broken, err)
	}
}
