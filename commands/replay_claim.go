package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// ReplayClaim folds a claim's own events recorded at or before asOf into
// the claim as it stood then, for auditors; it returns the events too. A
// claim that did not exist yet at asOf is NotFound.
func (h *Handler) ReplayClaim(ctx context.Context, claimID string, asOf time.Time) (domain.ClaimSnapshot, []eventstore.Event, error) {
	if _, err := uuid.Parse(claimID); err != nil {
		return domain.ClaimSnapshot{}, nil, domain.NotFoundError("no such claim")
	}
	events, err := h.store.ReadStream(ctx, domain.ClaimStream(claimID), eventstore.ReadOptions{Until: asOf})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(events) == 0) {
		return domain.ClaimSnapshot{}, nil, domain.NotFoundError("no such claim at that instant")
	}
	if err != nil {
		return domain.ClaimSnapshot{}, nil, fmt.Errorf("commands: read claim: %w", err)
	}
	c := domain.NewClaim(claimID)
	applyStored(c, events)
	return c.Snapshot(), events, nil
}
