// gojson answers, for the Python tests, what Go's encoding/json does: standard library only.
//
// Usage: gojson MODE < input, one case per input line, one answer per output line.
//
//	time      input "unix nanos offset": the JSON Go writes for that instant in a zone of that offset
//	depth     input one JSON document per line: "ok" if Go decodes it into a struct, else "error: ..."
//	resources, cgroup, addr
//	          input one JSON value per line: what Go writes after decoding it into OCI LinuxResources,
//	          runc's Cgroup or netlink's Addr (as kata holds them), or "error: ..."
//
// The foreign structs are the benchmark's copy of kata's persistapi (benchmarks/kata_go/persistapi, through
// the replace in go.mod): the field names, types and tags of runtime-spec v1.2.1, opencontainers/cgroups
// v0.0.4 and vishvananda/netlink v1.3.1 that the reference lists; methods are left out except net.IP's
// text form, which net provides.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"persistbench/katago/persistapi"
)

func answer(line string, target func() interface{}) string {
	value := target()
	if err := json.Unmarshal([]byte(line), value); err != nil {
		return "error: " + err.Error()
	}
	out, err := json.Marshal(value)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(out)
}

func main() {
	mode := os.Args[1]
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		line := in.Text()
		var result string
		switch mode {
		case "time":
			parts := strings.Fields(line)
			unix, _ := strconv.ParseInt(parts[0], 10, 64)
			nanos, _ := strconv.ParseInt(parts[1], 10, 64)
			offset, _ := strconv.Atoi(parts[2])
			b, err := json.Marshal(time.Unix(unix, nanos).In(time.FixedZone("", offset)))
			if err != nil {
				result = "error: " + err.Error()
			} else {
				result = string(b)
			}
		case "depth":
			var v struct{ X int }
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				result = "error: " + err.Error()
			} else {
				result = "ok"
			}
		case "string":
			raw, _ := hex.DecodeString(line)
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				result = "error: " + err.Error()
			} else {
				b, _ := json.Marshal(v)
				result = string(b)
			}
		case "resources":
			result = answer(line, func() interface{} { return &persistapi.LinuxResources{} })
		case "cgroup":
			result = answer(line, func() interface{} { return &persistapi.Cgroup{} })
		case "addr":
			result = answer(line, func() interface{} { return &persistapi.Addr{} })
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", mode)
			os.Exit(2)
		}
		// One answer per line: an error message may quote a value holding a newline (JSON never does).
		fmt.Fprintln(out, strings.ReplaceAll(result, "\n", "\\n"))
	}
}
