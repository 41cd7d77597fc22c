"""Go scalar types as annotated Python types.

To mypy and to users they are plain ``int``/``float``; the annotation carries the Go range so the codec
refuses what Go could not hold (a negative ``uint32``, an ``int64`` overflow) in both directions.
"""

from __future__ import annotations

from typing import Annotated, Any

import attrs


@attrs.frozen
class GoInt:
    """Marks an ``int`` with the range of a Go integer type."""

    go_type: str
    min: int
    max: int


@attrs.frozen
class GoFloat32:
    """Marks a ``float`` held by Go as float32 (printed with float32's shortest representation)."""


Int = Annotated[int, GoInt("int", -(2**63), 2**63 - 1)]
Int64 = Annotated[int, GoInt("int64", -(2**63), 2**63 - 1)]
Uint = Annotated[int, GoInt("uint", 0, 2**64 - 1)]
Uint16 = Annotated[int, GoInt("uint16", 0, 2**16 - 1)]
Uint32 = Annotated[int, GoInt("uint32", 0, 2**32 - 1)]
Uint64 = Annotated[int, GoInt("uint64", 0, 2**64 - 1)]
FileMode = Annotated[int, GoInt("os.FileMode", 0, 2**32 - 1)]
Float32 = Annotated[float, GoFloat32()]


@attrs.frozen
class ForeignJSON:
    """Marks a foreign struct (OCI, runc cgroups, netlink) kept as the JSON it was decoded from.

    Its keys keep their order as written, so it is never sorted like a Go map.
    """


#: A foreign value of any JSON shape (null included), kept as decoded.
JSONValue = Any
#: A foreign struct stored by value (never null), kept as the JSON object it was decoded from.
JSONObject = Annotated[dict[str, Any], ForeignJSON()]
