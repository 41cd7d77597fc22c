"""persist: save and restore the runtime state of sandboxes and their containers through pluggable drivers.

The public API is named here; backends are found by entry point (group ``persist.drivers``) and are never
imported by the core.
"""

from persist_core import codec, errors
from persist_core.driver import Capability, Lock, PersistDriver, Record, StoredSandbox
from persist_core.ids import check_id
from persist_core.model import ContainerState, GoTime, SandboxState
from persist_core.registry import available_drivers, get_driver, register_driver, unregister_driver
from persist_core.versioning import CURRENT_PERSIST_VERSION

__all__ = [
    "CURRENT_PERSIST_VERSION",
    "Capability",
    "ContainerState",
    "GoTime",
    "Lock",
    "PersistDriver",
    "Record",
    "SandboxState",
    "StoredSandbox",
    "available_drivers",
    "check_id",
    "codec",
    "errors",
    "get_driver",
    "register_driver",
    "unregister_driver",
]
