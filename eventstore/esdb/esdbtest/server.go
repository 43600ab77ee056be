// Package esdbtest is a protocol test double of EventStoreDB: an in-process
// gRPC server that speaks the part of the EventStoreDB streams API that
// package esdb uses (Streams.Append, Streams.Read of a stream and of $all,
// catch-up subscriptions to $all, ServerFeatures.GetSupportedMethods), built
// from the client module's own generated protos.
//
// It is not EventStoreDB. It exists because CI machines have no server, and
// it follows the server's documented behaviour closely enough that a wrong
// mapping in the adapter fails a test:
//
//   - Expected revisions: NoStream, Any, StreamExists and an exact revision
//     (0-based: a stream with one event is at revision 0). A failed
//     expectation is a WrongExpectedVersion result carrying the stream's
//     current revision (or no-stream). Repeating an append whose event ids
//     are already at the expected place is idempotent, as on the server.
//   - Positions: every event is self-committed (commit == prepare == its
//     log position, a byte offset), positions grow but are not dense, and
//     the log starts with system events ($-prefixed streams and types), as a
//     fresh server's does.
//   - Reads of $all forward from a position include the event at that
//     position; backward reads exclude it.
//   - Subscriptions to $all: a confirmation first; from a position, the
//     first event at or after it is skipped (the server subscribes after
//     it); then catch-up, a CaughtUp message, live events; filters on event
//     type or stream name, with checkpoints every window × multiplier
//     considered events.
//
// Gossip answers with one alive leader (the double itself), so that the
// client's cluster discovery (esdb+discover://, several hosts) works.
// Persistent subscriptions, stream subscriptions, deletes, batch appends and
// projections are not implemented (Unimplemented), because the adapter does
// not use them.
package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// firstPosition is where the double's log begins, like the header of a
// server's first chunk: no event has position 0.
const firstPosition = 4096

// record is one stored event.
type record struct {
	stream      string
	revision    uint64
	id          uuid.UUID
	typ         string
	contentType string
	data        []byte
	meta        []byte
	created     int64 // .NET ticks (100 ns) since the Unix epoch
	pos         uint64
}

// Server is a running protocol test double. Its zero value is not usable:
// call Start or NewServer.
type Server struct {
	api.UnimplementedStreamsServer

	mu       sync.Mutex
	log      []record
	streams  map[string][]int // stream -> indexes into log, by revision
	next     uint64           // log position of the next record
	wake     chan struct{}    // closed and replaced on every write
	appends  int
	sysEvery int // write a system event after every sysEvery appends (0: never)

	grpc    *grpc.Server
	lis     net.Listener
	members *members
	drop    chan struct{} // closed and replaced by DropSubscriptions
	stop    chan struct{}
	once    sync.Once
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := NewServer()
	if err != nil {
		t.Fatalf("esdbtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Option changes how NewServer starts.
type Option func(*options)

type options struct{ noSystemEvents bool }

// WithoutSystemEvents starts with an empty log, so that the first event
// appended is the log's first record (a fresh server writes its own events
// first; this one by default does too).
func WithoutSystemEvents() Option { return func(o *options) { o.noSystemEvents = true } }

// NewServer starts a server on a loopback port.
func NewServer(opts ...Option) (*Server, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{
		streams: map[string][]int{},
		next:    firstPosition,
		wake:    make(chan struct{}),
		lis:     lis,
		stop:    make(chan struct{}),
		drop:    make(chan struct{}),
	}
	// A fresh server writes its own events first: default users and the
	// scavenge stream's metadata. The adapter must never show them.
	now := time.Now()
	if !o.noSystemEvents {
		s.writeSystemEventsLocked(now)
	}

	s.grpc = grpc.NewServer()
	api.RegisterStreamsServer(s.grpc, s)
	serverfeatures.RegisterServerFeaturesServer(s.grpc, features{})
	s.members = &members{addr: lis.Addr().(*net.TCPAddr)}
	gossip.RegisterGossipServer(s.grpc, s.members)
	go func() { _ = s.grpc.Serve(lis) }()
	return s, nil
}

func (s *Server) writeSystemEventsLocked(now time.Time) {
	s.writeLocked("$users", "$User", []byte(`{"loginName":"admin"}`), nil, now)
	s.writeLocked("$user-admin", "$UserCreated", []byte(`{"loginName":"admin"}`), nil, now)
	s.writeLocked("$$$scavenges", "$metadata", []byte(`{"$maxAge":2592000}`), nil, now)
}

// DropSubscriptions ends every running subscription with Unavailable, as a
// node that restarts or loses leadership does.
func (s *Server) DropSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.drop)
	s.drop = make(chan struct{})
}

// URL is the connection string the v4 client needs to reach the server.
func (s *Server) URL() string {
	return "esdb://" + s.lis.Addr().String() + "?tls=false"
}

// Close stops the server and ends every subscription.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		s.grpc.Stop()
	})
}

