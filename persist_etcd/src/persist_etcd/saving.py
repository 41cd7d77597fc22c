"""One save of one sandbox: any number of containers, all-or-nothing for readers, only changes written.

Changed container records go under fresh keys (this save's stamp), which no reader looks at until the
manifest names them. When everything fits in one transaction (etcd's ``--max-txn-ops`` and
``--max-request-bytes``, told to the driver as options) that transaction is the whole save. Otherwise
the new records are staged in as many transactions as needed, one small transaction then switches
the sandbox record and the manifest, and the records it superseded are deleted afterwards.

Every transaction of a save compares, inside etcd:

- the sandbox record's mod_revision: every save rewrites it and destroy deletes it;
- that no key of the container directory changed after the revision the diff was computed at (one
  range compare, ``mod_revision < R + 1``); each staging transaction moves R to its own revision, so
  the chain covers the whole save. A record skipped as unchanged is therefore unchanged in the store
  when the commit applies, whoever else wrote to it;
- each lock this driver holds on the sandbox (fencing: a lost lock stores nothing).

A failed transaction returns the sandbox's current keys, and the save starts over from them. Deleted
keys leave no revision to compare, so the commit also counts the directory's keys: a count lower
than expected means someone deleted a record, and the save reads again and rewrites what is missing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from persist_core.errors import StorageError
from persist_etcd.gateway import Gateway, RequestTooLarge, b64, parse_kvs
from persist_etcd.keys import Layout, range_end
from persist_etcd.locks import HeldLock
from persist_etcd.options import EtcdOptions
from persist_etcd.stored import Stored, digest, encode_manifest, read_ops

_log = logging.getLogger(__name__)

#: Attempts of a save that keeps losing to concurrent writers of the same sandbox.
MAX_SAVE_ATTEMPTS = 64
#: Room left in every request for compares, ranges and protobuf framing.
HEADROOM = 8 * 1024


def put_op(key: str, value: bytes) -> dict[str, Any]:
    return {"request_put": {"key": b64(key), "value": b64(value)}}


def delete_op(key: str) -> dict[str, Any]:
    return {"request_delete_range": {"key": b64(key)}}


def op_size(key: str, value: bytes = b"") -> int:
    return len(key) + len(value) + 16


def fence_compares(fences: Sequence[HeldLock]) -> list[dict[str, Any]]:
    return [fence.compare() for fence in fences]


def fence_read(layout: Layout, sandbox_id: str) -> dict[str, Any]:
    directory = layout.lock_dir(sandbox_id)
    return {"request_range": {"key": b64(directory), "range_end": b64(range_end(directory)), "keys_only": True}}


def check_fences(fences: Sequence[HeldLock], response: dict[str, Any] | None = None) -> None:
    """Raise LockLostError if a held lock is gone: known lost already, or missing from ``response``."""
    present = None if response is None else {(key, rev) for key, _, rev in parse_kvs(response)}
    for fence in fences:
        if not fence.lost and present is not None and (fence.key, fence.create_revision) not in present:
            fence.mark_lost()
        if fence.lost:
            raise fence.lost_error()


#: A new container record: its key, its bytes, and how errors name it.
_Put = tuple[str, bytes, str]


@attrs.frozen(kw_only=True)
class _Plan:
    """What one attempt of a save writes and deletes, decided from the stored state before any request."""

    manifest: dict[str, str]  # container ID -> stamp, once this attempt commits
    puts: list[_Put]  # every changed container's new record
    head: list[dict[str, Any]]  # the sandbox record, and the manifest's put or delete when it changes
    manifest_written: bool
    manifest_deleted: bool
    staged: list[_Put]  # records written ahead of the commit when the whole save does not fit in one
    commit_puts: list[_Put]  # records written by the commit itself
    commit_deletes: list[str]  # superseded records deleted by the commit
    later_deletes: list[str]  # superseded records that did not fit, deleted after it


class Save:
    """Writes ``sandbox`` and exactly ``containers`` (encoded) for one sandbox; ``run`` does it."""

    def __init__(
        self,
        gateway: Gateway,
        layout: Layout,
        options: EtcdOptions,
        *,
        sandbox_id: str,
        sandbox: bytes,
        containers: Mapping[str, bytes],
        fences: Sequence[HeldLock],
    ) -> None:
        self.gateway = gateway
        self.layout = layout
        self.sandbox_id = sandbox_id
        self.sandbox = sandbox
        self.containers = containers
        self.digests = {cid: digest(data) for cid, data in containers.items()}
        self.fences = fences
        self.what = f"saving sandbox {sandbox_id!r}"
        self.max_ops = options.max_txn_ops
        self.max_request_bytes = options.max_request_bytes
        self.max_bytes = options.max_request_bytes - HEADROOM
        directory = layout.containers_dir(sandbox_id)
        self.directory_range = {"key": b64(directory), "range_end": b64(range_end(directory))}

    # -- requests ------------------------------------------------------------------------------

    def _compares(self, stored: Stored, revision: int) -> list[dict[str, Any]]:
        return [
            {
                "key": b64(self.layout.sandbox_key(self.sandbox_id)),
                "target": "MOD",
                "result": "EQUAL",
                "mod_revision": stored.sandbox_revision,
            },
            # Over a range: holds only if every key in it has mod_revision <= revision (or there is none).
            {**self.directory_range, "target": "MOD", "result": "LESS", "mod_revision": revision + 1},
            *fence_compares(self.fences),
        ]

    def _failure_ops(self) -> list[dict[str, Any]]:
        ops = read_ops(self.layout, self.sandbox_id)
        if self.fences:
            ops.append(fence_read(self.layout, self.sandbox_id))
        return ops

    def _txn(self, body: dict[str, Any], largest: tuple[str, int]) -> dict[str, Any]:
        try:
            return self.gateway.txn(self.what, body)
        except RequestTooLarge as exc:
            name, size = largest
            raise StorageError(
                f"{self.what}: etcd refused a request holding {name} ({size} bytes) as too large; the server's "
                f"--max-request-bytes is below this driver's max_request_bytes ({self.max_request_bytes}): "
                f"lower the option or raise the server's limit ({exc})"
            ) from exc

    def _fresh(self, result: dict[str, Any]) -> Stored:
        """The current state from a failed transaction's answer; raises LockLostError if a lock went."""
        responses = result.get("responses", [])
        if self.fences:
            check_fences(self.fences, responses[2].get("response_range", {}))
        return Stored.parse(self.layout, self.sandbox_id, responses, int(result["header"]["revision"]))

    def read(self) -> Stored:
        result = self.gateway.txn(self.what, {"success": read_ops(self.layout, self.sandbox_id)})
        return Stored.parse(
            self.layout, self.sandbox_id, result.get("responses", []), int(result["header"]["revision"])
        )

    # -- the save ------------------------------------------------------------------------------

    def _too_large(self, name: str, size: int) -> StorageError:
        return StorageError(
            f"{self.what}: {name} is {size} bytes, more than one etcd request may carry "
            f"(max_request_bytes {self.max_request_bytes}, which should match the server's --max-request-bytes; "
            f"etcd's default is 1.5 MiB): nothing was stored"
        )

    def _check_sizes(self) -> None:
        """Refuse at once what no request can carry, before anything is written."""
        for cid, data in self.containers.items():
            key = self.layout.container_key(self.sandbox_id, cid, "0" * 16)
            if op_size(key, data) > self.max_bytes:
                raise self._too_large(f"container {cid!r}", len(data))
        if op_size(self.layout.sandbox_key(self.sandbox_id), self.sandbox) > self.max_bytes:
            raise self._too_large("the sandbox record", len(self.sandbox))

    def run(self, stored: Stored | None) -> Stored:
        """Commit, retrying from the store's state as long as others win; return what is now stored."""
        self._check_sizes()
        check_fences(self.fences)
        if stored is None:
            stored = self.read()
        for _ in range(MAX_SAVE_ATTEMPTS):
            outcome = self._attempt(stored)
            if isinstance(outcome, Stored):
                return outcome
            stored = outcome[0]
        raise StorageError(
            f"{self.what} lost to concurrent writers {MAX_SAVE_ATTEMPTS} times in a row; "
            "hold the sandbox's lock while saving"
        )

    def _attempt(self, stored: Stored) -> Stored | tuple[Stored]:
        """One try: the new state when committed, or (the state to retry from,) when not."""
        plan = self._plan(stored)
        revision = self._stage(stored, plan.staged)
        if isinstance(revision, Stored):
            return (revision,)
        result = self._commit(stored, plan, revision)
        if not result["succeeded"]:
            return (self._fresh(result),)
        committed = int(result["header"]["revision"])
        key_count = self._expected_key_count(stored, plan)
        if int(result["responses"][-1].get("response_range", {}).get("count", 0)) != key_count:
            return self._after_deletions(committed)
        deleted = self._collect(plan.later_deletes)
        return Stored(
            revision=committed,
            sandbox_revision=committed,
            manifest=plan.manifest,
            manifest_present=bool(plan.manifest),
            records=dict(self.digests),
            key_count=key_count - len(deleted),
            unreferenced=frozenset(plan.later_deletes) - deleted,
        )

    def _plan(self, stored: Stored) -> _Plan:
        """Decide from ``stored`` alone what this attempt writes, deletes, and in which transaction."""
        layout, sid = self.layout, self.sandbox_id
        # Unique to this attempt; starts with the revision it diffs against, for people reading the keys.
        stamp = f"{stored.revision:x}-{secrets.token_hex(4)}"
        changed = [cid for cid in self.containers if stored.records.get(cid) != self.digests[cid]]
        changed_set = set(changed)
        manifest = {cid: stamp if cid in changed_set else stored.manifest[cid] for cid in self.containers}
        puts = [(layout.container_key(sid, cid, stamp), self.containers[cid], f"container {cid!r}") for cid in changed]
        # Records this save makes unreachable: the old ones of changed and removed containers (those
        # present), and whatever earlier saves left behind.
        superseded = {
            layout.container_key(sid, cid, old)
            for cid, old in stored.manifest.items()
            if cid in stored.records and (cid not in self.containers or cid in changed_set)
        }
        garbage = sorted(superseded | stored.unreferenced)
        manifest_written = bool(manifest) and (
            not stored.manifest_present or stored.corrupt_manifest is not None or manifest != stored.manifest
        )
        manifest_deleted = not manifest and stored.manifest_present
        head, head_bytes = self._head(manifest, written=manifest_written, deleted=manifest_deleted)
        commit_puts, staged, commit_deletes = self._pack(puts, garbage, len(head), head_bytes)
        return _Plan(
            manifest=manifest,
            puts=puts,
            head=head,
            manifest_written=manifest_written,
            manifest_deleted=manifest_deleted,
            staged=staged,
            commit_puts=commit_puts,
            commit_deletes=commit_deletes,
            later_deletes=garbage[len(commit_deletes) :],
        )

    def _head(self, manifest: Mapping[str, str], *, written: bool, deleted: bool) -> tuple[list[dict[str, Any]], int]:
        """The ops every commit carries (the sandbox record, and the manifest when it changes), and their size."""
        sandbox_key, manifest_key = self.layout.sandbox_key(self.sandbox_id), self.layout.manifest_key(self.sandbox_id)
        head = [put_op(sandbox_key, self.sandbox)]
        head_bytes = op_size(sandbox_key, self.sandbox)
        if written:
            encoded = encode_manifest(manifest)
            head.append(put_op(manifest_key, encoded))
            head_bytes += op_size(manifest_key, encoded)
        elif deleted:
            head.append(delete_op(manifest_key))
        if head_bytes > self.max_bytes:
            raise self._too_large(f"the sandbox record with the manifest of {len(manifest)} containers", head_bytes)
        return head, head_bytes

    def _pack(
        self, puts: list[_Put], garbage: list[str], head_ops: int, head_bytes: int
    ) -> tuple[list[_Put], list[_Put], list[str]]:
        """(puts in the commit, puts staged ahead of it, deletes in the commit): one transaction if all fits.

        Deletes that do not fit in the commit are done after it (see ``_collect``).
        """
        ops_left, bytes_left = self.max_ops - head_ops - 1, self.max_bytes - head_bytes
        puts_bytes = sum(op_size(key, value) for key, value, _ in puts)
        if len(puts) <= ops_left and puts_bytes <= bytes_left:
            commit_puts, staged = puts, []
            ops_left, bytes_left = ops_left - len(puts), bytes_left - puts_bytes
        else:
            commit_puts, staged = [], puts
        commit_deletes: list[str] = []
        for key in garbage:
            if ops_left <= 0 or op_size(key) > bytes_left:
                break
            commit_deletes.append(key)
            ops_left, bytes_left = ops_left - 1, bytes_left - op_size(key)
        return commit_puts, staged, commit_deletes

    def _stage(self, stored: Stored, staged: Sequence[_Put]) -> int | Stored:
        """Write the records that do not fit in the commit; the revision the chain reached, or the state
        to retry from when a staging transaction failed."""
        revision = stored.revision
        for batch in self._batches(staged):
            body = {
                "compare": self._compares(stored, revision),
                "success": [put_op(key, value) for key, value, _ in batch],
                "failure": self._failure_ops(),
            }
            result = self._txn(body, max(((name, len(value)) for _, value, name in batch), key=lambda item: item[1]))
            if not result["succeeded"]:
                return self._fresh(result)
            revision = int(result["header"]["revision"])
        return revision

    def _commit(self, stored: Stored, plan: _Plan, revision: int) -> dict[str, Any]:
        """The transaction that makes the save visible; its last answer counts the directory's keys."""
        body = {
            "compare": self._compares(stored, revision),
            "success": [
                *plan.head,
                *(put_op(key, value) for key, value, _ in plan.commit_puts),
                *(delete_op(key) for key in plan.commit_deletes),
                {"request_range": {**self.directory_range, "count_only": True}},
            ],
            "failure": self._failure_ops(),
        }
        largest = max(
            [("the sandbox record", len(self.sandbox)), *((name, len(value)) for _, value, name in plan.commit_puts)],
            key=lambda item: item[1],
        )
        return self._txn(body, largest)

    @staticmethod
    def _expected_key_count(stored: Stored, plan: _Plan) -> int:
        """How many keys the container directory holds after the commit if nobody deleted any meanwhile."""
        key_count = stored.key_count + len(plan.puts) - len(plan.commit_deletes)
        if plan.manifest_written and not stored.manifest_present:
            key_count += 1
        elif plan.manifest_deleted:
            key_count -= 1
        return key_count

    def _after_deletions(self, committed: int) -> Stored | tuple[Stored]:
        """Someone deleted keys since the diff: read again and rewrite what our manifest misses."""
        fresh = self.read()
        if fresh.sandbox_revision == committed and any(
            fresh.records.get(cid) != self.digests[cid] for cid in self.containers
        ):
            _log.warning("%s: records were deleted behind the driver's back; writing them again", self.what)
            return (fresh,)
        return fresh

    def _batches(self, items: Sequence[tuple[str, bytes, str]]) -> Iterable[list[tuple[str, bytes, str]]]:
        batch: list[tuple[str, bytes, str]] = []
        size = 0
        for item in items:
            item_size = op_size(item[0], item[1])
            if batch and (len(batch) >= self.max_ops or size + item_size > self.max_bytes):
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += item_size
        if batch:
            yield batch

    def _collect(self, keys: Sequence[str]) -> set[str]:
        """Delete superseded records that did not fit in the commit; best effort, they are invisible."""
        deleted: set[str] = set()
        for start in range(0, len(keys), self.max_ops):
            chunk = keys[start : start + self.max_ops]
            try:
                self.gateway.txn(self.what, {"success": [delete_op(key) for key in chunk]})
            except StorageError as exc:
                _log.warning("%s: could not delete %d superseded records now (a later save will): %s",
                             self.what, len(keys) - len(deleted), exc)  # fmt: skip
                break
            deleted.update(chunk)
        return deleted
