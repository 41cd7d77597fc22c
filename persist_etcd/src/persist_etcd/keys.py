"""Where things live in etcd, under ``<prefix>:`` so that no two stores' key ranges overlap.

Prefixes may not contain ":", so the keys of the store on ``/p`` all start with ``/p:`` and those of
``/p/sbs/t`` with ``/p/``: whatever the nesting, one store's ranges never hold another's keys.

    <prefix>:/sbs/<sid>                       the sandbox record (kata's bytes); one key per sandbox
    <prefix>:/ctr/<sid>/.manifest             which stored record is current for each container
    <prefix>:/ctr/<sid>/<cid>/<stamp>         a container record (kata's bytes), written once
    <prefix>:/locks/<sid>/write-<lease>       lock holders (read-<lease> for shared ones)

IDs reaching here are already checked ([A-Za-z0-9_.+-], no leading "."), so ".manifest" is never a
container and every key parses back unambiguously.
"""

from __future__ import annotations

import attrs

READ = "read-"
WRITE = "write-"
MANIFEST = ".manifest"


def range_end(prefix: str) -> str:
    """The end of etcd's half-open range that holds exactly the keys starting with ``prefix`` (ASCII)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@attrs.frozen
class Layout:
    """Key names for one store prefix (as normalised by ``options.parse_prefix``)."""

    prefix: str

    @property
    def root(self) -> str:
        return f"{self.prefix}:"

    @property
    def sandboxes(self) -> str:
        return f"{self.root}/sbs/"

    def sandbox_key(self, sandbox_id: str) -> str:
        return f"{self.sandboxes}{sandbox_id}"

    def containers_dir(self, sandbox_id: str) -> str:
        return f"{self.root}/ctr/{sandbox_id}/"

    def manifest_key(self, sandbox_id: str) -> str:
        return f"{self.containers_dir(sandbox_id)}{MANIFEST}"

    def container_key(self, sandbox_id: str, container_id: str, stamp: str) -> str:
        return f"{self.containers_dir(sandbox_id)}{container_id}/{stamp}"

    def lock_dir(self, sandbox_id: str) -> str:
        return f"{self.root}/locks/{sandbox_id}/"

    def lock_key(self, sandbox_id: str, exclusive: bool, lease_id: int) -> str:
        return f"{self.lock_dir(sandbox_id)}{WRITE if exclusive else READ}{lease_id:016x}"

    def sandbox_id_of(self, key: str) -> str | None:
        """The sandbox ID if ``key`` is a sandbox record, else None."""
        if not key.startswith(self.sandboxes):
            return None
        sandbox_id = key[len(self.sandboxes) :]
        return sandbox_id if sandbox_id and "/" not in sandbox_id else None
