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

// TestFullXID pins the widening of 32-bit backend xids against xmax, on
// both sides of it and across an epoch.
func TestFullXID(t *testing.T) {
	t.Parallel()
	pool := newPool(t, 1)
	const epoch = 4294967296
	tests := []struct {
		name        string
		xmax, xid32 int64
		want        int64
	}{
		{"an older running transaction", 1000, 990, 990},
		{"the newest transaction, at xmax", 1000, 1000, 1000},
		{"a transaction started after the latest completed one", 1000, 1003, 1003},
		{"an older transaction of the previous epoch", epoch + 5, epoch - 3, epoch - 3},
		{"a newer transaction of the next epoch", 2*epoch - 2, 4, 2*epoch + 4},
	}
	for _, tc := range tests {
		var got int64
		q := `SELECT (` + postgres.FullXIDForTest + `)::bigint FROM (SELECT $1::numeric AS xmax) AS x, (SELECT $2::bigint AS xid32) AS r`
		if err := pool.QueryRow(t.Context(), q, tc.xmax, tc.xid32).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: full xid of %d at xmax %d = %d, want %d", tc.name, tc.xid32, tc.xmax, got, tc.want)
		}
	}
}
