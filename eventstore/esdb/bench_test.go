package esdb

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
)

// The benchmarks run over the protocol test double: they measure the
// adapter and the gRPC round trips on loopback, not EventStoreDB's disk.
// Run them against a real server by setting EVENTSTORE_URL.

func benchStore(b *testing.B) *Store {
	b.Helper()
	srv, err := esdbtest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	s, err := Open(context.Background(), srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkAppendOne appends one event with an exact expectation to one of
// 64 streams per goroutine: head read, append, read-back.
func BenchmarkAppendOne(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		stream := fmt.Sprintf("s-%d", nextID(&n))
		v := int64(0)
		for pb.Next() {
			if _, err := s.Append(ctx, one(stream, eventstore.ExpectedVersion(v), event("E"))); err != nil {
				b.Fatal(err)
			}
			v++
		}
	})
}

// BenchmarkReadStream10k reads a 10,000-event stream.
func BenchmarkReadStream10k(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for v := int64(0); v < 10000; v += 500 {
		events := make([]eventstore.EventData, 500)
		for i := range events {
			events[i] = event("E")
		}
		if _, err := s.Append(ctx, one("long", eventstore.ExpectedVersion(v), events...)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := s.ReadStream(ctx, "long", eventstore.ReadOptions{})
		if err != nil || len(got) != 10000 {
			b.Fatalf("%d events, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "events/s")
}

var mu sync.Mutex

func nextID(n *int64) int64 {
	mu.Lock()
	defer mu.Unlock()
	*n++
	return *n
}