// WriteSystemEventEvery makes the server write a system event ($statsCollected
// on a $stats- stream, as a real node does periodically) after every n
// appends, so that system events interleave with the adapter's own.
func (s *Server) WriteSystemEventEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sysEvery = n
}

// WriteSystemEvent writes one system event now.
func (s *Server) WriteSystemEvent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{"proc-cpu":1}`), nil, time.Now())
	s.notifyLocked()
}

// Events is the number of records in the log, system events included.
func (s *Server) Events() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// Tamper replaces the data of the event at revision rev of stream, as an
// attacker with disk access could; it reports whether the event exists.
func (s *Server) Tamper(stream string, rev uint64, data []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[stream]
	if rev >= uint64(len(idx)) {
		return false
	}
	s.log[idx[rev]].data = append([]byte(nil), data...)
	return true
}

// writeLocked appends one record; s.mu must be held.
func (s *Server) writeLocked(stream, typ string, data, meta []byte, now time.Time) record {
	idx := s.streams[stream]
	r := record{
		stream:      stream,
		revision:    uint64(len(idx)),
		id:          uuid.New(),
		typ:         typ,
		contentType: "application/json",
		data:        data,
		meta:        meta,
		created:     now.UnixNano() / 100,
		pos:         s.next,
	}
	s.add(r)
	return r
}

// add stores r at s.next and moves s.next past it by a size that depends on
// its content, so positions are byte offsets, not counters.
func (s *Server) add(r record) {
	r.pos = s.next
	s.log = append(s.log, r)
	s.streams[r.stream] = append(s.streams[r.stream], len(s.log)-1)
	s.next += uint64(64 + len(r.stream) + len(r.typ) + len(r.data) + len(r.meta))
}

func (s *Server) notifyLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// currentLocked is the stream's current revision; ok is false when the
// stream has no events.
func (s *Server) currentLocked(stream string) (rev uint64, ok bool) {
	idx := s.streams[stream]
	if len(idx) == 0 {
		return 0, false
	}
	return uint64(len(idx) - 1), true
}

// Append implements the Streams.Append RPC: an options message, then the
// proposed events, then one response.
func (s *Server) Append(srv api.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil || opts.GetStreamIdentifier() == nil {
		return status.Error(codes.InvalidArgument, "append: the first message must carry the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return status.Error(codes.InvalidArgument, "append: empty stream name")
	}
	var proposed []record
	for {
		msg, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := msg.GetProposedMessage()
		if p == nil {
			return status.Error(codes.InvalidArgument, "append: options sent twice")
		}
		id, err := fromProtoUUID(p.GetId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "append: event id: %v", err)
		}
		typ, ok := p.GetMetadata()["type"]
		if !ok || typ == "" {
			return status.Error(codes.InvalidArgument, "append: metadata has no type")
		}
		ct, ok := p.GetMetadata()["content-type"]
		if !ok {
			return status.Error(codes.InvalidArgument, "append: metadata has no content-type")
		}
		proposed = append(proposed, record{
			stream:      stream,
			id:          id,
			typ:         typ,
			contentType: ct,
			data:        append([]byte(nil), p.GetData()...),
			meta:        append([]byte(nil), p.GetCustomMetadata()...),
		})
	}
	resp := s.append(stream, opts, proposed, time.Now())
	return srv.SendAndClose(resp)
}

// append decides and writes one append under the lock.
func (s *Server) append(stream string, opts *api.AppendReq_Options, proposed []record, now time.Time) *api.AppendResp {
	s.mu.Lock()
	defer s.mu.Unlock()

	current, exists := s.currentLocked(stream)
	ok := false
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any:
		ok = true
	case *api.AppendReq_Options_NoStream:
		ok = !exists
	case *api.AppendReq_Options_StreamExists:
		ok = exists
	case *api.AppendReq_Options_Revision:
		ok = exists && current == e.Revision
	default:
		ok = false
	}

	anyLike := false
	switch opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any, *api.AppendReq_Options_StreamExists:
		anyLike = true
	}
	seen := len(proposed) > 0 && s.seenLocked(stream, proposed[0].id)
	if !ok || (anyLike && seen) {
		// The server first checks whether these events were written
		// before at the place the expectation points to (for Any: where
		// the first id is): a repeat is idempotent and writes nothing; a
		// partial repeat is a wrong expected version.
		from := expectedStart(opts)
		if first, last, same := s.repeatLocked(stream, from, proposed); same {
			return successResp(last, s.log[s.streams[stream][first]].pos, s.log[s.streams[stream][last]].pos)
		}
		return wrongExpectedVersion(opts, current, exists)
	}

	if len(proposed) == 0 {
		if !exists {
			return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
				CurrentRevisionOption: &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}},
				PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
			}}}
		}
		return successResp(current, s.log[len(s.log)-1].pos, s.log[len(s.log)-1].pos)
	}

	var firstPos, lastPos uint64
	for i, r := range proposed {
		idx := s.streams[stream]
		r.revision = uint64(len(idx))
		r.created = now.UnixNano() / 100
		s.add(r)
		if i == 0 {
			firstPos = s.log[len(s.log)-1].pos
		}
		lastPos = s.log[len(s.log)-1].pos
	}
	last, _ := s.currentLocked(stream)
	s.appends++
	if s.sysEvery > 0 && s.appends%s.sysEvery == 0 {
		s.writeLocked("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{"proc-cpu":1}`), nil, now)
	}
	s.notifyLocked()
	// The server reports the commit position of the write (its last
	// record) and the prepare position where the transaction began.
	return successResp(last, firstPos, lastPos)
}

