"""What state one stored sandbox is in, without letting one bad record stop a listing or a check."""

from __future__ import annotations

from typing import Any

import attrs

from persist_core import PersistDriver
from persist_core.errors import (
    BackendUnavailableError,
    CorruptStateError,
    MisfiledStateError,
    PersistError,
    SandboxNotFoundError,
    UnsupportedVersionError,
)

OK = "ok"
CORRUPT = "corrupt"  # not valid JSON, or not kata's types
NEWER = "newer-version"  # written by a newer persist format than this library reads
INCONSISTENT = "inconsistent"  # loads, but names another sandbox (SandboxContainer != its ID)
UNREADABLE = "unreadable"  # the backend failed to read it (permissions, I/O)


@attrs.frozen
class SandboxReport:
    """One line of ``ls`` and one verdict of ``check``."""

    id: str
    status: str
    state: str | None = None
    containers: int | None = None
    persist_version: int | None = None
    last_modified: float | None = None
    error: str | None = None

    @property
    def sound(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _last_modified(driver: PersistDriver, sandbox_id: str) -> float | None:
    try:
        return driver.last_modified(sandbox_id)
    except BackendUnavailableError:
        raise
    except PersistError:
        return None  # only decoration for the listing; the load below reports the real problem


def survey(driver: PersistDriver, sandbox_id: str) -> SandboxReport | None:
    """Load the sandbox and classify it; None if it vanished since it was listed.

    An unreachable backend still aborts: every other sandbox would fail the same way.
    """
    modified = _last_modified(driver, sandbox_id)
    try:
        sandbox, containers = driver.load(sandbox_id)
    except SandboxNotFoundError:
        return None
    except MisfiledStateError as exc:
        return SandboxReport(sandbox_id, INCONSISTENT, last_modified=modified, error=str(exc))
    except CorruptStateError as exc:
        return SandboxReport(sandbox_id, CORRUPT, last_modified=modified, error=str(exc))
    except UnsupportedVersionError as exc:
        return SandboxReport(sandbox_id, NEWER, last_modified=modified, error=str(exc))
    except BackendUnavailableError:
        raise
    except PersistError as exc:
        return SandboxReport(sandbox_id, UNREADABLE, last_modified=modified, error=str(exc))
    return SandboxReport(
        sandbox_id,
        OK,
        state=sandbox.state,
        containers=len(containers),
        persist_version=sandbox.persist_version,
        last_modified=modified,
    )
