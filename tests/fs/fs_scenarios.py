"""The writes that the fault and crash tests break at every system call: (state before, state after)."""

from __future__ import annotations

from pathlib import Path

from fs_helpers import SID, STATE_A, STATE_B, State, make_state

from persist_fs import FsDriver

SCENARIOS: dict[str, tuple[State | None, State | None]] = {
    "first save": (None, STATE_A),
    "one container changed": (STATE_A, make_state("A", {"c0": "same", "c1": "a1-changed", "c2": "a2"})),
    "sandbox changed": (STATE_A, make_state("A2", {"c0": "same", "c1": "a1", "c2": "a2"})),
    "container removed": (STATE_A, make_state("A", {"c0": "same", "c2": "a2"})),
    "container added": (STATE_A, make_state("A", {"c0": "same", "c1": "a1", "c2": "a2", "c9": "new"})),
    "several changes": (STATE_A, STATE_B),
    "destroy": (STATE_A, None),
}


def prepare(root: Path, before: State | None, *, fsync: str | None = None) -> FsDriver:
    """A driver (``fsync="always"``: with the disk protocol even on tmpfs) holding ``before``."""
    driver = FsDriver(root=root, fsync=fsync)
    if before is not None:
        driver.save(*before)
    return driver


def perform(driver: FsDriver, after: State | None) -> None:
    if after is None:
        driver.destroy(SID)
    else:
        driver.save(*after)
