"""What each container of a sandbox was last saved as, so that saving it again unchanged skips encoding.

Runtimes keep their sandbox objects and save after every change, usually of one container: re-encoding
the other ninety-nine would cost more than writing the one that changed. A container equal (``==``) to
a snapshot taken when it was last saved through this driver gets the bytes it was saved as. Snapshots
are copies, so later changes to the caller's objects are seen; they are taken from a sandbox's second
save on (a sandbox saved once is often never saved again), and for the changed containers only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from persist_core.codec.copies import Copier
from persist_core.model import ContainerState

#: Sandboxes whose snapshots a driver keeps (least recently saved go first).
MAX_SANDBOXES = 256

Snapshot = tuple[ContainerState, bytes]


class SavedContainers:
    """Per driver instance: sandbox ID to {container ID: (snapshot, bytes)}, or {} once saved without."""

    def __init__(self) -> None:
        self._sandboxes: OrderedDict[str, dict[str, Snapshot]] = OrderedDict()
        self._guard = threading.Lock()
        self._copier = Copier()

    def previous(self, sandbox_id: str) -> dict[str, Snapshot] | None:
        with self._guard:
            return self._sandboxes.get(sandbox_id)

    def remember(
        self,
        sandbox_id: str,
        previous: dict[str, Snapshot] | None,
        containers: Mapping[str, ContainerState],
        documents: Mapping[str, bytes],
    ) -> None:
        """Record a committed save; ``previous`` is what ``previous()`` returned before it."""
        if previous is None:
            snapshots: dict[str, Snapshot] = {}
        else:
            snapshots = {}
            for container_id, state in containers.items():
                data = documents[container_id]
                known = previous.get(container_id)
                snapshots[container_id] = (
                    known if known is not None and known[1] is data else (self._copier.copy(state), data)
                )
        with self._guard:
            self._sandboxes[sandbox_id] = snapshots
            self._sandboxes.move_to_end(sandbox_id)
            while len(self._sandboxes) > MAX_SANDBOXES:
                self._sandboxes.popitem(last=False)

    def forget(self, sandbox_id: str) -> None:
        with self._guard:
            self._sandboxes.pop(sandbox_id, None)
