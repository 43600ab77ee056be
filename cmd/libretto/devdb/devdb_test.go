package devdb

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

func TestResolve(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL; skipped under -short")
	}
	ctx := context.Background()

	t.Run("DATABASE_URL is used as it is", func(t *testing.T) {
		t.Parallel()
		const given = "postgres://someone@db.example:6543/elsewhere"
		got, err := Resolve(ctx, Options{DatabaseURL: given, Probe: "127.0.0.1:1", DataDir: t.TempDir()})
		if err != nil || got.URL != given || got.Source != SourceEnv || got.Started {
			t.Fatalf("Resolve = %+v, %v; want %q from %q", got, err, given, SourceEnv)
		}
	})

	t.Run("a PostgreSQL answering the probe gets a libretto database", func(t *testing.T) {
		t.Parallel()
		admin, err := url.Parse(pgtest.AdminURL())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		got, err := Resolve(ctx, Options{Probe: admin.Host, DataDir: dir})
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		if got.Source != SourceProbe || got.Started {
			t.Fatalf("Resolve = %+v, want source %q, not started", got, SourceProbe)
		}
		assertDatabase(t, got.URL)
		if _, err := os.Stat(filepath.Join(dir, "pg")); !os.IsNotExist(err) {
			t.Fatalf("a private cluster was made although the probe answered: %v", err)
		}
	})

	t.Run("nothing at the probe starts a private cluster, reused the second time", func(t *testing.T) {
		t.Parallel()
		if _, ok := findBinaries(); !ok {
			t.Fatal("initdb and pg_ctl not found; make test installs Debian's postgresql")
		}
		// The postgres OS user must reach the cluster when we are root, and
		// t.TempDir's directories are private.
		dir, err := os.MkdirTemp("", "devdb")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
				t.Fatalf("%s is not searchable by others; set TMPDIR to a directory that is", p)
			}
		}
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		probe := "127.0.0.1:" + itoa(port)
		t.Cleanup(func() {
			if err := Stop(context.Background(), dir, testLog{t}); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
		first, err := Resolve(ctx, Options{Probe: probe, DataDir: dir, Log: testLog{t}, NoInstall: true})
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		if first.Source != SourcePrivate || !first.Started {
			t.Fatalf("Resolve = %+v, want source %q, started", first, SourcePrivate)
		}
		assertDatabase(t, first.URL)
		second, err := Resolve(ctx, Options{Probe: probe, DataDir: dir, Log: testLog{t}, NoInstall: true})
		if err != nil || second.URL != first.URL || second.Started {
			t.Fatalf("second Resolve = %+v, %v; want %q, already running", second, err, first.URL)
		}
		if err := Stop(ctx, dir, testLog{t}); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := ping(ctx, first.URL); err == nil {
			t.Fatal("the private cluster still answers after Stop")
		}
	})
}

func TestPortIsReadFromTheLastSettingWhenThePortFileIsGone(t *testing.T) {
	t.Parallel()
	c := cluster{dir: t.TempDir()}
	if err := os.MkdirAll(c.data(), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := "#port = 5432\nport = 54329\nmax_connections = 200\nport = 61000\n"
	if err := os.WriteFile(filepath.Join(c.data(), "postgresql.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := c.port()
	if err != nil || got != 61000 {
		t.Fatalf("port() = %d, %v; want 61000", got, err)
	}
}

func assertDatabase(t *testing.T, u string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	defer conn.Close(ctx)
	var name string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil || name != Database {
		t.Fatalf("current_database() = %q, %v; want %q", name, err, Database)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}

func itoa(i int) string { return strconv.Itoa(i) }
