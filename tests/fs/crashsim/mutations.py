"""The driver broken on purpose, to prove that the exploration notices: each function rewrites a trace
into the trace a driver with that bug would have made.

A live file system looks the same whether or not an fsync was issued, so moving or dropping fsyncs
(and moving a directory operation across fsyncs only) gives exactly what the broken driver would have
done; nothing else in the trace changes. They find their targets by kind and by the on-disk names of
the format (``.journal``), not by the writer's code, so they keep working when the writer changes.
"""

from __future__ import annotations

from crashsim.model import DIR
from crashsim.trace import ENTRY_OPS, Create, Op, Rename, Returned, Sync, Trace, Write, directories_of


def drop_directory_fsync_after_rename(trace: Trace) -> Trace:
    """Leave out every fsync of a directory whose last directory operation was a rename."""
    kinds = dict(trace.before.kinds)
    last_in: dict[int, Op] = {}
    ops: list[Op] = []
    for op in trace.ops:
        if isinstance(op, Sync) and kinds.get(op.node, DIR) == DIR and isinstance(last_in.get(op.node), Rename):
            continue
        if isinstance(op, ENTRY_OPS):
            for directory in directories_of(op):
                last_in[directory] = op
            if isinstance(op, Create):
                kinds[op.node] = "f"
        ops.append(op)
    return _changed(trace, ops)


def rename_before_file_fsync(trace: Trace) -> Trace:
    """Move each fsync of a regular file to just after the next rename of that file."""
    kinds = dict(trace.before.kinds)
    deferred: dict[int, Sync] = {}
    ops: list[Op] = []
    for op in trace.ops:
        if isinstance(op, Create):
            kinds[op.node] = "f"
        if isinstance(op, Sync) and kinds.get(op.node) == "f":
            deferred[op.node] = op
            continue
        if isinstance(op, Returned):  # never renamed (a file in a tree renamed whole): synced last
            ops.extend(deferred.values())
            deferred.clear()
        ops.append(op)
        if isinstance(op, Rename) and op.node in deferred:
            ops.append(deferred.pop(op.node))
    ops.extend(deferred.values())
    return _changed(trace, ops)


def empty_journal_early(trace: Trace) -> Trace:
    """Retire the journal (an empty ``.journal`` renamed into place) before the directory fsyncs that
    make the steps of its commit durable: move that create and rename ahead of the fsyncs before them."""
    ops = list(trace.ops)
    written = {op.node for op in ops if isinstance(op, Write) and op.data}
    files = {op.node for op in ops if isinstance(op, Create)} | {
        node for node, kind in trace.before.kinds.items() if kind != DIR
    }
    for end in range(len(ops) - 1, 0, -1):
        op = ops[end]
        if not (isinstance(op, Rename) and op.dst_name == ".journal" and op.node not in written):
            continue
        start = next(i for i in range(end, -1, -1) if isinstance(ops[i], Create) and ops[i].node == op.node)
        first_sync = start
        while first_sync > 0 and isinstance(ops[first_sync - 1], Sync) and ops[first_sync - 1].node not in files:
            first_sync -= 1
        if first_sync < start:
            ops[first_sync : end + 1] = ops[start : end + 1] + ops[first_sync:start]
            return _changed(trace, ops)
    return _changed(trace, ops)


def retire_journal_without_fsync(trace: Trace) -> Trace:
    """Empty the journal after a journaled commit but leave out the directory fsync that follows, so that
    a power loss may bring the retired journal back under a later call's temporaries."""
    written = {op.node for op in trace.ops if isinstance(op, Write) and op.data}
    ops: list[Op] = []
    committed = False
    retired_in: int | None = None
    for op in trace.ops:
        if retired_in is not None and isinstance(op, Sync) and op.node == retired_in:
            retired_in = None
            continue
        if isinstance(op, Rename) and op.dst_name == ".journal":
            if op.node in written:
                committed = True
            elif committed:
                committed, retired_in = False, op.dst_parent
        ops.append(op)
    return _changed(trace, ops)


def _changed(trace: Trace, ops: list[Op]) -> Trace:
    if ops == trace.ops:
        raise AssertionError("crashsim: the mutation found nothing to break in this trace")
    return Trace(trace.before, ops)


MUTATIONS = {
    "directory fsync after a rename dropped": drop_directory_fsync_after_rename,
    "rename before the file's fsync": rename_before_file_fsync,
    "journal emptied before the steps are durable": empty_journal_early,
    "journal emptied without an fsync": retire_journal_without_fsync,
}
