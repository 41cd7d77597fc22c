"""GoTime keeps what datetime cannot: nanoseconds, the written offset, year 0."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persist_core.model import GoTime
from persist_core.testing.strategies import go_times


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-14T09:26:53.589793238+08:00",
        "2025-03-14T09:27:01.12+08:00",
        "2025-03-14T01:27:05.000000007Z",
        "0001-01-01T00:00:00Z",
        "0000-01-01T00:00:00-05:30",
        "9999-12-31T23:59:59.999999999Z",
        "2024-02-29T12:00:00Z",
    ],
)
def test_go_text_round_trips(text: str) -> None:
    assert GoTime.parse(text).format() == text


def test_zero_time_is_gos_zero() -> None:
    assert GoTime.ZERO.format() == "0001-01-01T00:00:00Z"
    assert GoTime.ZERO.unix_seconds == -62135596800


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-14",
        "2025-03-14T09:26:53",
        "2025-03-14t09:26:53Z",
        "2023-02-29T00:00:00Z",
        "2025-01-01T24:00:00Z",
        "\u0662\u0660\u0662\u0665-03-14T09:26:53Z",  # Arabic-Indic digits: Go reads ASCII digits only
        "2025-03-14T09:26:53.\uff11Z",  # a fullwidth digit in the fraction
        "2025-03-14T09:26:53+0\u0661:00",
    ],
)
def test_invalid_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        GoTime.parse(text)


def test_datetime_conversion_keeps_offset_and_drops_only_sub_microseconds() -> None:
    t = GoTime.parse("2025-03-14T09:26:53.589793238+08:00")
    as_dt = t.to_datetime()
    assert as_dt == dt.datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    back = GoTime.from_datetime(as_dt)
    assert (back.unix_seconds, back.utc_offset, back.nanoseconds) == (t.unix_seconds, 28800, 589793000)


def test_now_is_utc_and_recent() -> None:
    now = GoTime.now()
    assert now.utc_offset == 0
    assert abs(now.to_datetime() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


@given(go_times())
def test_generated_times_round_trip(t: GoTime) -> None:
    assert GoTime.parse(t.format()) == t


@given(st.integers(-(2 * 10**9), 2 * 10**9))
def test_nanoseconds_out_of_range_are_refused(n: int) -> None:
    if 0 <= n < 10**9:
        GoTime(nanoseconds=n)
    else:
        with pytest.raises(ValueError, match="nanoseconds"):
            GoTime(nanoseconds=n)
