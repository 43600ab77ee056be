package esdb

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
	"github.com/inps/libretto/eventstore/storetest"
)

// TestContractDouble runs the contract suite against the protocol test
// double, one fresh server per test, with system events written between
// the store's own.
func TestContractDouble(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		srv := esdbtest.Start(t)
		srv.WriteSystemEventEvery(3)
		return open(t, srv.URL())
	})
}

// TestSubscriptionsContractDouble runs the several-subscriptions contract
// against the protocol test double.
func TestSubscriptionsContractDouble(t *testing.T) {
	t.Parallel()
	storetest.RunSubscriptions(t, func(t *testing.T) eventstore.Store {
		srv := esdbtest.Start(t)
		srv.WriteSystemEventEvery(3)
		return open(t, srv.URL())
	})
}

// TestContractLive runs the contract suite against a real EventStoreDB when
// EVENTSTORE_URL names one (README, "EventStoreDB"). The suite wants an
// empty log per test; on one shared server each test gets a namespace: its
// streams are prefixed with a fresh id and everything else is hidden from
// it, as system events are.
func TestContractLive(t *testing.T) {
	url := os.Getenv("EVENTSTORE_URL")
	if url == "" {
		t.Skip("EVENTSTORE_URL is not set; the suite runs against the protocol test double (TestContractDouble)")
	}
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s := open(t, url)
		s.ns = "t" + strings.ReplaceAll(uuid.NewString(), "-", "") + "-"
		return s
	})
}

