"""Go's text for a float32, as encoding/json writes it (``1`` not ``1.0``, ``1e-7`` not ``1e-07``)."""

from __future__ import annotations

import math
import struct

_F32 = struct.Struct("<f")


def to_float32(value: float) -> float:
    """Round to the nearest float32; raises OverflowError when it is out of float32's range."""
    return _F32.unpack(_F32.pack(value))[0]  # type: ignore[no-any-return]


# Go compares the float32 with these constants converted to float32.
_FIXED_MIN = to_float32(1e-6)
_FIXED_MAX = to_float32(1e21)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Digits and decimal exponent of the shortest decimal that reads back as the same float32."""
    for precision in range(1, 10):
        text = f"{value:.{precision - 1}e}"
        try:
            if to_float32(float(text)) == value:
                break
        except OverflowError:  # a candidate rounded above float32's maximum
            continue
    mantissa, exponent = text.split("e")
    return mantissa.replace(".", "").rstrip("0") or "0", int(exponent)


def format_float32(value: float) -> str:
    """Go's strconv.FormatFloat(v, 'f' or 'e', -1, 32) as chosen by encoding/json."""
    value = to_float32(value)
    if not math.isfinite(value):
        raise ValueError(f"Go's JSON encoder cannot write {value!r}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    if _FIXED_MIN <= abs(value) < _FIXED_MAX:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp_sign = "-" if exponent < 0 else "+"
    exp_text = f"{abs(exponent):02d}" if exponent >= 0 else str(abs(exponent))
    return f"{sign}{mantissa}e{exp_sign}{exp_text}"
