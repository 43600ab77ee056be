package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/projections"
)

// Reminder is the monthly reminder (SPEC §9): on the 1st of each month
// (or the 2nd, when no node ran on the 1st), users who recorded services
// ending last month or have an available balance are reminded that the
// deadline to record last month's services is the 3rd. It runs once across
// nodes: one transaction takes an advisory lock, finds the month not yet
// marked in notify.reminders, writes the messages and marks it; and each
// message's key (the month's id, person, channel) is unique in the outbox.
type Reminder struct {
	Pool *pgxpool.Pool
	// Email and IO say which channels besides the inbox get the reminder.
	Email, IO bool
	Logger    *slog.Logger
	// Every is how often it checks the date (default 10 minutes).
	Every time.Duration
	// Wake, when set, makes the channels look at once.
	Wake func(channel string)
}

// reminderNamespace derives a month's event id.
var reminderNamespace = uuid.MustParse("5d0f3a8e-62a1-5b7e-8c3f-7e2a9b1c4d60")

// ReminderID is the outbox event id of month's (YYYY-MM) reminders.
func ReminderID(month string) uuid.UUID {
	return uuid.NewSHA1(reminderNamespace, []byte("reminder:"+month))
}

// Run checks the date every Every until ctx ends.
func (r *Reminder) Run(ctx context.Context, now func() time.Time) {
	every := r.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := r.RunOnce(ctx, now()); err != nil && ctx.Err() == nil {
			r.logger().Error("notify: monthly reminder", "err", err)
		} else if n > 0 {
			r.logger().Info("notify: monthly reminder written", "people", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Reminder) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// RunOnce writes the reminders of now's month when it is the 1st or 2nd in
// Rome and no node has written them yet; it returns how many people it
// reminded (0 when it was not the day, or done already).
func (r *Reminder) RunOnce(ctx context.Context, now time.Time) (int, error) {
	today := now.In(rome)
	if today.Day() > 2 {
		return 0, nil
	}
	month := today.Format("2006-01")
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, rome)
	prev := first.AddDate(0, -1, 0)
	from, to := prev.Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly)
	deadline := fmt.Sprintf("3 %s %d", monthNames[first.Month()-1], first.Year())
	msg := monthlyReminder(fmt.Sprintf("%s %d", monthNames[prev.Month()-1], prev.Year()), deadline)
	msg.EventID, msg.At, msg.Ref = ReminderID(month), first.UTC(), month
	rm := pgx.Identifier{projections.SchemaOf(ProjectorName)}.Sanitize()
	people := 0
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext('libretto.notify.reminder'))`).Scan(&got); err != nil || !got {
			return err // another node is writing them
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notify.reminders WHERE month = $1)`, month).Scan(&done); err != nil || done {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT u.user_cf, coalesce(p.email, '') FROM `+rm+`.users u
LEFT JOIN `+rm+`.people p ON p.cf = u.user_cf
WHERE NOT u.deceased AND (u.available_cents > 0 OR EXISTS (
	SELECT 1 FROM `+rm+`.services s WHERE s.user_cf = u.user_cf AND s.claim_id = '' AND s.end_date BETWEEN $1 AND $2))
ORDER BY u.user_cf`, from, to)
		if err != nil {
			return err
		}
		type who struct{ cf, email string }
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (who, error) {
			var w who
			return w, row.Scan(&w.cf, &w.email)
		})
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, w := range list {
			m := *msg
			m.PersonCF = w.cf
			queueMessage(b, m, ChannelInbox, "")
			if r.Email && w.email != "" {
				queueMessage(b, m, ChannelEmail, w.email)
			}
			if r.IO {
				queueMessage(b, m, ChannelIO, "")
			}
		}
		b.Queue(`INSERT INTO notify.reminders (month, people) VALUES ($1, $2)`, month, len(list))
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		people = len(list)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("notify: reminder of %s: %w", month, err)
	}
	if people > 0 && r.Wake != nil {
		r.Wake(ChannelEmail)
		r.Wake(ChannelIO)
	}
	return people, nil
}
