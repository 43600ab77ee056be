package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/cmd/libretto/app"
	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// run executes the binary's command line in-process and returns its stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		t.Logf("libretto %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), err
}

func TestOperatorTools(t *testing.T) {
	a := app.StartForTest(t)
	t.Setenv("DATABASE_URL", a.Config.DatabaseURL)
	ctx := context.Background()
	const user = "RSSMRA80A01H501U"
	citizen := commands.Meta{ActorCF: user, Role: commands.RoleCitizen, Now: time.Now(), CorrelationID: uuid.New()}
	if _, err := a.Commands.RegisterUser(ctx, citizen, commands.RegisterUser{}); err != nil {
		t.Fatalf("RegisterUser: %v", err)
	}
	operator := commands.Meta{ActorCF: "OPERATORE01", Role: commands.RoleOperator, Now: time.Now(), CorrelationID: uuid.New()}
	res, err := a.Commands.RecordDeposit(ctx, operator, commands.RecordDeposit{UserCF: user, AmountCents: 30000, Channel: "F24", PaidOn: time.Now().Format("2006-01-02")})
	if err != nil {
		t.Fatalf("RecordDeposit: %v", err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Runner.WaitFor(wait, res.Position); err != nil {
		t.Fatalf("WaitFor: %v", err)
	}

	t.Run("projections status lists every projector caught up", func(t *testing.T) {
		out, err := runCLI(t, "projections", "status")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range a.Runner.Names() {
			if !strings.Contains(out, name) {
				t.Errorf("status does not list %s:\n%s", name, out)
			}
		}
	})

	t.Run("audit replay shows the booklet's balance after each event", func(t *testing.T) {
		out, err := runCLI(t, "audit", "replay", "booklet-"+user)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "2 events") || !strings.Contains(out, `"available_cents":30000`) {
			t.Errorf("replay output lacks the events or the folded balance:\n%s", out)
		}
	})

	t.Run("audit replay as of before the stream existed is refused", func(t *testing.T) {
		if _, err := runCLI(t, "audit", "replay", "booklet-"+user, "--as-of", "2001-01-01"); err == nil {
			t.Error("replay as of 2001 succeeded; want no stream")
		}
	})

	t.Run("audit verify finds an intact log intact", func(t *testing.T) {
		out, err := runCLI(t, "audit", "verify")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "0 broken links") {
			t.Errorf("verify output: %s", out)
		}
	})

	t.Run("projections rebuild folds the whole log again", func(t *testing.T) {
		out, err := runCLI(t, "projections", "rebuild")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "rebuilt") {
			t.Errorf("rebuild output: %s", out)
		}
		if _, err := runCLI(t, "projections", "rebuild", "no-such-projector"); err == nil {
			t.Error("rebuilding an unknown projector succeeded")
		}
	})
}

func TestSeedCommandIsIdempotent(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if err := app.Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	first, err := runCLI(t, "seed")
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(first, "seeded: 0 events") {
		t.Fatalf("the first seed appended nothing: %s", first)
	}
	second, err := runCLI(t, "seed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(second, "seeded: 0 events") {
		t.Fatalf("the second seed appended events: %s", second)
	}
}
