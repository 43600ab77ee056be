package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/cmd/libretto/devdb"
)

// database is a fresh database created for one run on the server devdb
// finds (DATABASE_URL, else 127.0.0.1:5432, else the private cluster).
type database struct {
	name, url, admin string
}

func freshDatabase(ctx context.Context) (*database, error) {
	o := devdb.OptionsFromEnv()
	o.Log = os.Stderr
	r, err := devdb.Resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	return createDatabase(ctx, r.URL, fmt.Sprintf("libretto_bench_%d", time.Now().UnixNano()))
}

// createDatabase creates name on the server of base and returns it.
func createDatabase(ctx context.Context, base, name string) (*database, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", redact(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	return &database{name: name, url: u.String(), admin: base}, nil
}

func (d *database) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		logf("drop %s: %v", d.name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		logf("drop %s: %v", d.name, err)
	}
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(database URL)"
	}
	return p.Redacted()
}

// server is `libretto serve --migrate` as a child process on a free port.
type server struct {
	bin, dbURL, addr, base string
	extraEnv               []string
	cmd                    *exec.Cmd
	exited                 chan error
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cpuProfile saves seconds of the server's CPU profile to file.
func cpuProfile(ctx context.Context, addr, file string, seconds int) error {
	return saveProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds), file)
}

// allocProfile saves the allocations of the next seconds (a delta profile:
// go tool pprof -sample_index=alloc_space bin/libretto file).
func allocProfile(ctx context.Context, addr, file string, seconds int) error {
	return saveProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/allocs?seconds=%d", addr, seconds), file)
}

func saveProfile(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func startServer(ctx context.Context, bin, dbURL string, env ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, dbURL: dbURL, addr: addr, base: "http://" + addr, extraEnv: env}
	return s, s.start(ctx)
}

// start (re)starts the child and waits until /readyz answers 200.
func (s *server) start(ctx context.Context) error {
	cmd := exec.Command(s.bin, "serve", "--migrate")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+s.dbURL, "LIBRETTO_ADDR="+s.addr, "LIBRETTO_MODE=dev", "LIBRETTO_SEED=false")
	if os.Getenv("LOG_LEVEL") == "" {
		cmd.Env = append(cmd.Env, "LOG_LEVEL=warn")
	}
	cmd.Env = append(cmd.Env, s.extraEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.cmd = cmd
	s.exited = make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("server exited during start-up: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("server not ready within 60 s")
}

// peakRSS is the child's VmHWM in KiB.
func (s *server) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// kill is kill -9.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// stop asks for a graceful shutdown and kills after 20 s.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}
