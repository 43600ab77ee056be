package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

// TestReadPace pins WithReadPace: a read that reached the head of the log
// makes the next read wait for the pace; reads that fill their batch
// (catching up) do not.
func TestReadPace(t *testing.T) {
	appendOne := func(t *testing.T, s *Store, stream string) {
		t.Helper()
		if _, err := s.Append(context.Background(), eventstore.StreamAppend{
			Stream: stream, Expected: eventstore.Any, Events: storetest.Events("Happened", 1),
		}); err != nil {
			t.Fatal(err)
		}
	}
	// live subscribes on an empty log (its first read reaches the head),
	// appends one event and waits up to within for it.
	live := func(t *testing.T, pace, within time.Duration) error {
		s, _ := newInternalStore(t)
		s.pace = pace
		sub, err := s.Subscribe(context.Background(), eventstore.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		got := make(chan error, 1)
		go func() {
			events, err := sub.Next(ctx, 100)
			if err == nil && len(events) != 1 {
				err = errors.New("not the one event appended")
			}
			got <- err
		}()
		time.Sleep(100 * time.Millisecond) // the subscription read the empty head and waits
		appendOne(t, s, "paced")
		return <-got
	}

	t.Run("a read after one that reached the head waits for the pace", func(t *testing.T) {
		if err := live(t, time.Hour, 2*time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("with a pace of an hour the event came within 2 s (err %v)", err)
		}
	})
	t.Run("without a pace the notification is followed at once", func(t *testing.T) {
		if err := live(t, 0, 30*time.Second); err != nil {
			t.Fatalf("without a pace: %v", err)
		}
	})
	t.Run("catching up is never paced", func(t *testing.T) {
		s, _ := newInternalStore(t)
		s.pace = time.Hour
		for i := range 5 {
			if _, err := s.Append(context.Background(), eventstore.StreamAppend{
				Stream: "backlog-" + string(rune('a'+i)), Expected: eventstore.NoStream, Events: storetest.Events("Happened", 100),
			}); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := s.Subscribe(context.Background(), eventstore.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		total := 0
		for total < 500 {
			events, err := sub.Next(ctx, 200) // 200, 200, then 100: the last read reaches the head
			if err != nil {
				t.Fatalf("after %d of 500 events: %v", total, err)
			}
			total += len(events)
		}
	})
}
