package memory

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store { return New() })
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

func TestIdempotencyKeepsFirstResult(t *testing.T) {
	ctx := context.Background()
	i := NewIdempotency()
	if _, _, found, err := i.Lookup(ctx, "u", "k"); found || err != nil {
		t.Fatalf("empty lookup found=%v err=%v", found, err)
	}
	for _, res := range []string{"first", "second"} {
		if err := i.Save(ctx, "u", "k", "h-"+res, []byte(res)); err != nil {
			t.Fatal(err)
		}
	}
	res, hash, found, err := i.Lookup(ctx, "u", "k")
	if err != nil || !found || string(res) != "first" || hash != "h-first" {
		t.Errorf("lookup = %q %q %v %v, want the first save", res, hash, found, err)
	}
	if _, _, found, _ := i.Lookup(ctx, "other", "k"); found {
		t.Errorf("a key is shared across scopes")
	}
}

func TestDocumentsAreKeyedByTheirHash(t *testing.T) {
	ctx := context.Background()
	d := NewDocuments()
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")
	for range 2 {
		if err := d.Put(ctx, sum, "text/plain", []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	ct, content, err := d.Get(ctx, sum)
	if err != nil || ct != "text/plain" || string(content) != "hello" {
		t.Errorf("get = %q %q %v", ct, content, err)
	}
	if err := d.Put(ctx, sum, "text/plain", []byte("bye")); err == nil {
		t.Errorf("content not matching its hash was accepted")
	}
	if _, _, err := d.Get(ctx, "00"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing document: %v, want fs.ErrNotExist", err)
	}
}
