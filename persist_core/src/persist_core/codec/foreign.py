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
import json
from collections.abc import Callable
from typing import Any

from persist_core.model.foreign import SCHEMAS, Integer, Kind, Map, Pointer, Scalar, Slice, Struct

Check = Callable[[Any], None]


class _Refusal(ValueError):
    """Raised deep inside a value; each level on the way out puts its key in front of the path."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


#: JSON texts already found to be what their Go type reads back unchanged, per (Go type, pointer). The
#: same cgroups, resources and addresses are saved again and again; a text is checked once.
_VERIFIED: set[tuple[str, bool, str]] = set()
_VERIFIED_MAX = 2048


def check_foreign_text(text: str, go_type: str, where: str, *, pointer: bool = False) -> None:
    """Raise ValueError unless Go reads the JSON ``text`` back unchanged (see check_foreign).

    The verdict depends on the text alone (it is what gets stored), so it is remembered. The text is parsed
    again to be checked: what json writes the same way (a tuple as a list, a key 1 as "1") is judged the same.
    """
    key = (go_type, pointer, text)
    if key in _VERIFIED:
        return
    check_foreign(json.loads(text), go_type, where, pointer=pointer)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED.add(key)


def check_foreign(value: Any, go_type: str, where: str, *, pointer: bool = False) -> None:
    """Raise ValueError naming ``where`` and the path inside ``value`` unless Go reads it back unchanged.

    ``pointer``: the field is a Go pointer to the struct, so None (null) is nil.
    """
    kind = SCHEMAS[go_type]()
    try:
        if value is None:
            if not pointer:
                raise _Refusal(f"null, which Go reads as nothing and writes as {_zero_text(kind)}")
            return
        _checker(kind)(value)
    except _Refusal as refusal:
        path = "".join(reversed(refusal.path))
        raise ValueError(f"{where}{path}: {refusal.problem}") from None


def _null_allowed(kind: Kind, what: str) -> Check:
    """A check for an item that may be null where ``kind`` is nullable (Go writes nil back as null)."""
    inner = _checker(kind)
    if kind.nullable:
        return lambda value: None if value is None else inner(value)

    def check(value: Any) -> None:
        if value is None:
            raise _Refusal(f"null {what}, which Go reads as nothing and writes as {_zero_text(kind)}")
        inner(value)

    return check


@functools.cache
def _checker(kind: Kind) -> Check:
    """The check of a non-null value of ``kind``, made once per kind (the shapes are fixed)."""
    return _CHECKERS[type(kind)](kind)


def _pointer_checker(kind: Pointer) -> Check:
    return _checker(kind.target)


def _slice_checker(kind: Slice) -> Check:
    item = _null_allowed(kind.item, "array element")

    def check_slice(value: Any) -> None:
        if not isinstance(value, list):
            raise _Refusal(f"expected an array, got {_json_type(value)}: Go cannot read it")
        for index, element in enumerate(value):
            try:
                item(element)
            except _Refusal as refusal:
                refusal.path.append(f"[{index}]")
                raise

    return check_slice


def _map_checker(kind: Map) -> Check:
    entry = _null_allowed(kind.value, "map value")

    def check_map(value: Any) -> None:
        if not isinstance(value, dict):
            raise _Refusal(f"expected an object, got {_json_type(value)}: Go cannot read it")
        for key, element in value.items():
            if type(key) is not str:
                raise _Refusal(f"key {key!r} is not a string")
            try:
                entry(element)
            except _Refusal as refusal:
                refusal.path.append(f"[{key!r}]")
                raise

    return check_map


def _integer_checker(kind: Integer) -> Check:
    low, high, name = kind.min, kind.max, kind.go_type

    def check_int(value: Any) -> None:
        if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
            raise _Refusal(f"expected a Go {name} (an integer), got {_json_type(value)} {value!r}")
        if not low <= value <= high:
            raise _Refusal(f"{value} is out of range for Go {name} [{low}, {high}]")

    return check_int


def _check_bool(value: Any) -> None:
    if value is not True and value is not False:
        raise _Refusal(f"expected a boolean, got {_json_type(value)} {value!r}")


def _string_checker(go_type: str) -> Check:
    def check_str(value: Any) -> None:
        if type(value) is not str:
            raise _Refusal(f"expected a string ({go_type}), got {_json_type(value)} {value!r}")

    return check_str


def _ip_checker(go_type: str) -> Check:
    check_str = _string_checker(go_type)

    def check_ip(value: Any) -> None:
        check_str(value)
        written = go_ip_text(value)
        if written != value:
            detail = "Go cannot read it as an IP address" if written is None else f"Go writes it as {written!r}"
            raise _Refusal(f"IP address {value!r}: {detail}")

    return check_ip


def _base64_checker(go_type: str) -> Check:
    check_str = _string_checker(go_type)

    def check_base64(value: Any) -> None:
        check_str(value)
        try:
            canonical = base64.b64encode(base64.b64decode(value, validate=True)).decode("ascii")
        except (binascii.Error, ValueError):
            canonical = None
        if canonical != value:
            raise _Refusal(f"{value!r} is not standard padded base64 as Go writes it")

    return check_base64


_SCALAR_CHECKERS: dict[str, Callable[[str], Check]] = {
    "bool": lambda _: _check_bool,
    "net.IP": _ip_checker,
    "[]byte": _base64_checker,
}


def _scalar_checker(kind: Scalar) -> Check:
    return _SCALAR_CHECKERS.get(kind.go_type, _string_checker)(kind.go_type)


def _struct_checker(struct: Struct) -> Check:
    grouped: set[str] = set().union(*struct.together)
    fields = {
        key: (_checker(field.kind), _omitted(field.kind))
        if field.omitempty
        else (_null_allowed(field.kind, "value"), None)
        for key, field in struct.fields.items()
    }
    required = tuple(key for key, field in struct.fields.items() if not field.omitempty and key not in grouped)
    go_type, together = struct.go_type, struct.together

    def check_struct(value: Any) -> None:
        if type(value) is not dict:
            raise _Refusal(f"expected a JSON object for Go's {go_type}, got {_json_type(value)}")
        for key, item in value.items():
            entry = fields.get(key) if type(key) is str else None
            if entry is None:
                raise _Refusal(_unknown(struct, key))
            check, omitted = entry
            try:
                if omitted is not None and omitted(item):
                    raise _Refusal(f"{item!r} is empty, and Go leaves out empty values of this field (omitempty)")
                check(item)
            except _Refusal as refusal:
                refusal.path.append(f".{key}")
                raise
        for key in required:
            if key not in value:
                kind = struct.fields[key].kind
                raise _Refusal(f"key {key!r} is missing; Go always writes it ({_zero_text(kind)} when unset)")
        for group in together:
            present = group.intersection(value)
            if present and present != group:
                missing = ", ".join(sorted(group - present))
                raise _Refusal(f"has {', '.join(sorted(present))} but not {missing}, which Go then writes too")

    return check_struct


_CHECKERS: dict[type[Kind], Callable[[Any], Check]] = {
    Struct: _struct_checker,
    Pointer: _pointer_checker,
    Slice: _slice_checker,
    Map: _map_checker,
    Integer: _integer_checker,
    Scalar: _scalar_checker,
}


def _omitted(kind: Kind) -> Callable[[Any], bool]:
    """encoding/json's isEmptyValue for an omitempty field of ``kind``: nil, false, 0, "", empty slice or map."""
    if isinstance(kind, Pointer):
        return lambda value: value is None
    if isinstance(kind, (Slice, Map)) or (isinstance(kind, Scalar) and kind.go_type != "bool"):
        return lambda value: value is None or (isinstance(value, (list, dict, str)) and not value)
    if isinstance(kind, Integer):
        return lambda value: value is None or (value == 0 and type(value) is not bool and isinstance(value, int))
    return lambda value: value is None or value is False


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
