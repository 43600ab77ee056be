package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/eventstore/storetest"
)

func TestIdempotencyContract(t *testing.T) {
	t.Parallel()
	storetest.RunIdempotency(t, func(t *testing.T) storetest.Idempotency { return postgres.NewIdempotency(newPool(t, 4)) })
}

func TestDocumentsContract(t *testing.T) {
	t.Parallel()
	storetest.RunDocuments(t, func(t *testing.T) storetest.Documents { return postgres.NewDocuments(newPool(t, 4)) })
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	for range 2 {
		if err := postgres.Migrate(t.Context(), url); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyFindsTampering alters stored rows behind the store's back, as
// someone with database access could, and checks that Verify names every
// link that no longer holds.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sql    string
		broken []eventstore.BrokenLink // Position is filled in from the stored events
	}{
		{"altered data", `UPDATE events SET data = '{"n": 999}' WHERE stream = 'booklet-A' AND version = 2`,
			[]eventstore.BrokenLink{{Stream: "booklet-A", Version: 2, Reason: "hash mismatch"}}},
		{"re-spaced data is the same once compacted", `UPDATE events SET data = replace(data::text, ': ', ' :  ')::json WHERE stream = 'booklet-A' AND version = 2`,
			nil},
		{"altered actor", `UPDATE events SET actor_id = 'VRDGPP13R10B293Z' WHERE stream = 'worker-W' AND version = 1`,
			[]eventstore.BrokenLink{{Stream: "worker-W", Version: 1, Reason: "hash mismatch"}}},
		{"deleted event", `DELETE FROM events WHERE stream = 'booklet-A' AND version = 2`,
			[]eventstore.BrokenLink{{Stream: "booklet-A", Version: 3, Reason: "version gap"}, {Stream: "booklet-A", Version: 3, Reason: "hash mismatch"}}},
		{"rewritten hash breaks the next link too", `UPDATE events SET hash = sha256('forged') WHERE stream = 'booklet-A' AND version = 1`,
			[]eventstore.BrokenLink{{Stream: "booklet-A", Version: 1, Reason: "hash mismatch"}, {Stream: "booklet-A", Version: 2, Reason: "hash mismatch"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			pool := newPool(t, 2)
			s := postgres.New(pool)
			stored, err := s.Append(ctx,
				eventstore.StreamAppend{Stream: "booklet-A", Expected: eventstore.NoStream, Events: storetest.Events("E", 3)},
				eventstore.StreamAppend{Stream: "worker-W", Expected: eventstore.NoStream, Events: storetest.Events("E", 2)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			for i := range tc.broken {
				for _, e := range stored {
					if e.Stream == tc.broken[i].Stream && e.Version == tc.broken[i].Version {
						tc.broken[i].Position = e.Position
					}
				}
			}
			rep, err := s.Verify(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Broken, tc.broken) {
				t.Errorf("broken = %+v\nwant     %+v", rep.Broken, tc.broken)
			}
			if rep.StreamsChecked != 2 {
				t.Errorf("%d streams checked, want 2", rep.StreamsChecked)
			}
		})
	}
}

// TestBarePositionCursorSkipsEvents shows why subscriptions do not read
// "position > last": a transaction that took its position first but commits
// last is skipped by such a reader, while the transaction-id horizon
// delivers it, before the event that committed earlier.
func TestBarePositionCursorSkipsEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := newPool(t, 4)
	s := postgres.New(pool)

	// The slow transaction takes its position and stays open.
	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(context.WithoutCancel(ctx))
	var slowPos int64
	err = slow.QueryRow(ctx, `INSERT INTO events (stream, version, event_id, type, schema_version, data,
		occurred_at, recorded_at, actor_id, actor_role, correlation_id, causation_id, hash)
		VALUES ('slow', 1, $1, 'E', 1, '{}', now(), now(), 'system', 'system', $2, $3, '\x00')
		RETURNING position`, uuid.New(), uuid.New(), uuid.Nil).Scan(&slowPos)
	if err != nil {
		t.Fatal(err)
	}

	// A later transaction takes a later position and commits first.
	fast, err := s.Append(ctx, eventstore.StreamAppend{Stream: "fast", Expected: eventstore.NoStream, Events: storetest.Events("E", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if fast[0].Position <= slowPos {
		t.Fatalf("fast position %d not after slow %d", fast[0].Position, slowPos)
	}

	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	delivered := make(chan []eventstore.Event, 1)
	go func() {
		var got []eventstore.Event
		for len(got) < 2 {
			batch, err := sub.Next(ctx, 10)
			if err != nil {
				t.Error(err)
				break
			}
			got = append(got, batch...)
		}
		delivered <- got
	}()

	// The bare reader sees the fast event and moves its cursor past slow's position.
	bare := func(after int64) []int64 {
		rows, err := pool.Query(ctx, `SELECT position FROM events WHERE position > $1 ORDER BY position`, after)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	var seen []int64
	last := int64(0)
	for _, p := range bare(last) {
		seen, last = append(seen, p), p
	}

	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, bare(last)...)
	if slices.Contains(seen, slowPos) {
		t.Fatalf("bare cursor saw %v, including slow %d: the race did not happen", seen, slowPos)
	}

	var got []int64
	for _, e := range <-delivered {
		got = append(got, e.Position)
	}
	if want := []int64{slowPos, fast[0].Position}; !slices.Equal(got, want) {
		t.Errorf("subscription delivered %v, want %v", got, want)
	}
}

// TestSubscriptionsShareOneListener checks that subscriptions come and go
// without leaking the LISTEN connection.
func TestSubscriptionsShareOneListener(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := newPool(t, 4)
	s := postgres.New(pool)
	listeners := func() int {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN `+postgres.Channel+`'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var subs []eventstore.Subscription
	for range 3 {
		sub, err := s.Subscribe(ctx, eventstore.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	if n := listeners(); n != 1 {
		t.Errorf("%d listening connections for 3 subscriptions, want 1", n)
	}
	if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: "s", Events: storetest.Events("E", 1)}); err != nil {
		t.Fatal(err)
	}
	for i, sub := range subs {
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		got, err := sub.Next(wait, 10)
		cancel()
		if err != nil || len(got) != 1 {
			t.Errorf("subscription %d: %d events, %v", i, len(got), err)
		}
		sub.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for listeners() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("listening connection left open after the last subscription closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
