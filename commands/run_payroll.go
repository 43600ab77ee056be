package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// RunPayroll pays every recorded, unrevoked, unreversed, unpaid service
// ending on or before the run date, one payment per worker, holding the
// prior services of claims not yet validated (SPEC §8). The run, every
// touched booklet, worker and claim are appended atomically; a service
// recorded meanwhile on a touched booklet makes the run retry. A run that
// would pay a service of which the operator is a party (user, worker, heir)
// is refused whole with conflict_of_interest.
func (h *Handler) RunPayroll(ctx context.Context, m Meta, c RunPayroll) (Result, error) {
	return h.decide(ctx, m, "RunPayroll", func(ctx context.Context, u *unit) (Result, error) {
		runDate, err := domain.ParseRunDate(c.RunDate, u.today)
		if err != nil {
			return Result{}, err
		}
		runID := u.newID()
		if events, ok, err := u.replayed(ctx, domain.PayrollStream(runID)); ok || err != nil {
			var done domain.PayrollRunCompleted
			if err == nil {
				done, err = firstOf[domain.PayrollRunCompleted](domain.PayrollStream(runID), events)
			}
			return Result{Position: lastPosition(events), ID: runID, Payments: len(done.Payments), PaidCents: done.PaidCents}, err
		}
		users, err := h.bookletsToPay(ctx)
		if err != nil {
			return Result{}, err
		}
		var booklets []*domain.Booklet
		workers := map[string]*domain.Worker{}
		claims := map[string]*domain.Claim{}
		for _, user := range users {
			cf, err := storedCF(user)
			if err != nil {
				return Result{}, err
			}
			b, err := u.scanBooklet(ctx, cf)
			if err != nil {
				return Result{}, err
			}
			// The claims of the prior services due decide which are held;
			// loaded, they are checked at commit, so a validation meanwhile
			// makes the run retry and pay them.
			for _, s := range b.UnpaidUntil(runDate) {
				if s.ClaimID == "" || claims[s.ClaimID] != nil {
					continue
				}
				if claims[s.ClaimID], err = u.claim(ctx, s.ClaimID); err != nil {
					return Result{}, err
				}
			}
			due := b.PayableUntil(runDate, claims)
			if len(due) == 0 {
				continue
			}
			// The run acts on a booklet it pays from: an operator who is its
			// user (or an heir of it) may not run it; the workers and claims
			// it pays are checked as they load.
			if err := u.actOn(b); err != nil {
				return Result{}, err
			}
			booklets = append(booklets, b)
			for _, s := range due {
				if _, ok := workers[s.WorkerCF]; ok {
					continue
				}
				wcf, err := storedCF(s.WorkerCF)
				if err != nil {
					return Result{}, err
				}
				if workers[s.WorkerCF], err = u.worker(ctx, wcf); err != nil {
					return Result{}, err
				}
			}
		}
		d := domain.PlanPayroll(runID, runDate, booklets, workers, claims)
		pos, err := u.apply(ctx, d)
		run, _ := domain.First[domain.PayrollRunCompleted](d)
		return Result{Position: pos, ID: runID, Payments: len(run.Payments), PaidCents: run.PaidCents}, err
	})
}

// bookletsToPay lists the user CFs whose booklets may hold unpaid services:
// from the read model when one is set, else from every ServiceRecorded in
// the log.
func (h *Handler) bookletsToPay(ctx context.Context) ([]string, error) {
	if h.unpaid != nil {
		users, err := h.unpaid.UnpaidBooklets(ctx)
		if err != nil {
			return nil, fmt.Errorf("commands: unpaid booklets: %w", err)
		}
		slices.Sort(users)
		return slices.Compact(users), nil
	}
	seen := map[string]bool{}
	var from eventstore.Cursor
	const batch = 1000
	for {
		events, err := h.store.ReadAll(ctx, from, batch)
		if err != nil {
			return nil, fmt.Errorf("commands: scan log: %w", err)
		}
		for _, e := range events {
			if e.Type == domain.TypeServiceRecorded && strings.HasPrefix(e.Stream, "booklet-") {
				seen[strings.TrimPrefix(e.Stream, "booklet-")] = true
			}
		}
		if len(events) < batch {
			break
		}
		from = events[len(events)-1].Cursor
	}
	return sortedKeys(seen), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
