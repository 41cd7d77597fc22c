from persist_core.model._fields import go, model
from persist_core.model._gotypes import Int, Int64, Uint, Uint32


@model(kw_only=True)
class PciPath:
    """"""


@model(kw_only=True)
class BlockDrive:
    """Block drive attached to the VM."""

    file: str = go("File", "")
    format: str = go("Format", "")
    id: str = go("ID", "")
    mmio_addr: str = go("MmioAddr", "")
    scsi_addr: str = go("SCSIAddr", "")
    nvdimm_id: str = go("NvdimmID", "")
    virt_path: str = go("VirtPath", "")
    dev_no: str = go("DevNo", "")
    pci_path: PciPath = go("PCIPath", factory=PciPath)
    index: Int = go("Index", 0)
    share_rw: bool = go("ShareRW", False)
    read_only: bool = go("ReadOnly", False)
    discard_unmap: bool = go("DiscardUnmap", False)
    pmem: bool = go("Pmem", False)
    swap: bool = go("Swap", False)


@model(kw_only=True)
class VFIODev:
    """One VFIO device."""

    id: str = go("ID", "")
    bdf: str = go("BDF", "")
    sysfs_dev: str = go("SysfsDev", "")
    devfs_dev: str = go("DevfsDev", "")
    vendor_id: str = go("VendorID", "")
    device_id: str = go("DeviceID", "")
    class_: str = go("Class", "")
    bus: str = go("Bus", "")
    guest_pci_path: PciPath = go("GuestPciPath", factory=PciPath)
    type: Uint32 = go("Type", 0)
    numa_node: Int = go("NUMANode", 0)
    is_pcie: bool = go("IsPCIe", False)
    ap_devices: list[str] | None = go("APDevices", None)
    port: str = go("Port", "")
    host_path: str = go("HostPath", "")


@model(kw_only=True)
class VhostUserDeviceAttrs:
    """vhost-user device attributes."""

    dev_id: str = go("DevID", "")
    socket_path: str = go("SocketPath", "")
    mac_address: str = go("MacAddress", "")
    tag: str = go("Tag", "")
    cache: str = go("Cache", "")
    type: str = go("Type", "")
    pci_path: PciPath = go("PCIPath", factory=PciPath)
    index: Int = go("Index", 0)
    cache_size: Uint32 = go("CacheSize", 0)
    queue_size: Uint32 = go("QueueSize", 0)
    reconnect_time: Uint32 = go("ReconnectTime", 0)


@model(kw_only=True)
class DeviceState:
    """A host device plugged into the VM (may be shared by containers)."""

    driver_options: dict[str, str] | None = go("DriverOptions", None)
    vhost_user_dev: VhostUserDeviceAttrs | None = go("VhostUserDev", None, omitempty=True)
    block_drive: BlockDrive | None = go("BlockDrive", None, omitempty=True)
    id: str = go("ID", "")
    type: str = go("Type", "")
    dev_type: str = go("DevType", "")
    vfio_devs: list[VFIODev | None] | None = go("VFIODevs", None, omitempty=True)
    ref_count: Uint = go("RefCount", 0)
    attach_count: Uint = go("AttachCount", 0)
    major: Int64 = go("Major", 0)
    minor: Int64 = go("Minor", 0)
    cold_plug: bool = go("ColdPlug", False)
