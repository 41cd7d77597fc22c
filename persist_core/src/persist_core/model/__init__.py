"""kata's persist data model (PersistVersion 2) as attrs classes, under their Go struct names.

Attributes are snake_case; each default is Go's zero value, with nil slices, maps and pointers as None.
Foreign structures (OCI LinuxResources, runc cgroups, netlink addresses) are kept as plain JSON values.

The class modules do without ``from __future__ import annotations`` on purpose: their annotations are
evaluated as each class is made (so a class is declared before a field names it), and every field's
``type`` is the real type from the start, with no ``attrs.resolve_types`` pass on each import.
"""

import attrs

from persist_core.model._gotypes import Float32, Int, Int64, JSONObject, JSONValue, Uint, Uint16, Uint32, Uint64
from persist_core.model.config import (
    ContainerConfig,
    HypervisorConfig,
    KataAgentConfig,
    NetworkConfig,
    SandboxConfig,
    ShimConfig,
)
from persist_core.model.container import ContainerState, DeviceMap, Mount, Process, RootfsState
from persist_core.model.device import BlockDrive, DeviceState, PciPath, VFIODev, VhostUserDeviceAttrs
from persist_core.model.gotime import GoTime
from persist_core.model.hypervisor import Bridge, CPUDevice, HypervisorState
from persist_core.model.network import (
    IPVlanEndpoint,
    MacvlanEndpoint,
    MacvtapEndpoint,
    NetworkEndpoint,
    NetworkInfo,
    NetworkInterface,
    NetworkInterfacePair,
    PhysicalEndpoint,
    TapEndpoint,
    TapInterface,
    TuntapEndpoint,
    TuntapInterface,
    VethEndpoint,
    VfioEndpoint,
    VhostUserEndpoint,
)
from persist_core.model.sandbox import AgentState, SandboxState

__all__ = [
    "AgentState",
    "BlockDrive",
    "Bridge",
    "CPUDevice",
    "ContainerConfig",
    "ContainerState",
    "DeviceMap",
    "DeviceState",
    "Float32",
    "GoTime",
    "HypervisorConfig",
    "HypervisorState",
    "IPVlanEndpoint",
    "Int",
    "Int64",
    "JSONObject",
    "JSONValue",
    "KataAgentConfig",
    "MacvlanEndpoint",
    "MacvtapEndpoint",
    "Mount",
    "NetworkConfig",
    "NetworkEndpoint",
    "NetworkInfo",
    "NetworkInterface",
    "NetworkInterfacePair",
    "PciPath",
    "PhysicalEndpoint",
    "Process",
    "RootfsState",
    "SandboxConfig",
    "SandboxState",
    "ShimConfig",
    "TapEndpoint",
    "TapInterface",
    "TuntapEndpoint",
    "TuntapInterface",
    "Uint",
    "Uint16",
    "Uint32",
    "Uint64",
    "VFIODev",
    "VethEndpoint",
    "VfioEndpoint",
    "VhostUserDeviceAttrs",
    "VhostUserEndpoint",
]

#: Every Go struct mirror, for tools that walk the model (strategies, schema checks).
MODEL_CLASSES: tuple[type, ...] = tuple(
    obj for obj in map(globals().__getitem__, __all__) if isinstance(obj, type) and attrs.has(obj) and obj is not GoTime
)
