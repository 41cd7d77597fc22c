"""Where things live in etcd: the fs driver's ``sbs/<sid>/[<cid>/]persist.json`` tree under a prefix.

IDs reaching here are already checked (no "/"), so every key parses back unambiguously. Lock keys live
apart, under ``<prefix>/locks/<sid>/``, so that destroying a sandbox never drops a lock someone holds.
"""

from __future__ import annotations

import attrs

RECORD = "persist.json"
READ = "read-"
WRITE = "write-"


def range_end(prefix: str) -> str:
    """The end of etcd's half-open range that holds exactly the keys starting with ``prefix`` (ASCII)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@attrs.frozen
class Layout:
    """Key names for one store prefix (as normalised by ``options.parse_prefix``)."""

    prefix: str

    @property
    def sandboxes(self) -> str:
        return f"{self.prefix}/sbs/"

    def sandbox_dir(self, sandbox_id: str) -> str:
        return f"{self.sandboxes}{sandbox_id}/"

    def sandbox_key(self, sandbox_id: str) -> str:
        return f"{self.sandbox_dir(sandbox_id)}{RECORD}"

    def container_key(self, sandbox_id: str, container_id: str) -> str:
        return f"{self.sandbox_dir(sandbox_id)}{container_id}/{RECORD}"

    def lock_dir(self, sandbox_id: str) -> str:
        return f"{self.prefix}/locks/{sandbox_id}/"

    def lock_key(self, sandbox_id: str, exclusive: bool, lease_id: int) -> str:
        return f"{self.lock_dir(sandbox_id)}{WRITE if exclusive else READ}{lease_id:016x}"

    def sandbox_id_of(self, key: str) -> str | None:
        """The sandbox ID if ``key`` is a sandbox record (not a container's), else None."""
        if not key.startswith(self.sandboxes):
            return None
        parts = key[len(self.sandboxes) :].split("/")
        return parts[0] if len(parts) == 2 and parts[1] == RECORD and parts[0] else None

    def member_of(self, sandbox_id: str, key: str) -> str | None:
        """Within a sandbox's range: "" for its own record, the container ID for a container's, else None."""
        parts = key[len(self.sandbox_dir(sandbox_id)) :].split("/")
        if parts == [RECORD]:
            return ""
        if len(parts) == 2 and parts[1] == RECORD and parts[0]:
            return parts[0]
        return None
