package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// A transaction id is cluster-wide: a long transaction in another database
// must not hold this database's subscribers back, while one in this database
// (which could still write events) must.
func TestHorizonIgnoresOtherDatabasesButNotThisOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, 4)
	store := postgres.New(pool)

	other, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	otherTx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer otherTx.Rollback(ctx)
	if _, err := otherTx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}

	appendOne := func(stream string) {
		t.Helper()
		_, err := store.Append(ctx, eventstore.StreamAppend{Stream: stream, Expected: eventstore.NoStream, Events: []eventstore.EventData{{
			ID: uuid.New(), Type: "Happened", SchemaVersion: 1, Data: json.RawMessage(`{}`), OccurredAt: time.Now(),
			Actor: eventstore.Actor{ID: "test", Role: "system"}, CorrelationID: uuid.New(),
		}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	appendOne("a-1")
	got, err := store.ReadAll(ctx, eventstore.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("an open transaction in another database held the horizon back: read %d events, want 1", len(got))
	}

	same, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Rollback(ctx)
	if _, err := same.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	appendOne("a-2")
	got, err = store.ReadAll(ctx, got[0].Cursor, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("read %d events past an older open transaction of this database, want 0", len(got))
	}
	if err := same.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = store.ReadAll(ctx, eventstore.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("after the older transaction ended, read %d events, want 2", len(got))
	}
}
