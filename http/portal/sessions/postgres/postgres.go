// Package postgres keeps the portal's sessions (sessions.Store) in the
// portal_sessions table of PostgreSQL, with its own migrations and goose
// version table, so that it needs nothing from the event store's schema.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/inps/libretto/http/portal/sessions"
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's bookkeeping table for this package's schema,
// beside the event store's own.
const versionTable = "portal_sessions_schema_version"

// Migrate creates or updates the portal_sessions table of the database at
// databaseURL. Concurrent callers are serialised by an advisory lock.
func Migrate(ctx context.Context, databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("sessions migrate: %w", err)
	}
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sessions migrate: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("sessions migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(versionTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("sessions migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sessions migrate: %w", err)
	}
	return nil
}

// Store is a sessions.Store over a pool (schema by Migrate).
type Store struct {
	pool *pgxpool.Pool
}

var _ sessions.Store = (*Store)(nil)

// New returns the store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create stores s.
func (st *Store) Create(ctx context.Context, s sessions.Session) error {
	roles := s.Roles
	if roles == nil {
		roles = []string{}
	}
	_, err := st.pool.Exec(ctx, `INSERT INTO portal_sessions
		(id, cf, roles, csrf, flash_kind, flash_message, created_at, last_seen_at, expires_at, on_behalf_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID[:], s.CF, roles, s.CSRF, s.FlashKind, s.FlashMessage, s.Created, s.LastSeen, s.Expires, s.OnBehalfOf)
	if err != nil {
		return fmt.Errorf("session create: %w", err)
	}
	return nil
}

// Get returns the session with id or sessions.ErrNotFound.
func (st *Store) Get(ctx context.Context, id sessions.ID) (sessions.Session, error) {
	s := sessions.Session{ID: id}
	err := st.pool.QueryRow(ctx, `SELECT cf, roles, csrf, flash_kind, flash_message, created_at, last_seen_at, expires_at, on_behalf_of
		FROM portal_sessions WHERE id = $1`, id[:]).
		Scan(&s.CF, &s.Roles, &s.CSRF, &s.FlashKind, &s.FlashMessage, &s.Created, &s.LastSeen, &s.Expires, &s.OnBehalfOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return sessions.Session{}, sessions.ErrNotFound
	}
	if err != nil {
		return sessions.Session{}, fmt.Errorf("session get: %w", err)
	}
	return s, nil
}

// Update records the last request and the pending message.
func (st *Store) Update(ctx context.Context, id sessions.ID, lastSeen time.Time, flashKind, flashMessage string) error {
	_, err := st.pool.Exec(ctx, `UPDATE portal_sessions SET last_seen_at = $2, flash_kind = $3, flash_message = $4
		WHERE id = $1`, id[:], lastSeen, flashKind, flashMessage)
	if err != nil {
		return fmt.Errorf("session update: %w", err)
	}
	return nil
}

// ActFor records whom the session acts for.
func (st *Store) ActFor(ctx context.Context, id sessions.ID, onBehalfOf string) error {
	if _, err := st.pool.Exec(ctx, `UPDATE portal_sessions SET on_behalf_of = $2 WHERE id = $1`, id[:], onBehalfOf); err != nil {
		return fmt.Errorf("session act for: %w", err)
	}
	return nil
}

// Delete ends the session with id.
func (st *Store) Delete(ctx context.Context, id sessions.ID) error {
	if _, err := st.pool.Exec(ctx, `DELETE FROM portal_sessions WHERE id = $1`, id[:]); err != nil {
		return fmt.Errorf("session delete: %w", err)
	}
	return nil
}

// DeleteHolding ends every session of cf granting any of roles.
func (st *Store) DeleteHolding(ctx context.Context, cf string, roles []string) (int, error) {
	if len(roles) == 0 {
		return 0, nil
	}
	tag, err := st.pool.Exec(ctx, `DELETE FROM portal_sessions WHERE cf = $1 AND roles && $2::text[]`, cf, roles)
	if err != nil {
		return 0, fmt.Errorf("session delete holding: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Sweep deletes the sessions expired at now.
func (st *Store) Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	tag, err := st.pool.Exec(ctx, `DELETE FROM portal_sessions WHERE expires_at <= $1 OR last_seen_at <= $2`,
		now, now.Add(-idle))
	if err != nil {
		return 0, fmt.Errorf("session sweep: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
