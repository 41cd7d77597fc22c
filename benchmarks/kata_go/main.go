// katabench times kata's fs driver (fs.go here) for benchmarks/kata_compare.py. It reads one command per
// line on stdin and answers one JSON line on stdout; only the driver call is inside the timed span, so
// the pipe and the Python side cost nothing in the figures.
//
//	load ROOT SID            FromDisk(SID) under ROOT, kept as the state later ToDisk calls write
//	todisk ROOT              ToDisk of the kept state under ROOT (a driver made once per ROOT)
//	fromdisk ROOT SID        FromDisk(SID) under ROOT with a new driver, as a restarting runtime
//	quit
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

type reply struct {
	Ns         int64  `json:"ns,omitempty"`
	Containers int    `json:"containers,omitempty"`
	Error      string `json:"error,omitempty"`
}

func main() {
	var sandbox SandboxState
	var containers map[string]ContainerState
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
			started := time.Now()
			err := fs.ToDisk(sandbox, containers)
			answer.Ns = time.Since(started).Nanoseconds()
			if err != nil {
				answer.Error = err.Error()
			}
		case len(words) == 3 && words[0] == "fromdisk":
			started := time.Now()
			_, cs, err := newFS(words[1]).FromDisk(words[2])
			answer.Ns = time.Since(started).Nanoseconds()
			answer.Containers = len(cs)
			if err != nil {
				answer.Error = err.Error()
			}
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
