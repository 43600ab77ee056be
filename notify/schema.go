package notify

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// outboxDDL creates the outbox and the reminders' month marks in schema
// notify. The unique key (event_id, person_cf, channel) is what makes a
// message once only; id is derived from the same triple.
const outboxDDL = `
CREATE SCHEMA IF NOT EXISTS notify;
CREATE TABLE IF NOT EXISTS notify.outbox (
	id         uuid PRIMARY KEY,
	event_id   uuid NOT NULL,
	person_cf  text NOT NULL,
	channel    text NOT NULL CHECK (channel IN ('inbox', 'email', 'io')),
	kind       text NOT NULL,
	address    text NOT NULL DEFAULT '',
	title      text NOT NULL,
	body       text NOT NULL,
	ref        text NOT NULL DEFAULT '',
	at         timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts   integer NOT NULL DEFAULT 0,
	next_at    timestamptz NOT NULL DEFAULT now(),
	last_error text NOT NULL DEFAULT '',
	sent_at    timestamptz,
	read_at    timestamptz,
	UNIQUE (event_id, person_cf, channel)
);
CREATE INDEX IF NOT EXISTS outbox_due ON notify.outbox (channel, next_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_inbox ON notify.outbox (person_cf, at DESC) WHERE channel = 'inbox';
CREATE TABLE IF NOT EXISTS notify.reminders (
	month   text PRIMARY KEY,
	sent_at timestamptz NOT NULL DEFAULT now(),
	people  integer NOT NULL
)`

// setupOutbox creates the outbox in tx, under a lock of its own: nodes
// starting together would otherwise race on CREATE SCHEMA.
func setupOutbox(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('libretto.notify.outbox'))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, outboxDDL); err != nil {
		return fmt.Errorf("notify: create the outbox: %w", err)
	}
	return nil
}

// Setup creates the outbox when missing: for a process that reads or drains
// it without running the notifier (libretto notifications status).
func Setup(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return setupOutbox(ctx, tx) })
}
