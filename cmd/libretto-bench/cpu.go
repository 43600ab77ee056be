package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuSample is the machine's CPU time and the server's, in clock ticks
// (USER_HZ, 100 on Linux), read from /proc. Throughput on a shared machine
// moves with the neighbours; the CPU a command costs moves much less, so the
// bench reports both.
type cpuSample struct {
	busy, steal, total int64 // the machine: busy (user, nice, system, irq, softirq), stolen, all
	server             int64 // the server process: user + system
}

func sampleCPU(serverPID int) cpuSample {
	var s cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
		if len(f) >= 9 && f[0] == "cpu" {
			n := make([]int64, 8)
			for i := range n {
				n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
			}
			s.busy = n[0] + n[1] + n[2] + n[5] + n[6]
			s.steal = n[7]
			for _, v := range n {
				s.total += v
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", serverPID)); err == nil {
		// Fields after the command name, which is in parentheses and may hold spaces.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b)[i+1:])
			if len(f) > 13 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				k, _ := strconv.ParseInt(f[12], 10, 64)
				s.server = u + k
			}
		}
	}
	return s
}

// tickMs is a clock tick of /proc in milliseconds (USER_HZ = 100).
const tickMs = 10.0

// cpuPerCommand formats the CPU the machine and the server spent per
// command between a and b, and the share of time stolen by the hypervisor.
func cpuPerCommand(a, b cpuSample, commands int64) string {
	if commands <= 0 || b.total <= a.total {
		return "n/a"
	}
	per := func(ticks int64) float64 { return float64(ticks) * tickMs / float64(commands) }
	return fmt.Sprintf("%.2f ms machine, %.2f ms server; %.0f%% busy, %.0f%% stolen",
		per(b.busy-a.busy), per(b.server-a.server),
		100*float64(b.busy-a.busy)/float64(b.total-a.total), 100*float64(b.steal-a.steal)/float64(b.total-a.total))
}
