package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/inps/libretto/eventstore"
)

// errRaced means another transaction stored one of an append's event ids
// between the check and the insert: trying again turns it into a clean
// repeat or a duplicate.
var errRaced = errors.New("eventstore: raced on an event id")

// errUnchecked means an append failed an expectation before its event ids
// were looked up: it may be the repeat of an append that was stored (the
// stream moved by its own events), which only the lookup can tell.
var errUnchecked = errors.New("eventstore: expectation failed before the ids were checked")

// request is one Append: what to write and, once committed, what it got.
type request struct {
	ctx     context.Context
	appends []eventstore.StreamAppend
	n       int // events
	// checkIDs looks the append's event ids up before deciding. A first try
	// does not (an id lookup was a fifth of PostgreSQL's time per append):
	// the unique index on event_id still refuses a stored id, and a refused
	// or failed first try is tried again with the lookup.
	checkIDs bool
	out      []eventstore.Event
	err      error
	done     chan struct{} // closed when out or err is set (group commit)
}

// Append implements eventstore.Store in one transaction and two round trips:
// BEGIN, the streams' locks, their heads and, on a retry, the known event
// ids (see request.checkIDs); then the insert and COMMIT (with the notification riding along, see queueNotify).
// With WithGroupCommit, concurrent appends share that transaction.
func (s *Store) Append(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	n, err := eventstore.Validate(appends)
	if err != nil {
		return nil, err
	}
	if len(appends) == 0 {
		return nil, nil
	}
	checkIDs := false
	for attempt := 0; ; attempt++ {
		r := &request{ctx: ctx, appends: appends, n: n, checkIDs: checkIDs}
		if s.group != nil {
			r.done = make(chan struct{})
			s.group.enqueue(s, r)
			select {
			case <-r.done:
			case <-ctx.Done():
				// The append may still be committed by its group: retrying
				// it with the same event ids is safe.
				return nil, ctx.Err()
			}
		} else {
			s.commit(ctx, []*request{r})
		}
		if errors.Is(r.err, errUnchecked) {
			checkIDs = true
			attempt--
			continue
		}
		if errors.Is(r.err, errRaced) && attempt < 2 {
			checkIDs = true
			continue
		}
		return r.out, r.err
	}
}

// pgUUID passes id as the 16 bytes it is: a uuid.UUID goes through its
// driver.Valuer, a string PostgreSQL parses back (a twentieth of an append's
// CPU in a profile of make bench).
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

type head struct {
	version int64
	hash    []byte
}

// commit writes reqs in one transaction, setting each request's out or err.
// A request that cannot be written (a failed expectation, a duplicate) fails
// alone; if the transaction fails as a whole, a group is retried one request
// at a time so that only the culprit fails.
func (s *Store) commit(ctx context.Context, reqs []*request) {
	if s.commitOnce(ctx, reqs) {
		for _, r := range reqs {
			r.out, r.err = nil, nil
			s.commitOnce(ctx, []*request{r})
		}
	}
}

