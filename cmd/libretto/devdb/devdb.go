// Package devdb finds or starts the PostgreSQL server that `make run` and
// `make test` use (SPEC §7): DATABASE_URL when set; else a server listening
// on 127.0.0.1:5432; else a private cluster under .data/, created with initdb
// and started with pg_ctl on its own port and socket directory, installing
// Debian's postgresql package first when it is missing and we are root.
//
// It is development tooling for cmd/libretto only; production passes
// DATABASE_URL and never reaches the fallbacks.
package devdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database is the database devdb ensures exists on a probed or private server.
const Database = "libretto"

// DefaultProbe is where devdb looks for an already running PostgreSQL.
const DefaultProbe = "127.0.0.1:5432"

// Options says where to look and where to keep a private cluster.
type Options struct {
	// DatabaseURL, when not empty, is used as is (from $DATABASE_URL).
	DatabaseURL string
	// Probe is the host:port of a PostgreSQL that may already be listening
	// (from $LIBRETTO_PG_PROBE, default 127.0.0.1:5432).
	Probe string
	// DataDir holds the private cluster (default ".data" under the working directory).
	DataDir string
	// Log receives progress lines (initdb, apt-get, pg_ctl); nil discards them.
	Log io.Writer
	// NoInstall forbids apt-get even when running as root.
	NoInstall bool
}

// OptionsFromEnv reads DATABASE_URL and LIBRETTO_PG_PROBE.
func OptionsFromEnv() Options {
	return Options{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Probe:       os.Getenv("LIBRETTO_PG_PROBE"),
	}
}

func (o *Options) setDefaults() error {
	if o.Probe == "" {
		o.Probe = DefaultProbe
	}
	if o.DataDir == "" {
		o.DataDir = ".data"
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	o.DataDir = abs
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Source says which of the three ways found the server.
type Source string

// The three sources of SPEC §7, in the order they are tried.
const (
	SourceEnv     Source = "DATABASE_URL"
	SourceProbe   Source = "probe"
	SourcePrivate Source = "private cluster"
)

// Result is the database Resolve found.
type Result struct {
	URL    string
	Source Source
	// Started is true when Resolve started the private cluster (it was
	// stopped or did not exist), so that the caller may stop it when done.
	Started bool
}

// Resolve returns the URL of a database to use and where it came from.
// For the probe and the private cluster it creates the database "libretto"
// when missing. Its errors are one line naming what is missing.
func Resolve(ctx context.Context, o Options) (Result, error) {
	if err := o.setDefaults(); err != nil {
		return Result{}, err
	}
	if o.DatabaseURL != "" {
		return Result{URL: o.DatabaseURL, Source: SourceEnv}, nil
	}
	admin := "postgres://postgres@" + o.Probe + "/postgres?sslmode=disable&connect_timeout=3"
	if err := ping(ctx, admin); err == nil {
		u, err := ensureDatabase(ctx, admin)
		return Result{URL: u, Source: SourceProbe}, err
	} else {
		fmt.Fprintf(o.Log, "devdb: no PostgreSQL at %s (%v); using a private cluster under %s\n", o.Probe, err, o.DataDir)
	}
	c := cluster{dir: o.DataDir, log: o.Log, noInstall: o.NoInstall}
	admin, started, err := c.ensureRunning(ctx)
	if err != nil {
		return Result{Source: SourcePrivate}, err
	}
	u, err := ensureDatabase(ctx, admin)
	return Result{URL: u, Source: SourcePrivate, Started: started}, err
}

// Stop stops the private cluster under dataDir when it runs. It never
// touches any other server.
func Stop(ctx context.Context, dataDir string, log io.Writer) error {
	o := Options{DataDir: dataDir, Log: log}
	if err := o.setDefaults(); err != nil {
		return err
	}
	c := cluster{dir: o.DataDir, log: o.Log, noInstall: true}
	return c.stop(ctx)
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// ensureDatabase creates the database Database on the server of admin when
// missing and returns its URL.
func ensureDatabase(ctx context.Context, admin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("devdb: connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return "", fmt.Errorf("devdb: look for database %s: %w", Database, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+Database); err != nil && !isDuplicateDatabase(err) {
			return "", fmt.Errorf("devdb: create database %s: %w", Database, err)
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + Database
	q := u.Query()
	q.Del("connect_timeout")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func isDuplicateDatabase(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && pgErr.SQLState() == "42P04"
}

func netListen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
}

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
