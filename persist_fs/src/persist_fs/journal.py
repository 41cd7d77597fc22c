"""The commit record: which files a multi-file save replaces and which containers it removes.

Its own line format, not JSON (all JSON belongs to the core codec): a header, then ``S`` (the sandbox
file), ``W <cid>`` (a container file) or ``D <cid>`` (a removed container), one per line. An empty
journal means "no commit in progress". Container IDs are checked again when read back, so a tampered
journal cannot steer a rename outside the sandbox directory.
"""

from __future__ import annotations

import attrs

from persist_core.errors import CorruptStateError, InvalidIdError
from persist_core.ids import check_id

HEADER = b"persist-fs journal 1"
# A journal names each changed container once (under 140 bytes a line): 16 MiB is over 100,000
# containers. A larger one is corrupt, and refused before it is read.
MAX_SIZE = 16 << 20


@attrs.frozen
class Plan:
    """The visible steps of one commit; applying it twice is the same as applying it once."""

    sandbox: bool = False
    writes: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        return int(self.sandbox) + len(self.writes) + len(self.deletes)


def encode(plan: Plan) -> bytes:
    """The journal's bytes, built as one text (container IDs are ASCII: persist_core.ids)."""
    lines = [HEADER.decode()]
    if plan.sandbox:
        lines.append("S")
    lines += ["W " + cid for cid in plan.writes]
    lines += ["D " + cid for cid in plan.deletes]
    lines.append("")
    return "\n".join(lines).encode()


def decode(data: bytes, where: str) -> Plan | None:
    """The pending plan, or None for an empty (settled) journal."""
    if not data:
        return None
    lines = data.split(b"\n")
    if lines[0] != HEADER or lines[-1] != b"":
        raise CorruptStateError(f"{where}: not a persist-fs journal (unknown header or truncated)")
    sandbox = False
    writes: list[str] = []
    deletes: list[str] = []
    for line in lines[1:-1]:
        kind, _, arg = line.partition(b" ")
        try:
            if kind == b"S" and not arg:
                sandbox = True
            elif kind == b"W":
                writes.append(check_id(arg.decode("ascii"), "container"))
            elif kind == b"D":
                deletes.append(check_id(arg.decode("ascii"), "container"))
            else:
                raise CorruptStateError(f"{where}: unknown journal line {line!r}")
        except (InvalidIdError, UnicodeDecodeError) as exc:
            raise CorruptStateError(f"{where}: bad journal line {line!r}: {exc}") from exc
    return Plan(sandbox=sandbox, writes=tuple(writes), deletes=tuple(deletes))