// commitOnce is commit without the retry; it returns true when a group's
// transaction failed as a whole and its requests must be retried alone.
func (s *Store) commitOnce(ctx context.Context, reqs []*request) (retry bool) {
	fail := func(err error) {
		for _, r := range reqs {
			r.err = err
		}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		fail(fmt.Errorf("eventstore append: %w", err))
		return false
	}
	defer conn.Release()
	defer rollback(ctx, conn) // a no-op unless a statement failed inside a transaction

	var streams []string
	var ids []pgtype.UUID
	for _, r := range reqs {
		for _, a := range r.appends {
			streams = append(streams, a.Stream)
			if !r.checkIDs {
				continue
			}
			for _, e := range a.Events {
				ids = append(ids, pgUUID(e.ID))
			}
		}
	}
	slices.Sort(streams)
	streams = slices.Compact(streams)

	// Round trip 1: lock, then read heads (and known ids on a retry). Nothing is written
	// yet, so the transaction has no id until the locks are held.
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(lockStreams, streams)
	b.Queue(heads, streams)
	if len(ids) > 0 {
		b.Queue(existing, ids)
	}
	br := conn.SendBatch(ctx, &b)
	current := make(map[string]head, len(streams))
	var known map[uuid.UUID]eventstore.Event
	err = func() error {
		defer br.Close()
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var stream string
			var version *int64
			var h head
			if err := rows.Scan(&stream, &version, &h.hash); err != nil {
				return err
			}
			if version != nil {
				h.version = *version
			}
			current[stream] = h
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		rows, err = br.Query()
		if err != nil {
			return err
		}
		stored, err := collectEvents(rows, 0)
		if len(stored) > 0 {
			known = make(map[uuid.UUID]eventstore.Event, len(stored))
			for _, e := range stored {
				known[e.ID] = e
			}
		}
		return err
	}()
	if err != nil {
		fail(fmt.Errorf("eventstore append: %w", err))
		return false
	}

	// Decide each request in order against the heads as the earlier ones
	// leave them, as if they had run one after the other.
	recorded := s.now().UTC().Truncate(time.Microsecond)
	var accepted []*request
	var pending map[uuid.UUID]bool // ids written by earlier requests of this group
	if len(reqs) > 1 {
		pending = map[uuid.UUID]bool{}
	}
	total := 0
	for _, r := range reqs {
		if r.decide(current, known, pending, recorded) {
			accepted = append(accepted, r)
			total += r.n
		}
	}
	if len(accepted) == 0 {
		return false
	}

	// Round trip 2: insert, commit, notify.
	b = pgx.Batch{}
	var rows []*eventstore.Event
	for _, r := range accepted {
		for i := range r.out {
			rows = append(rows, &r.out[i])
		}
	}
	b.Queue(insertEvents, insertArgs(rows)...)
	b.Queue("COMMIT")
	queueNotify(&b)
	br = conn.SendBatch(ctx, &b)
	committed := false
	err = func() error {
		defer br.Close()
		res, err := br.Query()
		if err != nil {
			return err
		}
		i := 0
		for res.Next() {
			var xid uint64
			if i == len(rows) {
				res.Close()
				return errors.New("eventstore append: more rows inserted than events")
			}
			e := rows[i]
			if err := res.Scan(&e.Position, &xid); err != nil {
				res.Close()
				return err
			}
			e.Cursor = eventstore.Cursor{Major: xid, Minor: uint64(e.Position)}
			i++
		}
		if err := res.Err(); err != nil {
			return err
		}
		if i != len(rows) { // an INSERT returns one row per event: never seen, but not assumed
			return fmt.Errorf("eventstore append: %d rows inserted for %d events", i, len(rows))
		}
		if _, err := br.Exec(); err != nil { // COMMIT
			return err
		}
		committed = true
		return notified(br)
	}()
	if committed {
		// The events are stored; a lost notification only delays
		// subscribers until their next poll.
		s.recent.add(rows)
		return false
	}
	if len(reqs) > 1 {
		return true
	}
	r := accepted[0]
	r.out = nil
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
		r.err = errRaced
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		r.err = fmt.Errorf("%w: %s", eventstore.ErrConcurrency, pgErr.Detail)
	default:
		r.err = fmt.Errorf("eventstore append: %w", err)
	}
	return false
}

