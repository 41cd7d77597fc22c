// Package persistapi is kata's persist data model as Go structs, written from the reference data model
// (shared/reference/persistapi.md: field names, Go types and JSON tags are the facts listed there), so that
// encoding/json sees exactly the types kata's fs driver encodes and decodes. Types from other modules (OCI
// runtime-spec, runc cgroups, netlink) are reproduced with the fields and tags the reference lists.
//
// It is the one copy of these structs: the benchmark's kata driver (../main.go, ../fs.go) and the tests'
// Go oracle (tests/core/go) both build from it.
package persistapi

import (
	"net"
	"os"
	"time"
)

// ---- vcTypes, config (pkg/device/config) ----

// PciSlot stands for kata's one-byte PCI slot; PciPath has only an unexported field, so encoding/json
// always writes it as {}.
type PciSlot struct{ slot uint8 }

type PciPath struct{ slots []PciSlot }

type PCIePort string

type DeviceType string

type VFIODeviceType uint32

type BlockDrive struct {
	File         string
	Format       string
	ID           string
	MmioAddr     string
	SCSIAddr     string
	NvdimmID     string
	VirtPath     string
	DevNo        string
	PCIPath      PciPath
	Index        int
	ShareRW      bool
	ReadOnly     bool
	DiscardUnmap bool
	Pmem         bool
	Swap         bool
}

type VFIODev struct {
	ID           string
	BDF          string
	SysfsDev     string
	DevfsDev     string
	VendorID     string
	DeviceID     string
	Class        string
	Bus          string
	GuestPciPath PciPath
	Type         VFIODeviceType
	NUMANode     int
	IsPCIe       bool
	APDevices    []string
	Port         PCIePort
	HostPath     string
}

type VhostUserDeviceAttrs struct {
	DevID         string
	SocketPath    string
	MacAddress    string
	Tag           string
	Cache         string
	Type          DeviceType
	PCIPath       PciPath
	Index         int
	CacheSize     uint32
	QueueSize     uint32
	ReconnectTime uint32
}

type DeviceState struct {
	DriverOptions map[string]string
	VhostUserDev  *VhostUserDeviceAttrs `json:",omitempty"`
	BlockDrive    *BlockDrive           `json:",omitempty"`
	ID            string
	Type          string
	DevType       string
	VFIODevs      []*VFIODev `json:",omitempty"`
	RefCount      uint
	AttachCount   uint
	Major         int64
	Minor         int64
	ColdPlug      bool
}

// ---- hv (pkg/hypervisors) ----

type Bridge struct {
	DeviceAddr map[uint32]string
	Type       string
	ID         string
	Addr       int
	ParentID   string
	ParentAddr int
}

type CPUDevice struct {
	ID string
}

type HypervisorState struct {
	BlockIndexMap     map[int]struct{}
	Type              string
	UUID              string
	APISocket         string
	Bridges           []Bridge
	HotpluggedVCPUs   []CPUDevice
	HotpluggedMemory  int
	VirtiofsDaemonPid int
	Pid               int
	HotPlugVFIO       PCIePort
	ColdPlugVFIO      PCIePort
	PCIeRootPort      uint32
	PCIeSwitchPort    uint32
}

// ---- persistapi: config.go ----

