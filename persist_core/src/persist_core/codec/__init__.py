"""The one place where JSON is produced and parsed: kata's ``persist.json`` bytes, exactly as Go writes them.

``dumps(loads(data, cls)) == data`` for every file kata's Go encoder writes: keys in Go's field order,
Go's HTML-safe escaping, its float32 and time formats, and the trailing newline of ``json.Encoder``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from persist_core.codec.converter import RAW_NUMBER_MARKER, reference
from persist_core.codec.depth import GO_MAX_DEPTH, nesting_depth, recursion_room
from persist_core.codec.describe import describe
from persist_core.codec.generated import Refused
from persist_core.codec.parsing import GO_UTF8, parse_bytes, parse_text
from persist_core.codec.structs import StructDecoders
from persist_core.errors import CorruptStateError, EncodeError

if TYPE_CHECKING:
    from cattrs import Converter

__all__ = ["dumps", "loads"]

T = TypeVar("T")


#: The reference converter (``detailed``: the one that explains failures), made on first need.
_converter: Callable[..., Converter] = reference
_struct_decoders = StructDecoders()


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_MARKER_TEXT = re.escape(json.dumps(RAW_NUMBER_MARKER)[1:-1])
# A float32 whose Go text Python cannot print travels as a marked string; it is spliced back bare.
_RAW_NUMBER = re.compile(f'"{_MARKER_TEXT}([-+.e0-9]+){_MARKER_TEXT}"')


def _finish(text: str) -> bytes:
    """Add Go's newline, and escape ``<>&`` U+2028 U+2029 as Go does even outside HTML.

    Those characters can only occur inside strings; ``<>&`` are replaced in the bytes, which is quicker
    than in text holding wide characters and safe because ASCII bytes never occur inside a UTF-8 sequence.
    """
    if "\u2028" in text:
        text = text.replace("\u2028", "\\u2028")
    if "\u2029" in text:
        text = text.replace("\u2029", "\\u2029")
    data = (text + "\n").encode("utf-8")
    if b"<" in data:
        data = data.replace(b"<", b"\\u003c")
    if b">" in data:
        data = data.replace(b">", b"\\u003e")
    if b"&" in data:
        data = data.replace(b"&", b"\\u0026")
    return data


def dumps(obj: Any) -> bytes:
    """Encode a model object as Go's ``json.NewEncoder(f).Encode(obj)`` would: compact, one newline."""
    try:
        text = describe(type(obj)).text(obj)  # never holds raw-number markers: only the converter makes them
    except Refused:  # the generated code's only signal ("not sure"); any other error is a bug, and propagates
        return _dumps_with_converter(obj)
    try:
        return _finish(text)
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold: the converter refuses it
        return _dumps_with_converter(obj)


def _dumps_with_converter(obj: Any) -> bytes:
    """The reference encoding: what it refuses is refused, with its message."""
    try:
        text = _encode(_converter().unstructure(obj, type(obj)))
        if "\\u0000raw-number-" in text:
            text = _RAW_NUMBER.sub(r"\1", text)
        return _finish(text)
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise EncodeError(f"cannot encode {type(obj).__name__} as kata JSON: {exc}") from exc


def _describe(exc: BaseException, _type: Any) -> str:
    return str(exc) if isinstance(exc, ValueError) and str(exc) else f"{type(exc).__name__}: {exc}"


def _explain(data: Any, cls: type) -> str:
    """Re-run the decode with cattrs' detailed validation to say where it failed (errors only)."""
    from cattrs import BaseValidationError

    from persist_core.codec.explain import field_errors

    try:
        _converter(detailed=True).structure(data, cls)
    except BaseValidationError as exc:
        return "; ".join(field_errors(exc, _describe))  # paths in the file's keys ($.PersistVersion)
    except Exception as exc:  # noqa: BLE001 - any failure is worth showing as is
        return str(exc)
    return "invalid document"


def loads(data: bytes | str, cls: type[T], *, source: str | None = None) -> T:
    """Decode ``data`` as ``cls`` the way kata's Go decoder does, or raise CorruptStateError.

    ``source`` names the record (a path, a key) in the error message. Every call decodes: the codec keeps
    no cache, so every call returns new objects that nothing else holds.
    """
    try:
        return _decode(data, cls, source)
    except RecursionError:
        return _decode_deep(data, cls, source)


def _decode_deep(data: bytes | str, cls: type[T], source: str | None) -> T:
    """A document nested deeper than Python's recursion limit: Go's depth bound decides (see codec.depth)."""
    text = data.decode("utf-8", errors=GO_UTF8) if isinstance(data, (bytes, bytearray)) else data
    levels = nesting_depth(text)
    if levels > GO_MAX_DEPTH:
        where = f"{source}: " if source else ""
        raise CorruptStateError(
            f"{where}not valid JSON: nested {levels} levels deep, Go's decoder stops at {GO_MAX_DEPTH}"
        )
    with recursion_room(levels):
        return _decode(text, cls, source)  # the json module's path: its stack use per level is known


def _decode(data: bytes | str, cls: type[T], source: str | None) -> T:
    if type(data) is bytes:
        decode = _struct_decoders.for_class(cls)
        if decode is not None:
            try:
                return decode(data)  # type: ignore[no-any-return]
            except Refused:  # not sure: the full way below decides, as it always did
                pass
    return _decode_fully(data, cls, source)


def _decode_fully(data: bytes | str, cls: type[T], source: str | None) -> T:
    """Parse, then the generated decoder, then the converter: each decides what the one before is unsure of."""
    where = f"{source}: " if source else ""
    try:
        document = parse_bytes(data) if isinstance(data, (bytes, bytearray)) else parse_text(data)
    except (ValueError, TypeError) as exc:
        raise CorruptStateError(f"{where}not valid JSON: {exc}") from exc
    try:
        return describe(cls).decode(document)  # type: ignore[no-any-return]
    except Refused:  # the generated code's only signal ("not sure"); any other error is a bug, and propagates
        pass
    try:
        return _converter().structure(document, cls)
    except Exception as exc:
        raise CorruptStateError(f"{where}not a valid {cls.__name__}: {_explain(document, cls)}") from exc
