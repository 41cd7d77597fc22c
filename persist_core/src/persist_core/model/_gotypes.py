"""Go scalar types as annotated Python types.

To mypy and to users they are plain ``int``/``float``; the annotation carries the Go range so the codec
refuses what Go could not hold (a negative ``uint32``, an ``int64`` overflow) in both directions.

The markers are plain classes, not attrs classes: they are made once at import, on every cold start.
"""

from __future__ import annotations

from typing import Annotated, Any


class GoInt:
    """Marks an ``int`` with the range of a Go integer type."""

    __slots__ = ("go_type", "max", "min")

    def __init__(self, go_type: str, min: int, max: int) -> None:
        self.go_type = go_type
        self.min = min
        self.max = max

    def _key(self) -> tuple[str, int, int]:
        return (self.go_type, self.min, self.max)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoInt) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"GoInt(go_type={self.go_type!r}, min={self.min!r}, max={self.max!r})"


class _Marker:
    """A marker without fields: all instances are equal, as the attrs classes these replace were."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GoFloat32(_Marker):
    """Marks a ``float`` held by Go as float32 (printed with float32's shortest representation)."""

    __slots__ = ()


Int = Annotated[int, GoInt("int", -(2**63), 2**63 - 1)]
Int64 = Annotated[int, GoInt("int64", -(2**63), 2**63 - 1)]
Uint = Annotated[int, GoInt("uint", 0, 2**64 - 1)]
Uint16 = Annotated[int, GoInt("uint16", 0, 2**16 - 1)]
Uint32 = Annotated[int, GoInt("uint32", 0, 2**32 - 1)]
Uint64 = Annotated[int, GoInt("uint64", 0, 2**64 - 1)]
FileMode = Annotated[int, GoInt("os.FileMode", 0, 2**32 - 1)]
Float32 = Annotated[float, GoFloat32()]


class _Foreign:
    """Names the foreign Go type (see model.foreign) whose shape encoding checks, and the field holding it."""

    __slots__ = ("go_type", "pointer", "where")

    def __init__(self, go_type: str = "", where: str = "", *, pointer: bool = False) -> None:
        self.go_type = go_type
        self.where = where
        self.pointer = pointer  # a Go pointer: None (null) is nil

    def _key(self) -> tuple[type, str, str, bool]:
        return (type(self), self.go_type, self.where, self.pointer)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Foreign) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.go_type!r}, {self.where!r}, pointer={self.pointer!r})"


class ForeignJSON(_Foreign):
    """Marks a foreign struct stored by value (never null), kept as the JSON object it was decoded from.

    Its keys keep their order as written, so it is never sorted like a Go map.
    """

    __slots__ = ()


class ForeignValue(_Foreign):
    """Marks a foreign struct behind a pointer (null is nil) or in a slice, kept as the JSON decoded: any
    JSON value decodes, and encoding accepts only what the Go type reads back unchanged."""

    __slots__ = ()


#: A foreign value of any JSON shape (null included), kept as decoded.
JSONValue = Any
#: A foreign struct stored by value (never null), kept as the JSON object it was decoded from.
JSONObject = Annotated[dict[str, Any], ForeignJSON()]
#: OCI ``specs.LinuxResources`` (ContainerConfig.Resources).
LinuxResourcesJSON = Annotated[dict[str, Any], ForeignJSON("specs.LinuxResources", "ContainerConfig.Resources")]
#: runc's ``*configs.Cgroup`` (SandboxConfig.cgroups): None or its JSON object.
CgroupJSON = Annotated[Any, ForeignValue("cgroups.Cgroup", "SandboxConfig.cgroups", pointer=True)]
#: netlink's ``Addr`` (an element of NetworkInterface.Addrs).
NetlinkAddrJSON = Annotated[Any, ForeignValue("netlink.Addr", "NetworkInterface.Addrs[]")]
