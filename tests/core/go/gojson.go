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
// The foreign structs copy the field names, types and tags of runtime-spec v1.2.1, opencontainers/cgroups
// v0.0.4 and vishvananda/netlink v1.3.1 (see /work/shared/reference/persistapi.md); methods are left out
// except net.IP's text form, which net provides.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

type LinuxResources struct {
	Devices        []LinuxDeviceCgroup  `json:"devices,omitempty"`
	Memory         *LinuxMemory         `json:"memory,omitempty"`
	CPU            *LinuxCPU            `json:"cpu,omitempty"`
	Pids           *LinuxPids           `json:"pids,omitempty"`
	BlockIO        *LinuxBlockIO        `json:"blockIO,omitempty"`
	HugepageLimits []LinuxHugepageLimit `json:"hugepageLimits,omitempty"`
	Network        *LinuxNetwork        `json:"network,omitempty"`
	Rdma           map[string]LinuxRdma `json:"rdma,omitempty"`
	Unified        map[string]string    `json:"unified,omitempty"`
}

type LinuxDeviceCgroup struct {
	Allow  bool   `json:"allow"`
	Type   string `json:"type,omitempty"`
	Major  *int64 `json:"major,omitempty"`
	Minor  *int64 `json:"minor,omitempty"`
	Access string `json:"access,omitempty"`
}

type LinuxMemory struct {
	Limit             *int64  `json:"limit,omitempty"`
	Reservation       *int64  `json:"reservation,omitempty"`
	Swap              *int64  `json:"swap,omitempty"`
	Kernel            *int64  `json:"kernel,omitempty"`
	KernelTCP         *int64  `json:"kernelTCP,omitempty"`
	Swappiness        *uint64 `json:"swappiness,omitempty"`
	DisableOOMKiller  *bool   `json:"disableOOMKiller,omitempty"`
	UseHierarchy      *bool   `json:"useHierarchy,omitempty"`
	CheckBeforeUpdate *bool   `json:"checkBeforeUpdate,omitempty"`
}

type LinuxCPU struct {
	Shares          *uint64 `json:"shares,omitempty"`
	Quota           *int64  `json:"quota,omitempty"`
	Burst           *uint64 `json:"burst,omitempty"`
	Period          *uint64 `json:"period,omitempty"`
	RealtimeRuntime *int64  `json:"realtimeRuntime,omitempty"`
	RealtimePeriod  *uint64 `json:"realtimePeriod,omitempty"`
	Cpus            string  `json:"cpus,omitempty"`
	Mems            string  `json:"mems,omitempty"`
	Idle            *int64  `json:"idle,omitempty"`
}

type LinuxPids struct {
	Limit int64 `json:"limit"`
}

type LinuxBlockIO struct {
	Weight                  *uint16               `json:"weight,omitempty"`
	LeafWeight              *uint16               `json:"leafWeight,omitempty"`
	WeightDevice            []LinuxWeightDevice   `json:"weightDevice,omitempty"`
	ThrottleReadBpsDevice   []LinuxThrottleDevice `json:"throttleReadBpsDevice,omitempty"`
	ThrottleWriteBpsDevice  []LinuxThrottleDevice `json:"throttleWriteBpsDevice,omitempty"`
	ThrottleReadIOPSDevice  []LinuxThrottleDevice `json:"throttleReadIOPSDevice,omitempty"`
	ThrottleWriteIOPSDevice []LinuxThrottleDevice `json:"throttleWriteIOPSDevice,omitempty"`
}

type linuxBlockIODevice struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

type LinuxWeightDevice struct {
	linuxBlockIODevice
	Weight     *uint16 `json:"weight,omitempty"`
	LeafWeight *uint16 `json:"leafWeight,omitempty"`
}

type LinuxThrottleDevice struct {
	linuxBlockIODevice
	Rate uint64 `json:"rate"`
}

type LinuxHugepageLimit struct {
	Pagesize string `json:"pageSize"`
	Limit    uint64 `json:"limit"`
}

type LinuxNetwork struct {
	ClassID    *uint32                  `json:"classID,omitempty"`
	Priorities []LinuxInterfacePriority `json:"priorities,omitempty"`
}

type LinuxInterfacePriority struct {
	Name     string `json:"name"`
	Priority uint32 `json:"priority"`
}

type LinuxRdma struct {
	HcaHandles *uint32 `json:"hcaHandles,omitempty"`
	HcaObjects *uint32 `json:"hcaObjects,omitempty"`
}

type Cgroup struct {
	Name        string `json:"name,omitempty"`
	Parent      string `json:"parent,omitempty"`
	Path        string `json:"path,omitempty"`
	ScopePrefix string `json:"scope_prefix,omitempty"`
	*Resources
	Systemd      bool     `json:"Systemd,omitempty"`
	SystemdProps []string `json:"-"`
	Rootless     bool     `json:"Rootless,omitempty"`
	OwnerUID     *int     `json:"owner_uid,omitempty"`
}