// seenLocked reports whether id is stored in stream, which is where the
// server's idempotency check for expected version Any looks.
func (s *Server) seenLocked(stream string, id uuid.UUID) bool {
	for _, i := range s.streams[stream] {
		if s.log[i].id == id {
			return true
		}
	}
	return false
}

// expectedStart is the revision at which the append's first event would be
// if it had been written before with this expectation; anyRevision for Any
// and StreamExists, whose repeats are found by the first event id.
func expectedStart(opts *api.AppendReq_Options) uint64 {
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_NoStream:
		return 0
	case *api.AppendReq_Options_Revision:
		return e.Revision + 1
	default:
		return anyRevision
	}
}

// anyRevision marks "look the first id up" for repeatLocked.
const anyRevision = ^uint64(0)

// repeatLocked reports whether proposed are exactly the events stored in
// stream from revision from on, and returns their first and last revision.
func (s *Server) repeatLocked(stream string, from uint64, proposed []record) (first, last uint64, same bool) {
	idx := s.streams[stream]
	if len(proposed) == 0 {
		return 0, 0, false
	}
	if from == anyRevision {
		found := false
		for rev, i := range idx {
			if s.log[i].id == proposed[0].id {
				from, found = uint64(rev), true
				break
			}
		}
		if !found {
			return 0, 0, false
		}
	}
	if from+uint64(len(proposed)) > uint64(len(idx)) {
		return 0, 0, false
	}
	for k, p := range proposed {
		if s.log[idx[from+uint64(k)]].id != p.id {
			return 0, 0, false
		}
	}
	return from, from + uint64(len(proposed)) - 1, true
}

func successResp(current, prepare, commit uint64) *api.AppendResp {
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: current},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: commit, PreparePosition: prepare,
		}},
	}}}
}

// wrongExpectedVersion fills both the 20.6.0 fields and the current ones,
// as the server does.
func wrongExpectedVersion(opts *api.AppendReq_Options, current uint64, exists bool) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if exists {
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: current}
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: current}
	} else {
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	}
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: e.Revision}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	case *api.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	case *api.AppendReq_Options_Any:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// Read implements the Streams.Read RPC: reads of a stream or of $all, and
// subscriptions to $all.
func (s *Server) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "read: no options")
	}
	structured := opts.GetUuidOption().GetString_() == nil
	f, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	if opts.GetSubscription() != nil {
		all := opts.GetAll()
		if all == nil {
			return status.Error(codes.Unimplemented, "esdbtest: only subscriptions to $all are implemented")
		}
		return s.subscribe(srv, all, f, structured)
	}
	count := opts.GetCount()
	backwards := opts.GetReadDirection() == api.ReadReq_Options_Backwards
	if st := opts.GetStream(); st != nil {
		return s.readStream(srv, st, count, backwards, structured)
	}
	if all := opts.GetAll(); all != nil {
		return s.readAll(srv, all, count, backwards, f, structured)
	}
	return status.Error(codes.InvalidArgument, "read: neither a stream nor $all")
}