// decide checks r against the stream heads and the stored ids. It sets r.out
// to the stored events for a clean repeat, r.err for a refusal, and returns
// true with r.out ready to insert (heads advanced) when r is to be written.
func (r *request) decide(current map[string]head, known map[uuid.UUID]eventstore.Event, pending map[uuid.UUID]bool, recorded time.Time) bool {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	nKnown := 0
	for _, a := range r.appends {
		for _, e := range a.Events {
			if _, ok := known[e.ID]; ok {
				nKnown++
			}
			if pending[e.ID] {
				r.err = errRaced // its twin is in this group: decide again after it
				return false
			}
		}
	}
	if nKnown > 0 {
		if nKnown < r.n {
			r.err = eventstore.ErrDuplicateEvent
			return false
		}
		r.out = make([]eventstore.Event, 0, r.n)
		for _, a := range r.appends {
			for _, e := range a.Events {
				r.out = append(r.out, known[e.ID])
			}
		}
		return false
	}
	for _, a := range r.appends {
		if v := current[a.Stream].version; !a.Expected.Check(v) {
			if !r.checkIDs && r.n > 0 {
				r.err = errUnchecked
				return false
			}
			r.err = fmt.Errorf("%w: stream %s is at version %d, expected %s", eventstore.ErrConcurrency, a.Stream, v, a.Expected)
			return false
		}
	}
	r.out = make([]eventstore.Event, 0, r.n)
	for _, a := range r.appends {
		h := current[a.Stream]
		for _, d := range a.Events {
			h.version++
			e := eventstore.Event{EventData: normalize(d), Stream: a.Stream, Version: h.version, RecordedAt: recorded}
			e.Hash = eventstore.ChainHash(h.hash, e)
			h.hash = e.Hash
			r.out = append(r.out, e)
			if pending != nil {
				pending[d.ID] = true
			}
		}
		current[a.Stream] = h
	}
	return true
}

// WithGroupCommit makes concurrent appends share transactions: an append
// joins a queue, and up to committers goroutines at a time each take what is
// queued (up to maxGroupEvents events) and write it in one transaction, one
// WAL flush for the lot. Each append's expectations are still checked one by
// one, in queue order, and an append that fails fails alone. committers <= 0
// means 2: groups that share streams wait for each other's locks anyway, so
// more committers mostly make smaller groups.
func WithGroupCommit(committers int) Option {
	if committers <= 0 {
		committers = 2
	}
	return func(s *Store) { s.group = &group{maxCommitters: committers} }
}

// maxGroupEvents bounds the events of one group transaction.
const maxGroupEvents = 2000

type group struct {
	maxCommitters int

	mu         sync.Mutex
	queue      []*request
	committers int
}

// enqueue queues r and starts a committer if fewer than the maximum run.
// Committers exit when the queue is empty, so an idle store runs none.
func (g *group) enqueue(s *Store, r *request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.queue = append(g.queue, r)
	if g.committers < g.maxCommitters {
		g.committers++
		go g.run(s)
	}
}

func (g *group) run(s *Store) {
	for {
		g.mu.Lock()
		k, events := 0, 0
		for k < len(g.queue) && (k == 0 || events+g.queue[k].n <= maxGroupEvents) {
			events += g.queue[k].n
			k++
		}
		if k == 0 {
			g.committers--
			g.mu.Unlock()
			return
		}
		batch := slices.Clone(g.queue[:k])
		g.queue = slices.Delete(g.queue, 0, k)
		g.mu.Unlock()

		// The group outlives any one caller's context; each request's own
		// context is checked before it is decided.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), time.Minute)
		s.commit(ctx, batch)
		cancel()
		for _, r := range batch {
			close(r.done)
		}
	}
}

// queueNotify queues the notification of subscribers in a transaction of its
// own, after the append's COMMIT and in the same round trip.
//
// NOTIFY serialises the commits of notifying transactions: from its
// pre-commit step to the end of the transaction it holds one lock per
// database, so a notifying append would hold it across its WAL flush and
// appends would flush one at a time. The notification's own transaction
// holds no data and commits with synchronous_commit off: it keeps the lock
// for microseconds, and the appends' commits share WAL flushes again. Losing
// it in a crash loses nothing (subscribers poll after a restart anyway).
func queueNotify(b *pgx.Batch) {
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit TO off")
	b.Queue(notify)
	b.Queue("COMMIT")
}

// notified reads the results of queueNotify's statements.
func notified(br pgx.BatchResults) error {
	for range 4 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}
