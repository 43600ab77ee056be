package projections

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

// knownTypes is every event type the domain writes: domain's registry,
// family's types included (this package imports domain/family).
var knownTypes = domain.Types()

// recordingTx is a transaction that counts the statements sent through it.
// Anything else an Apply calls panics (the embedded Tx is nil), which counts
// as touching the tables too.
type recordingTx struct {
	pgx.Tx
	statements int
}

func (tx *recordingTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	tx.statements += b.Len()
	return closedResults{}
}

func (tx *recordingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tx.statements++
	return pgconn.CommandTag{}, nil
}

type closedResults struct{ pgx.BatchResults }

func (closedResults) Close() error { return nil }

// touches reports whether applying e alone writes anything or fails.
func touches(p Projector, e eventstore.Event) (touched bool) {
	defer func() {
		if recover() != nil {
			touched = true
		}
	}()
	tx := &recordingTx{}
	err := p.Apply(context.Background(), tx, []eventstore.Event{e})
	return err != nil || tx.statements > 0
}

// A projector skips, without a transaction, batches of the types it does not
// list (Selective); so every event its Apply folds, or fails on, must be of a
// type it lists, and every type it lists must be one its Apply folds.
func TestEveryTypeAProjectorFoldsIsOneItHandles(t *testing.T) {
	t.Parallel()
	// Every known type with an empty payload, then real payloads: a
	// generated history and a family's events.
	var events []eventstore.Event
	for i, typ := range append(knownTypes, "SomethingNew") {
		events = append(events, eventstore.Event{EventData: eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{}`)},
			Stream: "x-1", Position: int64(i + 1), Cursor: eventstore.Cursor{Minor: uint64(i + 1)}})
	}
	store := memory.New()
	h := newHistory(t, store, 5)
	h.steps(400)
	appendFamily(t, store, familyHistory()...)
	logged, err := store.ReadAll(context.Background(), eventstore.Cursor{}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, logged...)

	for _, p := range builtinProjectors() {
		sel, ok := p.(Selective)
		if !ok {
			t.Errorf("%s does not say which types it folds (Selective)", p.Name())
			continue
		}
		folded := map[string]bool{}
		for _, e := range events {
			if !touches(p, e) {
				continue
			}
			folded[e.Type] = true
			if !sel.Handles(e.Type) {
				t.Errorf("%s folds %s (position %d) but does not list its type", p.Name(), e.Type, e.Position)
			}
		}
		for _, typ := range knownTypes {
			if sel.Handles(typ) && !folded[typ] {
				t.Errorf("%s lists %s but folds none of them", p.Name(), typ)
			}
		}
		if sel.Handles("SomethingNew") {
			t.Errorf("%s lists a type nobody writes", p.Name())
		}
	}
}
