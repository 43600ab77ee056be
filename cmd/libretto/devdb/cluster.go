package devdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// preferredPort is tried first for a new private cluster, so that its URL is
// the same from one clone to the next; any free port does when it is taken.
const preferredPort = 54329

// cluster is a private PostgreSQL cluster under dir/pg:
//
//	dir/pg/data        the cluster (initdb), trust authentication
//	dir/pg/run         its unix socket directory
//	dir/pg/server.log  the server's log
//	dir/pg/port        the TCP port it listens on at 127.0.0.1
//
// When we are root, dir/pg belongs to the postgres OS user and every
// PostgreSQL program runs as that user: initdb and pg_ctl refuse root.
type cluster struct {
	dir       string
	log       io.Writer
	noInstall bool
}

func (c cluster) home() string    { return filepath.Join(c.dir, "pg") }
func (c cluster) data() string    { return filepath.Join(c.home(), "data") }
func (c cluster) logFile() string { return filepath.Join(c.home(), "server.log") }

// run is the unix socket directory: inside .data when the socket's path fits
// the kernel's limit (107 bytes), else a directory under /tmp named for it.
func (c cluster) run() string {
	d := filepath.Join(c.home(), "run")
	if len(d)+len("/.s.PGSQL.65535") < 100 {
		return d
	}
	sum := sha256.Sum256([]byte(d))
	return filepath.Join(os.TempDir(), "libretto-pg-"+hex.EncodeToString(sum[:6]))
}
func (c cluster) portFile() string {
	return filepath.Join(c.home(), "port")
}

// ensureRunning creates the cluster when missing, starts it when stopped and
// returns an admin URL (database postgres).
func (c cluster) ensureRunning(ctx context.Context) (admin string, started bool, err error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", false, fmt.Errorf("devdb: create %s: %w", c.dir, err)
	}
	unlock, err := lock(filepath.Join(c.dir, "devdb.lock"))
	if err != nil {
		return "", false, err
	}
	defer unlock()

	bin, err := c.binaries(ctx)
	if err != nil {
		return "", false, err
	}
	as, err := runAs()
	if err != nil {
		return "", false, err
	}
	if err := c.prepareDirs(ctx, as); err != nil {
		return "", false, err
	}
	if _, err := os.Stat(filepath.Join(c.data(), "PG_VERSION")); err != nil {
		if err := c.initdb(ctx, bin, as); err != nil {
			return "", false, err
		}
	}
	port, err := c.port()
	if err != nil {
		return "", false, err
	}
	admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", port)
	if c.running(ctx, bin, as) && ping(ctx, admin) == nil {
		fmt.Fprintf(c.log, "devdb: private cluster already running on 127.0.0.1:%d\n", port)
		return admin, false, nil
	}
	if !portFree(port) {
		// Another clone's cluster (or anything else) took our port while we were stopped.
		if port, err = c.movePort(); err != nil {
			return "", false, err
		}
		admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", port)
	}
	fmt.Fprintf(c.log, "devdb: starting private cluster on 127.0.0.1:%d (log %s)\n", port, c.logFile())
	start := c.command(ctx, as, bin.pgCtl, "-D", c.data(), "-l", c.logFile(), "-w", "-t", "60", "start")
	// Its own session: a Ctrl-C on make must not reach the server.
	start.SysProcAttr.Setsid = true
	if out, err := start.CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("devdb: pg_ctl start failed (see %s): %v: %s", c.logFile(), err, oneLine(out))
	}
	if err := ping(ctx, admin); err != nil {
		return "", true, fmt.Errorf("devdb: private cluster started but does not answer on 127.0.0.1:%d: %v", port, err)
	}
	return admin, true, nil
}

func (c cluster) stop(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.data(), "PG_VERSION")); err != nil {
		fmt.Fprintf(c.log, "devdb: no private cluster under %s\n", c.home())
		return nil
	}
	bin, err := c.binaries(ctx)
	if err != nil {
		return err
	}
	as, err := runAs()
	if err != nil {
		return err
	}
	if !c.running(ctx, bin, as) {
		fmt.Fprintf(c.log, "devdb: private cluster under %s is not running\n", c.home())
		return nil
	}
	out, err := c.command(ctx, as, bin.pgCtl, "-D", c.data(), "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("devdb: pg_ctl stop: %v: %s", err, oneLine(out))
	}
	fmt.Fprintf(c.log, "devdb: private cluster stopped\n")
	return nil
}

type binaries struct{ initdb, pgCtl string }

// binaries finds initdb and pg_ctl (Debian keeps them under
// /usr/lib/postgresql/<version>/bin, off the PATH), installing the postgresql
// package when none is found and we may.
func (c cluster) binaries(ctx context.Context) (binaries, error) {
	if b, ok := findBinaries(); ok {
		return b, nil
	}
	if c.noInstall || os.Geteuid() != 0 {
		return binaries{}, errors.New("devdb: no PostgreSQL found: set DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or install Debian's postgresql package (as root, make does it)")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return binaries{}, errors.New("devdb: no PostgreSQL found and no apt-get to install it: set DATABASE_URL or start PostgreSQL on 127.0.0.1:5432")
	}
	fmt.Fprintln(c.log, "devdb: installing Debian's postgresql package (apt-get install -y postgresql)")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = c.log, c.log
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Run(); err != nil {
			return binaries{}, fmt.Errorf("devdb: apt-get %s failed (%v): install Debian's postgresql package or set DATABASE_URL", args[0], err)
		}
	}
	if b, ok := findBinaries(); ok {
		return b, nil
	}
	return binaries{}, errors.New("devdb: postgresql installed but initdb and pg_ctl not found under /usr/lib/postgresql/*/bin")
}

