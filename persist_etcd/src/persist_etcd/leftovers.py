"""Container records no save will ever make current again: what killed or superseded saves left.

A save deletes such records of its sandbox itself, so these are what remains after a save was killed
and no later save of that sandbox ran. A record is safe to delete when the manifest does not name it
and its stamp says its save started before the sandbox record's last write: that save's commit
compares the record's revision and can never succeed. Records of a sandbox that is not stored may
belong to a first save still in flight, so they are reported but left to ``destroy``.
"""

from __future__ import annotations

from persist_core.errors import CorruptStateError
from persist_etcd.gateway import Gateway, b64, parse_kvs
from persist_etcd.keys import Layout, range_end
from persist_etcd.stored import decode_manifest


def _stamp_revision(stamp: str) -> int | None:
    try:
        return int(stamp.partition("-")[0], 16)
    except ValueError:
        return None


def find(gateway: Gateway, layout: Layout) -> list[tuple[str, str, bool]]:
    """Every leftover: (key, description, whether it is safe to delete)."""
    top = f"{layout.root}/ctr/"
    sandbox_ids = sorted(
        {
            key[len(top) :].split("/", 1)[0]
            for key, _, _ in gateway.range("finding leftovers", top, prefix=True, keys_only=True)
        }
    )
    found: list[tuple[str, str, bool]] = []
    for sandbox_id in sandbox_ids:
        directory = layout.containers_dir(sandbox_id)
        manifest_key = layout.manifest_key(sandbox_id)
        # One transaction: the record's revision, the manifest and the directory's keys, at one revision.
        result = gateway.txn(
            f"finding leftovers of sandbox {sandbox_id!r}",
            {
                "success": [
                    {"request_range": {"key": b64(layout.sandbox_key(sandbox_id)), "keys_only": True}},
                    {"request_range": {"key": b64(manifest_key)}},
                    {
                        "request_range": {
                            "key": b64(directory),
                            "range_end": b64(range_end(directory)),
                            "keys_only": True,
                        }
                    },
                ]
            },
        )
        record, manifest_kvs, keys = (parse_kvs(r.get("response_range", {})) for r in result["responses"])
        try:
            manifest = decode_manifest(manifest_kvs[0][1], manifest_key) if manifest_kvs else {}
        except CorruptStateError:
            continue  # the sandbox does not load: `persist check` reports it; not a leftover
        referenced = {layout.container_key(sandbox_id, cid, stamp) for cid, stamp in manifest.items()}
        for key, _, _ in keys:
            parts = key[len(directory) :].split("/")
            if key in referenced or len(parts) != 2 or parts[0].startswith("."):
                continue
            started = _stamp_revision(parts[1])
            if not record:
                why = "which is not stored (left by a killed first save, or one still running; `persist rm` removes it)"
                found.append((key, f"etcd key {key}: a record of sandbox {sandbox_id!r}, {why}", False))
            elif started is not None and started < record[0][2]:
                found.append(
                    (key, f"etcd key {key}: a record of sandbox {sandbox_id!r} no save references any more", True)
                )
    return found


def clean(gateway: Gateway, layout: Layout, max_ops: int) -> list[str]:
    """Delete the records ``find`` says are safe; returns their descriptions."""
    safe = [(key, description) for key, description, deletable in find(gateway, layout) if deletable]
    for start in range(0, len(safe), max_ops):
        chunk = [key for key, _ in safe[start : start + max_ops]]
        gateway.txn("removing leftovers", {"success": [{"request_delete_range": {"key": b64(key)}} for key in chunk]})
    return [description for _, description in safe]
