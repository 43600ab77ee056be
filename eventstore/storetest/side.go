package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"sync"
	"testing"
)

// Idempotency is commands.Idempotency, restated so that this package does
// not import commands.
type Idempotency interface {
	Lookup(ctx context.Context, scope, key string) (res []byte, requestHash string, found bool, err error)
	Save(ctx context.Context, scope, key, requestHash string, res []byte) error
}

// Documents is commands.Documents, restated likewise.
type Documents interface {
	Put(ctx context.Context, sha256Hex, contentType string, content []byte) error
	Get(ctx context.Context, sha256Hex string) (contentType string, content []byte, err error)
}

// RunIdempotency is the contract suite of idempotency stores.
func RunIdempotency(t *testing.T, newStore func(t *testing.T) Idempotency) {
	t.Run("an unknown key is not found", func(t *testing.T) {
		t.Parallel()
		_, _, found, err := newStore(t).Lookup(ctxT(t), "RSSMRA80A01H501U", "k")
		if found || err != nil {
			t.Errorf("found=%v err=%v", found, err)
		}
	})
	t.Run("the first save wins, also when racing", func(t *testing.T) {
		t.Parallel()
		ctx, s := ctxT(t), newStore(t)
		if err := s.Save(ctx, "u", "k", "h0", []byte(`{"position":1}`)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if err := s.Save(ctx, "u", "k", "other", []byte{byte(i)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		res, hash, found, err := s.Lookup(ctx, "u", "k")
		if err != nil || !found || hash != "h0" || string(res) != `{"position":1}` {
			t.Errorf("lookup = %q %q %v %v, want the first save", res, hash, found, err)
		}
	})
	t.Run("keys are scoped", func(t *testing.T) {
		t.Parallel()
		ctx, s := ctxT(t), newStore(t)
		if err := s.Save(ctx, "a", "k", "h", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, _, found, err := s.Lookup(ctx, "b", "k"); found || err != nil {
			t.Errorf("scope b sees scope a's key: found=%v err=%v", found, err)
		}
	})
}

// RunDocuments is the contract suite of document stores.
func RunDocuments(t *testing.T, newStore func(t *testing.T) Documents) {
	content := []byte("%PDF-1.4 testamento olografo")
	sum := sha256.Sum256(content)
	key := hex.EncodeToString(sum[:])
	t.Run("a document is stored once under its hash", func(t *testing.T) {
		t.Parallel()
		ctx, s := ctxT(t), newStore(t)
		for range 2 {
			if err := s.Put(ctx, key, "application/pdf", content); err != nil {
				t.Fatal(err)
			}
		}
		ct, got, err := s.Get(ctx, key)
		if err != nil || ct != "application/pdf" || string(got) != string(content) {
			t.Errorf("get = %q %q %v", ct, got, err)
		}
	})
	t.Run("content not matching its hash is refused", func(t *testing.T) {
		t.Parallel()
		ctx, s := ctxT(t), newStore(t)
		if err := s.Put(ctx, key, "application/pdf", []byte("something else")); err == nil {
			t.Fatal("accepted")
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("refused document is readable: %v", err)
		}
	})
	t.Run("an unknown document does not exist", func(t *testing.T) {
		t.Parallel()
		if _, _, err := newStore(t).Get(ctxT(t), key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
	})
}
