package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is a notification that does not exist or is someone else's.
var ErrNotFound = errors.New("notify: no such notification")

// Notification is an entry of a person's inbox, as GET /notifications
// answers it.
type Notification struct {
	ID    string    `json:"id"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Title string    `json:"title"`
	Body  string    `json:"body"`
	Read  bool      `json:"read"`
}

// Inbox reads and marks the portal inbox: the outbox's inbox rows.
type Inbox struct{ pool *pgxpool.Pool }

// NewInbox returns the inbox over pool.
func NewInbox(pool *pgxpool.Pool) *Inbox { return &Inbox{pool: pool} }

// InboxLimit is the most entries List returns, newest first.
const InboxLimit = 200

// List returns cf's notifications, newest first.
func (in *Inbox) List(ctx context.Context, cf string) ([]Notification, error) {
	rows, err := in.pool.Query(ctx, `SELECT id, at, kind, title, body, read_at IS NOT NULL FROM notify.outbox
WHERE person_cf = $1 AND channel = 'inbox' ORDER BY at DESC, id LIMIT $2`, cf, InboxLimit)
	if err != nil {
		return nil, fmt.Errorf("notify: inbox: %w", err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var id uuid.UUID
		if err := rows.Scan(&id, &n.At, &n.Kind, &n.Title, &n.Body, &n.Read); err != nil {
			return nil, err
		}
		n.ID, n.At = id.String(), n.At.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// Unread counts cf's unread notifications.
func (in *Inbox) Unread(ctx context.Context, cf string) (int, error) {
	var n int
	err := in.pool.QueryRow(ctx, `SELECT count(*) FROM notify.outbox WHERE person_cf = $1 AND channel = 'inbox' AND read_at IS NULL`, cf).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks cf's notification id read (again is a no-op); ErrNotFound
// when it is not cf's.
func (in *Inbox) MarkRead(ctx context.Context, cf, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return ErrNotFound
	}
	tag, err := in.pool.Exec(ctx, `UPDATE notify.outbox SET read_at = coalesce(read_at, now())
WHERE id = $1 AND person_cf = $2 AND channel = 'inbox'`, uid, cf)
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
