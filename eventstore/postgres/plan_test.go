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
// statements a subscription runs on every poll. pgx prepares statements and
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
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		args := `('1', 1)`
		if name == "readAll" {
			args = `('1', 1, 100, '1000000')`
		}
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
