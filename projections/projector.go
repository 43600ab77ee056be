package projections

import (
	"context"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
)

// Projector names. They are the Watermill handler names (consumer groups) and
// name the PostgreSQL schema each projector owns ("rm_" + name), so they are
// frozen: renaming one orphans its tables and checkpoint.
const (
	ClaimsProjector     = "claims"     // claims, refunds, prior services, heir history; the worklist reads it
	DashboardProjector  = "dashboard"  // booklets and services of the family dashboard
	StatementsProjector = "statements" // annual pay statements of workers
)

// Projector folds the event log into the tables of its own PostgreSQL schema.
// Adding a read model means implementing Projector and listing it in
// builtinProjectors (or passing it to NewRunner).
//
// Both methods run inside a transaction whose search_path is the projector's
// schema (the live one, or a fresh one during a rebuild), so a projector
// names its tables unqualified and never knows which schema it is filling.
// The runner records the checkpoint in the same transaction: a projector
// writes only rows and must not commit, roll back or touch other schemas.
type Projector interface {
	// Name is the projector's frozen name (see the constants above).
	Name() string
	// Setup creates the projector's tables and indexes, IF NOT EXISTS.
	Setup(ctx context.Context, tx pgx.Tx) error
	// Apply folds events, in cursor order and none of them seen before, into
	// the tables. It ignores event types it does not know. An error (or a
	// panic) rolls the whole batch back; if it persists through the retries
	// the projector stops and is reported, the event is never skipped.
	Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error
}

// Selective is implemented by a projector that folds only some event types.
// A live batch holding none of them costs it no transaction: the runner
// moves its progress in memory and records the checkpoint with its next
// transaction, or within SkipFlushDelay. Every built-in projector is
// selective.
type Selective interface {
	// Handles reports whether Apply folds events of this type. Apply must
	// fold every other type to nothing (no row, no error), whatever the
	// payload: those events may reach Apply only in a batch with others.
	Handles(eventType string) bool
}

// Accumulator folds events in memory and writes the rows they make in one go.
// Folding several batches and flushing once must write the same rows as
// flushing after each batch.
type Accumulator interface {
	Fold(events []eventstore.Event) error
	// Queue queues the statements that write what was folded; the runner
	// sends them with its checkpoint in one round trip of the batch's
	// transaction.
	Queue(b *pgx.Batch) error
}

// BulkProjector is a projector whose folding accumulates across batches. A
// rebuild folds many batches into one accumulator and flushes it rarely, so
// that each row is written about once; the live path folds and flushes each
// batch.
type BulkProjector interface {
	Projector
	NewAccumulator() Accumulator
}

// applyAccumulated is Apply for a BulkProjector.
func applyAccumulated(ctx context.Context, tx pgx.Tx, p BulkProjector, events []eventstore.Event) error {
	a := p.NewAccumulator()
	if err := a.Fold(events); err != nil {
		return err
	}
	return flush(ctx, tx, a, nil)
}

// flush sends what a folded, and then (when not nil) the checkpoint's
// update, in one round trip.
func flush(ctx context.Context, tx pgx.Tx, a Accumulator, checkpoint *pgx.QueuedQuery) error {
	b := &pgx.Batch{}
	if err := a.Queue(b); err != nil {
		return err
	}
	if checkpoint != nil {
		b.QueuedQueries = append(b.QueuedQueries, checkpoint)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// DashboardContributor is implemented by a projector that adds its part to
// the family dashboard (the Portale delle Famiglie data). It reads its own
// live tables through q, which is not a transaction.
type DashboardContributor interface {
	ContributeDashboard(ctx context.Context, q Querier, userCF, today string, d *Dashboard) error
}

// Querier is what a query needs of a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// builtinProjectors is every read model the runner maintains, in the order
// they are started and reported. The family projector joins here.
func builtinProjectors() []Projector {
	return []Projector{claimsProjector{}, dashboardProjector{}, statementsProjector{}, familyProjector{}, payslipsProjector{}}
}

// SchemaOf returns the PostgreSQL schema of the live tables of projector
// name. Queries qualify their tables with it.
func SchemaOf(name string) string { return "rm_" + name }

func rebuildSchemaOf(name string) string { return SchemaOf(name) + "__rebuild" }
func retiredSchemaOf(name string) string { return SchemaOf(name) + "__retired" }

// streamID returns the id part of a stream named prefix-<id>.
func streamID(stream, prefix string) string {
	return strings.TrimPrefix(stream, prefix+"-")
}

// centiHours stores decimal hours as an integer so that sums are exact and
// do not depend on how events were batched.
func centiHours(h float64) int64 {
	if h < 0 {
		return int64(h*100 - 0.5)
	}
	return int64(h*100 + 0.5)
}

func hoursOf(centi int64) float64 { return float64(centi) / 100 }

// flushChunk is the most rows one unnest statement carries: big enough to
// amortise a round trip, small enough that encoding its arrays stays cheap.
var flushChunk = 4096

// queueChunked queues sql once per chunk of at most flushChunk rows of its
// arguments, which are all slices of the same length (the unnest arrays).
func queueChunked(b *pgx.Batch, sql string, arrays ...any) {
	n := reflect.ValueOf(arrays[0]).Len()
	if n <= flushChunk {
		b.Queue(sql, arrays...)
		return
	}
	for lo := 0; lo < n; lo += flushChunk {
		hi := min(lo+flushChunk, n)
		args := make([]any, len(arrays))
		for i, a := range arrays {
			args[i] = reflect.ValueOf(a).Slice(lo, hi).Interface()
		}
		b.Queue(sql, args...)
	}
}
