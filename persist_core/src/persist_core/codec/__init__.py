"""The one place where JSON is produced and parsed: kata's ``persist.json`` bytes, exactly as Go writes them.

``dumps(loads(data, cls)) == data`` for every file kata's Go encoder writes: keys in Go's field order,
Go's HTML-safe escaping, its float32 and time formats, and the trailing newline of ``json.Encoder``.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from cattrs import BaseValidationError, transform_error

from persist_core.codec.converter import NEGATIVE_ZERO, RAW_NUMBER_MARKER, make_converter
from persist_core.errors import CorruptStateError, EncodeError

__all__ = ["dumps", "loads"]

T = TypeVar("T")

_fast = make_converter(detailed=False)
_detailed = make_converter(detailed=True)  # only run to explain a failure

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_MARKER_TEXT = re.escape(json.dumps(RAW_NUMBER_MARKER)[1:-1])
# A float32 whose Go text Python cannot print travels as a marked string; it is spliced back bare.
_RAW_NUMBER = re.compile(f'"{_MARKER_TEXT}([-+.e0-9]+){_MARKER_TEXT}"')


def _html_safe(text: str) -> str:
    """Go's encoder escapes these even in non-HTML output; they can only occur inside strings."""
    if "<" in text:
        text = text.replace("<", "\\u003c")
    if ">" in text:
        text = text.replace(">", "\\u003e")
    if "&" in text:
        text = text.replace("&", "\\u0026")
    if "\u2028" in text:
        text = text.replace("\u2028", "\\u2028")
    if "\u2029" in text:
        text = text.replace("\u2029", "\\u2029")
    return text


def dumps(obj: Any) -> bytes:
    """Encode a model object as Go's ``json.NewEncoder(f).Encode(obj)`` would: compact, one newline."""
    try:
        text = _encode(_fast.unstructure(obj, type(obj)))
        if "\\u0000raw-number-" in text:
            text = _RAW_NUMBER.sub(r"\1", text)
        return (_html_safe(text) + "\n").encode("utf-8")
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise EncodeError(f"cannot encode {type(obj).__name__} as kata JSON: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} is out of range")
    return value


def _describe(exc: BaseException, _type: Any) -> str:
    return str(exc) if isinstance(exc, ValueError) and str(exc) else f"{type(exc).__name__}: {exc}"


# A number -0 somewhere outside a string (strings may match too; that only costs the slower parse).
_MAYBE_NEGATIVE_ZERO = re.compile(r"[:,\[]\s*-0(?![0-9.eE])")


def _parse_int(text: str) -> int:
    return NEGATIVE_ZERO if text == "-0" else int(text)


def _parse(text: str) -> Any:
    if "-0" in text and _MAYBE_NEGATIVE_ZERO.search(text):
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int)
    return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float)


def _explain(data: Any, cls: type) -> str:
    """Re-run the decode with cattrs' detailed validation to say where it failed (errors only)."""
    try:
        _detailed.structure(data, cls)
    except BaseValidationError as exc:
        return "; ".join(transform_error(exc, path="$", format_exception=_describe))
    except Exception as exc:  # noqa: BLE001 - any failure is worth showing as is
        return str(exc)
    return "invalid document"


def loads(data: bytes | str, cls: type[T], *, source: str | None = None) -> T:
    """Decode ``data`` as ``cls`` the way kata's Go decoder does, or raise CorruptStateError.

    ``source`` names the record (a path, a key) in the error message.
    """
    where = f"{source}: " if source else ""
    try:
        text = data.decode("utf-8", errors="replace") if isinstance(data, (bytes, bytearray)) else data
        if text.startswith("\ufeff"):
            raise ValueError("a byte order mark is not valid JSON")
        document = _parse(text)
    except (ValueError, TypeError) as exc:
        raise CorruptStateError(f"{where}not valid JSON: {exc}") from exc
    try:
        return _fast.structure(document, cls)
    except Exception as exc:
        raise CorruptStateError(f"{where}not a valid {cls.__name__}: {_explain(document, cls)}") from exc
