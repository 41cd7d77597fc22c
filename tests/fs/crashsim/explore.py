"""Every state a power cut could leave, at every point of a trace, under a weak POSIX persistence model.

The model (docs/fs.md, "Power loss", says the same for readers of the driver):

- A crash after the first ``k`` operations of the trace (every ``k`` from 0, nothing done, to all of
  them, the operation returned) leaves the tree as it was before, plus a subset of those operations.
- A directory operation (create, mkdir, link, unlink, rmdir, rename) is *durable* once a later fsync
  of its directory has been issued (a rename: of its source or its target directory; either commits
  the one atomic rename). Each directory operation that is not durable may be lost, independently of
  the others, in any combination; the kept ones are applied in order. A rename is all or nothing.
- A file's bytes are durable up to its last fsync (or fdatasync). The writes and truncations made
  after it are kept as a prefix: none, the first ``t`` of them, or the first ``t`` and a torn part of
  the next write (a prefix of its bytes: half of it, and each point just after a newline in it).
- What an fsync made durable stays.

Where a point of the trace allows at most ``limit`` states they are all built; where it allows more,
``samples`` of them are drawn with a fixed seed (plus the two extremes: everything kept and everything
that may be lost lost), and the count of both is returned.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from crashsim.model import FILE, Tree, replay
from crashsim.trace import ENTRY_OPS, Op, Returned, Sync, Trace, Truncate, Write, describe, directories_of

MAX_TEARS = 4  # torn variants of one write at most (half, and points after a newline)


@dataclass(frozen=True)
class CrashState:
    prefix: int  # how many operations of the trace were issued before the power went
    returned: int  # how many of the recorded calls had returned by then (or may as well have)
    lost: tuple[int, ...]  # indices of the directory operations lost
    data: tuple[str, ...]  # what became of the files with unsynced bytes
    tree: Tree

    def explain(self, trace: Trace) -> str:
        last = describe(trace.ops[self.prefix - 1]) if self.prefix else "nothing"
        where = f"after op #{self.prefix}, {self.returned} call(s) returned"
        lost = ", ".join(f"#{i + 1} {describe(trace.ops[i])}" for i in self.lost) or "none"
        data = "; ".join(self.data) or "all durable"
        return f"power lost {where} (last: {last}); directory operations lost: {lost}; file data: {data}"


@dataclass
class PointCount:
    prefix: int
    states: int  # how many crash states the model allows at this point
    explored: int


@dataclass
class Exploration:
    points: list[PointCount] = field(default_factory=list)

    @property
    def states(self) -> int:
        return sum(point.states for point in self.points)

    @property
    def explored(self) -> int:
        return sum(point.explored for point in self.points)

    @property
    def exhaustive(self) -> bool:
        return all(point.states == point.explored for point in self.points)


def _apply(content: bytes, op: Write | Truncate, cut: int | None = None) -> bytes:
    if isinstance(op, Truncate):
        return content[: op.size].ljust(op.size, b"\0")
    data = op.data if cut is None else op.data[:cut]
    head = content[: op.offset].ljust(op.offset, b"\0")
    return head + data + content[op.offset + len(data) :]


def _tears(data: bytes) -> list[int]:
    """Where a write may be torn: half way, and just after each newline (a journal line), at most MAX_TEARS."""
    cuts = {len(data) // 2} | {i + 1 for i, byte in enumerate(data) if byte == ord("\n")}
    cuts = sorted(cut for cut in cuts if 0 < cut < len(data))
    if len(cuts) > MAX_TEARS:
        step = len(cuts) / MAX_TEARS
        cuts = [cuts[int(i * step)] for i in range(MAX_TEARS)]
    return cuts


def _file_options(trace: Trace, node: int, history: list[Write | Truncate | Sync]) -> list[tuple[str, bytes]]:
    """The contents a crash may leave in ``node`` after ``history`` (its data operations and syncs)."""
    content = trace.before.contents.get(node, b"") if trace.before.kinds.get(node) == FILE else b""
    last_sync = max((i for i, op in enumerate(history) if isinstance(op, Sync)), default=-1)
    for op in history[: last_sync + 1]:
        if not isinstance(op, Sync):
            content = _apply(content, op)
    pending = [op for op in history[last_sync + 1 :] if not isinstance(op, Sync)]
    if not pending:
        return [("", content)]
    shown = pending[0].path
    options: dict[bytes, str] = {}
    for kept, op in enumerate(pending):
        options.setdefault(content, f"{shown}: {kept} of {len(pending)} unsynced writes kept")
        if isinstance(op, Write):
            for cut in _tears(op.data):
                torn = _apply(content, op, cut)
                options.setdefault(torn, f"{shown}: {kept} of {len(pending)} unsynced writes kept, then {cut} bytes")
        content = _apply(content, op)
    options.pop(content, None)
    options[content] = f"{shown}: all {len(pending)} unsynced writes kept"  # last: "everything kept"
    return [(label, data) for data, label in options.items()]


def explore(trace: Trace, *, limit: int, samples: int, seed: int = 16) -> tuple[Exploration, Iterator[CrashState]]:
    """The counts per point of the trace, and the crash states (built lazily, in trace order)."""
    ops = trace.ops
    entry = [i for i, op in enumerate(ops) if isinstance(op, ENTRY_OPS)]
    made_durable_at = _made_durable_at(ops, entry)
    histories: dict[int, list[Write | Truncate | Sync]] = {}
    points: list[tuple[int, list[int], list[int], dict[int, list[tuple[str, bytes]]]]] = []
    exploration = Exploration()
    for k in range(len(ops) + 1):
        if k:
            op = ops[k - 1]
            if isinstance(op, Returned):
                continue  # the same states as the point before (which counts as returned, below)
            if isinstance(op, (Write, Truncate, Sync)):
                histories.setdefault(op.node, []).append(op)
        durable = [i for i in entry if i < k and made_durable_at[i] < k]
        optional = [i for i in entry if i < k and made_durable_at[i] >= k]
        options = {node: _file_options(trace, node, history) for node, history in histories.items()}
        states = 2 ** len(optional) * math.prod(len(choices) for choices in options.values())
        explored = states if states <= limit else min(states, samples + 2)
        exploration.points.append(PointCount(k, states, explored))
        points.append((k, durable, optional, options))

    def generate() -> Iterator[CrashState]:
        for (k, durable, optional, options), point in zip(points, exploration.points, strict=True):
            nodes = sorted(options)
            sizes = [len(options[node]) for node in nodes]
            count = point.explored
            returned = _returned_by(ops, k)
            combos = _combinations(
                len(optional), sizes, count, exhaustive=count == point.states, seed=seed * 1_000_003 + k
            )
            fixed = {node: choices[0][1] for node, choices in options.items() if len(choices) == 1}
            for kept_bits, picks in combos:
                kept = set(durable)
                kept.update(i for bit, i in enumerate(optional) if kept_bits >> bit & 1)
                contents = dict(trace.before.contents)
                contents.update(fixed)
                labels = []
                for node, pick in zip(nodes, picks, strict=True):
                    label, data = options[node][pick]
                    contents[node] = data
                    if label and len(options[node]) > 1:
                        labels.append(label)
                lost = tuple(i for i in optional if i not in kept)
                yield CrashState(k, returned, lost, tuple(labels), replay(trace.before, ops[:k], kept, contents))

    return exploration, generate()


def _made_durable_at(ops: list[Op], entry: list[int]) -> dict[int, int]:
    """Entry op -> index of the first fsync of one of its directories after it (past the end if none)."""
    made_durable_at = {}
    for i in entry:
        dirs = directories_of(ops[i])  # type: ignore[arg-type]
        made_durable_at[i] = next(
            (j for j in range(i + 1, len(ops)) if isinstance(ops[j], Sync) and ops[j].node in dirs), len(ops) + 1
        )
    return made_durable_at


def _returned_by(ops: list[Op], k: int) -> int:
    """Calls returned at point ``k``: a point just before a return holds the same states as after it."""
    while k < len(ops) and isinstance(ops[k], Returned):
        k += 1
    return sum(isinstance(op, Returned) for op in ops[:k])


def _combinations(
    bits: int, sizes: list[int], count: int, *, exhaustive: bool, seed: int
) -> Iterator[tuple[int, tuple[int, ...]]]:
    """(kept entry ops as bits, one pick per file): every combination, or ``count`` sampled ones."""
    if exhaustive:
        return itertools.product(range(2**bits), itertools.product(*(range(size) for size in sizes)))
    return iter(_sample(random.Random(seed), bits, sizes, count))


def _sample(rng: random.Random, bits: int, sizes: list[int], count: int) -> list[tuple[int, tuple[int, ...]]]:
    """``count`` distinct choices: everything kept (all bytes too), everything lost, then random ones."""
    chosen = {((1 << bits) - 1, tuple(size - 1 for size in sizes)), (0, tuple(0 for _ in sizes))}
    while len(chosen) < count:
        chosen.add((rng.getrandbits(bits) if bits else 0, tuple(rng.randrange(size) for size in sizes)))
    return sorted(chosen)


def process_crash(trace: Trace, prefix: int) -> Tree:
    """The tree a process killed after ``prefix`` operations leaves (nothing lost: the page cache stays)."""
    contents = dict(trace.before.contents)
    for op in trace.ops[:prefix]:
        if isinstance(op, (Write, Truncate)):
            contents[op.node] = _apply(contents.get(op.node, b""), op)
    entry = [i for i, op in enumerate(trace.ops[:prefix]) if isinstance(op, ENTRY_OPS)]
    return replay(trace.before, trace.ops[:prefix], set(entry), contents)
