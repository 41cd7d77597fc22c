"""Every persist.json that kata's Go encoder wrote decodes to the documented values and re-encodes byte for byte."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from persist_core import codec
from persist_core.model import ContainerState, GoTime, SandboxState

KATA = Path(__file__).resolve().parents[2] / "persist_core/src/persist_core/testing/kata"

VALUES = json.loads((KATA / "values.json").read_text())
FILES = sorted(VALUES["files"])
CLASSES = {"persistapi.SandboxState": SandboxState, "persistapi.ContainerState": ContainerState}


def _resolve(document: Any, pointer: str) -> Any:
    """RFC 6901: walk a JSON pointer; KeyError/IndexError when it does not exist."""
    for escaped in pointer.split("/")[1:] if pointer else []:
        token = escaped.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def _decoded(rel: str) -> tuple[bytes, Any]:
    spec = VALUES["files"][rel]
    data = (KATA / rel).read_bytes()
    return data, codec.loads(data, CLASSES[spec["decode_as"]])


def test_every_fixture_is_covered() -> None:
    on_disk = sorted(str(p.relative_to(KATA)) for p in KATA.rglob("persist.json"))
    assert on_disk == FILES


@pytest.mark.parametrize("rel", FILES)
def test_round_trip_is_byte_identical(rel: str) -> None:
    data, obj = _decoded(rel)
    assert codec.dumps(obj) == data


@pytest.mark.parametrize("rel", FILES)
def test_spot_values_hold_after_decoding(rel: str) -> None:
    spec = VALUES["files"][rel]
    _, obj = _decoded(rel)
    # Observe the decoded object through its own encoding: pointers are written in Go's JSON names.
    document = json.loads(codec.dumps(obj))
    for pointer, expected in spec["pointers"].items():
        assert _resolve(document, pointer) == expected, pointer
    for pointer in spec["absent"]:
        parent, _, key = pointer.rpartition("/")
        try:
            container = _resolve(document, parent)
        except (KeyError, IndexError):
            continue  # the parent itself is absent
        assert key not in container, pointer


@pytest.mark.parametrize("rel", FILES)
def test_raw_bytes_match_go(rel: str) -> None:
    spec = VALUES["files"][rel]
    _, obj = _decoded(rel)
    out = codec.dumps(obj)
    for fragment in spec.get("raw_contains", []):
        assert fragment.encode() in out, fragment
    assert out.endswith(spec["raw_suffix"].encode())


def _attr_path(obj: Any, pointer: str) -> Any:
    """Follow a JSON pointer through the Python objects, mapping Go keys to attributes."""
    import attrs

    from persist_core.model._fields import GO_KEY

    for token in pointer.split("/")[1:]:
        if isinstance(obj, list):
            obj = obj[int(token)]
        elif isinstance(obj, dict):
            obj = obj[token]
        else:
            by_key = {f.metadata[GO_KEY].lower(): f.name for f in attrs.fields(type(obj))}
            obj = getattr(obj, by_key[token.lower()])
    return obj


@pytest.mark.parametrize("rel", [f for f in FILES if VALUES["files"][f].get("semantic")])
def test_semantic_values_are_what_python_holds(rel: str) -> None:
    _, obj = _decoded(rel)
    for pointer, meaning in VALUES["files"][rel]["semantic"].items():
        value = _attr_path(obj, pointer)
        go_type = meaning["go_type"]
        if go_type == "time.Time":
            assert isinstance(value, GoTime)
            assert (value.unix_seconds, value.nanoseconds, value.utc_offset) == (
                meaning["unix_seconds"],
                meaning["nanoseconds"],
                meaning["utc_offset_seconds"],
            )
        elif go_type == "map[int]struct{}":
            assert value == set(meaning["keys"])
        elif go_type == "net.IPMask":
            assert base64.b64decode(value).hex() == meaning["hex"]
        elif go_type.startswith("devices.Type"):
            assert value == ord(meaning["char"])
        elif go_type == "float32":
            assert value == meaning["value"]
        elif go_type == "os.FileMode":
            assert value == int(meaning["octal"], 8)
        else:  # pragma: no cover - a new kind of fixture value needs a check written for it
            pytest.fail(f"no check for {go_type}")


def test_zero_values_encode_exactly_like_kata_zero_tree(kata_dir: Path) -> None:
    sandbox = SandboxState(sandbox_container="e1f3c2a9d8b7", persist_version=2)
    tree = kata_dir / "tree-zero/sbs/e1f3c2a9d8b7"
    assert codec.dumps(sandbox) == (tree / "persist.json").read_bytes()
    assert codec.dumps(ContainerState()) == (tree / "e1f3c2a9d8b7/persist.json").read_bytes()


def test_uint64_beyond_float_precision_is_exact() -> None:
    data = (KATA / "tree-full/sbs/e1f3c2a9d8b7/persist.json").read_bytes()
    obj = codec.loads(data, SandboxState)
    obj.config.shm_size = 2**64 - 1
    obj.config.hypervisor_config.mem_offset = 2**53 + 1
    again = codec.loads(codec.dumps(obj), SandboxState)
    assert again.config.shm_size == 2**64 - 1
    assert again.config.hypervisor_config.mem_offset == 2**53 + 1
