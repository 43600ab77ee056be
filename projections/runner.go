package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore"
)

// Runner runs every projector as a Watermill handler over the event store,
// answers the read-model queries, reports status and rebuilds.
type Runner struct {
	pool       *pgxpool.Pool
	store      eventstore.Store
	logger     *slog.Logger
	projectors []Projector

	// BatchSize is the most events a projector folds per transaction
	// (default 1000). Set it before Start.
	BatchSize int
	// RebuildBatch is how many events a rebuild reads at a time (and folds
	// per transaction into a projector that is not a BulkProjector).
	RebuildBatch int
	// RebuildFlush is how many events a rebuild folds in memory into a
	// BulkProjector's accumulator before writing its rows, so that most rows
	// are written once.
	RebuildFlush int
	// Retry is the backoff a failing batch is retried with before its
	// projector stops. Set it before Start.
	Retry middleware.Retry
	// SkipFlush is how long after skipping a batch (see Selective) a
	// projector records its checkpoint at the latest, when no batch it folds
	// has recorded it first (default 200 ms). The checkpoint rows, which
	// Status and other processes' WaitFor read, lag by no more than that.
	// Set it before Start.
	SkipFlush time.Duration

	mu       sync.Mutex
	started  bool
	states   map[string]*projectorState
	live     map[string]*liveState
	progress chan struct{} // closed and replaced whenever a projector moves
	done     chan struct{} // closed once started projectors have stopped
}

type projectorState struct {
	applied eventstore.Cursor
	cp      Checkpoint
	running bool
	stopped error
}

// NewRunner returns a runner for the built-in projectors plus extra ones.
func NewRunner(pool *pgxpool.Pool, store eventstore.Store, logger *slog.Logger, extra ...Projector) *Runner {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Runner{
		pool:         pool,
		store:        store,
		logger:       logger,
		projectors:   append(builtinProjectors(), extra...),
		BatchSize:    1000,
		RebuildBatch: DefaultRebuildBatch,
		RebuildFlush: DefaultRebuildFlush,
		Retry: middleware.Retry{
			MaxRetries:      5,
			InitialInterval: 100 * time.Millisecond,
			MaxInterval:     3 * time.Second,
			Multiplier:      2,
		},
		SkipFlush: 200 * time.Millisecond,
		states:    map[string]*projectorState{},
		live:      map[string]*liveState{},
		progress:  make(chan struct{}),
		done:      make(chan struct{}),
	}
	for _, p := range r.projectors {
		r.states[p.Name()] = &projectorState{}
		r.live[p.Name()] = &liveState{}
	}
	return r
}

// Names returns the projectors' names in their order.
func (r *Runner) Names() []string {
	names := make([]string, len(r.projectors))
	for i, p := range r.projectors {
		names[i] = p.Name()
	}
	return names
}

