package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Rome without relying on the host's zoneinfo

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
)

// rome is the time zone civil dates are in.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err) // time/tzdata is embedded: cannot happen
	}
	return loc
}()

// idNamespace derives event and entity ids from an idempotency key (uuid v5),
// so that a retried command proposes the very same events and the store
// treats their re-append as a no-op.
var idNamespace = uuid.MustParse("6f1d2b52-3c1e-5b8e-9a40-5e1b7a6c2d10")

// decide runs one command: the idempotency check, then attempts of fn until
// it succeeds, fails with something other than a concurrency conflict or
// runs out of retries, then the idempotency record.
func (h *Handler) decide(ctx context.Context, m Meta, name string, fn func(ctx context.Context, u *unit) (Result, error)) (Result, error) {
	if m.Now.IsZero() {
		m.Now = time.Now()
	}
	m.ActorCF = canonicalActor(m.ActorCF)
	who := m.ActorCF
	if m.OnBehalfOf != "" {
		// A delegate's key is theirs for that person: the same key sent for
		// two people is two requests.
		m.OnBehalfOf = canonicalActor(m.OnBehalfOf)
		who += ">" + m.OnBehalfOf
	}
	scope := who + ":" + name
	// A key belongs to its caller, across commands: the same key sent with
	// another command is a reuse (the request hash differs), not a new key.
	keyScope := who
	if stored, found, err := h.firstAnswer(ctx, keyScope, m); err != nil || found {
		if err != nil {
			return Result{}, err
		}
		var res Result
		if err := json.Unmarshal(stored, &res); err != nil {
			return Result{}, fmt.Errorf("commands: stored result: %w", err)
		}
		return res, nil
	}
	// A dry run has no commit to check a cached aggregate's version, so it
	// reads what the store holds now.
	trust := !m.dryRun
	for try := 0; ; try++ {
		// The first attempt decides on cached aggregates as they are, without
		// reading the store. Its commit checks their versions, so a stale one
		// fails it with a conflict; a refusal is not checked by any commit,
		// so it is decided again on what the store holds before it stands.
		res, trusted, err := h.attempt(ctx, m, scope, trust, fn)
		trust = false
		if trusted && err != nil && ctx.Err() == nil {
			try--
			continue
		}
		if errors.Is(err, eventstore.ErrConcurrency) && try < h.maxRetries {
			if err := pause(ctx, try); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if m.IdempotencyKey != "" && h.idempotency != nil && !m.dryRun {
			b, _ := json.Marshal(res)
			if err := h.idempotency.Save(ctx, keyScope, m.IdempotencyKey, m.RequestHash, b); err != nil {
				return Result{}, fmt.Errorf("commands: idempotency save: %w", err)
			}
		}
		return res, nil
	}
}

// canonicalActor is the actor as stored CFs and idempotency scopes spell
// it: a codice fiscale upper-case and trimmed, anything else as it is.
func canonicalActor(actor string) string {
	if cf, err := domain.ParseCF(actor); err == nil {
		return cf.String()
	}
	return actor
}

// firstAnswer looks up the answer stored under m's idempotency key in
// keyScope: found when there is one for the same request, an
// idempotency_key_reused refusal when the key was used with another.
func (h *Handler) firstAnswer(ctx context.Context, keyScope string, m Meta) ([]byte, bool, error) {
	if m.IdempotencyKey == "" || h.idempotency == nil {
		return nil, false, nil
	}
	stored, hash, found, err := h.idempotency.Lookup(ctx, keyScope, m.IdempotencyKey)
	if err != nil {
		return nil, false, fmt.Errorf("commands: idempotency lookup: %w", err)
	}
	if found && hash != m.RequestHash {
		return nil, false, domain.RuleError(domain.CodeIdempotencyKeyReused, "", "this Idempotency-Key was used with another request")
	}
	return stored, found, nil
}

// attempt runs fn once with a fresh unit and gives back, even on a panic,
// every aggregate it checked out of the cache. trusted reports whether fn
// decided on a cached aggregate without reading the store.
func (h *Handler) attempt(ctx context.Context, m Meta, scope string, trust bool, fn func(ctx context.Context, u *unit) (Result, error)) (res Result, trusted bool, err error) {
	u := &unit{h: h, m: m, today: domain.DateOf(m.Now, rome), ids: idSource{scope: scope, key: m.IdempotencyKey}, trustCache: trust}
	defer u.release()
	res, err = fn(ctx, u)
	return res, u.trusted, err
}

// pause waits a jittered, growing interval before a retry.
func pause(ctx context.Context, try int) error {
	ceiling := time.Millisecond << min(try, 6) // 1 ms … 64 ms
	t := time.NewTimer(rand.N(ceiling) + 100*time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// idSource hands out the ids of one attempt: time-ordered random ids (uuid
// v7), or ids derived from the idempotency key so that every attempt of one
// request proposes the same. Time order keeps the inserts of the store's
// event-id index, the locator streams and the read models' service keys at
// the right edge of their b-trees instead of on a random page each.
type idSource struct {
	scope, key string
	n          int
}

func (s *idSource) next() uuid.UUID {
	if s.key == "" {
		return uuid.Must(uuid.NewV7())
	}
	s.n++
	return uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "%s\x00%s\x00%d", s.scope, s.key, s.n))
}

// unit is one attempt of a command: the aggregates it loaded (checked out of
// the cache), the appends it proposes, and what to put back.
type unit struct {
	h       *Handler
	m       Meta
	today   domain.Date
	ids     idSource
	loaded  map[string]versionedApplier
	tokens  map[string]chan struct{} // cache check-outs to give back
	appends []eventstore.StreamAppend
	read    map[string]int64 // streams read without load, at the version read (readAt)
	// trustCache lets load take a cached aggregate without reading the
	// events after its version: commit then checks the version of every
	// loaded stream, so a stale one fails the append and the retry reads.
	trustCache bool
	trusted    bool // a load took a cached aggregate on trust
	scanning   bool // load skips the parties check (scanBooklet)
}

// versionedApplier is a folded aggregate. It names its parties, so that
// load can refuse an operator who is one of them.
type versionedApplier interface {
	Version() int64
	Apply(...domain.Recorded)
	domain.Party
}

// newID returns a fresh entity id (service, deposit, claim, refund, run).
func (u *unit) newID() string { return u.ids.next().String() }

// booklet loads the booklet of cf.
func (u *unit) booklet(ctx context.Context, cf domain.CF) (*domain.Booklet, error) {
	a, err := u.load(ctx, domain.BookletStream(cf.String()), func() versionedApplier { return domain.NewBooklet(cf) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Booklet), nil
}

// scanBooklet loads the booklet of cf to look at, not to act on: it does not
// check the operator against its parties. A payroll run scans every booklet
// that may hold unpaid services and acts only on those it pays; it must
// check the parties of what it pays itself (actOn).
func (u *unit) scanBooklet(ctx context.Context, cf domain.CF) (*domain.Booklet, error) {
	u.scanning = true
	defer func() { u.scanning = false }()
	return u.booklet(ctx, cf)
}

// worker loads the worker of cf.
func (u *unit) worker(ctx context.Context, cf domain.CF) (*domain.Worker, error) {
	a, err := u.load(ctx, domain.WorkerStream(cf.String()), func() versionedApplier { return domain.NewWorker(cf) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Worker), nil
}

// notice loads the notice of number (it may not be issued yet).
func (u *unit) notice(ctx context.Context, number domain.NoticeNumber) (*domain.Notice, error) {
	a, err := u.load(ctx, domain.NoticeStream(number.String()), func() versionedApplier { return domain.NewNotice(number) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Notice), nil
}

// claim loads claim id; NotFound when it does not exist.
func (u *unit) claim(ctx context.Context, id string) (*domain.Claim, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, domain.NotFoundError("no such claim")
	}
	a, err := u.load(ctx, domain.ClaimStream(id), func() versionedApplier { return domain.NewClaim(id) })
	if err != nil {
		return nil, err
	}
	c := a.(*domain.Claim)
	if !c.Exists() {
		return nil, domain.NotFoundError("no such claim")
	}
	return c, nil
}

// heirClaim loads a claim the access table lets the actor do a on (its
// heir); another person's claim is NotFound, so that its existence is not
// revealed.
func (u *unit) heirClaim(ctx context.Context, a access.Action, id string) (*domain.Claim, error) {
	c, err := u.claim(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := u.mayAct(a, access.Parties{Heir: c.HeirCF()}, "no such claim"); err != nil {
		return nil, err
	}
	return c, nil
}

// mayAct asks the access table, the one the HTTP layers ask, whether the
// actor under the command's role may do a on data of parties, as the event
// store has them (a read model may lag). Any refusal is NotFound named
// what: the HTTP layers refused the roles the table does not allow before
// the command ran, so what remains is data that is not the actor's.
func (u *unit) mayAct(a access.Action, p access.Parties, what string) error {
	rel := access.RelationFor(a, access.Caller{Subject: u.m.ActorCF, OnBehalfOf: u.m.OnBehalfOf, Scopes: u.m.Scopes}, p)
	if out, _ := access.Decide(a, []access.Role{access.Role(u.m.Role)}, rel); out != access.Allowed {
		return domain.NotFoundError(what)
	}
	return nil
}

// deceasedBooklet loads the booklet of a claim's deceased.
func (u *unit) deceasedBooklet(ctx context.Context, cl *domain.Claim) (domain.CF, *domain.Booklet, error) {
	deceased, err := storedCF(cl.DeceasedCF())
	if err != nil {
		return domain.CF{}, nil, err
	}
	b, err := u.booklet(ctx, deceased)
	if err != nil {
		return domain.CF{}, nil, err
	}
	return deceased, b, nil
}

// recordedService loads the booklet a located service is on, the service's
// record and its worker; NotFound when the booklet does not hold it.
func (u *unit) recordedService(ctx context.Context, loc domain.ServiceLocated) (*domain.Booklet, domain.ServiceRecorded, error) {
	userCF, err := storedCF(loc.UserCF)
	if err != nil {
		return nil, domain.ServiceRecorded{}, err
	}
	b, err := u.booklet(ctx, userCF)
	if err != nil {
		return nil, domain.ServiceRecorded{}, err
	}
	rec, _, ok := b.Service(loc.ServiceID)
	if !ok {
		return nil, domain.ServiceRecorded{}, domain.NotFoundError("no such service")
	}
	workerCF, err := storedCF(rec.WorkerCF)
	if err != nil {
		return nil, domain.ServiceRecorded{}, err
	}
	if _, err := u.worker(ctx, workerCF); err != nil {
		return nil, domain.ServiceRecorded{}, err
	}
	return b, rec, nil
}

// load returns the aggregate of stream, from the cache when possible, folded
// up to the stream's current version.
func (u *unit) load(ctx context.Context, stream string, fresh func() versionedApplier) (versionedApplier, error) {
	if a, ok := u.loaded[stream]; ok {
		return a, nil
	}
	var agg versionedApplier
	v, token := u.h.states.take(ctx, stream)
	if v != nil {
		agg = v.(versionedApplier)
	} else {
		agg = fresh()
	}
	if u.loaded == nil {
		u.loaded = map[string]versionedApplier{}
		u.tokens = map[string]chan struct{}{}
	}
	u.loaded[stream] = agg
	u.tokens[stream] = token
	if v != nil && u.trustCache {
		u.trusted = true
	} else {
		events, err := u.h.store.ReadStream(ctx, stream, eventstore.ReadOptions{From: agg.Version() + 1})
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, fmt.Errorf("commands: read %s: %w", stream, err)
		}
		applyStored(agg, events)
	}
	if u.scanning {
		return agg, nil
	}
	return agg, u.actOn(agg)
}

// actOn refuses an operator who is a party to agg (SPEC §8, conflict of
// interest). Every aggregate a command loads is checked, so a new operator
// command cannot forget it; the actor's CF is what counts, so a person
// holding both citizen and operator is one person. A citizen acts on their
// own data, an auditor never writes and the system role is not a person:
// only the operator role is checked. A refusal decided on a cached
// aggregate is decided again on the store (decide), like any other.
func (u *unit) actOn(agg domain.Party) error {
	if u.m.Role != RoleOperator {
		return nil
	}
	return domain.CheckNoConflict(u.m.ActorCF, agg.Parties()...)
}

// applyStored decodes stored events and folds them into agg. An event the
// domain cannot decode (a newer writer's type) still advances the version.
func applyStored(agg versionedApplier, events []eventstore.Event) {
	for _, e := range events {
		data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			data = nil
		}
		agg.Apply(domain.Recorded{ID: e.ID, Version: e.Version, At: e.OccurredAt, Data: data})
	}
}

// expect is the expectation matching an aggregate folded to version.
func expect(version int64) eventstore.ExpectedVersion {
	if version == 0 {
		return eventstore.NoStream
	}
	return eventstore.Exact(version)
}

// add proposes events for stream at the expected version; nothing when the
// aggregate decided no event for it.
func (u *unit) add(stream string, expected eventstore.ExpectedVersion, events []domain.Pending) error {
	if len(events) == 0 {
		return nil
	}
	a := eventstore.StreamAppend{Stream: stream, Expected: expected, Events: make([]eventstore.EventData, len(events))}
	var undo []eventstore.EventData
	for i, p := range events {
		id := p.ID // chosen by the decision when other events name it
		if id == uuid.Nil {
			id = u.ids.next()
		}
		e, err := u.encode(p.Data, id, p.Causation)
		if err != nil {
			return err
		}
		a.Events[i] = e
		// A store that cannot append to several streams at once writes
		// reservations first and undoes them if the rest fails; it can only
		// when every event of the stream has its undo.
		if r, ok := p.Data.(domain.Reservation); ok && len(undo) == i {
			if e, err = u.encode(r.Undo(), uuid.NewSHA1(idNamespace, append([]byte("undo\x00"), id[:]...)), id); err != nil {
				return err
			}
			undo = append(undo, e)
		}
	}
	if len(undo) == len(events) {
		a.Compensations = undo
	}
	u.appends = append(u.appends, a)
	return nil
}

// encode is an event as the store takes it, with the command's envelope.
func (u *unit) encode(data domain.Event, id, causation uuid.UUID) (eventstore.EventData, error) {
	raw, err := domain.Encode(data)
	if err != nil {
		return eventstore.EventData{}, err
	}
	return eventstore.EventData{
		ID:            id,
		Type:          data.EventType(),
		SchemaVersion: domain.SchemaVersion,
		Data:          raw,
		OccurredAt:    u.m.Now,
		Actor:         eventstore.Actor{ID: u.m.ActorCF, Role: string(u.m.Role), OnBehalfOf: u.m.OnBehalfOf},
		CorrelationID: u.m.CorrelationID,
		CausationID:   causation,
	}, nil
}

// apply appends decision d in one atomic append (commit) and returns the
// global position of its last event; it is the one way a command writes. A
// stream the command loaded is expected at the version it folded, one it
// read otherwise (readAt: a family) at the version it read, and any other
// must not exist yet (a new claim, a locator, a payroll run).
func (u *unit) apply(ctx context.Context, d domain.Decision) (int64, error) {
	for _, c := range d.Changes {
		expected := eventstore.NoStream
		if a, ok := u.loaded[c.Stream]; ok {
			expected = expect(a.Version())
		} else if v, ok := u.read[c.Stream]; ok {
			expected = expect(v)
		}
		if err := u.add(c.Stream, expected, c.Events); err != nil {
			return 0, err
		}
	}
	return u.commit(ctx)
}

// readAt records that the command read stream, outside load, up to
// version: apply expects it there.
func (u *unit) readAt(stream string, version int64) {
	if u.read == nil {
		u.read = map[string]int64{}
	}
	u.read[stream] = version
}

// commit appends every proposal atomically and returns the global position
// of the last event. The loaded aggregates are folded forward with what was
// stored, so the cache holds them at their new versions.
func (u *unit) commit(ctx context.Context) (int64, error) {
	if u.m.dryRun {
		// Check: the command has decided and its events are encoded (add
		// refuses what the store could not hold); nothing is appended.
		return 0, nil
	}
	u.checkUnwritten()
	u.markDecider()
	stored, err := u.h.store.Append(ctx, u.appends...)
	if err != nil {
		if errors.Is(err, eventstore.ErrConcurrency) {
			return 0, err
		}
		return 0, fmt.Errorf("commands: append: %w", err)
	}
	var pos int64
	byStream := map[string][]eventstore.Event{}
	for _, e := range stored {
		pos = max(pos, e.Position)
		byStream[e.Stream] = append(byStream[e.Stream], e)
	}
	for stream, events := range byStream {
		if a, ok := u.loaded[stream]; ok && len(events) > 0 && events[0].Version == a.Version()+1 {
			applyStored(a, events)
		}
	}
	return pos, nil
}

// checkUnwritten adds, for every loaded stream the command does not write,
// an append of no events that only checks the version it was folded to: the
// decision then rests on state that was still current when it committed.
func (u *unit) checkUnwritten() {
	written := make(map[string]bool, len(u.appends))
	for _, a := range u.appends {
		written[a.Stream] = true
	}
	for stream, a := range u.loaded {
		if !written[stream] {
			u.appends = append(u.appends, eventstore.StreamAppend{Stream: stream, Expected: expect(a.Version())})
		}
	}
}

// markDecider marks the first booklet's append as the one the decision
// rests on: a booklet's rules (balance, the user's caps) are what a command
// is about. Only a store without multi-stream transactions heeds it
// (eventstore.StreamAppend.Decides).
func (u *unit) markDecider() {
	for i, a := range u.appends {
		if _, ok := u.loaded[a.Stream].(*domain.Booklet); ok && len(a.Events) > 0 && len(a.Compensations) == 0 {
			u.appends[i].Decides = true
			return
		}
	}
}

// release puts every loaded aggregate back into the cache.
func (u *unit) release() {
	for stream, a := range u.loaded {
		u.h.states.put(stream, a, u.tokens[stream])
	}
}

// locateService reads the locator of a service id.
func (u *unit) locateService(ctx context.Context, id string) (domain.ServiceLocated, error) {
	loc, err := readLocator[domain.ServiceLocated](ctx, u, domain.ServiceLocator(id))
	if err == nil && loc.ServiceID != id {
		err = domain.NotFoundError("no such service")
	}
	return loc, err
}

// locateRefund reads the locator of a refund id.
func (u *unit) locateRefund(ctx context.Context, id string) (domain.RefundLocated, error) {
	loc, err := readLocator[domain.RefundLocated](ctx, u, domain.RefundLocator(id))
	if err == nil && loc.RefundID != id {
		err = domain.NotFoundError("no such refund")
	}
	return loc, err
}

// refundAggregates loads the claim and the booklet of a refund id.
func (u *unit) refundAggregates(ctx context.Context, refundID string) (*domain.Claim, *domain.Booklet, error) {
	loc, err := u.locateRefund(ctx, refundID)
	if err != nil {
		return nil, nil, err
	}
	cl, err := u.claim(ctx, loc.ClaimID)
	if err != nil {
		return nil, nil, err
	}
	_, b, err := u.deceasedBooklet(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	return cl, b, nil
}

// locateDeposit reads the locator of a deposit id.
func (u *unit) locateDeposit(ctx context.Context, id string) (domain.DepositLocated, error) {
	if _, err := uuid.Parse(id); err != nil {
		return domain.DepositLocated{}, domain.NotFoundError("no such deposit")
	}
	loc, err := readLocator[domain.DepositLocated](ctx, u, domain.DepositLocator(id))
	if err == nil && loc.DepositID != id {
		err = domain.NotFoundError("no such deposit")
	}
	return loc, err
}

// readLocator reads the one event of a locator stream; NotFound when the
// stream is absent.
func readLocator[T domain.Event](ctx context.Context, u *unit, stream string) (T, error) {
	var loc T
	events, err := u.h.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(events) == 0) {
		kind, _, _ := strings.Cut(stream, "-") // "service-<id>" says "no such service"
		return loc, domain.NotFoundError("no such " + kind)
	}
	if err != nil {
		return loc, fmt.Errorf("commands: read %s: %w", stream, err)
	}
	return firstOf[T](stream, events)
}

// firstOf decodes the first of a stream's events, which must be a T.
func firstOf[T domain.Event](stream string, events []eventstore.Event) (T, error) {
	var v T
	data, err := domain.Decode(events[0].Type, events[0].SchemaVersion, events[0].Data)
	if err != nil {
		return v, fmt.Errorf("commands: decode %s: %w", stream, err)
	}
	v, ok := data.(T)
	if !ok {
		return v, fmt.Errorf("commands: %s begins with %s, not %s", stream, events[0].Type, v.EventType())
	}
	return v, nil
}

// actorCF parses the codice fiscale of the person the command acts for
// (invalid_cf on field): the actor's own, or under a delegation the
// person's they act for.
func (u *unit) actorCF(field string) (domain.CF, error) {
	person := u.m.ActorCF
	if u.m.OnBehalfOf != "" {
		person = u.m.OnBehalfOf
	}
	cf, err := domain.ParseCF(person)
	if err != nil {
		err.(*domain.Error).Field = field
		return domain.CF{}, err
	}
	return cf, nil
}

// parseCF parses a CF of the request (invalid_cf on field).
func parseCF(s, field string) (domain.CF, error) {
	cf, err := domain.ParseCF(s)
	if err != nil {
		err.(*domain.Error).Field = field
		return domain.CF{}, err
	}
	return cf, nil
}

// storedCF parses a CF read back from an event, which was valid when written.
func storedCF(s string) (domain.CF, error) {
	cf, err := domain.ParseCF(s)
	if err != nil {
		return domain.CF{}, fmt.Errorf("commands: stored codice fiscale %q: %w", s, err)
	}
	return cf, nil
}

// replayed reports, for a command with an idempotency key, whether the
// stream its first attempt created already exists: the append happened but
// its result was never saved (a crash in between). It returns the stream's
// events so the command can rebuild its first result instead of deciding
// again on a state that already holds its own effect.
func (u *unit) replayed(ctx context.Context, stream string) ([]eventstore.Event, bool, error) {
	if u.m.IdempotencyKey == "" {
		return nil, false, nil
	}
	events, err := u.h.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(events) == 0) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("commands: read %s: %w", stream, err)
	}
	return events, true, nil
}

// lastPosition is the global position of the last of events (0 for none).
func lastPosition(events []eventstore.Event) int64 {
	var pos int64
	for _, e := range events {
		pos = max(pos, e.Position)
	}
	return pos
}