type HypervisorConfig struct {
	KernelPath                    string
	ImagePath                     string
	InitrdPath                    string
	FirmwarePath                  string
	MachineAccelerators           string
	CPUFeatures                   string
	HypervisorPath                string
	JailerPath                    string
	BlockDeviceDriver             string
	HypervisorMachineType         string
	MemoryPath                    string
	DevicesStatePath              string
	EntropySource                 string
	SharedFS                      string
	VirtioFSDaemon                string
	VirtioFSCache                 string
	VhostUserStorePath            string
	SeccompSandbox                string
	GuestHookPath                 string
	VMid                          string
	HypervisorPathList            []string
	JailerPathList                []string
	EntropySourceList             []string
	VirtioFSDaemonList            []string
	VirtioFSExtraArgs             []string
	VhostUserStorePathList        []string
	EnableAnnotations             []string
	MemOffset                     uint64
	RxRateLimiterMaxRate          uint64
	TxRateLimiterMaxRate          uint64
	SGXEPCSize                    int64
	NumVCPUsF                     float32
	DefaultMaxVCPUs               uint32
	MemorySize                    uint32
	DefaultBridges                uint32
	Msize9p                       uint32
	MemSlots                      uint32
	VirtioFSCacheSize             uint32
	BlockDeviceCacheSet           bool
	BlockDeviceCacheDirect        bool
	BlockDeviceCacheNoflush       bool
	BlockDeviceLogicalSectorSize  uint32
	BlockDevicePhysicalSectorSize uint32
	DisableBlockDeviceUse         bool
	EnableIOThreads               bool
	IndepIOThreads                uint32
	Debug                         bool
	MemPrealloc                   bool
	HugePages                     bool
	VirtioMem                     bool
	DisableNestingChecks          bool
	DisableImageNvdimm            bool
	HotPlugVFIO                   PCIePort
	ColdPlugVFIO                  PCIePort
	PCIeRootPort                  uint32
	PCIeSwitchPort                uint32
	BootToBeTemplate              bool
	BootFromTemplate              bool
	DisableVhostNet               bool
	EnableVhostUserStore          bool
}

type KataAgentConfig struct {
	LongLiveConn bool
}

type ShimConfig struct {
	Path  string
	Debug bool
}

type NetworkConfig struct {
	NetworkID         string
	NetworkCreated    bool
	DisableNewNetwork bool
	InterworkingModel int
}

type ContainerConfig struct {
	Annotations map[string]string
	Resources   LinuxResources
	ID          string
	RootFs      string
}

type SandboxConfig struct {
	Cgroups             *Cgroup          `json:"cgroups"`
	KataAgentConfig     *KataAgentConfig `json:",omitempty"`
	KataShimConfig      *ShimConfig
	GuestSeLinuxLabel   string
	HypervisorType      string
	SandboxBindMounts   []string
	Experimental        []string
	ContainerConfigs    []ContainerConfig
	NetworkConfig       NetworkConfig
	HypervisorConfig    HypervisorConfig
	ShmSize             uint64
	SharePidNs          bool
	Stateful            bool
	SystemdCgroup       bool
	SandboxCgroupOnly   bool
	DisableGuestSeccomp bool
	EnableVCPUsPinning  bool
}

// ---- persistapi: container.go ----

type DeviceMap struct {
	ID            string
	ContainerPath string
	FileMode      os.FileMode
	UID           uint32
	GID           uint32
	Shared        bool
}

type Mount struct {
	Source        string
	Destination   string
	Type          string
	HostPath      string
	BlockDeviceID string
	Options       []string
	ReadOnly      bool
}

type RootfsState struct {
	BlockDeviceID string
	FsType        string
}

type Process struct {
	StartTime time.Time
	Token     string
	Pid       int
}

type ContainerState struct {
	State      string
	CgroupPath string
	BundlePath string
	Rootfs     RootfsState
	Process    Process
	DeviceMaps []DeviceMap
	Mounts     []Mount
}

// ---- persistapi: network.go ----

type NetworkInterface struct {
	Name     string
	HardAddr string
	Addrs    []Addr
}

type TapInterface struct {
	ID       string
	Name     string
	TAPIface NetworkInterface
}

type TuntapInterface struct {
	Name     string
	TAPIface NetworkInterface
}

type NetworkInterfacePair struct {
	TapInterface
	VirtIface            NetworkInterface
	NetInterworkingModel int
}

type PhysicalEndpoint struct {
	BDF            string
	Driver         string
	VendorDeviceID string
}

type MacvtapEndpoint struct {
	PCIPath PciPath
}

type TapEndpoint struct {
	TapInterface TapInterface
}

type TuntapEndpoint struct {
	TuntapInterface TuntapInterface
}

type MacvlanEndpoint struct {
	NetPair NetworkInterfacePair
}

type VethEndpoint struct {
	NetPair NetworkInterfacePair
}

type IPVlanEndpoint struct {
	NetPair NetworkInterfacePair
}