func open(t *testing.T, url string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func event(typ string) eventstore.EventData {
	return eventstore.EventData{
		ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{"n":1}`),
		OccurredAt: time.Now(), Actor: eventstore.Actor{ID: "RSSMRA80A01H501U", Role: "citizen"},
		CorrelationID: uuid.New(),
	}
}

func one(stream string, exp eventstore.ExpectedVersion, events ...eventstore.EventData) eventstore.StreamAppend {
	return eventstore.StreamAppend{Stream: stream, Expected: exp, Events: events}
}

// TestDoubleCatchesWrongMappings proves that the protocol test double
// fails an adapter whose translation to EventStoreDB is wrong in the ways
// that are easy to get wrong: the 0-based revision, the inclusive forward
// read of $all, and Start versus position zero.
func TestDoubleCatchesWrongMappings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		wrong mapping
		check func(ctx context.Context, s *Store) error
	}{
		{
			name:  "exact version mapped to revision N instead of N-1 refuses a correct expectation",
			wrong: mapping{revision: func(v int64) uint64 { return uint64(v) }},
			check: func(ctx context.Context, s *Store) error {
				if _, err := s.Append(ctx, one("s", eventstore.NoStream, event("E"))); err != nil {
					return err
				}
				_, err := s.Append(ctx, one("s", eventstore.Exact(1), event("E")))
				return err
			},
		},
		{
			name:  "reading $all on from a cursor repeats the event at the cursor",
			wrong: mapping{revision: correct.revision, readAllIncludesFrom: true},
			check: func(ctx context.Context, s *Store) error {
				got, err := s.Append(ctx, one("s", eventstore.NoStream, event("E"), event("E")))
				if err != nil {
					return err
				}
				rest, err := s.ReadAll(ctx, got[0].Cursor, 10)
				if err != nil {
					return err
				}
				if len(rest) != 1 || rest[0].ID != got[1].ID {
					return fmt.Errorf("read all after the first event: %d events", len(rest))
				}
				return nil
			},
		},
		{
			name:  "subscribing from position zero instead of Start loses the first event",
			wrong: mapping{revision: correct.revision, subscribeFromZero: true},
			check: func(ctx context.Context, s *Store) error {
				got, err := s.Append(ctx, one("s", eventstore.NoStream, event("E")))
				if err != nil {
					return err
				}
				// The double starts with system events, as a real server
				// does; make the store's first event the log's first.
				_ = got
				sub, err := s.Subscribe(ctx, eventstore.Cursor{})
				if err != nil {
					return err
				}
				defer sub.Close()
				short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancel()
				events, err := sub.Next(short, 10)
				if err != nil {
					return err
				}
				if len(events) != 1 || events[0].ID != got[0].ID {
					return fmt.Errorf("subscription delivered %d events", len(events))
				}
				return nil
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			right := newEmptyLogStore(t, correct)
			if err := tc.check(ctxT(t), right); err != nil {
				t.Fatalf("the correct mapping fails: %v", err)
			}
			wrong := newEmptyLogStore(t, tc.wrong)
			if err := tc.check(ctxT(t), wrong); err == nil {
				t.Fatal("the wrong mapping passes against the double")
			}
		})
	}
}

// newEmptyLogStore is a store with mapping m on a fresh double whose first
// record is not a system event, so that "the first event" is the store's.
func newEmptyLogStore(t *testing.T, m mapping) *Store {
	t.Helper()
	srv, err := esdbtest.NewServer(esdbtest.WithoutSystemEvents())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s := open(t, srv.URL())
	s.m = m
	return s
}

func TestSystemEventsAreHidden(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	s := open(t, srv.URL())
	ctx := ctxT(t)
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	srv.WriteSystemEvent()
	got, err := s.Append(ctx, one("s", eventstore.NoStream, event("E")))
	if err != nil {
		t.Fatal(err)
	}
	srv.WriteSystemEvent()
	events, err := sub.Next(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != got[0].ID {
		t.Fatalf("subscription delivered %+v", events)
	}
	all, err := s.ReadAll(ctx, eventstore.Cursor{}, 10)
	if err != nil || len(all) != 1 {
		t.Fatalf("read all: %d events, %v", len(all), err)
	}
	head, err := s.Head(ctx)
	if err != nil || head.Events != 1 || head.Cursor != got[0].Cursor {
		t.Fatalf("head = %+v, %v", head, err)
	}
	if srv.Events() <= 1 {
		t.Fatalf("the double holds %d records; it should hold system events too", srv.Events())
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	s := open(t, srv.URL())
	ctx := ctxT(t)
	got, err := s.Append(ctx, one("booklet-T", eventstore.NoStream, event("A"), event("B"), event("C")))
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Tamper("booklet-T", 1, []byte(`{"n":2}`)) {
		t.Fatal("nothing to tamper with")
	}
	rep, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Broken) != 1 || rep.Broken[0].Version != 2 || rep.Broken[0].Position != got[1].Position || rep.Broken[0].Reason != "hash mismatch" {
		t.Fatalf("verify = %+v", rep)
	}
}

func TestMetadataCarriesTheEnvelope(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	s := open(t, srv.URL())
	ctx := ctxT(t)
	e := event("E")
	e.CausationID = uuid.New()
	if _, err := s.Append(ctx, one("s", eventstore.NoStream, e)); err != nil {
		t.Fatal(err)
	}
	// Read it raw, as another EventStoreDB tool would.
	rs, err := s.db.ReadStream(ctx, "s", esdb.ReadStreamOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	r, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	meta := string(r.Event.UserMetadata)
	for _, want := range []string{`"schema_version":1`, `"recorded_at"`, `"hash"`, `"$correlationId":"` + e.CorrelationID.String(), `"$causationId":"` + e.CausationID.String(), `"role":"citizen"`} {
		if !strings.Contains(meta, want) {
			t.Errorf("metadata %s lacks %s", meta, want)
		}
	}
	if r.Event.ContentType != "application/json" || r.Event.EventType != "E" || r.Event.EventNumber != 0 {
		t.Errorf("recorded event = %+v", r.Event)
	}
}

func TestAnyAppendsRaceToAConsistentChain(t *testing.T) {
	t.Parallel()
	s := open(t, esdbtest.Start(t).URL())
	ctx := ctxT(t)
	const writers, each = 8, 10
	errs := make(chan error, writers)
	for range writers {
		go func() {
			for range each {
				if _, err := s.Append(ctx, one("shared", eventstore.Any, event("E"))); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	events, err := s.ReadStream(ctx, "shared", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != writers*each {
		t.Fatalf("%d events, want %d", len(events), writers*each)
	}
	if broken := eventstore.VerifyStream(events); len(broken) > 0 {
		t.Fatalf("chain broken: %+v", broken[0])
	}
}

func TestSubscriptionSurvivesAServerDrop(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	s := open(t, srv.URL())
	ctx := ctxT(t)
	first, err := s.Append(ctx, one("s", eventstore.NoStream, event("E")))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if got, err := sub.Next(ctx, 10); err != nil || len(got) != 1 {
		t.Fatalf("first: %d events, %v", len(got), err)
	}
	srv.DropSubscriptions()
	second, err := s.Append(ctx, one("s", eventstore.Exact(1), event("E")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sub.Next(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != second[0].ID {
		t.Fatalf("after the drop: %+v (first was %s)", got, first[0].ID)
	}
}

func TestOpenDiscoversAClusterThroughGossip(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	s := open(t, srv.ClusterURL())
	got, err := s.Append(ctxT(t), one("s", eventstore.NoStream, event("E")))
	if err != nil || len(got) != 1 {
		t.Fatalf("append through gossip discovery: %v", err)
	}
	if srv.GossipReads() == 0 {
		t.Error("the client connected without reading the gossip")
	}
}

func TestOpenFailsClearlyWhenNothingListens(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, "esdb://admin:secret@127.0.0.1:1?tls=false&maxDiscoverAttempts=1&discoveryInterval=10")
	if err == nil {
		t.Fatal("opened a server that does not exist")
	}
	if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q should name the address and hide the password", err)
	}
}