func (s *Server) readStream(srv api.Streams_ReadServer, o *api.ReadReq_Options_StreamOptions, count uint64, backwards bool, structured bool) error {
	stream := string(o.GetStreamIdentifier().GetStreamName())
	s.mu.Lock()
	idx := s.streams[stream]
	if len(idx) == 0 {
		s.mu.Unlock()
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
		}}})
	}
	var out []record
	n := uint64(len(idx))
	if !backwards {
		from := uint64(0)
		switch r := o.GetRevisionOption().(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			from = r.Revision
		case *api.ReadReq_Options_StreamOptions_End:
			from = n
		}
		for rev := from; rev < n && uint64(len(out)) < count; rev++ {
			out = append(out, s.log[idx[rev]])
		}
	} else {
		from := n - 1
		switch r := o.GetRevisionOption().(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			from = min(r.Revision, n-1)
		case *api.ReadReq_Options_StreamOptions_Start:
			from = 0
		}
		for rev := int64(from); rev >= 0 && uint64(len(out)) < count; rev-- {
			out = append(out, s.log[idx[rev]])
		}
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := srv.Send(eventResp(r, structured)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) readAll(srv api.Streams_ReadServer, o *api.ReadReq_Options_AllOptions, count uint64, backwards bool, f filter, structured bool) error {
	s.mu.Lock()
	var out []record
	if !backwards {
		start := 0
		switch p := o.GetAllOption().(type) {
		case *api.ReadReq_Options_AllOptions_Position:
			// Forward reads include the event at the position.
			start = s.indexAtOrAfterLocked(p.Position.GetCommitPosition(), p.Position.GetPreparePosition())
		case *api.ReadReq_Options_AllOptions_End:
			start = len(s.log)
		}
		for i := start; i < len(s.log) && uint64(len(out)) < count; i++ {
			if f.allows(s.log[i]) {
				out = append(out, s.log[i])
			}
		}
	} else {
		end := len(s.log)
		switch p := o.GetAllOption().(type) {
		case *api.ReadReq_Options_AllOptions_Position:
			// Backward reads return the events before the position.
			end = s.indexAtOrAfterLocked(p.Position.GetCommitPosition(), p.Position.GetPreparePosition())
		case *api.ReadReq_Options_AllOptions_Start:
			end = 0
		}
		for i := end - 1; i >= 0 && uint64(len(out)) < count; i-- {
			if f.allows(s.log[i]) {
				out = append(out, s.log[i])
			}
		}
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := srv.Send(eventResp(r, structured)); err != nil {
			return err
		}
	}
	return nil
}

// indexAtOrAfterLocked is the index of the first record whose (commit,
// prepare) position is at or after (commit, prepare).
func (s *Server) indexAtOrAfterLocked(commit, prepare uint64) int {
	lo, hi := 0, len(s.log)
	for lo < hi {
		mid := (lo + hi) / 2
		p := s.log[mid].pos
		if p < commit || (p == commit && p < prepare) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// subscribe runs a catch-up subscription to $all until the client goes away
// or the server stops.
func (s *Server) subscribe(srv api.Streams_ReadServer, o *api.ReadReq_Options_AllOptions, f filter, structured bool) error {
	id := uuid.NewString()
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: id}}}); err != nil {
		return err
	}
	s.mu.Lock()
	drop := s.drop
	next := 0
	switch p := o.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		// The server reads one event at the position and subscribes
		// after it: a subscription from a position is exclusive.
		next = s.indexAtOrAfterLocked(p.Position.GetCommitPosition(), p.Position.GetPreparePosition())
		if next < len(s.log) {
			next++
		}
	case *api.ReadReq_Options_AllOptions_End:
		next = len(s.log)
	}
	s.mu.Unlock()

	considered := uint64(0)
	caughtUp := false
	ctx := srv.Context()
	for {
		s.mu.Lock()
		batch := append([]record(nil), s.log[next:]...)
		wake := s.wake
		s.mu.Unlock()
		next += len(batch)
		for _, r := range batch {
			considered++
			if f.allows(r) {
				if err := srv.Send(eventResp(r, structured)); err != nil {
					return err
				}
			}
			if f.checkpointEvery > 0 && considered%f.checkpointEvery == 0 {
				if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
					CommitPosition: r.pos, PreparePosition: r.pos,
				}}}); err != nil {
					return err
				}
			}
		}
		if len(batch) == 0 && !caughtUp {
			caughtUp = true
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stop:
			return status.Error(codes.Unavailable, "esdbtest: server stopped")
		case <-drop:
			return status.Error(codes.Unavailable, "esdbtest: subscription dropped")
		}
	}
}

