"""Encode-time check of foreign JSON: only what Go's struct would read back into the very same value.

A value passes when encoding/json, decoding it into the foreign struct (model.foreign) and encoding that
again, would give back the same JSON value (object keys in any order). Everything else is refused,
naming the path: what Go cannot decode at all (kata's restore would fail on the sandbox), and what it
would silently change (an unknown key dropped, a key matched case-insensitively and renamed, a ``null``
or an empty value it leaves out or replaces by a zero value, an address it writes another way).
Decoding is not checked: it stays as lenient as Go's decoder.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from typing import Any

from persist_core.model.foreign import SCHEMAS, Field, Integer, Kind, Map, Pointer, Scalar, Slice, Struct


class _Refusal(ValueError):
    pass


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def check_foreign(value: Any, go_type: str, where: str, *, pointer: bool = False) -> None:
    """Raise ValueError naming ``where`` and the path inside ``value`` unless Go reads it back unchanged.

    ``pointer``: the field is a Go pointer to the struct, so None (null) is nil.
    """
    if value is None and pointer:
        return
    try:
        _check(SCHEMAS[go_type](), value, "")
    except _Refusal as exc:
        raise ValueError(f"{where}{exc}") from None


def _check(kind: Kind, value: Any, path: str) -> None:
    if value is None:
        if not kind.nullable:
            raise _Refusal(f"{path}: null, which Go reads as nothing and writes as {_zero_text(kind)}")
        return
    if isinstance(kind, Struct):
        _check_struct(kind, value, path)
    elif isinstance(kind, Pointer):
        _check(kind.target, value, path)
    elif isinstance(kind, Slice):
        if type(value) is not list:
            raise _Refusal(f"{path}: expected an array, got {_json_type(value)}: Go cannot read it")
        for index, item in enumerate(value):
            _check(kind.item, item, f"{path}[{index}]")
    elif isinstance(kind, Map):
        if type(value) is not dict:
            raise _Refusal(f"{path}: expected an object, got {_json_type(value)}: Go cannot read it")
        for key, item in value.items():
            if type(key) is not str:
                raise _Refusal(f"{path}: key {key!r} is not a string")
            _check(kind.value, item, f"{path}[{key!r}]")
    elif isinstance(kind, Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Refusal(f"{path}: expected a Go {kind.go_type} (an integer), got {_json_type(value)} {value!r}")
        if not kind.min <= value <= kind.max:
            raise _Refusal(f"{path}: {value} is out of range for Go {kind.go_type} [{kind.min}, {kind.max}]")
    else:
        assert isinstance(kind, Scalar)
        _check_scalar(kind, value, path)


def _check_scalar(kind: Scalar, value: Any, path: str) -> None:
    if kind.go_type == "bool":
        if value is not True and value is not False:
            raise _Refusal(f"{path}: expected a boolean, got {_json_type(value)} {value!r}")
        return
    if type(value) is not str:
        raise _Refusal(f"{path}: expected a string ({kind.go_type}), got {_json_type(value)} {value!r}")
    if kind.go_type == "net.IP":
        written = go_ip_text(value)
        if written != value:
            detail = "Go cannot read it as an IP address" if written is None else f"Go writes it as {written!r}"
            raise _Refusal(f"{path}: IP address {value!r}: {detail}")
    elif kind.go_type == "[]byte":
        try:
            canonical = base64.b64encode(base64.b64decode(value, validate=True)).decode("ascii")
        except (binascii.Error, ValueError):
            canonical = None
        if canonical != value:
            raise _Refusal(f"{path}: {value!r} is not standard padded base64 as Go writes it")


def _check_struct(struct: Struct, value: Any, path: str) -> None:
    if type(value) is not dict:
        raise _Refusal(f"{path}: expected a JSON object for Go's {struct.go_type}, got {_json_type(value)}")
    fields = struct.fields
    for key, item in value.items():
        field = fields.get(key) if type(key) is str else None
        if field is None:
            raise _Refusal(f"{path}: {_unknown(struct, key)}")
        _check_field(field, item, f"{path}.{key}")
    grouped: set[str] = set().union(*struct.together)
    for group in struct.together:
        present = group.intersection(value)
        if present and present != group:
            missing = ", ".join(sorted(group - present))
            raise _Refusal(f"{path}: has {', '.join(sorted(present))} but not {missing}, which Go then writes too")
    for key, field in fields.items():
        if not field.omitempty and key not in value and key not in grouped:
            raise _Refusal(f"{path}: key {key!r} is missing; Go always writes it ({_zero_text(field.kind)} when unset)")


def _check_field(field: Field, item: Any, path: str) -> None:
    if field.omitempty and (item is None or _is_empty(field.kind, item)):
        raise _Refusal(f"{path}: {item!r} is empty, and Go leaves out empty values of this field (omitempty)")
    _check(field.kind, item, path)


def _is_empty(kind: Kind, value: Any) -> bool:
    """encoding/json's isEmptyValue: false, 0, "", and empty slices and maps (a set pointer never is)."""
    if isinstance(kind, Pointer):
        return False
    if isinstance(kind, (Slice, Map)) or (isinstance(kind, Scalar) and kind.go_type != "bool"):
        return isinstance(value, (list, dict, str)) and len(value) == 0
    return value is False or (type(value) is not bool and isinstance(value, int) and value == 0)


def _unknown(struct: Struct, key: object) -> str:
    if isinstance(key, str):
        for known in struct.fields:
            if known.lower() == key.lower():
                return f"key {key!r}: Go reads it as {known!r} and writes it so (keys are case-sensitive here)"
    return f"Go's {struct.go_type} has no key {key!r}: Go would drop it"


def _zero_text(kind: Kind) -> str:
    if isinstance(kind, Integer):
        return "0"
    if isinstance(kind, Scalar):
        return {"bool": "false", "[]byte": "null"}.get(kind.go_type, '""')
    if isinstance(kind, Struct):
        return "an object of zero values"
    return "null"


@functools.lru_cache(maxsize=1024)
def go_ip_text(text: str) -> str | None:
    """How Go's net.IP writes the address that ``text`` parses to (None if Go cannot parse it).

    Go parses dotted IPv4 (no leading zeros) and IPv6 without a zone, and writes IPv4 and IPv4-mapped
    addresses as dotted quads, other IPv6 addresses in RFC 5952 form (as Python's ipaddress does).
    """
    if text == "":
        return ""
    if "%" in text:
        return None
    try:
        if ":" not in text:
            return str(ipaddress.IPv4Address(text))
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else str(address)
