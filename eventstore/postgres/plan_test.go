package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

// TestSubscriptionQueriesStayOnTheIndexWhenPrepared pins the plans of the
// statements a subscription runs on every poll, and of Head's count. pgx prepares statements and
// PostgreSQL moves a prepared statement to a generic plan after five runs; a
// generic plan that scans the table makes every poll cost the whole log (it
// once made an idle subscription's check 8 ms at 20,000 events).
func TestSubscriptionQueriesStayOnTheIndexWhenPrepared(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	t.Parallel()
	ctx := context.Background()
	s, pool := newInternalStore(t)
	for i := range 20 {
		if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: fmt.Sprintf("s-%d", i), Events: storetest.Events("E", 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"pending": `PREPARE q(xid8, bigint) AS ` + pendingSQL,
		"readAll": `PREPARE q(xid8, bigint, bigint, text) AS ` + readAll,
		"head":    `PREPARE q(text, text) AS ` + headSQL,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		args := map[string]string{"pending": `('1', 1)`, "readAll": `('1', 1, 100, '1000000')`, "head": `('1', '1000000')`}[name]
		var plan []byte
		if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) EXECUTE q`+args).Scan(&plan); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, plan); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(compact.String(), `"Node Type":"Seq Scan"`) {
			t.Errorf("%s: the generic plan scans the table: %s", name, plan)
		}
		if _, err := conn.Exec(ctx, `DEALLOCATE q`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHeadCountsEveryEventAsTheHorizonMoves pins Head's running count: the
// events below a horizon are counted once and kept, those above it counted
// on each call, whether or not an older transaction holds the horizon back.
func TestHeadCountsEveryEventAsTheHorizonMoves(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	t.Parallel()
	ctx := context.Background()
	s, pool := newInternalStore(t)
	want := int64(0)
	appendN := func(stream string, n int) {
		t.Helper()
		if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: stream, Expected: eventstore.Any, Events: storetest.Events("E", n)}); err != nil {
			t.Fatal(err)
		}
		want += int64(n)
	}
	check := func(when string) {
		t.Helper()
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Events != want {
			t.Fatalf("%s: Head counts %d events, want %d", when, h.Events, want)
		}
	}
	check("empty")
	appendN("a", 5)
	check("after the first append")
	check("again, from the cached count")

	// An open transaction with an id holds the horizon below what follows.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	appendN("b", 3)
	check("with the horizon held back")
	appendN("c", 2)
	check("again with the horizon held back")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	check("once the horizon passed them")
	appendN("a", 4)
	check("after the horizon moved on")
}
