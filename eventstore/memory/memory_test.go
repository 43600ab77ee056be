package memory

import (
	"context"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store { return New() })
}

func TestSubscriptionsContract(t *testing.T) {
	storetest.RunSubscriptions(t, func(t *testing.T) eventstore.Store { return New() })
}

func TestVerifyFindsAlteredEvent(t *testing.T) {
	ctx := context.Background()
	s := New()
	if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: "a", Events: storetest.Events("E", 3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: "b", Events: storetest.Events("E", 2)}); err != nil {
		t.Fatal(err)
	}
	s.log[1].Data = []byte(`{"n": 1000}`) // a@2

	rep, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []eventstore.BrokenLink{{Stream: "a", Version: 2, Position: 2, Reason: "hash mismatch"}}
	if len(rep.Broken) != 1 || rep.Broken[0] != want[0] || rep.EventsChecked != 5 || rep.StreamsChecked != 2 {
		t.Errorf("verify = %+v, want broken %+v", rep, want)
	}
}

func TestIdempotencyContract(t *testing.T) {
	storetest.RunIdempotency(t, func(t *testing.T) storetest.Idempotency { return NewIdempotency() })
}

func TestDocumentsContract(t *testing.T) {
	storetest.RunDocuments(t, func(t *testing.T) storetest.Documents { return NewDocuments() })
}

func TestDataThatIsNotUTF8IsRefused(t *testing.T) {
	e := storetest.Event("E", 0)
	e.Data = []byte("{\"s\": \"caff\xe8\"}") // Latin-1: PostgreSQL's json refuses it too
	if _, err := New().Append(context.Background(), eventstore.StreamAppend{Stream: "s", Events: []eventstore.EventData{e}}); err == nil {
		t.Error("accepted")
	}
}
