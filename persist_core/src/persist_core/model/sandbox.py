from persist_core.model._fields import go, model
from persist_core.model._gotypes import Uint, Uint32
from persist_core.model.config import SandboxConfig
from persist_core.model.device import DeviceState
from persist_core.model.hypervisor import HypervisorState
from persist_core.model.network import NetworkInfo


@model(kw_only=True)
class AgentState:
    """Agent connection state."""

    url: str = go("URL", "")


@model(kw_only=True)
class SandboxState:
    """Root of sbs/<sid>/persist.json."""

    cgroup_paths: dict[str, str] | None = go("CgroupPaths", None)
    devices: list[DeviceState] | None = go("Devices", None)
    state: str = go("State", "")
    sandbox_container: str = go("SandboxContainer", "")
    sandbox_cgroup_path: str = go("SandboxCgroupPath", "")
    overhead_cgroup_path: str = go("OverheadCgroupPath", "")
    hypervisor_state: HypervisorState = go("HypervisorState", factory=HypervisorState)
    agent_state: AgentState = go("AgentState", factory=AgentState)
    network: NetworkInfo = go("Network", factory=NetworkInfo)
    config: SandboxConfig = go("Config", factory=SandboxConfig)
    persist_version: Uint = go("PersistVersion", 0)
    guest_memory_block_size_mb: Uint32 = go("GuestMemoryBlockSizeMB", 0)
    guest_memory_hotplug_probe: bool = go("GuestMemoryHotplugProbe", False)
