"""The export format: one JSON document in which each stored document is the codec's bytes, verbatim.

    {"format":"persist-export","version":1,"sandboxes":{
    "<sid>":{"sandbox":<sbs/sid/persist.json>,"containers":{"<cid>":<sbs/sid/cid/persist.json>}}
    }}

The codec remains the only producer of persist documents: the envelope around them is built from
fixed text and ``json.dumps`` of IDs, and the documents are spliced in unchanged, so an export holds
exactly the bytes kata would have on disk (one sandbox per line, easy to diff and to read with jq).
Reading uses ``json`` for the envelope only; each document is handed back to ``codec.loads`` as text.
``json`` re-serialises the parsed document losslessly (integers stay exact, floats round-trip by
``repr``), so the codec decodes the very values it would have decoded from the original bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from persist_core import ContainerState, SandboxState, check_id, codec
from persist_core.cli.encoded_sandbox import EncodedSandbox
from persist_core.errors import CorruptStateError, InvalidIdError, UnsupportedVersionError
from persist_core.versioning import check_version

FORMAT = "persist-export"
VERSION = 1


def _key(text: str) -> bytes:
    return json.dumps(text).encode("ascii")


def _bare(document: bytes) -> bytes:
    # The codec ends every document with Go's one newline; inside the envelope it would only be noise.
    return document.removesuffix(b"\n")


def encode_sandbox(encoded: EncodedSandbox) -> bytes:
    """``{"sandbox": ..., "containers": {...}}`` for one sandbox (also what ``show --json`` prints)."""
    containers = b",".join(_key(cid) + b":" + _bare(doc) for cid, doc in encoded.container_documents.items())
    return b'{"sandbox":' + _bare(encoded.sandbox_document) + b',"containers":{' + containers + b"}}"


def encode_export(encoded_sandboxes: Iterable[EncodedSandbox]) -> bytes:
    lines = [_key(encoded.sandbox_id) + b":" + encode_sandbox(encoded) for encoded in encoded_sandboxes]
    header = b'{"format":' + _key(FORMAT) + b',"version":' + str(VERSION).encode() + b',"sandboxes":{'
    body = b"\n" + b",\n".join(lines) + b"\n" if lines else b""
    return header + body + b"}}\n"


def _check_id(value: str, what: str, where: str) -> None:
    try:
        check_id(value, what)
    except InvalidIdError as exc:
        raise InvalidIdError(f"{where}: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Repeated(dict[str, Any]):
    """A JSON object in which some key appears more than once (``json`` would silently keep the last)."""

    repeated: list[tuple[str, int]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    repeated = _Repeated(result)
    repeated.repeated = [(key, count) for key, count in Counter(key for key, _ in pairs).items() if count > 1]
    return repeated


def _refuse_repeated(value: dict[str, Any], what: str, where: str) -> None:
    """Two sandboxes (or containers) under one ID: which one was meant cannot be known, so refuse both."""
    if isinstance(value, _Repeated):
        key, count = value.repeated[0]
        raise CorruptStateError(f"{where}: {what} {key!r} appears {count} times; nothing imported")


def _document_text(value: Any, where: str) -> str:
    if not isinstance(value, dict):
        raise CorruptStateError(f"{where}: expected a JSON object, got {type(value).__name__}")
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # a number too large for a float, parsed as infinity
        raise CorruptStateError(f"{where}: {exc}") from exc


def _decode_sandbox(sandbox_id: str, entry: Any, where: str) -> EncodedSandbox:
    if not isinstance(entry, dict) or "sandbox" not in entry:
        raise CorruptStateError(f'{where}: expected {{"sandbox": {{...}}, "containers": {{...}}}}')
    sandbox = codec.loads(_document_text(entry["sandbox"], where), SandboxState, source=where)
    check_version(sandbox.persist_version, where)
    documents = entry.get("containers", {})
    if not isinstance(documents, dict):
        raise CorruptStateError(f'{where}: "containers" must be an object of container ID to document')
    _refuse_repeated(documents, "container", where)
    containers: dict[str, ContainerState] = {}
    for container_id, document in documents.items():
        _check_id(container_id, "container", where)
        source = f"{where}, container {container_id!r}"
        containers[container_id] = codec.loads(_document_text(document, source), ContainerState, source=source)
    return EncodedSandbox.of(sandbox_id, sandbox, containers, where=where)


def decode_export(
    data: bytes, *, source: str, on_sandbox: Callable[[int, int, str], None] | None = None
) -> list[EncodedSandbox]:
    """Every sandbox in an export, fully decoded and checked before anything is written anywhere.

    ``on_sandbox(done, total, sandbox_id)`` is called before each sandbox is decoded (for a progress bar).
    """
    try:
        document = json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_object)
    except ValueError as exc:
        raise CorruptStateError(f"{source}: not valid JSON: {exc}") from exc
    except RecursionError as exc:  # far deeper than any record: hostile or broken
        raise CorruptStateError(f"{source}: not valid JSON: nested too deeply ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CorruptStateError(f'{source}: not a persist export (expected "format": "{FORMAT}")')
    _refuse_repeated(document, "key", source)
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CorruptStateError(f"{source}: export version must be a positive integer, got {version!r}")
    if version > VERSION:
        raise UnsupportedVersionError(
            f"{source}: export format version {version} is newer than {VERSION}, the newest this "
            "persist-core reads; upgrade persist-core to import it"
        )
    sandboxes = document.get("sandboxes")
    if not isinstance(sandboxes, dict):
        raise CorruptStateError(f'{source}: "sandboxes" must be an object of sandbox ID to sandbox')
    _refuse_repeated(sandboxes, "sandbox", source)
    encoded_sandboxes = []
    for done, (sandbox_id, entry) in enumerate(sandboxes.items()):
        if on_sandbox is not None:
            on_sandbox(done, len(sandboxes), sandbox_id)
        _check_id(sandbox_id, "sandbox", source)
        encoded_sandboxes.append(_decode_sandbox(sandbox_id, entry, f"{source}: sandbox {sandbox_id!r}"))
    return encoded_sandboxes
