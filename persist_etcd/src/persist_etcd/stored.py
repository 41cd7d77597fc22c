"""What one sandbox's keys hold at one revision, read in one request: the base of loads and saves.

A sandbox is its record (``<root>/sbs/<sid>``) plus a directory of container records, each written
once under a key of its own ``<cid>/<stamp>``; the manifest (``.manifest``) names the current one for
each container. Switching the manifest is what makes any number of changed records visible at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from persist_core.errors import CorruptStateError
from persist_etcd.gateway import b64, parse_kvs
from persist_etcd.keys import Layout, range_end


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def encode_manifest(manifest: Mapping[str, str]) -> bytes:
    """One ``<cid> <stamp>`` line per container, sorted; IDs and stamps hold no spaces or newlines."""
    return "".join(f"{cid} {manifest[cid]}\n" for cid in sorted(manifest)).encode("ascii")


def decode_manifest(data: bytes, where: str) -> dict[str, str]:
    manifest: dict[str, str] = {}
    stamps: dict[str, str] = {}  # containers saved together share one stamp: keep one copy of it
    try:
        for line in data.decode("ascii").splitlines():
            cid, stamp = line.split(" ")
            if not cid or not stamp or "/" in cid or "/" in stamp:
                raise ValueError(line)
            manifest[cid] = stamps.setdefault(stamp, stamp)
    except ValueError as exc:
        raise CorruptStateError(f"{where}: not a persist-etcd manifest ({exc})") from exc
    return manifest


def read_ops(layout: Layout, sandbox_id: str) -> list[dict[str, Any]]:
    """The two ranges that read a sandbox whole; inside one transaction they see one revision."""
    directory = layout.containers_dir(sandbox_id)
    return [
        {"request_range": {"key": b64(layout.sandbox_key(sandbox_id))}},
        {"request_range": {"key": b64(directory), "range_end": b64(range_end(directory))}},
    ]


@attrs.frozen
class Stored:
    """A sandbox's keys as of ``revision``: the guard and the diff base of the next save."""

    revision: int  # the store revision at which all of this was true
    sandbox_revision: int  # mod_revision of the sandbox record; 0 when it is not stored
    manifest: Mapping[str, str]  # container ID -> stamp of its current record
    manifest_present: bool
    records: Mapping[str, bytes]  # container ID -> digest of its current record, for those present
    key_count: int  # keys in the container directory, whatever they are
    unreferenced: frozenset[str]  # container record keys the manifest does not name (see below)
    corrupt_manifest: str | None = None  # why the manifest did not parse, if it did not

    @classmethod
    def parse(cls, layout: Layout, sandbox_id: str, responses: list[dict[str, Any]], revision: int) -> Stored:
        """From the answers to ``read_ops`` (a transaction's responses, in that order)."""
        record = parse_kvs(responses[0].get("response_range", {}))
        kvs = parse_kvs(responses[1].get("response_range", {}))
        return cls.of(layout, sandbox_id, record[0] if record else None, kvs, revision)

    @classmethod
    def of(
        cls,
        layout: Layout,
        sandbox_id: str,
        record: tuple[str, bytes, int] | None,
        kvs: Iterable[tuple[str, bytes, int]],
        revision: int,
    ) -> Stored:
        values = {key: value for key, value, _ in kvs}
        manifest_key = layout.manifest_key(sandbox_id)
        manifest: dict[str, str] = {}
        corrupt = None
        if manifest_key in values:
            try:
                manifest = decode_manifest(values[manifest_key], manifest_key)
            except CorruptStateError as exc:
                corrupt = str(exc)
        records = {}
        for cid, stamp in manifest.items():
            value = values.get(layout.container_key(sandbox_id, cid, stamp))
            if value is not None:
                records[cid] = digest(value)
        return cls(
            revision=revision,
            sandbox_revision=record[2] if record else 0,
            manifest=manifest,
            manifest_present=manifest_key in values,
            records=records,
            key_count=len(values),
            unreferenced=frozenset(cls._unreferenced(layout, sandbox_id, manifest, values)),
            corrupt_manifest=corrupt,
        )

    def footprint(self) -> int:
        """Bytes of memory this takes, about (tracemalloc: ~215 a container with kata's 64-character IDs)."""
        return 512 + sum(len(cid) + 150 for cid in self.manifest) + sum(len(key) + 100 for key in self.unreferenced)

    @staticmethod
    def _unreferenced(layout: Layout, sandbox_id: str, manifest: Mapping[str, str], keys: Iterable[str]) -> set[str]:
        """Container record keys the manifest does not name: left by superseded, failed or killed saves.

        A save deletes them in (or right after) its commit: the commit changes the sandbox record,
        which every other save in flight compares, so none of them can ever make such a key current.
        Keys of other shapes are not this driver's and are left alone.
        """
        referenced = {layout.container_key(sandbox_id, cid, stamp) for cid, stamp in manifest.items()}
        directory = layout.containers_dir(sandbox_id)
        result = set()
        for key in keys:
            if key in referenced:
                continue
            parts = key[len(directory) :].split("/")
            if len(parts) == 2 and not parts[0].startswith(".") and parts[1]:
                result.add(key)
        return result
