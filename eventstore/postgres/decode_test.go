package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

// TestDecoderMatchesScan pins that reads take the wire-format fast path and
// that it decodes exactly what pgx's Scan does.
func TestDecoderMatchesScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newInternalStore(t)
	for i := range 3 {
		if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: fmt.Sprintf("s-%d", i), Events: storetest.Events("E", 4)}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(ctx, `SELECT `+eventColumns+` FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	var d *decoder
	for rows.Next() {
		if d == nil {
			d = newDecoder(rows)
			if !d.fast {
				t.Fatalf("the decoder fell back to Scan: formats %v", rows.FieldDescriptions())
			}
		}
		var fast, slow eventstore.Event
		if err := d.decode(rows, &fast); err != nil {
			t.Fatal(err)
		}
		if err := scanEvent(rows, &slow); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", fast) != fmt.Sprintf("%+v", slow) {
			t.Errorf("decoded %+v\nscanned %+v", fast, slow)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 12 {
		t.Fatalf("%d rows, %v", n, err)
	}
}