type Rule struct {
	Type        rune   `json:"type"`
	Major       int64  `json:"major"`
	Minor       int64  `json:"minor"`
	Permissions string `json:"permissions"`
	Allow       bool   `json:"allow"`
}

type blockIODevice struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

type WeightDevice struct {
	blockIODevice
	Weight     uint16 `json:"weight"`
	LeafWeight uint16 `json:"leafWeight"`
}

type ThrottleDevice struct {
	blockIODevice
	Rate uint64 `json:"rate"`
}

type HugepageLimit struct {
	Pagesize string `json:"page_size"`
	Limit    uint64 `json:"limit"`
}

type IfPrioMap struct {
	Interface string `json:"interface"`
	Priority  int64  `json:"priority"`
}

type CgroupRdma struct {
	HcaHandles *uint32 `json:"hca_handles,omitempty"`
	HcaObjects *uint32 `json:"hca_objects,omitempty"`
}

type Resources struct {
	Devices                      []*Rule               `json:"devices,omitempty"`
	Memory                       int64                 `json:"memory,omitempty"`
	MemoryReservation            int64                 `json:"memory_reservation,omitempty"`
	MemorySwap                   int64                 `json:"memory_swap,omitempty"`
	CpuShares                    uint64                `json:"cpu_shares,omitempty"`
	CpuQuota                     int64                 `json:"cpu_quota,omitempty"`
	CpuBurst                     *uint64               `json:"cpu_burst,omitempty"`
	CpuPeriod                    uint64                `json:"cpu_period,omitempty"`
	CpuRtRuntime                 int64                 `json:"cpu_rt_quota,omitempty"`
	CpuRtPeriod                  uint64                `json:"cpu_rt_period,omitempty"`
	CpusetCpus                   string                `json:"cpuset_cpus,omitempty"`
	CpusetMems                   string                `json:"cpuset_mems,omitempty"`
	CPUIdle                      *int64                `json:"cpu_idle,omitempty"`
	PidsLimit                    int64                 `json:"pids_limit,omitempty"`
	BlkioWeight                  uint16                `json:"blkio_weight,omitempty"`
	BlkioLeafWeight              uint16                `json:"blkio_leaf_weight,omitempty"`
	BlkioWeightDevice            []*WeightDevice       `json:"blkio_weight_device,omitempty"`
	BlkioThrottleReadBpsDevice   []*ThrottleDevice     `json:"blkio_throttle_read_bps_device,omitempty"`
	BlkioThrottleWriteBpsDevice  []*ThrottleDevice     `json:"blkio_throttle_write_bps_device,omitempty"`
	BlkioThrottleReadIOPSDevice  []*ThrottleDevice     `json:"blkio_throttle_read_iops_device,omitempty"`
	BlkioThrottleWriteIOPSDevice []*ThrottleDevice     `json:"blkio_throttle_write_iops_device,omitempty"`
	Freezer                      string                `json:"freezer,omitempty"`
	HugetlbLimit                 []*HugepageLimit      `json:"hugetlb_limit,omitempty"`
	OomKillDisable               bool                  `json:"oom_kill_disable,omitempty"`
	MemorySwappiness             *uint64               `json:"memory_swappiness,omitempty"`
	NetPrioIfpriomap             []*IfPrioMap          `json:"net_prio_ifpriomap,omitempty"`
	NetClsClassid                uint32                `json:"net_cls_classid_u,omitempty"`
	Rdma                         map[string]CgroupRdma `json:"rdma,omitempty"`
	CpuWeight                    uint64                `json:"cpu_weight,omitempty"`
	Unified                      map[string]string     `json:"unified,omitempty"`
	SkipDevices                  bool                  `json:"-"`
	SkipFreezeOnSet              bool                  `json:"-"`
	MemoryCheckBeforeUpdate      bool                  `json:"memory_check_before_update,omitempty"`
}

type Addr struct {
	*net.IPNet
	Label       string
	Flags       int
	Scope       int
	Peer        *net.IPNet
	Broadcast   net.IP
	PreferedLft int
	ValidLft    int
	LinkIndex   int
}

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
			result = answer(line, func() interface{} { return &LinuxResources{} })
		case "cgroup":
			result = answer(line, func() interface{} { return &Cgroup{} })
		case "addr":
			result = answer(line, func() interface{} { return &Addr{} })
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", mode)
			os.Exit(2)
		}
		// One answer per line: an error message may quote a value holding a newline (JSON never does).
		fmt.Fprintln(out, strings.ReplaceAll(result, "\n", "\\n"))
	}
}
