from persist_core.model._fields import go, model
from persist_core.model._gotypes import FileMode, Int, Uint32
from persist_core.model.gotime import GoTime


@model(kw_only=True)
class DeviceMap:
    """Link between a sandbox device and its path inside one container."""

    id: str = go("ID", "")
    container_path: str = go("ContainerPath", "")
    file_mode: FileMode = go("FileMode", 0)
    uid: Uint32 = go("UID", 0)
    gid: Uint32 = go("GID", 0)
    shared: bool = go("Shared", False)


@model(kw_only=True)
class Mount:
    """A container mount."""

    source: str = go("Source", "")
    destination: str = go("Destination", "")
    type: str = go("Type", "")
    host_path: str = go("HostPath", "")
    block_device_id: str = go("BlockDeviceID", "")
    options: list[str] | None = go("Options", None)
    read_only: bool = go("ReadOnly", False)


@model(kw_only=True)
class RootfsState:
    """Container rootfs facts."""

    block_device_id: str = go("BlockDeviceID", "")
    fs_type: str = go("FsType", "")


@model(kw_only=True)
class Process:
    """Host-side view of the container process."""

    start_time: GoTime = go("StartTime", GoTime.ZERO)
    token: str = go("Token", "")
    pid: Int = go("Pid", 0)


@model(kw_only=True)
class ContainerState:
    """Root of sbs/<sid>/<cid>/persist.json."""

    state: str = go("State", "")
    cgroup_path: str = go("CgroupPath", "")
    bundle_path: str = go("BundlePath", "")
    rootfs: RootfsState = go("Rootfs", factory=RootfsState)
    process: Process = go("Process", factory=Process)
    device_maps: list[DeviceMap] | None = go("DeviceMaps", None)
    mounts: list[Mount] | None = go("Mounts", None)
