package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/http/portal/sessions"
	"github.com/inps/libretto/http/portal/sessions/postgres"
)

// TestStoreContract runs one suite against every sessions.Store: the
// in-memory one of the fast tests and PostgreSQL, which the portal runs on.
func TestStoreContract(t *testing.T) {
	t.Parallel()
	impls := map[string]func(t *testing.T) sessions.Store{
		"memory":   func(*testing.T) sessions.Store { return sessions.NewMemory() },
		"postgres": func(t *testing.T) sessions.Store { return postgres.New(newPool(t)) },
	}
	for name, open := range impls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runContract(t, open)
		})
	}
}

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatalf("a second migrate must be a no-op: %v", err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// t0 has no sub-microsecond part, which PostgreSQL would drop.
var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func session(cf string, roles ...string) sessions.Session {
	_, id := sessions.New()
	return sessions.Session{ID: id, CF: cf, Roles: roles, CSRF: "csrf-" + cf,
		Created: t0, LastSeen: t0, Expires: t0.Add(8 * time.Hour)}
}

func runContract(t *testing.T, open func(t *testing.T) sessions.Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	gone := func(st sessions.Store, id sessions.ID, why string) {
		t.Helper()
		if _, err := st.Get(ctx, id); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("%s: Get = %v, want ErrNotFound", why, err)
		}
	}

	t.Run("a created session is read back whole", func(t *testing.T) {
		st := open(t)
		s := session("BNCLRA70D45F205G", "operator")
		must(st.Create(ctx, s))
		got, err := st.Get(ctx, s.ID)
		must(err)
		if got.ID != s.ID || got.CF != s.CF || fmt.Sprint(got.Roles) != "[operator]" || got.CSRF != s.CSRF ||
			!got.Created.Equal(s.Created) || !got.LastSeen.Equal(s.LastSeen) || !got.Expires.Equal(s.Expires) ||
			got.FlashKind != "" || got.FlashMessage != "" {
			t.Fatalf("got %+v, want %+v", got, s)
		}
		gone(st, sessions.IDOf("never issued"), "an id never issued")
	})

	t.Run("a session deleted is gone, and deleting it again is no error", func(t *testing.T) {
		st := open(t)
		s := session("BNCLRA70D45F205G", "citizen")
		must(st.Create(ctx, s))
		must(st.Delete(ctx, s.ID))
		gone(st, s.ID, "after Delete")
		must(st.Delete(ctx, s.ID))
		must(st.Update(ctx, s.ID, t0.Add(time.Minute), "info", "x"))
		gone(st, s.ID, "an Update after Delete")
	})

	t.Run("the person switch is recorded and read back, and cleared", func(t *testing.T) {
		st := open(t)
		s := session("BNCLRA70D45F205G", "citizen")
		must(st.Create(ctx, s))
		must(st.ActFor(ctx, s.ID, "RSSMRA40A01H501Z"))
		got, err := st.Get(ctx, s.ID)
		must(err)
		if got.OnBehalfOf != "RSSMRA40A01H501Z" {
			t.Fatalf("after ActFor: %+v", got)
		}
		must(st.ActFor(ctx, s.ID, ""))
		if got, err = st.Get(ctx, s.ID); err != nil || got.OnBehalfOf != "" {
			t.Fatalf("after clearing: %+v, %v", got, err)
		}
		must(st.Delete(ctx, s.ID))
		must(st.ActFor(ctx, s.ID, "RSSMRA40A01H501Z"))
		gone(st, s.ID, "an ActFor after Delete")
	})

	t.Run("update records the last request and the message", func(t *testing.T) {
		st := open(t)
		s := session("BNCLRA70D45F205G", "citizen")
		must(st.Create(ctx, s))
		must(st.Update(ctx, s.ID, t0.Add(5*time.Minute), "success", "Fatto."))
		got, err := st.Get(ctx, s.ID)
		must(err)
		if !got.LastSeen.Equal(t0.Add(5*time.Minute)) || got.FlashKind != "success" || got.FlashMessage != "Fatto." {
			t.Fatalf("after Update: %+v", got)
		}
		must(st.Update(ctx, s.ID, t0.Add(6*time.Minute), "", ""))
		if got, _ := st.Get(ctx, s.ID); got.FlashKind != "" || got.FlashMessage != "" {
			t.Fatalf("the message was not cleared: %+v", got)
		}
	})

	t.Run("a withdrawn role ends only that person's sessions holding it", func(t *testing.T) {
		st := open(t)
		op1, op2 := session("MNTLSE80A41H501X", "operator"), session("MNTLSE80A41H501X", "operator")
		aud := session("MNTLSE80A41H501X", "auditor")
		cit := session("MNTLSE80A41H501X", "citizen")
		other := session("GLLPLA75B12F205Z", "operator")
		for _, s := range []sessions.Session{op1, op2, aud, cit, other} {
			must(st.Create(ctx, s))
		}
		n, err := st.DeleteHolding(ctx, "MNTLSE80A41H501X", []string{"operator"})
		must(err)
		if n != 2 {
			t.Fatalf("ended %d sessions, want the 2 operator sessions", n)
		}
		gone(st, op1.ID, "operator session 1")
		gone(st, op2.ID, "operator session 2")
		for _, s := range []sessions.Session{aud, cit, other} {
			if _, err := st.Get(ctx, s.ID); err != nil {
				t.Fatalf("%s %v was ended too: %v", s.CF, s.Roles, err)
			}
		}
		if n, err := st.DeleteHolding(ctx, "MNTLSE80A41H501X", nil); err != nil || n != 0 {
			t.Fatalf("no role withdrawn: ended %d, %v", n, err)
		}
	})

	t.Run("the sweep deletes what expired, absolutely or idle, and keeps the rest", func(t *testing.T) {
		st := open(t)
		idle := 30 * time.Minute
		now := t0.Add(8 * time.Hour)
		past := session("BNCLRA70D45F205G", "citizen") // its 8 hours are over
		past.LastSeen = now.Add(-time.Minute)
		idleOne := session("BNCLRA70D45F205G", "citizen")
		idleOne.Expires = now.Add(time.Hour)
		idleOne.LastSeen = now.Add(-idle)
		live := session("BNCLRA70D45F205G", "citizen")
		live.Expires = now.Add(time.Hour)
		live.LastSeen = now.Add(-idle + time.Second)
		for _, s := range []sessions.Session{past, idleOne, live} {
			must(st.Create(ctx, s))
		}
		for _, c := range []struct {
			s    sessions.Session
			want bool
		}{{past, true}, {idleOne, true}, {live, false}} {
			if c.s.Expired(now, idle) != c.want {
				t.Fatalf("Expired(%+v) = %v", c.s, !c.want)
			}
		}
		n, err := st.Sweep(ctx, now, idle)
		must(err)
		if n != 2 {
			t.Fatalf("swept %d, want 2", n)
		}
		gone(st, past.ID, "past its absolute end")
		gone(st, idleOne.ID, "idle too long")
		if _, err := st.Get(ctx, live.ID); err != nil {
			t.Fatalf("a live session was swept: %v", err)
		}
	})

	t.Run("concurrent sign-ins and logouts of one person leave what was not ended", func(t *testing.T) {
		st := open(t)
		var wg sync.WaitGroup
		kept := make([]sessions.Session, 16)
		for i := range kept {
			kept[i] = session("BNCLRA70D45F205G", "citizen")
			wg.Go(func() {
				ended := session("BNCLRA70D45F205G", "citizen")
				if err := st.Create(ctx, ended); err != nil {
					t.Error(err)
				}
				if err := st.Create(ctx, kept[i]); err != nil {
					t.Error(err)
				}
				if err := st.Delete(ctx, ended.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, s := range kept {
			if _, err := st.Get(ctx, s.ID); err != nil {
				t.Fatalf("a session nobody ended is gone: %v", err)
			}
		}
	})
}
