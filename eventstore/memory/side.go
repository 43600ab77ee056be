package memory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// Idempotency keeps the first result of each (scope, key) in memory. It
// satisfies commands.Idempotency.
type Idempotency struct {
	mu      sync.Mutex
	results map[[2]string]idemEntry
}

type idemEntry struct {
	requestHash string
	response    []byte
}

// NewIdempotency returns an empty idempotency store.
func NewIdempotency() *Idempotency {
	return &Idempotency{results: map[[2]string]idemEntry{}}
}

// Lookup returns the stored result for (scope, key) and the request hash it
// was stored with; found is false when there is none.
func (i *Idempotency) Lookup(ctx context.Context, scope, key string) ([]byte, string, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", false, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	e, ok := i.results[[2]string{scope, key}]
	if !ok {
		return nil, "", false, nil
	}
	return append([]byte(nil), e.response...), e.requestHash, true, nil
}

// Save stores the result; a second Save of the same (scope, key) keeps the first.
func (i *Idempotency) Save(ctx context.Context, scope, key, requestHash string, res []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	k := [2]string{scope, key}
	if _, ok := i.results[k]; !ok {
		i.results[k] = idemEntry{requestHash: requestHash, response: append([]byte(nil), res...)}
	}
	return nil
}

// Documents keeps uploaded files in memory, once per SHA-256. It satisfies
// commands.Documents.
type Documents struct {
	mu   sync.Mutex
	docs map[string]document
}

type document struct {
	contentType string
	content     []byte
}

// NewDocuments returns an empty document store.
func NewDocuments() *Documents {
	return &Documents{docs: map[string]document{}}
}

// Put stores content under its SHA-256 (hex). Putting the same content again
// keeps the first copy; a hash that does not match the content is refused.
func (d *Documents) Put(ctx context.Context, sha256Hex, contentType string, content []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := checkDigest(sha256Hex, content)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.docs[key]; !ok {
		d.docs[key] = document{contentType: contentType, content: append([]byte(nil), content...)}
	}
	return nil
}

// Get returns a stored document; the error wraps fs.ErrNotExist when there
// is none.
func (d *Documents) Get(ctx context.Context, sha256Hex string) (string, []byte, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.docs[strings.ToLower(sha256Hex)]
	if !ok {
		return "", nil, fmt.Errorf("document %s: %w", sha256Hex, fs.ErrNotExist)
	}
	return doc.contentType, append([]byte(nil), doc.content...), nil
}

// checkDigest returns sha256Hex in lower case when it is the SHA-256 of
// content, and an error otherwise.
func checkDigest(sha256Hex string, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])
	if got := strings.ToLower(sha256Hex); got != want {
		return "", fmt.Errorf("document: sha256 %q does not match the content (%s)", sha256Hex, want)
	}
	return want, nil
}
