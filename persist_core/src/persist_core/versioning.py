"""The persist format version, and the refusal to load anything newer."""

from __future__ import annotations

from persist_core.errors import UnsupportedVersionError

#: kata's CurPersistVersion; unchanged since 2019 even though the layout has moved since.
CURRENT_PERSIST_VERSION = 2


def check_version(version: int, where: str) -> None:
    """Refuse a PersistVersion newer than ours: loading it silently would drop fields we do not know."""
    if version > CURRENT_PERSIST_VERSION:
        raise UnsupportedVersionError(
            f"{where}: PersistVersion {version} is newer than {CURRENT_PERSIST_VERSION}, "
            "the newest this persist-core understands; upgrade persist-core to read it"
        )
