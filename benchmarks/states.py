"""Realistic states to save: kata's own files, written by Go, as templates, scaled to N containers.

The sandbox is by default kata's tree-full/7a0c4b2d91f6, written the way current kata writes it (5.5 KB:
VFIO-AP device, seven kinds of endpoint, configs; cgroups null); ``every-field`` picks tree-full/e1f3c2a9d8b7
instead (11 KB, every field set, 1.5 KB of cgroups), the heaviest sandbox kata can write. Containers cycle
through the three containers of tree-full, each given its own ID, cgroup, bundle and process, so that
every record is distinct, as on a real host. IDs are 64 hex digits, as containerd makes them.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import attrs

from persist_core import ContainerState, SandboxState, codec
from persist_core.testing import kata_samples

SANDBOX_TEMPLATES = {"current-kata": "tree-full/7a0c4b2d91f6", "every-field": "tree-full/e1f3c2a9d8b7"}
CONTAINER_TEMPLATES = "tree-full/e1f3c2a9d8b7"


def hex_id(label: str) -> str:
    """A containerd-like 64-hex-digit ID, stable for a label."""
    return hashlib.sha256(label.encode()).hexdigest()


class Workload:
    """Sandboxes and containers built from kata's templates; everything is built before any timing."""

    def __init__(self, run_label: str, sandbox_template: str = "current-kata") -> None:
        samples = {sample.name: sample for sample in kata_samples()}
        self._sandbox, _ = samples[SANDBOX_TEMPLATES[sandbox_template]].objects()
        self._containers = list(samples[CONTAINER_TEMPLATES].objects()[1].values())
        self._label = run_label
        self._counter = itertools.count()
        self._cache: dict[int, dict[str, ContainerState]] = {}

    def new_id(self) -> str:
        """A sandbox ID never used before in this run (saves of a *new* sandbox need one each time)."""
        return hex_id(f"{self._label}/sandbox/{next(self._counter)}")

    def ids(self) -> Iterator[str]:
        while True:
            yield self.new_id()

    def sandbox(self, sandbox_id: str) -> SandboxState:
        return attrs.evolve(self._sandbox, sandbox_container=sandbox_id)

    def small_sandbox(self, sandbox_id: str) -> SandboxState:
        """The sandbox of kata's zero tree: for stores of many sandboxes, where only the count matters."""
        return SandboxState(sandbox_container=sandbox_id, persist_version=self._sandbox.persist_version)

    def container(self, index: int) -> tuple[str, ContainerState]:
        template = self._containers[index % len(self._containers)]
        cid = hex_id(f"container/{index}")
        state = attrs.evolve(
            template,
            cgroup_path=template.cgroup_path.rsplit("/", 1)[0] + "/" + cid,
            bundle_path=template.bundle_path.rsplit("/", 1)[0] + "/" + cid,
            process=attrs.evolve(template.process, pid=template.process.pid + index, token=hex_id(f"token/{index}")),
        )
        return cid, state

    def containers(self, n: int) -> dict[str, ContainerState]:
        """N distinct containers (the same objects on every call: saving only reads them)."""
        if n not in self._cache:
            self._cache[n] = dict(self.container(index) for index in range(n))
        return self._cache[n]

    @staticmethod
    def changed(container: ContainerState) -> ContainerState:
        """The same container after a state change, as a runtime saves on pause or stop."""
        state = "paused" if container.state != "paused" else "running"
        return attrs.evolve(container, state=state, process=attrs.evolve(container.process, pid=0))

    @staticmethod
    def encoded(containers: dict[str, ContainerState]) -> dict[str, bytes]:
        return {cid: codec.dumps(state) for cid, state in containers.items()}
