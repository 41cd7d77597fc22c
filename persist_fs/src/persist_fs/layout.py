"""Where things live under a root: kata's names, and the hidden names only this driver uses.

Every bookkeeping name starts with "." so that it can never be a sandbox or container ID (the core
refuses IDs with a leading "."). Inside ``sbs/<sid>`` the driver keeps only hidden *files*: kata's
reader takes every subdirectory there for a container, so nothing of ours may ever be a directory.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from persist_core.ids import MAX_ID_LENGTH, RESERVED_IDS, is_valid_id
from persist_fs.log import log

PERSIST_FILE = "persist.json"
SANDBOXES = "sbs"
VMS = "vm"
DEFAULT_ROOT = "/run/vc"

# Hidden directories in sbs/ (never listed as sandboxes).
LOCKS_DIR = ".locks"  # one lock file per sandbox ID; the target of driver.lock()
STAGING_DIR = ".staging"  # a sandbox's first save is built here, then renamed to sbs/<sid>
TRASH_DIR = ".trash"  # destroy renames sbs/<sid> here, then removes it

# Hidden files in sbs/<sid>/.
JOURNAL = ".journal"  # commit marker; lists the steps of a commit until they are all applied
JOURNAL_TMP = ".journal.new"
SANDBOX_TMP = ".new-sandbox"  # the next sbs/<sid>/persist.json
CONTAINER_TMP_PREFIX = ".new."  # ".new.<cid>": the next sbs/<sid>/<cid>/persist.json

OUR_TEMPORARIES = (JOURNAL_TMP, SANDBOX_TMP)

#: The file name limit of Linux filesystems; IDs may be that long (see persist_core.ids).
NAME_MAX = 255


def container_tmp(container_id: str) -> str:
    """``.new.<cid>``; for an ID too long for that to be a file name, ``.new.#<sha256 of the ID>`` ("#" is
    no ID character, so the two forms never meet)."""
    name = CONTAINER_TMP_PREFIX + container_id
    if len(name) <= NAME_MAX:
        return name
    import hashlib

    return f"{CONTAINER_TMP_PREFIX}#{hashlib.sha256(container_id.encode()).hexdigest()}"


def is_our_temporary(name: str) -> bool:
    """A temporary file a writer made in sbs/<sid>; garbage unless a pending journal names it."""
    return name in OUR_TEMPORARIES or name.startswith(CONTAINER_TMP_PREFIX)


def rootless_root() -> str:
    """``$XDG_RUNTIME_DIR/run/vc``, as kata's rootless mode; ``/run/user/<uid>/run/vc`` if it is unset."""
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime_dir:
        runtime_dir = f"/run/user/{os.getuid()}"
        log().warning("XDG_RUNTIME_DIR is not set; the rootlessfs driver uses %s/run/vc", runtime_dir)
    return os.path.join(runtime_dir, "run", "vc")


def is_id(name: str) -> bool:
    return is_valid_id(name)


# check_id's rule for many names at once, in C loops instead of a Python call (or a regex) per name:
# the names joined by "/" (which no file name can contain) hold nothing but ID characters, and none
# is longer than the maximum. The caller has already left out names starting with ".".
_ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-"


def only_ids(names: list[str]) -> list[str]:
    """The valid IDs among directory entry names (never empty; the caller has dropped those starting
    with "."), in their order; one pass when all are valid."""
    joined = "/".join(names)
    if (
        joined.isascii()
        and not joined.encode().translate(None, _ID_BYTES).strip(b"/")
        and max(map(len, names), default=0) <= MAX_ID_LENGTH
        and not any(reserved in names for reserved in RESERVED_IDS)
    ):
        return names
    return [name for name in names if is_id(name)]


class Listing(NamedTuple):
    """One read of a sandbox directory, sorted the way kata's reader sorts it."""

    containers: frozenset[str]  # real subdirectories named like container IDs
    hidden: frozenset[str]  # our bookkeeping (and anything else starting with ".")
    others: frozenset[str]  # files, symlinks and odd names: not containers to kata or to us


def scan(dir_fd: int) -> Listing:
    """One getdents pass; the entry types come with it, so nothing is stat'ed."""
    directories, hidden, others = [], set(), set()
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            name = entry.name
            if name[0] == ".":  # (no entry has an empty name)
                hidden.add(name)
            elif entry.is_dir(follow_symlinks=False):
                directories.append(name)
            else:
                others.add(name)
    containers = frozenset(only_ids(directories))  # all names checked in one pass
    if len(containers) != len(directories):
        others.update(name for name in directories if name not in containers)
    return Listing(containers, frozenset(hidden), frozenset(others))
