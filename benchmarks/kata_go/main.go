// katabench times kata's fs driver (fs.go here) for benchmarks/kata_compare.py. It reads one command per
// line on stdin and answers one JSON line on stdout; only the driver call is inside the timed span, so
// the pipe and the Python side cost nothing in the figures. Each answer gives wall time (ns) and the
// process's CPU time (cpu_ns) for the call.
//
//	load ROOT SID            FromDisk(SID) under ROOT, kept as the state later ToDisk calls write
//	todisk ROOT              ToDisk of the kept state under ROOT (a driver made once per ROOT)
//	atomicdisk ROOT          ToDiskAtomic (atomic.go) of the kept state under ROOT
//	fromdisk ROOT SID        FromDisk(SID) under ROOT with a new driver, as a restarting runtime
//	quit
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"persistbench/katago/persistapi"
)

type reply struct {
	Ns         int64  `json:"ns,omitempty"`
	CPUNs      int64  `json:"cpu_ns,omitempty"`
	Containers int    `json:"containers,omitempty"`
	Error      string `json:"error,omitempty"`
}

// cpuTime is the CPU time of the whole process (every thread: the garbage collector's work counts) in
// nanoseconds; unlike wall time it does not grow while other programs hold the CPU.
func cpuTime() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

// time runs one driver call, the only thing inside the timed span, and records its times and error.
func (a *reply) time(call func() error) {
	started, cpu := time.Now(), cpuTime()
	err := call()
	a.Ns, a.CPUNs = time.Since(started).Nanoseconds(), cpuTime()-cpu
	if err != nil {
		a.Error = err.Error()
	}
}

func main() {
	var sandbox persistapi.SandboxState
	var containers map[string]persistapi.ContainerState
	writers := map[string]*FS{}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		words := strings.Fields(in.Text())
		var answer reply
		switch {
		case len(words) == 3 && words[0] == "load":
			ss, cs, err := newFS(words[1]).FromDisk(words[2])
			if err != nil {
				answer.Error = err.Error()
				break
			}
			sandbox, containers = ss, cs
			answer.Containers = len(cs)
		case len(words) == 2 && words[0] == "todisk":
			if containers == nil {
				answer.Error = "nothing loaded"
				break
			}
			fs, ok := writers[words[1]]
			if !ok {
				fs = newFS(words[1])
				writers[words[1]] = fs
			}
			answer.time(func() error { return fs.ToDisk(sandbox, containers) })
		case len(words) == 2 && words[0] == "atomicdisk":
			if containers == nil {
				answer.Error = "nothing loaded"
				break
			}
			answer.time(func() error { return newFS(words[1]).ToDiskAtomic(sandbox, containers) })
		case len(words) == 3 && words[0] == "fromdisk":
			var cs map[string]persistapi.ContainerState
			answer.time(func() (err error) {
				_, cs, err = newFS(words[1]).FromDisk(words[2])
				return err
			})
			answer.Containers = len(cs)
		case len(words) == 1 && words[0] == "quit":
			return
		default:
			answer.Error = fmt.Sprintf("unknown command %q", in.Text())
		}
		if err := out.Encode(answer); err != nil {
			os.Exit(1)
		}
	}
}
