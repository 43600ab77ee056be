package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
	"github.com/inps/libretto/eventstore/memory"
)

// faultyStore is a store that cannot append to several streams atomically
// (EventStoreDB through its protocol test double) and fails chosen
// single-stream appends once, as a conflict or a lost connection would.
type faultyStore struct {
	eventstore.Store
	mu   sync.Mutex
	fail func(a eventstore.StreamAppend) error // nil: no fault; called once per append
}

func (f *faultyStore) MultiStreamAtomic() bool { return false }

func (f *faultyStore) Append(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil && len(appends) == 1 {
		if err := fail(appends[0]); err != nil {
			return nil, err
		}
	}
	return f.Store.Append(ctx, appends...)
}

// failOnce makes the first append to a stream with prefix fail with err.
func (f *faultyStore) failOnce(prefix string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	done := false
	f.fail = func(a eventstore.StreamAppend) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if done || !strings.HasPrefix(a.Stream, prefix) {
			return nil
		}
		done = true
		return err
	}
}

func esdbFixture(t *testing.T) (*fixture, *faultyStore) {
	t.Helper()
	srv := esdbtest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	store := &faultyStore{Store: s}
	return newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments()), store
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

// sagaEnds counts the saga log's completed and aborted sagas.
func (f *fixture) sagaEnds() (completed, aborted, open int) {
	f.t.Helper()
	all, err := f.store.ReadAll(ctx(), eventstore.Cursor{}, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	last := map[string]string{}
	for _, e := range all {
		if strings.HasPrefix(e.Stream, "saga-") {
			last[e.Stream] = e.Type
		}
	}
	for _, typ := range last {
		switch typ {
		case commands.TypeSagaCompleted:
			completed++
		case commands.TypeSagaAborted:
			aborted++
		default:
			open++
		}
	}
	return
}

func TestSagaRecordsAndRevokesOnEventStoreDB(t *testing.T) {
	t.Parallel()
	f, _ := esdbFixture(t)
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
	// The deposit (booklet and its locator), the service and the revocation.
	if completed, aborted, open := f.sagaEnds(); completed != 3 || aborted != 0 || open != 0 {
		t.Errorf("sagas: %d completed, %d aborted, %d open; want 3, 0, 0", completed, aborted, open)
	}
}

func TestSagaWorkerCapHoldsUnderRacingUsers(t *testing.T) {
	t.Parallel()
	f, _ := esdbFixture(t)
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
	if _, _, open := f.sagaEnds(); open != 0 {
		t.Errorf("%d sagas left open", open)
	}
}

func TestSagaConflictOnTheBookletReleasesTheReservation(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "key-1"} {
		t.Run(fmt.Sprintf("idempotency key %q", key), func(t *testing.T) {
			f, store := esdbFixture(t)
			f.user(laura, 100000)
			f.worker(mario, ibanOK, "altro")
			store.failOnce("booklet-", fmt.Errorf("%w: injected", eventstore.ErrConcurrency))
			m := citizen(laura)
			m.IdempotencyKey, m.RequestHash = key, "h"
			f.must(f.h.RecordService(ctx(), m, service(mario, 10)))
			if n, cents := f.liveBookings(mario); n != 1 || cents != 8000 {
				t.Fatalf("worker holds %d bookings of %d cents, want 1 of 8000", n, cents)
			}
			var releases int
			for _, e := range f.stream(domain.WorkerStream(mario)) {
				if e.Type == domain.TypeWorkerServiceFreed {
					releases++
				}
			}
			if releases != 1 {
				t.Errorf("%d compensating releases, want 1", releases)
			}
			// The deposit's and the service's second try complete.
			if completed, aborted, open := f.sagaEnds(); completed != 2 || aborted != 1 || open != 0 {
				t.Errorf("sagas: %d completed, %d aborted, %d open; want 2, 1, 0", completed, aborted, open)
			}
			if broken, err := f.store.Verify(ctx(), nil); err != nil || len(broken.Broken) > 0 {
				t.Errorf("verify: %+v, %v", broken, err)
			}
		})
	}
}

func TestSagaRecoveryReleasesABookingLeftByACrash(t *testing.T) {
	t.Parallel()
	f, store := esdbFixture(t)
	f.user(laura, 100000)
	f.worker(mario, ibanOK, "altro")
	store.failOnce("booklet-", errors.New("connection reset by peer"))
	if _, err := f.h.RecordService(ctx(), citizen(laura), service(mario, 10)); err == nil {
		t.Fatal("the command succeeded without its booklet append")
	}
	if n, _ := f.liveBookings(mario); n != 1 {
		t.Fatalf("the crash should leave the booking: %d", n)
	}
	rec := f.h.NewSagaRecovery(0)
	out, err := rec.Run(ctx(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out.Open != 1 || out.RolledBack != 0 {
		t.Fatalf("within the grace period: %+v", out)
	}
	out, err = rec.Run(ctx(), time.Now().Add(commands.DefaultSagaGrace+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if out.RolledBack != 1 || out.Open != 0 {
		t.Fatalf("after the grace period: %+v", out)
	}
	if n, _ := f.liveBookings(mario); n != 0 {
		t.Fatalf("booking not released: %d live", n)
	}
	if _, aborted, open := f.sagaEnds(); aborted != 1 || open != 0 {
		t.Errorf("sagas: %d aborted, %d open", aborted, open)
	}
	// The released capacity is usable again.
	f.must(f.h.RecordService(ctx(), citizen(laura), service(mario, 10)))
}

func TestSagaRecoveryRollsForwardWhenTheBookletWasWritten(t *testing.T) {
	t.Parallel()
	f, store := esdbFixture(t)
	f.user(laura, 100000)
	f.worker(mario, ibanOK, "altro")
	store.failOnce("service-", errors.New("connection reset by peer"))
	if _, err := f.h.RecordService(ctx(), citizen(laura), service(mario, 10)); err == nil {
		t.Fatal("the command succeeded without its locator")
	}
	var serviceID string
	for _, e := range f.stream(domain.BookletStream(laura)) {
		if e.Type == domain.TypeServiceRecorded {
			var r domain.ServiceRecorded
			if err := json.Unmarshal(e.Data, &r); err != nil {
				t.Fatal(err)
			}
			serviceID = r.ServiceID
		}
	}
	if serviceID == "" || len(f.stream(domain.ServiceLocator(serviceID))) != 0 {
		t.Fatalf("want a recorded service without locator, got %q", serviceID)
	}
	out, err := f.h.NewSagaRecovery(0).Run(ctx(), time.Now().Add(commands.DefaultSagaGrace+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if out.RolledFwd != 1 {
		t.Fatalf("recovery: %+v", out)
	}
	if len(f.stream(domain.ServiceLocator(serviceID))) != 1 {
		t.Fatal("locator not written by recovery")
	}
	if n, _ := f.liveBookings(mario); n != 1 {
		t.Fatalf("%d live bookings, want 1", n)
	}
	// The service can now be named by its id.
	f.must(f.h.RevokeService(ctx(), citizen(laura), commands.RevokeService{ServiceID: serviceID}))
}

func TestSagaRecoveryIsIdleOnAtomicStores(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(laura, 100000)
	out, err := f.h.NewSagaRecovery(0).Run(ctx(), time.Now().Add(time.Hour))
	if err != nil || out != (commands.SagaOutcome{}) {
		t.Fatalf("recovery on the memory store: %+v, %v", out, err)
	}
	if completed, aborted, open := f.sagaEnds(); completed+aborted+open != 0 {
		t.Error("an atomic store got saga streams")
	}
}
