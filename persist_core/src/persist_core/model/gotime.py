"""Go's ``time.Time`` as JSON sees it: nanoseconds and the original UTC offset survive a round trip.

``datetime`` keeps only microseconds and would rewrite ``+08:00`` times, so kata's timestamps get their
own small value type. Conversions to and from ``datetime`` are offered for callers.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import ClassVar

import attrs

from persist_core.model._fields import fields_repr

_RFC3339 = r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))\Z"
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SECONDS_PER_DAY = 86_400


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (valid for year 0, unlike datetime)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719_468
    era = days // 146_097
    doe = days - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


@functools.cache
def _rfc3339() -> re.Pattern[str]:
    # ASCII: Go reads only ASCII digits; \d alone would take "٢٠٢٥" for a year and write it back as "2025".
    return re.compile(_RFC3339, re.ASCII)  # on first parse: compiling it is a tenth of this import


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@attrs.frozen(repr=False)
class GoTime:
    """An instant with nanosecond precision and the UTC offset it was written with."""

    unix_seconds: int = 0
    nanoseconds: int = attrs.field(default=0)
    utc_offset: int = 0  # seconds east of UTC
    #: Written ``+00:00`` rather than ``Z``: what Go writes for a nonzero offset under a minute (its text
    #: keeps whole minutes), kept so that such a file is written back byte for byte.
    numeric_zero_offset: bool = False

    ZERO: ClassVar[GoTime]

    @nanoseconds.validator
    def _check_nanoseconds(self, _attribute: object, value: int) -> None:
        if not 0 <= value < 1_000_000_000:
            raise ValueError(f"nanoseconds must be in [0, 1e9), got {value}")

    @classmethod
    def parse(cls, text: str) -> GoTime:
        """Parse RFC 3339 as Go's JSON decoder does (``T`` and an explicit offset are required)."""
        match = _rfc3339().match(text)
        if match is None:
            raise ValueError(f"not an RFC 3339 time: {text!r}")
        text_year, text_month, text_day, text_hour, text_minute, text_second, fraction, zulu, sign, off_h, off_m = (
            match.groups()
        )
        year, month, day = int(text_year), int(text_month), int(text_day)
        hour, minute, second = int(text_hour), int(text_minute), int(text_second)
        days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1] if 1 <= month <= 12 else 0
        if not (1 <= day <= days_in_month and hour < 24 and minute < 60 and second < 60):
            raise ValueError(f"time out of range: {text!r}")
        offset = 0
        if not zulu:
            offset_hours, offset_minutes = int(off_h), int(off_m)
            if offset_hours >= 24 or offset_minutes >= 60:
                raise ValueError(f"UTC offset out of range: {text!r}")
            offset = (offset_hours * 3600 + offset_minutes * 60) * (-1 if sign == "-" else 1)
        local = _days_from_civil(year, month, day) * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
        nanos = int(fraction.ljust(9, "0")) if fraction else 0
        if not zulu and not offset:
            return cls(unix_seconds=local, nanoseconds=nanos, numeric_zero_offset=True)
        return cls(unix_seconds=local - offset, nanoseconds=nanos, utc_offset=offset)

    def format(self) -> str:
        """RFC 3339 as Go writes it: trailing zeros of the fraction trimmed, ``Z`` for UTC.

        An offset with seconds (old local mean times, such as -4:56:02) is written as Go writes it: the
        clock reads the local time with the whole offset, the offset's text keeps only whole minutes
        (towards zero, so an offset under a minute reads ``+00:00``).
        """
        offset = self.utc_offset
        if abs(offset) >= 24 * 3600:
            raise ValueError(f"Go cannot write UTC offset {offset}s in RFC 3339 (its hour must be under 24)")
        local = self.unix_seconds + offset
        days, rem = divmod(local, _SECONDS_PER_DAY)
        year, month, day = _civil_from_days(days)
        if not 0 <= year <= 9999:
            raise ValueError(f"year {year} is outside Go's RFC 3339 range [0, 9999]")
        hour, rem = divmod(rem, 3600)
        minute, second = divmod(rem, 60)
        text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        if self.nanoseconds:
            text += "." + f"{self.nanoseconds:09d}".rstrip("0")
        if not offset and not self.numeric_zero_offset:
            return text + "Z"
        minutes = abs(offset) // 60
        sign = "-" if offset < 0 and minutes else "+"
        off_h, off_m = divmod(minutes, 60)
        return f"{text}{sign}{off_h:02d}:{off_m:02d}"

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> GoTime:
        """An aware datetime keeps its offset; a naive one is taken as UTC."""
        offset = value.utcoffset() or _dt.timedelta(0)
        naive = value.replace(tzinfo=None) - offset
        delta = naive - _dt.datetime(1970, 1, 1)
        seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
        return cls(
            unix_seconds=seconds,
            nanoseconds=delta.microseconds * 1000,
            utc_offset=int(offset.total_seconds()),
        )

    @classmethod
    def now(cls) -> GoTime:
        """The current instant, in UTC, with the clock's full nanosecond reading."""
        import time

        total = time.time_ns()
        return cls(unix_seconds=total // 1_000_000_000, nanoseconds=total % 1_000_000_000)

    def to_datetime(self) -> _dt.datetime:
        """An aware datetime; sub-microsecond digits are dropped (datetime cannot hold them)."""
        tz = _dt.timezone(_dt.timedelta(seconds=self.utc_offset))
        epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        return (epoch + _dt.timedelta(seconds=self.unix_seconds, microseconds=self.nanoseconds // 1000)).astimezone(tz)

    def __str__(self) -> str:
        return self.format()

    __repr__ = fields_repr


GoTime.ZERO = GoTime(unix_seconds=-62_135_596_800)
