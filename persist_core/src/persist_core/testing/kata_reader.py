"""A sandbox directory as kata's Go ``FromDisk`` reads it, for tests that check kata would see what we stored.

kata takes the sandbox's ``persist.json``, and every subdirectory holding a ``persist.json`` for a
container; it knows nothing of persist's bookkeeping (hidden names, journals, temporaries).
"""

from __future__ import annotations

from pathlib import Path

#: A sandbox record and its containers' records, as raw bytes.
RawState = tuple[bytes, dict[str, bytes]]


def read_like_kata(sandbox_dir: Path) -> RawState | None:
    """The records kata's reader would load from ``sandbox_dir`` (``<root>/sbs/<sid>``); None when absent."""
    try:
        sandbox = (sandbox_dir / "persist.json").read_bytes()
    except FileNotFoundError:
        return None
    containers = {}
    for child in sandbox_dir.iterdir():
        if child.is_dir() and not child.is_symlink() and (child / "persist.json").is_file():
            containers[child.name] = (child / "persist.json").read_bytes()
    return sandbox, containers
