"""One sandbox as loaded with the exact bytes of its documents, encoded once: what export writes and copy compares."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from persist_core import ContainerState, PersistDriver, SandboxState, codec
from persist_core.errors import CorruptStateError


@attrs.frozen
class EncodedSandbox:
    """A sandbox's state and its exact encoded documents (the bytes a driver stores and export embeds)."""

    sandbox_id: str
    sandbox: SandboxState
    containers: Mapping[str, ContainerState]
    sandbox_document: bytes
    container_documents: Mapping[str, bytes]

    @classmethod
    def of(
        cls,
        sandbox_id: str,
        sandbox: SandboxState,
        containers: Mapping[str, ContainerState],
        *,
        where: str,
        check_owner: bool = True,
    ) -> EncodedSandbox:
        """Refuse a record that names another sandbox: ``save`` would write it under that other ID."""
        if check_owner and sandbox.sandbox_container != sandbox_id:
            raise CorruptStateError(
                f"{where}: the record of sandbox {sandbox_id!r} says it belongs to sandbox "
                f"{sandbox.sandbox_container!r} (SandboxContainer); refusing to move it"
            )
        ordered = dict(sorted(containers.items()))
        return cls(
            sandbox_id=sandbox_id,
            sandbox=sandbox,
            containers=ordered,
            sandbox_document=codec.dumps(sandbox),
            container_documents={cid: codec.dumps(state) for cid, state in ordered.items()},
        )

    def same_documents(self, other: EncodedSandbox) -> bool:
        """Byte-for-byte equality of every document: the check that a copy is exact."""
        return (
            self.sandbox_id == other.sandbox_id
            and self.sandbox_document == other.sandbox_document
            and dict(self.container_documents) == dict(other.container_documents)
        )


def read_encoded_sandbox(
    driver: PersistDriver, sandbox_id: str, *, where: str, check_owner: bool = True
) -> EncodedSandbox:
    """Load through the public API (IDs, decoding and version checked by the core)."""
    sandbox, containers = driver.load(sandbox_id)
    return EncodedSandbox.of(sandbox_id, sandbox, containers, where=where, check_owner=check_owner)
