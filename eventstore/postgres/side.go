package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Idempotency keeps the first result of each (scope, key) in the
// idempotency table. It satisfies commands.Idempotency.
type Idempotency struct {
	pool *pgxpool.Pool
}

// NewIdempotency returns an idempotency store over pool (schema by Migrate).
func NewIdempotency(pool *pgxpool.Pool) *Idempotency { return &Idempotency{pool: pool} }

// Lookup returns the stored result for (scope, key) and the request hash it
// was stored with; found is false when there is none.
func (i *Idempotency) Lookup(ctx context.Context, scope, key string) ([]byte, string, bool, error) {
	var res []byte
	var hash string
	err := i.pool.QueryRow(ctx, `SELECT response, request_hash FROM idempotency WHERE scope = $1 AND key = $2`, scope, key).Scan(&res, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("idempotency lookup: %w", err)
	}
	return res, hash, true, nil
}

// Save stores the result; a second Save of the same (scope, key) keeps the first.
func (i *Idempotency) Save(ctx context.Context, scope, key, requestHash string, res []byte) error {
	if res == nil {
		res = []byte{}
	}
	_, err := i.pool.Exec(ctx, `INSERT INTO idempotency (scope, key, request_hash, response) VALUES ($1, $2, $3, $4)
		ON CONFLICT (scope, key) DO NOTHING`, scope, key, requestHash, res)
	if err != nil {
		return fmt.Errorf("idempotency save: %w", err)
	}
	return nil
}

// Documents keeps uploaded files in the documents table, once per SHA-256.
// It satisfies commands.Documents.
type Documents struct {
	pool *pgxpool.Pool
}

// NewDocuments returns a document store over pool (schema by Migrate).
func NewDocuments(pool *pgxpool.Pool) *Documents { return &Documents{pool: pool} }

// Put stores content under its SHA-256 (hex). Putting the same content again
// keeps the first copy; a hash that does not match the content is refused.
func (d *Documents) Put(ctx context.Context, sha256Hex, contentType string, content []byte) error {
	key, err := checkDigest(sha256Hex, content)
	if err != nil {
		return err
	}
	if content == nil {
		content = []byte{}
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO documents (sha256, content_type, content) VALUES ($1, $2, $3)
		ON CONFLICT (sha256) DO NOTHING`, key, contentType, content)
	if err != nil {
		return fmt.Errorf("document put: %w", err)
	}
	return nil
}

// Get returns a stored document; the error wraps fs.ErrNotExist when there
// is none.
func (d *Documents) Get(ctx context.Context, sha256Hex string) (string, []byte, error) {
	var ct string
	var content []byte
	err := d.pool.QueryRow(ctx, `SELECT content_type, content FROM documents WHERE sha256 = $1`, strings.ToLower(sha256Hex)).Scan(&ct, &content)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, fmt.Errorf("document %s: %w", sha256Hex, fs.ErrNotExist)
	}
	if err != nil {
		return "", nil, fmt.Errorf("document get: %w", err)
	}
	return ct, content, nil
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
