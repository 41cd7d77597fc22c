from persist_core.model._fields import go, model
from persist_core.model._gotypes import CgroupJSON, Float32, Int, Int64, LinuxResourcesJSON, Uint32, Uint64


@model(kw_only=True)
class HypervisorConfig:
    """Subset of the sandbox hypervisor configuration saved for restore."""

    kernel_path: str = go("KernelPath", "")
    image_path: str = go("ImagePath", "")
    initrd_path: str = go("InitrdPath", "")
    firmware_path: str = go("FirmwarePath", "")
    machine_accelerators: str = go("MachineAccelerators", "")
    cpu_features: str = go("CPUFeatures", "")
    hypervisor_path: str = go("HypervisorPath", "")
    jailer_path: str = go("JailerPath", "")
    block_device_driver: str = go("BlockDeviceDriver", "")
    hypervisor_machine_type: str = go("HypervisorMachineType", "")
    memory_path: str = go("MemoryPath", "")
    devices_state_path: str = go("DevicesStatePath", "")
    entropy_source: str = go("EntropySource", "")
    shared_fs: str = go("SharedFS", "")
    virtio_fs_daemon: str = go("VirtioFSDaemon", "")
    virtio_fs_cache: str = go("VirtioFSCache", "")
    vhost_user_store_path: str = go("VhostUserStorePath", "")
    seccomp_sandbox: str = go("SeccompSandbox", "")
    guest_hook_path: str = go("GuestHookPath", "")
    vm_id: str = go("VMid", "")
    hypervisor_path_list: list[str] | None = go("HypervisorPathList", None)
    jailer_path_list: list[str] | None = go("JailerPathList", None)
    entropy_source_list: list[str] | None = go("EntropySourceList", None)
    virtio_fs_daemon_list: list[str] | None = go("VirtioFSDaemonList", None)
    virtio_fs_extra_args: list[str] | None = go("VirtioFSExtraArgs", None)
    vhost_user_store_path_list: list[str] | None = go("VhostUserStorePathList", None)
    enable_annotations: list[str] | None = go("EnableAnnotations", None)
    mem_offset: Uint64 = go("MemOffset", 0)
    rx_rate_limiter_max_rate: Uint64 = go("RxRateLimiterMaxRate", 0)
    tx_rate_limiter_max_rate: Uint64 = go("TxRateLimiterMaxRate", 0)
    sgx_epc_size: Int64 = go("SGXEPCSize", 0)
    num_vcpus_f: Float32 = go("NumVCPUsF", 0.0)
    default_max_vcpus: Uint32 = go("DefaultMaxVCPUs", 0)
    memory_size: Uint32 = go("MemorySize", 0)
    default_bridges: Uint32 = go("DefaultBridges", 0)
    msize_9p: Uint32 = go("Msize9p", 0)
    mem_slots: Uint32 = go("MemSlots", 0)
    virtio_fs_cache_size: Uint32 = go("VirtioFSCacheSize", 0)
    block_device_cache_set: bool = go("BlockDeviceCacheSet", False)
    block_device_cache_direct: bool = go("BlockDeviceCacheDirect", False)
    block_device_cache_noflush: bool = go("BlockDeviceCacheNoflush", False)
    block_device_logical_sector_size: Uint32 = go("BlockDeviceLogicalSectorSize", 0)
    block_device_physical_sector_size: Uint32 = go("BlockDevicePhysicalSectorSize", 0)
    disable_block_device_use: bool = go("DisableBlockDeviceUse", False)
    enable_io_threads: bool = go("EnableIOThreads", False)
    indep_io_threads: Uint32 = go("IndepIOThreads", 0)
    debug: bool = go("Debug", False)
    mem_prealloc: bool = go("MemPrealloc", False)
    huge_pages: bool = go("HugePages", False)
    virtio_mem: bool = go("VirtioMem", False)
    disable_nesting_checks: bool = go("DisableNestingChecks", False)
    disable_image_nvdimm: bool = go("DisableImageNvdimm", False)
    hot_plug_vfio: str = go("HotPlugVFIO", "")
    cold_plug_vfio: str = go("ColdPlugVFIO", "")
    pcie_root_port: Uint32 = go("PCIeRootPort", 0)
    pcie_switch_port: Uint32 = go("PCIeSwitchPort", 0)
    boot_to_be_template: bool = go("BootToBeTemplate", False)
    boot_from_template: bool = go("BootFromTemplate", False)
    disable_vhost_net: bool = go("DisableVhostNet", False)
    enable_vhost_user_store: bool = go("EnableVhostUserStore", False)


@model(kw_only=True)
class KataAgentConfig:
    """Agent connection settings."""

    long_live_conn: bool = go("LongLiveConn", False)


@model(kw_only=True)
class ShimConfig:
    """Legacy shim settings; current kata never fills it (always null)."""

    path: str = go("Path", "")
    debug: bool = go("Debug", False)


@model(kw_only=True)
class NetworkConfig:
    """Sandbox network configuration."""

    network_id: str = go("NetworkID", "")
    network_created: bool = go("NetworkCreated", False)
    disable_new_network: bool = go("DisableNewNetwork", False)
    interworking_model: Int = go("InterworkingModel", 0)


@model(kw_only=True)
class ContainerConfig:
    """Per-container config kept so updates can be replayed."""

    annotations: dict[str, str] | None = go("Annotations", None)
    resources: LinuxResourcesJSON = go("Resources", factory=dict)
    id: str = go("ID", "")
    root_fs: str = go("RootFs", "")


@model(kw_only=True)
class SandboxConfig:
    """Sandbox configuration snapshot."""

    cgroups: CgroupJSON = go("cgroups", None)
    kata_agent_config: KataAgentConfig | None = go("KataAgentConfig", None, omitempty=True)
    kata_shim_config: ShimConfig | None = go("KataShimConfig", None)
    guest_selinux_label: str = go("GuestSeLinuxLabel", "")
    hypervisor_type: str = go("HypervisorType", "")
    sandbox_bind_mounts: list[str] | None = go("SandboxBindMounts", None)
    experimental: list[str] | None = go("Experimental", None)
    container_configs: list[ContainerConfig] | None = go("ContainerConfigs", None)
    network_config: NetworkConfig = go("NetworkConfig", factory=NetworkConfig)
    hypervisor_config: HypervisorConfig = go("HypervisorConfig", factory=HypervisorConfig)
    shm_size: Uint64 = go("ShmSize", 0)
    share_pid_ns: bool = go("SharePidNs", False)
    stateful: bool = go("Stateful", False)
    systemd_cgroup: bool = go("SystemdCgroup", False)
    sandbox_cgroup_only: bool = go("SandboxCgroupOnly", False)
    disable_guest_seccomp: bool = go("DisableGuestSeccomp", False)
    enable_vcpus_pinning: bool = go("EnableVCPUsPinning", False)
