"""Record the file-system operations one driver call makes, as a trace of logical operations.

The recorder replaces the ``os`` functions that change a file system or make it durable (open with
create or truncate, write, truncate, rename, link, unlink, mkdir, rmdir, fsync, fdatasync) for the
duration of a ``with`` block. persist_fs (and shutil, which it uses to remove trees) looks them up on
the ``os`` module at call time, so whatever module makes the call and however the writer is organised,
every call is seen; nothing in persist_fs is patched or imported here.

Each call under the recorded tree becomes an operation on *nodes* (one per inode, numbered by the
recorder): descriptor-relative names (``dir_fd``) are resolved to the directory's node and to a path
for the reader of a report. Calls that fail change nothing and are not recorded; calls outside the
tree (logging, pytest) pass through untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from crashsim.model import Before, snapshot

# shutil decides at import time whether its rmtree may use the *at functions, by looking at os.unlink
# and friends: it must be imported before they are replaced (it always is, by pytest; this says why).
assert shutil.rmtree.avoids_symlink_attacks


@dataclass(frozen=True)
class Create:
    """A regular file created (open with O_CREAT): the entry ``name`` in directory ``parent``."""

    parent: int
    name: str
    node: int
    path: str


@dataclass(frozen=True)
class Mkdir:
    parent: int
    name: str
    node: int
    path: str


@dataclass(frozen=True)
class Link:
    parent: int
    name: str
    node: int
    path: str


@dataclass(frozen=True)
class Unlink:
    parent: int
    name: str
    node: int
    path: str


@dataclass(frozen=True)
class Rmdir:
    parent: int
    name: str
    node: int
    path: str


@dataclass(frozen=True)
class Rename:
    """Atomic: ``src_name`` leaves ``src_parent`` and ``dst_name`` in ``dst_parent`` names ``node``."""

    src_parent: int
    src_name: str
    dst_parent: int
    dst_name: str
    node: int
    path: str


@dataclass(frozen=True)
class Write:
    node: int
    offset: int
    data: bytes
    path: str


@dataclass(frozen=True)
class Truncate:
    node: int
    size: int
    path: str


@dataclass(frozen=True)
class Sync:
    """fsync (or fdatasync) of a file or a directory."""

    node: int
    path: str
    data_only: bool = False


@dataclass(frozen=True)
class Returned:
    """Not a file-system operation: the driver call being recorded returned here."""

    path: str = ""


EntryOp = Create | Mkdir | Link | Unlink | Rmdir | Rename
DataOp = Write | Truncate
Op = EntryOp | DataOp | Sync | Returned
ENTRY_OPS = (Create, Mkdir, Link, Unlink, Rmdir, Rename)


def describe(op: Op) -> str:
    if isinstance(op, Returned):
        return "(the call returned)"
    if isinstance(op, Sync):
        return f"{'fdatasync' if op.data_only else 'fsync'}({op.path})"
    if isinstance(op, Write):
        return f"write({op.path}, {len(op.data)} bytes at {op.offset})"
    if isinstance(op, Truncate):
        return f"truncate({op.path}, {op.size})"
    return f"{type(op).__name__.lower()}({op.path})"


def directories_of(op: EntryOp) -> tuple[int, ...]:
    """The directories whose fsync makes ``op`` durable (a rename: either of its two)."""
    if isinstance(op, Rename):
        return (op.src_parent, op.dst_parent)
    return (op.parent,)


@dataclass
class Trace:
    before: Before
    ops: list[Op]


class Recorder:
    """Replaces the ``os`` functions while recording; see the module docstring."""

    def __init__(self, base: str | os.PathLike[str]) -> None:
        self.base = os.path.realpath(base)
        self.before, self._ids = snapshot(self.base)
        self._next = max(self.before.kinds, default=0) + 1
        self.ops: list[Op] = []
        self._real: dict[str, Any] = {}  # the os functions that recording() replaced

    @property
    def trace(self) -> Trace:
        return Trace(self.before, list(self.ops))

    def returned(self) -> None:
        """Mark the point where a recorded driver call returned (a trace may hold several calls)."""
        self.ops.append(Returned())

    # -- resolution -------------------------------------------------------------------------------

    def _node(self, st: os.stat_result) -> int | None:
        return self._ids.get((st.st_dev, st.st_ino))

    def _new_node(self, st: os.stat_result) -> int:
        node = self._next
        self._next += 1
        self._ids[(st.st_dev, st.st_ino)] = node  # an inode number reused by a new file is a new node
        return node

    def _fd_node(self, fd: Any) -> int | None:
        if not isinstance(fd, int):
            fd = fd.fileno()
        return self._node(os.fstat(fd))

    def _path(self, name: Any, dir_fd: int | None) -> str:
        name = os.fsdecode(name)
        if dir_fd is not None and not os.path.isabs(name):
            name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
        return os.path.relpath(os.path.abspath(name), self.base)

    def _fd_path(self, fd: int) -> str:
        return os.path.relpath(os.readlink(f"/proc/self/fd/{fd}"), self.base)

    def _parent(self, name: Any, dir_fd: int | None) -> tuple[int, str, str] | None:
        """The node of the directory holding ``name``, the entry's own name, and a path for reports."""
        if isinstance(name, int):
            return None
        name = os.fsdecode(name)
        head, tail = os.path.split(name)
        try:
            if head:
                st = os.stat(head, dir_fd=dir_fd)
            elif dir_fd is not None:
                st = os.fstat(dir_fd)
            else:
                st = os.stat(".")
        except OSError:
            return None
        parent = self._node(st)
        if parent is None:
            return None
        return parent, tail, self._path(name, dir_fd)

    def _entry(self, name: Any, dir_fd: int | None) -> int:
        node = self._node(os.stat(name, dir_fd=dir_fd, follow_symlinks=False))
        if node is None:
            raise AssertionError(f"crashsim: {self._path(name, dir_fd)} appeared in the tree without being recorded")
        return node

    def _exists(self, name: Any, dir_fd: int | None) -> bool:
        try:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    # -- the replacements: each calls the real os function (self._real) and records what it did ---

    def _open(self, path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        where = self._parent(path, dir_fd) if flags & (os.O_CREAT | os.O_TRUNC) else None
        existed = where is not None and self._exists(path, dir_fd)
        fd: int = self._real["open"](path, flags, mode, dir_fd=dir_fd)
        if where is not None:
            parent, name, shown = where
            st = os.fstat(fd)
            if flags & os.O_CREAT and not existed:
                self.ops.append(Create(parent, name, self._new_node(st), shown))
            elif flags & os.O_TRUNC and stat.S_ISREG(st.st_mode) and (node := self._node(st)) is not None:
                self.ops.append(Truncate(node, 0, shown))
        return fd

    def _write(self, fd: int, data: Any) -> int:
        node = self._fd_node(fd)
        if node is None:
            return int(self._real["write"](fd, data))
        appending = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND
        offset = os.fstat(fd).st_size if appending else os.lseek(fd, 0, os.SEEK_CUR)
        written = int(self._real["write"](fd, data))
        self.ops.append(Write(node, offset, bytes(memoryview(data)[:written]), self._fd_path(fd)))
        return written

    def _pwrite(self, fd: int, data: Any, offset: int) -> int:
        written = int(self._real["pwrite"](fd, data, offset))
        node = self._fd_node(fd)
        if node is not None:
            self.ops.append(Write(node, offset, bytes(memoryview(data)[:written]), self._fd_path(fd)))
        return written

    def _writev(self, fd: int, buffers: Any) -> int:
        buffers = [bytes(buffer) for buffer in buffers]
        return (
            self._write(fd, b"".join(buffers))
            if self._fd_node(fd) is not None
            else int(self._real["writev"](fd, buffers))
        )

    def _ftruncate(self, fd: int, length: int) -> None:
        self._real["ftruncate"](fd, length)
        node = self._fd_node(fd)
        if node is not None:
            self.ops.append(Truncate(node, length, self._fd_path(fd)))

    def _sync(self, name: str) -> Any:
        def call(fd: Any) -> None:
            self._real[name](fd)
            node = self._fd_node(fd)
            if node is not None:
                number = fd if isinstance(fd, int) else fd.fileno()
                self.ops.append(Sync(node, self._fd_path(number), data_only=name == "fdatasync"))

        return call

    def _mkdir(self, path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        where = self._parent(path, dir_fd)
        self._real["mkdir"](path, mode, dir_fd=dir_fd)
        if where is not None:
            parent, name, shown = where
            st = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
            self.ops.append(Mkdir(parent, name, self._new_node(st), shown))

    def _removal(self, name: str, kind: type[Unlink] | type[Rmdir]) -> Any:
        def call(path: Any, *, dir_fd: int | None = None) -> None:
            where = self._parent(path, dir_fd)
            node = self._entry(path, dir_fd) if where is not None and self._exists(path, dir_fd) else None
            self._real[name](path, dir_fd=dir_fd)
            if where is not None and node is not None:
                parent, entry, shown = where
                self.ops.append(kind(parent, entry, node, shown))

        return call

    def _rename(self, name: str) -> Any:
        def call(src: Any, dst: Any, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
            source = self._parent(src, src_dir_fd)
            target = self._parent(dst, dst_dir_fd)
            node = self._entry(src, src_dir_fd) if source is not None and self._exists(src, src_dir_fd) else None
            self._real[name](src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
            if (source is None) != (target is None):
                raise AssertionError(f"crashsim: a rename into or out of the recorded tree: {src} -> {dst}")
            if source is not None and target is not None and node is not None:
                shown = f"{source[2]} -> {target[2]}"
                self.ops.append(Rename(source[0], source[1], target[0], target[1], node, shown))

        return call

    def _link(
        self,
        src: Any,
        dst: Any,
        *,
        src_dir_fd: int | None = None,
        dst_dir_fd: int | None = None,
        follow_symlinks: bool = True,
    ) -> None:
        target = self._parent(dst, dst_dir_fd)
        node = self._entry(src, src_dir_fd) if target is not None else None
        self._real["link"](src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd, follow_symlinks=follow_symlinks)
        if target is not None and node is not None:
            self.ops.append(Link(target[0], target[1], node, target[2]))

    def _truncate(self, path: Any, length: int) -> None:
        if isinstance(path, int):
            self._ftruncate(path, length)
            return
        where = self._parent(path, None)
        self._real["truncate"](path, length)
        if where is not None:
            self.ops.append(Truncate(self._entry(path, None), length, where[2]))

    def _wrappers(self) -> dict[str, Any]:
        return {
            "open": self._open,
            "write": self._write,
            "pwrite": self._pwrite,
            "writev": self._writev,
            "ftruncate": self._ftruncate,
            "truncate": self._truncate,
            "fsync": self._sync("fsync"),
            "fdatasync": self._sync("fdatasync"),
            "mkdir": self._mkdir,
            "unlink": self._removal("unlink", Unlink),
            "remove": self._removal("remove", Unlink),
            "rmdir": self._removal("rmdir", Rmdir),
            "rename": self._rename("rename"),
            "replace": self._rename("replace"),
            "link": self._link,
        }

    @contextlib.contextmanager
    def recording(self) -> Iterator[Recorder]:
        names = ("open", "write", "pwrite", "writev", "ftruncate", "truncate", "fsync", "fdatasync", "mkdir", "unlink")
        names += ("remove", "rmdir", "rename", "replace", "link")
        self._real = {name: getattr(os, name) for name in names}
        for name, wrapper in self._wrappers().items():
            setattr(os, name, wrapper)
        try:
            yield self
        finally:
            for name, original in self._real.items():
                setattr(os, name, original)