func findBinaries() (binaries, bool) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// The newest major version first.
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), pgCtl: filepath.Join(d, "pg_ctl")}
		if isExecutable(b.initdb) && isExecutable(b.pgCtl) {
			return b, true
		}
	}
	i, err1 := exec.LookPath("initdb")
	p, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return binaries{initdb: i, pgCtl: p}, true
	}
	return binaries{}, false
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// owner is the OS user PostgreSQL programs run as; nil means ourselves.
type owner struct {
	name     string
	uid, gid uint32
}

func runAs() (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("devdb: running as root but there is no postgres OS user to run the private cluster as (install Debian's postgresql package)")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &owner{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

func (c cluster) prepareDirs(ctx context.Context, as *owner) error {
	for _, d := range []string{c.home(), c.run()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("devdb: create %s: %w", d, err)
		}
		if as != nil {
			if err := os.Chown(d, int(as.uid), int(as.gid)); err != nil {
				return fmt.Errorf("devdb: chown %s to %s: %w", d, as.name, err)
			}
		}
	}
	if as != nil {
		// The postgres user must reach .data/pg through every parent directory.
		if err := c.command(ctx, as, "test", "-w", c.home()).Run(); err != nil {
			return fmt.Errorf("devdb: the %s OS user cannot write %s (a parent directory is not searchable by others): set DATABASE_URL or clone elsewhere", as.name, c.home())
		}
	}
	return nil
}

func (c cluster) initdb(ctx context.Context, bin binaries, as *owner) error {
	fmt.Fprintf(c.log, "devdb: creating a private cluster in %s\n", c.data())
	// A half-made data directory from an interrupted initdb is ours to clear.
	if err := os.RemoveAll(c.data()); err != nil {
		return fmt.Errorf("devdb: clear %s: %w", c.data(), err)
	}
	out, err := c.command(ctx, as, bin.initdb, "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale").CombinedOutput()
	if err != nil {
		return fmt.Errorf("devdb: initdb failed: %v: %s", err, oneLine(out))
	}
	port := preferredPort
	if !portFree(port) {
		if port, err = freePort(); err != nil {
			return fmt.Errorf("devdb: find a free port: %w", err)
		}
	}
	conf := fmt.Sprintf("\n# libretto private development cluster (cmd/libretto/devdb)\n"+
		"listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 200\n", c.run())
	if err := c.appendConf(conf); err != nil {
		return err
	}
	return c.setPort(port)
}

// movePort gives a stopped cluster a new free port.
func (c cluster) movePort() (int, error) {
	port, err := freePort()
	if err != nil {
		return 0, fmt.Errorf("devdb: find a free port: %w", err)
	}
	fmt.Fprintf(c.log, "devdb: the private cluster's port is taken; moving it to %d\n", port)
	return port, c.setPort(port)
}

// setPort records port in postgresql.conf (the last setting wins) and in the port file.
func (c cluster) setPort(port int) error {
	if err := c.appendConf(fmt.Sprintf("port = %d\n", port)); err != nil {
		return err
	}
	return os.WriteFile(c.portFile(), []byte(strconv.Itoa(port)+"\n"), 0o644)
}

func (c cluster) appendConf(s string) error {
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("devdb: configure cluster: %w", err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("devdb: configure cluster: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("devdb: configure cluster: %w", err)
	}
	return nil
}

var portLine = regexp.MustCompile(`(?m)^port = (\d+)`)

// port reads the cluster's port from its port file, or from the line initdb
// appended to postgresql.conf when the port file is gone.
func (c cluster) port() (int, error) {
	if b, err := os.ReadFile(c.portFile()); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return p, nil
		}
	}
	b, err := os.ReadFile(filepath.Join(c.data(), "postgresql.conf"))
	if err != nil {
		return 0, fmt.Errorf("devdb: read cluster configuration: %w", err)
	}
	m := portLine.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return 0, fmt.Errorf("devdb: no port in %s", filepath.Join(c.data(), "postgresql.conf"))
	}
	return strconv.Atoi(string(m[len(m)-1][1]))
}

func (c cluster) running(ctx context.Context, bin binaries, as *owner) bool {
	return c.command(ctx, as, bin.pgCtl, "-D", c.data(), "status").Run() == nil
}

// command runs name as the cluster's owner, in the cluster's home.
func (c cluster) command(ctx context.Context, as *owner, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.home()
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cmd.WaitDelay = 10 * time.Second
	if as != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid}
		cmd.Env = append(os.Environ(), "HOME="+c.home(), "USER="+as.name, "LOGNAME="+as.name)
	}
	return cmd
}

func portFree(port int) bool {
	l, err := netListen(port)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func oneLine(b []byte) string {
	s := strings.TrimSpace(string(bytes.ReplaceAll(b, []byte("\n"), []byte(" | "))))
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// lock takes an exclusive lock on path, so that two makes do not initdb at once.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devdb: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("devdb: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