func eventResp(r record, structured bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               toProtoUUID(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.pos,
			CommitPosition:   r.pos,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}}}
}

// filter is a server-side $all filter on event type or stream name.
type filter struct {
	onStream        bool
	re              *regexp.Regexp
	prefixes        []string
	checkpointEvery uint64
}

func newFilter(o *api.ReadReq_Options_FilterOptions) (filter, error) {
	if o == nil {
		return filter{}, nil
	}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	f := filter{}
	switch x := o.GetFilter().(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		f.onStream, expr = true, x.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		expr = x.EventType
	default:
		return filter{}, status.Error(codes.InvalidArgument, "filter: neither stream nor event type")
	}
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return filter{}, status.Errorf(codes.InvalidArgument, "filter: %v", err)
		}
		f.re = re
	}
	f.prefixes = expr.GetPrefix()
	window := uint64(32)
	if m, ok := o.GetWindow().(*api.ReadReq_Options_FilterOptions_Max); ok && m.Max > 0 {
		window = uint64(m.Max)
	}
	mult := uint64(o.GetCheckpointIntervalMultiplier())
	if mult == 0 {
		return filter{}, status.Error(codes.InvalidArgument, "filter: checkpoint interval multiplier must be positive")
	}
	f.checkpointEvery = window * mult
	return f, nil
}

func (f filter) allows(r record) bool {
	if f.re == nil && len(f.prefixes) == 0 {
		return true
	}
	subject := r.typ
	if f.onStream {
		subject = r.stream
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

func fromProtoUUID(u *shared.UUID) (uuid.UUID, error) {
	if u == nil {
		return uuid.Nil, errors.New("missing")
	}
	if st := u.GetStructured(); st != nil {
		var b [16]byte
		ms, ls := uint64(st.GetMostSignificantBits()), uint64(st.GetLeastSignificantBits())
		for i := 0; i < 8; i++ {
			b[i] = byte(ms >> (56 - 8*i))
			b[8+i] = byte(ls >> (56 - 8*i))
		}
		return uuid.UUID(b), nil
	}
	return uuid.Parse(u.GetString_())
}

func toProtoUUID(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	var ms, ls uint64
	for i := 0; i < 8; i++ {
		ms = ms<<8 | uint64(id[i])
		ls = ls<<8 | uint64(id[8+i])
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits: int64(ms), LeastSignificantBits: int64(ls),
	}}}
}

// features answers the client's probe at connect time.
type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

func (features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: "24.10.0",
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: "event_store.client.streams.streams", MethodName: "read"},
			{ServiceName: "event_store.client.streams.streams", MethodName: "append"},
		},
	}, nil
}

// members answers the client's cluster discovery: one node, the leader.
type members struct {
	gossip.UnimplementedGossipServer
	addr  *net.TCPAddr
	reads atomic.Int64
}

// GossipReads is how often a client asked for the cluster's members.
func (s *Server) GossipReads() int64 { return s.members.reads.Load() }

func (m *members) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	m.reads.Add(1)
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   toProtoUUID(uuid.New(), true),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: m.addr.IP.String(), Port: uint32(m.addr.Port)},
	}}}, nil
}

// ClusterURL is a connection string that makes the client discover the
// cluster through gossip before connecting to the leader.
func (s *Server) ClusterURL() string {
	return "esdb+discover://" + s.lis.Addr().String() + "?tls=false"
}
