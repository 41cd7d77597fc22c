"""Test data for the conformance kit: kata's own files, and states that must be refused.

The kata trees ship inside the wheel (``persist_core/testing/kata``), so the kit runs wherever
persist-core is installed, with no access to this repository.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from importlib.resources import files
from importlib.resources.abc import Traversable

import attrs

from persist_core import codec
from persist_core.model import ContainerState, Mount, Process, SandboxState
from persist_core.versioning import CURRENT_PERSIST_VERSION

_KATA = files("persist_core.testing") / "kata"
_RECORD = "persist.json"


@attrs.frozen
class KataSample:
    """One sandbox of a tree written by kata's Go code: its bytes exactly as Go wrote them."""

    #: ``tree-full/e1f3c2a9d8b7``: the tree and the sandbox directory it comes from.
    name: str
    sandbox_id: str
    sandbox: bytes
    containers: dict[str, bytes]

    def objects(self) -> tuple[SandboxState, dict[str, ContainerState]]:
        """Fresh model objects decoded from the sample's bytes."""
        sandbox = codec.loads(self.sandbox, SandboxState, source=f"{self.name}/{_RECORD}")
        containers = {
            cid: codec.loads(data, ContainerState, source=f"{self.name}/{cid}/{_RECORD}")
            for cid, data in self.containers.items()
        }
        return sandbox, containers


def _sample(tree: str, directory: Traversable) -> KataSample:
    containers = {
        child.name: (child / _RECORD).read_bytes()
        for child in sorted(directory.iterdir(), key=lambda entry: entry.name)
        if child.is_dir() and (child / _RECORD).is_file()
    }
    return KataSample(
        name=f"{tree}/{directory.name}",
        sandbox_id=directory.name,
        sandbox=(directory / _RECORD).read_bytes(),
        containers=containers,
    )


def kata_samples() -> list[KataSample]:
    """Every sandbox in the shipped kata trees, sorted by name."""
    samples = [
        _sample(tree.name, sandbox_dir)
        for tree in _KATA.iterdir()
        if tree.is_dir() and (tree / "sbs").is_dir()
        for sandbox_dir in (tree / "sbs").iterdir()
        if sandbox_dir.is_dir()
    ]
    return sorted(samples, key=lambda sample: sample.name)


def small_sandbox(sandbox_id: str, state: str = "running") -> SandboxState:
    """A valid sandbox with a few non-zero fields, so that a swapped or stale record shows."""
    return SandboxState(
        sandbox_container=sandbox_id,
        persist_version=CURRENT_PERSIST_VERSION,
        state=state,
        cgroup_paths={"cpu": f"/kata/{sandbox_id}"},
        guest_memory_block_size_mb=128,
    )


def small_container(label: str) -> ContainerState:
    """A valid container whose every record differs by ``label``."""
    return ContainerState(
        state="running",
        bundle_path=f"/run/bundles/{label}",
        process=Process(pid=4242, token=label),
        mounts=[Mount(source=f"/src/{label}", destination="/dst", options=["ro"])],
    )


#: The size the kit's large records exceed: far past the 4 KiB or 64 KiB where a backend's buffer or
#: column might silently cut them.
LARGE_RECORD = 1 << 20

# Plain, non-ASCII and JSON-escaped characters, so that a transcoding or re-escaping backend shows too.
_ALPHABET = 'abcdefghijXYZ0123456789/_-.:= \u00e9\u00df\u2603\U0001f600"\\\n\t<>&\u2028'


def _text(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(_ALPHABET, k=length))


def large_sandbox(sandbox_id: str) -> SandboxState:
    """A valid sandbox whose record is over ``LARGE_RECORD`` bytes: thousands of long cgroup paths."""
    rng = random.Random(sandbox_id)
    sandbox = small_sandbox(sandbox_id, state="large")
    sandbox.cgroup_paths = {f"controller-{n:05d}": _text(rng, 200) for n in range(3000)}
    return sandbox


def large_container(label: str) -> ContainerState:
    """A valid container whose record is over ``LARGE_RECORD`` bytes: thousands of mounts with long paths."""
    rng = random.Random(label)
    container = small_container(label)
    container.mounts = [
        Mount(source=f"/src/{n}/{_text(rng, 120)}", destination=f"/dst/{n}", options=["ro", _text(rng, 40)])
        for n in range(2800)
    ]
    return container


def newer_version_record(sandbox: SandboxState, version: int = CURRENT_PERSIST_VERSION + 1) -> bytes:
    """The bytes of ``sandbox`` as a newer persist-core would write them (``save`` refuses to).

    The codec encodes whatever version it is given; the refusal is ``save``'s, so this encodes the
    current version and rewrites the one number.
    """
    current = codec.dumps(attrs.evolve(sandbox, persist_version=CURRENT_PERSIST_VERSION))
    field = b'"PersistVersion":%d,' % CURRENT_PERSIST_VERSION
    if current.count(field) != 1:
        raise AssertionError(f"expected exactly one {field!r} in an encoded SandboxState")
    return current.replace(field, b'"PersistVersion":%d,' % version)


def _str_in_uint32(sandbox: SandboxState) -> None:
    sandbox.guest_memory_block_size_mb = "128"  # type: ignore[assignment]


def _uint32_overflow(sandbox: SandboxState) -> None:
    sandbox.guest_memory_block_size_mb = 2**32


def _negative_uint32(sandbox: SandboxState) -> None:
    sandbox.guest_memory_block_size_mb = -1


def _str_in_nested_int(sandbox: SandboxState) -> None:
    sandbox.hypervisor_state.pid = "not a pid"  # type: ignore[assignment]


#: Ways to make a sandbox that Go could never have written; the codec must refuse each one.
UNENCODABLE_SANDBOX_EDITS: dict[str, Callable[[SandboxState], None]] = {
    "str-in-uint32": _str_in_uint32,
    "uint32-overflow": _uint32_overflow,
    "negative-uint32": _negative_uint32,
    "str-in-nested-int": _str_in_nested_int,
}


def unencodable_container() -> ContainerState:
    """A container whose pid is a string: refused by the codec before anything is stored."""
    container = small_container("unencodable")
    container.process.pid = "4242"  # type: ignore[assignment]
    return container
