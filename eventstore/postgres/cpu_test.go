package postgres_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuMeter measures the CPU time this process and the database's server
// processes spend during a benchmark. On a shared machine throughput mostly
// measures the neighbours; CPU per event does not, and on an idle machine
// with c cores throughput is at most c divided by it.
type cpuMeter struct {
	pids     []int
	go0, pg0 time.Duration
}

// startCPU starts measuring; the pool's connections should be open already
// (warmPool). It returns nil when the server's processes cannot be read
// (a server on another machine).
func startCPU(b *testing.B, pool *pgxpool.Pool) *cpuMeter {
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	m := &cpuMeter{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		m.pids = append(m.pids, pid)
	}
	if rows.Err() != nil || len(m.pids) == 0 {
		return nil
	}
	pg, ok := procCPU(m.pids)
	if !ok {
		return nil
	}
	m.go0, m.pg0 = selfCPU(), pg
	return m
}

// report adds go-cpu-µs/event and pg-cpu-µs/event for events events.
func (m *cpuMeter) report(b *testing.B, events int) {
	if m == nil || events == 0 {
		return
	}
	pg, ok := procCPU(m.pids)
	if !ok {
		return
	}
	goCPU, pgCPU := selfCPU()-m.go0, pg-m.pg0
	b.ReportMetric(float64(goCPU.Microseconds())/float64(events), "go-cpu-µs/event")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(events), "pg-cpu-µs/event")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU sums utime and stime of pids from /proc (clock ticks of 10 ms).
func procCPU(pids []int) (time.Duration, bool) {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return 0, false
		}
		// Fields after the parenthesised command name; utime and stime are
		// fields 14 and 15 of the whole line.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 {
			return 0, false
		}
		for _, f := range fields[11:13] {
			ticks, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return 0, false
			}
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total, true
}
