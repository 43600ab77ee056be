package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Codes sends the verification codes of contact data (commands.CodeSender)
// through the outbox's e-mail channel: the row holds the code in clear only
// until it is sent or given up (the dispatcher wipes it then) and is given
// up once the code has expired.
type Codes struct {
	Pool *pgxpool.Pool
	// Wake, when set, makes the e-mail channel look at once (Dispatcher.Wake).
	Wake func(channel string)
	// DevLog, when set, also logs the code: development mode without SMTP,
	// where the code has nowhere else to go.
	DevLog *slog.Logger
}

// SendCode implements commands.CodeSender.
func (c *Codes) SendCode(ctx context.Context, key uuid.UUID, cf, email, code string, expires time.Time) error {
	if c.DevLog != nil {
		c.DevLog.Warn("development mode: verification code of an e-mail address (SMTP_URL is not set)", "code", code, "expires", expires)
		return nil
	}
	m := contactCode(code, expires)
	_, err := c.Pool.Exec(ctx, insertOutbox, MessageID(key, cf, ChannelEmail), key, cf, ChannelEmail, m.Kind, email,
		m.Title, m.Body, "", time.Now(), StatusPending)
	if err != nil {
		return fmt.Errorf("notify: queue the code: %w", err)
	}
	if c.Wake != nil {
		c.Wake(ChannelEmail)
	}
	return nil
}
