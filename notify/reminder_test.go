package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/notify"
)

// TestTheMonthlyReminderRunsOnceAcrossNodes runs the reminder of the 1st
// from four "nodes" at once and again later: a user with an available
// balance is reminded once per channel, a registered user with nothing is
// not, and on the 5th nothing happens.
func TestTheMonthlyReminderRunsOnceAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL")
	}
	t.Parallel()
	w := newWorld(t, notify.ProjectorConfig{IO: true})
	ctx := context.Background()
	worker := w.cf()
	w.must(w.cmd.RegisterWorker(ctx, w.meta(worker, commands.RoleCitizen), commands.RegisterWorker{}))
	funded, _ := w.serviceOf(worker) // 100 € deposited, 20 € committed
	idle := w.cf()
	w.must(w.cmd.RegisterUser(ctx, w.meta(idle, commands.RoleCitizen), commands.RegisterUser{}))

	first := time.Date(2030, 5, 1, 8, 0, 0, 0, rome)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &notify.Reminder{Pool: w.pool, IO: true}
			n, err := r.RunOnce(ctx, first)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := &notify.Reminder{Pool: w.pool, IO: true}
	if n, err := r.RunOnce(ctx, first.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("a second run of the month reminded %d (%v)", n, err)
	}
	if n, err := r.RunOnce(ctx, first.AddDate(0, 0, 4)); err != nil || n != 0 {
		t.Fatalf("the 5th reminded %d (%v)", n, err)
	}
	if total != 1 {
		t.Fatalf("reminded %d people, want 1", total)
	}
	rows, err := w.pool.Query(ctx, `SELECT person_cf, channel, title FROM notify.outbox WHERE kind = 'monthly_reminder' ORDER BY channel`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var cf, channel, title string
		if err := rows.Scan(&cf, &channel, &title); err != nil {
			t.Fatal(err)
		}
		if cf != funded || title != "Promemoria: comunica le prestazioni entro il 3 maggio 2030" {
			t.Errorf("reminder to %s: %q", cf, title)
		}
		got = append(got, channel)
	}
	if len(got) != 2 || got[0] != "inbox" || got[1] != "io" {
		t.Fatalf("reminder rows on %v, want inbox and io", got)
	}
}
