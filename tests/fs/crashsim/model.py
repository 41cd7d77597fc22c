"""Trees of nodes: the tree before an operation, a crash state replayed from it, and that state on disk.

A node is an inode: a directory (its entries name -> node), a regular file (its bytes) or a symlink.
Entries are what directory operations change; bytes are what writes change; the two become durable
separately (see explore.py). A crash state is returned as a canonical, hashable value (nested tuples
of what can be reached from the base directory), so that equal states are checked once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crashsim.trace import Op

DIR, FILE, SYMLINK = "d", "f", "l"

# ("d", ((name, Tree), ...)) sorted by name | ("f", bytes) | ("l", bytes): a state, as compared and made.
Tree = tuple[str, bytes | tuple[tuple[str, "Tree"], ...]]


@dataclass
class Before:
    """The tree under the base directory before the operation (node 0 is the base itself)."""

    kinds: dict[int, str]
    entries: dict[int, dict[str, int]]  # directories
    contents: dict[int, bytes]  # files and symlinks (a symlink's target)
    root: int = 0


def snapshot(base: str) -> tuple[Before, dict[tuple[int, int], int]]:
    """The tree under ``base``, and the node of each (device, inode) in it (hard links share one)."""
    ids: dict[tuple[int, int], int] = {}
    before = Before(kinds={}, entries={}, contents={})

    def visit(path: str, st: os.stat_result) -> int:
        key = (st.st_dev, st.st_ino)
        if key in ids:
            return ids[key]
        node = ids[key] = len(ids)
        if stat.S_ISDIR(st.st_mode):
            before.kinds[node] = DIR
            names = {}
            for name in sorted(os.listdir(path)):
                child = os.path.join(path, name)
                names[name] = visit(child, os.lstat(child))
            before.entries[node] = names
        elif stat.S_ISLNK(st.st_mode):
            before.kinds[node] = SYMLINK
            before.contents[node] = os.fsencode(os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            before.kinds[node] = FILE
            before.contents[node] = Path(path).read_bytes()
        else:
            raise AssertionError(f"crashsim: {path} is neither a file, a directory nor a symlink")
        return node

    visit(base, os.lstat(base))
    return before, ids


def replay(before: Before, ops: Sequence[Op], kept: Collection[int], contents: Mapping[int, bytes]) -> Tree:
    """The tree after the directory operations ``kept`` (indices into ``ops``) were applied in order to
    ``before``, every other one lost, with ``contents`` as the bytes of the files.

    As in ALICE's model, a created entry (create, mkdir, link, a rename's target) names its inode
    whatever happened to the other entries, and a removal (unlink, rmdir, a rename's source) removes the
    name whatever it names: a rename whose source entry was lost still links its inode at the target.
    """
    from crashsim.trace import Create, Link, Mkdir, Rename, Rmdir, Unlink

    kinds = dict(before.kinds)
    entries = {node: dict(names) for node, names in before.entries.items()}
    for index, op in enumerate(ops):
        if isinstance(op, Create):
            kinds[op.node] = FILE
        elif isinstance(op, Mkdir):
            kinds[op.node] = DIR
            entries.setdefault(op.node, {})
        if index not in kept:
            continue
        if isinstance(op, (Create, Mkdir, Link)):
            entries[op.parent][op.name] = op.node
        elif isinstance(op, (Unlink, Rmdir)):
            entries[op.parent].pop(op.name, None)
        elif isinstance(op, Rename):
            entries[op.src_parent].pop(op.src_name, None)
            entries[op.dst_parent][op.dst_name] = op.node
    return _canonical(before.root, kinds, entries, contents, set())


def _canonical(
    node: int, kinds: dict[int, str], entries: dict[int, dict[str, int]], contents: Mapping[int, bytes], seen: set[int]
) -> Tree:
    kind = kinds[node]
    if kind != DIR:
        return kind, contents.get(node, b"")
    if node in seen:
        raise AssertionError("crashsim: a directory is reachable twice in a crash state")
    seen.add(node)
    return DIR, tuple(
        (name, _canonical(child, kinds, entries, contents, seen)) for name, child in sorted(entries[node].items())
    )


def materialize(tree: Tree, path: str | os.PathLike[str]) -> None:
    """Make ``tree`` at ``path`` (which must not exist): directories 0700, files 0600, as the driver does."""
    kind, body = tree
    path = os.fspath(path)
    if kind == DIR:
        assert isinstance(body, tuple)
        os.mkdir(path, 0o700)
        for name, child in body:
            materialize(child, f"{path}/{name}")
    elif kind == FILE:
        assert isinstance(body, bytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    else:
        assert isinstance(body, bytes)
        os.symlink(body, path)


def lookup(tree: Tree, *names: str) -> Tree | None:
    """The subtree at ``names`` below ``tree``, None if there is none."""
    for name in names:
        kind, body = tree
        if kind != DIR:
            return None
        assert isinstance(body, tuple)
        found = dict(body).get(name)
        if found is None:
            return None
        tree = found
    return tree