func (r *Runner) projector(name string) (Projector, error) {
	for _, p := range r.projectors {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("projections: no projector %q (have %v)", name, r.Names())
}

// Setup creates every projector's schema and tables when missing. Start calls
// it; queries in a process that does not run the projectors need it too.
func (r *Runner) Setup(ctx context.Context) error {
	for _, p := range r.projectors {
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('libretto.projection.' || $1))`, p.Name()); err != nil {
				return err
			}
			return setupSchema(ctx, tx, p, SchemaOf(p.Name()))
		})
		if err != nil {
			return fmt.Errorf("projections: set up %s: %w", p.Name(), err)
		}
	}
	return nil
}

// Start sets up the schemas and runs every projector until ctx ends. It
// returns once the router is running.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("projections: runner already started")
	}
	r.started = true
	r.mu.Unlock()
	running := false
	defer func() {
		if !running {
			close(r.done)
		}
	}()

	if err := r.Setup(ctx); err != nil {
		return err
	}
	for _, p := range r.projectors {
		cp, err := readCheckpointOf(ctx, r.pool, SchemaOf(p.Name()))
		if err != nil {
			return fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		ls := r.live[p.Name()]
		ls.mu.Lock()
		ls.cp, ls.known = cp, true
		ls.mu.Unlock()
		r.advance(p.Name(), cp)
	}

	wlog := watermill.NewSlogLogger(r.logger.With("component", "projections"))
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wlog)
	if err != nil {
		return err
	}
	retry := r.Retry
	retry.Logger = wlog
	retry.ShouldRetry = func(p middleware.RetryParams) bool { return !errors.Is(p.Err, context.Canceled) }
	// First added runs outermost: a batch that still fails after the retries
	// (a panic included, turned into an error by the recoverer) stops its
	// projector.
	router.AddMiddleware(r.stopOnFailure, retry.Middleware, middleware.Recoverer)

	sub := &StoreSubscriber{
		Store:     r.store,
		BatchSize: r.BatchSize,
		Logger:    r.logger,
		From: func(ctx context.Context, topic string) (eventstore.Cursor, error) {
			cp, err := readCheckpointOf(ctx, r.pool, SchemaOf(topic))
			return cp.Cursor, err
		},
	}
	for _, p := range r.projectors {
		router.AddConsumerHandler(p.Name(), p.Name(), sub, r.handler(ctx, p))
	}
	running = true
	go func() {
		defer close(r.done)
		if err := router.Run(ctx); err != nil {
			r.logger.Error("projections: router stopped", "err", err)
		}
		r.mu.Lock()
		for _, s := range r.states {
			s.running = false
		}
		r.mu.Unlock()
		// Leave the checkpoint rows where the projectors are, so that a
		// clean restart re-reads nothing and Status shows no lag.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, p := range r.projectors {
			ls := r.live[p.Name()]
			ls.mu.Lock()
			ls.disarm()
			if err := r.recordSkipped(fctx, p, ls); err != nil {
				r.logger.Warn("projections: record the checkpoint of skipped batches on stop", "projector", p.Name(), "err", err)
			}
			ls.mu.Unlock()
		}
	}()
	select {
	case <-router.Running():
	case <-ctx.Done():
		return ctx.Err()
	}
	r.mu.Lock()
	for _, s := range r.states {
		s.running = true
	}
	r.mu.Unlock()
	return nil
}

// Wait blocks until the projectors that Start runs have stopped, after its
// ctx ended, and have recorded the checkpoints of the batches they skipped
// (see Selective). It returns at once when Start was not called. Call it
// before closing the pool, or the last skipped batches are re-read (and
// fold to nothing) at the next start.
func (r *Runner) Wait() {
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if started {
		<-r.done
	}
}

// StoppedError is a projector stopped by an event it could not apply.
type StoppedError struct {
	Projector string
	Event     *eventstore.Event // the event that failed, when known
	Err       error
}

func (e *StoppedError) Error() string {
	if e.Event == nil {
		return fmt.Sprintf("projector %s stopped: %v", e.Projector, e.Err)
	}
	return fmt.Sprintf("projector %s stopped at event %s (%s, stream %s, position %d): %v",
		e.Projector, e.Event.ID, e.Event.Type, e.Event.Stream, e.Event.Position, e.Err)
}

func (e *StoppedError) Unwrap() error { return e.Err }

// liveState is what a projector's live path keeps between batches. mu is
// held while a batch, or the checkpoint of skipped batches, is written, so
// the handler and the flush timer take turns.
type liveState struct {
	mu sync.Mutex
	// cp is the checkpoint row as this process last wrote or read it, and
	// known says it was. When the row still holds it, a batch that follows
	// it needs no read of the row (applyAfter).
	cp    Checkpoint
	known bool
	// skipped holds the events of batches the projector skipped (none of
	// their types is one it folds), after cp and not yet in its row.
	skipped []eventstore.Event
	timer   *time.Timer // records skipped's checkpoint; nil when disarmed
	gen     uint64      // tells a disarmed timer's late callback to do nothing
}

// maxSkipped bounds the events a projector skips before it records its
// checkpoint anyway: the memory they hold and what a crash makes it re-read.
const maxSkipped = 10000

func (ls *liveState) disarm() {
	if ls.timer != nil {
		ls.timer.Stop()
		ls.timer = nil
		ls.gen++
	}
}

// handlesNone reports whether p is selective and folds none of events.
func handlesNone(p Projector, events []eventstore.Event) bool {
	sel, ok := p.(Selective)
	if !ok {
		return false
	}
	for _, e := range events {
		if sel.Handles(e.Type) {
			return false
		}
	}
	return true
}

// handler folds one batch message into p's live tables. When a batch of
// several events fails it applies them one per transaction, so that the
// events before the culprit are kept and the error names the culprit.
//
// A batch holding no event p folds opens no transaction: it moves p's
// progress in memory at once (WaitFor in this process wakes) and its events
// wait in skipped until the next batch p folds writes the checkpoint over
// them, or until the timer (SkipFlush) writes it alone. The checkpoint row
// lags the progress meanwhile; after a crash the projector re-reads the
// skipped events from that row, which is harmless: they fold to nothing, and
// are counted (Checkpoint.Events) once, when the row finally passes them.
func (r *Runner) handler(runCtx context.Context, p Projector) message.NoPublishHandlerFunc {
	ls := r.live[p.Name()]
	return func(msg *message.Message) error {
		ctx := msg.Context()
		events, err := BatchOf(msg)
		if err != nil {
			return &StoppedError{Projector: p.Name(), Err: err}
		}
		if len(events) == 0 {
			return nil
		}
		ls.mu.Lock()
		defer ls.mu.Unlock()
		if len(ls.skipped)+len(events) <= maxSkipped && handlesNone(p, events) {
			ls.skipped = append(ls.skipped, events...)
			last := events[len(events)-1]
			r.advance(p.Name(), Checkpoint{Cursor: last.Cursor, Position: last.Position,
				Events: ls.cp.Events + int64(len(ls.skipped)), RecordedAt: last.RecordedAt})
			r.armSkipFlush(runCtx, p, ls)
			return nil
		}
		all, skipped := events, len(ls.skipped)
		if skipped > 0 {
			all = append(ls.skipped[:skipped:skipped], events...)
		}
		err = r.applyLive(ctx, p, ls, all)
		if err == nil || len(all) == 1 || ctx.Err() != nil {
			return err
		}
		if skipped > 0 {
			// Together: they fold to nothing.
			if err := r.applyLive(ctx, p, ls, all[:skipped]); err != nil {
				return err
			}
		}
		for i := range events {
			if err := r.applyLive(ctx, p, ls, events[i:i+1]); err != nil {
				var se *StoppedError
				if errors.As(err, &se) {
					return err
				}
				return &StoppedError{Projector: p.Name(), Event: &events[i], Err: err}
			}
		}
		return nil
	}
}

// armSkipFlush makes sure a timer will record the checkpoint of p's skipped
// events; ls.mu must be held. The timer runs SkipFlush after the first skip
// it covers, not after the last, so that a steady stream of skipped batches
// does not put it off for ever.
func (r *Runner) armSkipFlush(ctx context.Context, p Projector, ls *liveState) {
	if ls.timer != nil {
		return
	}
	ls.gen++
	gen := ls.gen
	ls.timer = time.AfterFunc(r.SkipFlush, func() {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		if ls.gen != gen || ctx.Err() != nil {
			return // disarmed, or stopping: Start's goroutine records it
		}
		ls.timer = nil
		if err := r.recordSkipped(ctx, p, ls); err != nil && ctx.Err() == nil {
			r.logger.Warn("projections: record the checkpoint of skipped batches", "projector", p.Name(), "err", err)
			r.armSkipFlush(ctx, p, ls)
		}
	})
}

// recordSkipped writes the checkpoint over p's skipped events; ls.mu must be
// held.
func (r *Runner) recordSkipped(ctx context.Context, p Projector, ls *liveState) error {
	if len(ls.skipped) == 0 {
		return nil
	}
	return r.applyLive(ctx, p, ls, ls.skipped)
}

// errCheckpointMoved is applyAfter finding the checkpoint row elsewhere than
// where this process left it: another process (a replica, a rebuild's swap)
// moved it.
var errCheckpointMoved = errors.New("checkpoint moved")

// applyLive folds events (in cursor order) into p's live tables and moves
// the checkpoint, in one transaction; ls.mu must be held.
func (r *Runner) applyLive(ctx context.Context, p Projector, ls *liveState, events []eventstore.Event) error {
	var cp Checkpoint
	err := func() error {
		if ls.known && ls.cp.Cursor.Less(events[0].Cursor) {
			// Fold before BEGIN, so that the transaction holds its locks and
			// its transaction id only while writing: the PostgreSQL store
			// makes events visible below the oldest running transaction id,
			// so a long projector transaction would delay every subscriber.
			var folded Accumulator
			if bp, ok := p.(BulkProjector); ok {
				folded = bp.NewAccumulator()
				if err := folded.Fold(events); err != nil {
					folded = nil // Apply fails again in the transaction, after the checkpoint is checked
				}
			}
			var err error
			cp, err = r.applyAfter(ctx, p, ls.cp, events, folded)
			if !errors.Is(err, errCheckpointMoved) {
				return err
			}
		}
		// The checkpoint moved elsewhere (or was never seen): read it, drop
		// the events it passed, apply the rest. BEGIN, the projector's lock
		// and its search_path take one round trip.
		return pgx.BeginTxFunc(ctx, r.pool, pgx.TxOptions{BeginQuery: liveBegin(p.Name())}, func(tx pgx.Tx) error {
			var err error
			cp, _, err = applyInTx(ctx, tx, p, events)
			return err
		})
	}()
	if err != nil {
		if len(events) == 1 && ctx.Err() == nil {
			return &StoppedError{Projector: p.Name(), Event: &events[0], Err: err}
		}
		return err
	}
	ls.cp, ls.known = cp, true
	n := 0
	for n < len(ls.skipped) && !cp.Cursor.Less(ls.skipped[n].Cursor) {
		n++
	}
	if n == len(ls.skipped) {
		// All covered: keep the array for the next skipped run (dropping it
		// each time was 6 % of the server's allocations under make bench).
		clear(ls.skipped)
		ls.skipped = ls.skipped[:0]
		ls.disarm()
	} else {
		ls.skipped = ls.skipped[n:]
	}
	r.advance(p.Name(), cp)
	return nil
}

// applyAfter is applyInTx for a batch that follows prev, the checkpoint as
// this process last wrote or read it, without reading the row first: the
// row moves only if it still holds prev (else errCheckpointMoved, and the
// transaction rolls back), so the batch costs three round trips, not four
// (begin with the lock, rows with the checkpoint, commit). Whatever else
// moves the checkpoint (a replica, a rebuild's swap) holds the same advisory
// lock, so the row cannot change between the check and the commit.
// Behind a skipped run the batch covers the skipped events too: they fold to
// nothing and the count takes them in.
func (r *Runner) applyAfter(ctx context.Context, p Projector, prev Checkpoint, events []eventstore.Event, folded Accumulator) (Checkpoint, error) {
	last := events[len(events)-1]
	next := Checkpoint{Cursor: last.Cursor, Position: last.Position, RecordedAt: last.RecordedAt}
	args := []any{int64(next.Cursor.Major), int64(next.Cursor.Minor), next.Position, int64(len(events)), next.RecordedAt,
		int64(prev.Cursor.Major), int64(prev.Cursor.Minor)}
	const set = ` SET major = $1, minor = $2, position = $3, events = events + $4, recorded_at = $5
WHERE major = $6 AND minor = $7 RETURNING events`
	scan := func(row pgx.Row) error {
		if err := row.Scan(&next.Events); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errCheckpointMoved
			}
			return fmt.Errorf("write checkpoint: %w", err)
		}
		return nil
	}
	// The checkpoint goes first: when it moved, the rows may be there
	// already and writing them again could fail on a key.
	err := pgx.BeginTxFunc(ctx, r.pool, pgx.TxOptions{BeginQuery: liveBegin(p.Name())}, func(tx pgx.Tx) error {
		if folded == nil {
			if err := scan(tx.QueryRow(ctx, `UPDATE checkpoint`+set, args...)); err != nil {
				return err
			}
			return p.Apply(ctx, tx, events)
		}
		// Checkpoint and rows in one round trip.
		b := &pgx.Batch{}
		b.Queue(`UPDATE checkpoint`+set, args...).QueryRow(scan)
		if err := folded.Queue(b); err != nil {
			return err
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return next, err
}

// liveBegin is the statement that begins a live batch's transaction: it takes
// the projector's advisory lock (the one a rebuild's swap takes) and points
// search_path at its live schema.
func liveBegin(name string) string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return `BEGIN; SELECT pg_advisory_xact_lock(hashtext(` + quote("libretto.projection."+name) + `)); ` +
		`SELECT set_config('search_path', ` + quote(SchemaOf(name)) + `, true)`
}

// stopOnFailure records a batch that failed through every retry as its
// projector's stop, loudly.
func (r *Runner) stopOnFailure(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err == nil || msg.Context().Err() != nil {
			return out, err
		}
		name := message.HandlerNameFromCtx(msg.Context())
		var se *StoppedError
		if !errors.As(err, &se) {
			se = &StoppedError{Projector: name, Err: err}
		}
		attrs := []any{"projector", name, "err", se.Err, "batch_cursor", msg.Metadata.Get(MetaCursor)}
		if se.Event != nil {
			// Never the event's data (SPEC §8): its id and position find it
			// in the store for whoever may read it.
			attrs = append(attrs, "event_id", se.Event.ID, "event_type", se.Event.Type,
				"stream", se.Event.Stream, "position", se.Event.Position)
		}
		r.logger.Error("projections: projector stopped on an event it cannot apply", attrs...)
		r.mu.Lock()
		if s := r.states[name]; s != nil {
			s.stopped = se
			s.running = false
		}
		r.broadcast()
		r.mu.Unlock()
		return out, se
	}
}

// advance records a projector's progress and wakes WaitFor.
func (r *Runner) advance(name string, cp Checkpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.states[name]
	if s == nil || !s.applied.Less(cp.Cursor) && !s.applied.IsZero() {
		return
	}
	s.applied = cp.Cursor
	s.cp = cp
	r.broadcast()
}

// broadcast wakes every waiter; r.mu must be held.
func (r *Runner) broadcast() {
	close(r.progress)
	r.progress = make(chan struct{})
}

// Ready reports nil when the projectors are running, else why not: not
// started, or stopped by an event (with the event).
func (r *Runner) Ready() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return errors.New("projections: not started")
	}
	var errs []error
	for _, p := range r.projectors {
		s := r.states[p.Name()]
		switch {
		case s.stopped != nil:
			errs = append(errs, s.stopped)
		case !s.running:
			errs = append(errs, fmt.Errorf("projector %s not running", p.Name()))
		}
	}
	return errors.Join(errs...)
}

// ProjectorStatus is one projector's progress against the head of the log.
type ProjectorStatus struct {
	Name       string            `json:"name"`
	Schema     string            `json:"schema"`
	Checkpoint eventstore.Cursor `json:"checkpoint"`
	Position   int64             `json:"position"` // global position of the last applied event
	Events     int64             `json:"events"`   // events applied
	LagEvents  int64             `json:"lag_events"`
	LagSeconds float64           `json:"lag_seconds"` // head's recorded-at minus the last applied event's
	Running    bool              `json:"running"`     // in this process
	Stopped    string            `json:"stopped,omitempty"`
}

// Status reads every projector's checkpoint (from the database, so it is
// right whichever process runs the projectors) and its lag behind the head.
func (r *Runner) Status(ctx context.Context) ([]ProjectorStatus, error) {
	head, err := r.store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("projections: head: %w", err)
	}
	out := make([]ProjectorStatus, 0, len(r.projectors))
	for _, p := range r.projectors {
		cp, err := readCheckpointOf(ctx, r.pool, SchemaOf(p.Name()))
		if err != nil {
			return nil, fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		st := ProjectorStatus{Name: p.Name(), Schema: SchemaOf(p.Name()), Checkpoint: cp.Cursor, Position: cp.Position, Events: cp.Events}
		if head.Events > cp.Events {
			st.LagEvents = head.Events - cp.Events
		}
		if st.LagEvents > 0 || cp.Cursor.Less(head.Cursor) {
			if cp.RecordedAt.IsZero() {
				st.LagSeconds = time.Since(head.RecordedAt).Seconds()
			} else if lag := head.RecordedAt.Sub(cp.RecordedAt).Seconds(); lag > 0 {
				st.LagSeconds = lag
			}
		}
		r.mu.Lock()
		s := r.states[p.Name()]
		st.Running = s.running
		if s.stopped != nil {
			st.Stopped = s.stopped.Error()
		}
		r.mu.Unlock()
		out = append(out, st)
	}
	return out, nil
}

// WaitFor returns once every projector has applied the event at the global
// position, or ctx ends. In the process that runs the projectors it is woken
// by their progress; elsewhere (Start not called) it reads the checkpoints
// from the database every 20 ms.
func (r *Runner) WaitFor(ctx context.Context, position int64) error {
	return r.waitFor(ctx, position, nil)
}

// waitFor is WaitFor for the projectors named in only, or every projector
// when only is nil.
func (r *Runner) waitFor(ctx context.Context, position int64, only []string) error {
	if position <= 0 {
		return nil
	}
	var cursor eventstore.Cursor
	for {
		c, err := r.store.CursorOf(ctx, position)
		if err == nil {
			cursor = c
			break
		}
		if !errors.Is(err, eventstore.ErrEventNotFound) {
			return fmt.Errorf("projections: cursor of %d: %w", position, err)
		}
		// Not committed yet (or never): wait for the log to move.
		if !sleep(ctx, 10*time.Millisecond) {
			return ctx.Err()
		}
	}
	for {
		r.mu.Lock()
		local := r.started
		r.mu.Unlock()
		if !local {
			// Another process runs the projectors: read their checkpoints.
			for _, p := range r.projectors {
				if only != nil && !slices.Contains(only, p.Name()) {
					continue
				}
				cp, err := readCheckpointOf(ctx, r.pool, SchemaOf(p.Name()))
				if err != nil {
					return fmt.Errorf("projections: %s: %w", p.Name(), err)
				}
				r.advance(p.Name(), cp)
			}
		}
		r.mu.Lock()
		wake := r.progress
		passed := true
		var stopped error
		for name, s := range r.states {
			if only != nil && !slices.Contains(only, name) {
				continue
			}
			if s.applied.Less(cursor) {
				passed = false
				if s.stopped != nil {
					stopped = s.stopped
				}
			}
		}
		r.mu.Unlock()
		if passed {
			return nil
		}
		if stopped != nil {
			return stopped
		}
		if local {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !sleep(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
}
