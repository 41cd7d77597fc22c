from persist_core.model._fields import go, model
from persist_core.model._gotypes import Int, Uint32


@model(kw_only=True)
class Bridge:
    """A PCI/PCIe bridge used for hotplug."""

    device_addr: dict[Uint32, str] | None = go("DeviceAddr", None)
    type: str = go("Type", "")
    id: str = go("ID", "")
    addr: Int = go("Addr", 0)
    parent_id: str = go("ParentID", "")
    parent_addr: Int = go("ParentAddr", 0)


@model(kw_only=True)
class CPUDevice:
    """A hot-added vCPU."""

    id: str = go("ID", "")


@model(kw_only=True)
class HypervisorState:
    """VMM runtime state."""

    block_index_map: set[Int] | None = go("BlockIndexMap", None)
    type: str = go("Type", "")
    uuid: str = go("UUID", "")
    api_socket: str = go("APISocket", "")
    bridges: list[Bridge] | None = go("Bridges", None)
    hotplugged_vcpus: list[CPUDevice] | None = go("HotpluggedVCPUs", None)
    hotplugged_memory: Int = go("HotpluggedMemory", 0)
    virtiofs_daemon_pid: Int = go("VirtiofsDaemonPid", 0)
    pid: Int = go("Pid", 0)
    hot_plug_vfio: str = go("HotPlugVFIO", "")
    cold_plug_vfio: str = go("ColdPlugVFIO", "")
    pcie_root_port: Uint32 = go("PCIeRootPort", 0)
    pcie_switch_port: Uint32 = go("PCIeSwitchPort", 0)