type VhostUserEndpoint struct {
	IfaceName string
	PCIPath   PciPath
}

type VfioEndpoint struct {
	IfaceName string
}

type NetworkEndpoint struct {
	Physical  *PhysicalEndpoint  `json:",omitempty"`
	Veth      *VethEndpoint      `json:",omitempty"`
	VhostUser *VhostUserEndpoint `json:",omitempty"`
	Macvlan   *MacvlanEndpoint   `json:",omitempty"`
	Macvtap   *MacvtapEndpoint   `json:",omitempty"`
	Tap       *TapEndpoint       `json:",omitempty"`
	IPVlan    *IPVlanEndpoint    `json:",omitempty"`
	Tuntap    *TuntapEndpoint    `json:",omitempty"`
	Vfio      *VfioEndpoint      `json:",omitempty"`
	Type      string
}

type NetworkInfo struct {
	NetworkID      string
	Endpoints      []NetworkEndpoint
	NetworkCreated bool
}

// ---- persistapi: sandbox.go ----

type AgentState struct {
	URL string
}

type SandboxState struct {
	CgroupPaths             map[string]string
	Devices                 []DeviceState
	State                   string
	SandboxContainer        string
	SandboxCgroupPath       string
	OverheadCgroupPath      string
	HypervisorState         HypervisorState
	AgentState              AgentState
	Network                 NetworkInfo
	Config                  SandboxConfig
	PersistVersion          uint
	GuestMemoryBlockSizeMB  uint32
	GuestMemoryHotplugProbe bool
}

// ---- netlink (vishvananda/netlink addr.go) ----

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

// ---- specs (opencontainers/runtime-spec specs-go) ----

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

type LinuxBlockIODevice struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

type LinuxWeightDevice struct {
	LinuxBlockIODevice
	Weight     *uint16 `json:"weight,omitempty"`
	LeafWeight *uint16 `json:"leafWeight,omitempty"`
}

type LinuxThrottleDevice struct {
	LinuxBlockIODevice
	Rate uint64 `json:"rate"`
}

type LinuxHugepageLimit struct {
	Pagesize string `json:"pageSize"`
	Limit    uint64 `json:"limit"`
}

type LinuxInterfacePriority struct {
	Name     string `json:"name"`
	Priority uint32 `json:"priority"`
}

type LinuxNetwork struct {
	ClassID    *uint32                  `json:"classID,omitempty"`
	Priorities []LinuxInterfacePriority `json:"priorities,omitempty"`
}

type LinuxRdma struct {
	HcaHandles *uint32 `json:"hcaHandles,omitempty"`
	HcaObjects *uint32 `json:"hcaObjects,omitempty"`
}

// ---- cgroups (opencontainers/cgroups, runc's configs.Cgroup) ----

type dbusProperty struct {
	Name  string
	Value interface{}
}

type Cgroup struct {
	Name        string `json:"name,omitempty"`
	Parent      string `json:"parent,omitempty"`
	Path        string `json:"path,omitempty"`
	ScopePrefix string `json:"scope_prefix,omitempty"`
	*Resources
	Systemd      bool           `json:"Systemd,omitempty"`
	SystemdProps []dbusProperty `json:"-"`
	Rootless     bool           `json:"Rootless,omitempty"`
	OwnerUID     *int           `json:"owner_uid,omitempty"`
}

type DeviceRuleType rune

type DevicePermissions string

type DeviceRule struct {
	Type        DeviceRuleType    `json:"type"`
	Major       int64             `json:"major"`
	Minor       int64             `json:"minor"`
	Permissions DevicePermissions `json:"permissions"`
	Allow       bool              `json:"allow"`
}

type BlockIODevice struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

type WeightDevice struct {
	BlockIODevice
	Weight     uint16 `json:"weight"`
	LeafWeight uint16 `json:"leafWeight"`
}

type ThrottleDevice struct {
	BlockIODevice
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

type FreezerState string

type Resources struct {
	Devices                      []*DeviceRule         `json:"devices,omitempty"`
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
	Freezer                      FreezerState          `json:"freezer,omitempty"`
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
