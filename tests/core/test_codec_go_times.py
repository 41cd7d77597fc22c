"""Issue 11, item 6: times are written as Go writes them, offsets with seconds included, and every time
text Go writes comes back byte for byte."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.model import GoTime, Process
from persist_core.testing.strategies import _FIRST_INSTANT, _LAST_INSTANT

# Local mean times of old zones (America/New_York -4:56:02, Europe/Amsterdam +0:19:32, Africa/Monrovia
# -0:44:30) and offsets under a minute, which Go writes as +00:00.
ODD_OFFSETS = [-17_762, 1_172, -2_670, 30, -30, 59, -59, 1, -1, 3_645, -3_645, 86_399, -86_399, -60, 60]


def _written(t: GoTime) -> str:
    text = codec.dumps(Process(start_time=t)).decode()
    return str(json.loads(text)["StartTime"])


@pytest.mark.parametrize("offset", ODD_OFFSETS)
def test_offsets_with_seconds_are_written_as_go_writes_them(offset: int) -> None:
    t = GoTime(unix_seconds=-2_208_988_800, nanoseconds=5, utc_offset=offset)
    minutes = abs(offset) // 60
    sign = "-" if offset < 0 and minutes else "+"
    assert t.format()[-6:] == f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    assert _written(t) == t.format()


def test_new_york_local_mean_time_reads_the_local_clock() -> None:
    # 1883-11-18 12:00:00 in New York's LMT (-4:56:02) is 16:56:02 UTC.
    t = GoTime(unix_seconds=-2_717_712_000 + 16 * 3600 + 56 * 60 + 2, utc_offset=-17_762)
    assert t.format() == "1883-11-18T12:00:00-04:56"


@pytest.mark.parametrize("text", ["2020-01-01T00:00:00+00:00", "2020-01-01T00:00:00.000000005+00:00"])
def test_a_file_with_an_offset_under_a_minute_round_trips_byte_for_byte(text: str) -> None:
    data = codec.dumps(Process(start_time=GoTime.parse(text)))
    assert json.loads(data)["StartTime"] == text
    assert codec.dumps(codec.loads(data, Process)) == data
    assert GoTime.parse(text) != GoTime.parse(text.replace("+00:00", "Z"))  # the text differs, so does the value
    assert GoTime.parse(text).unix_seconds == GoTime.parse(text.replace("+00:00", "Z")).unix_seconds


_INSTANTS = st.integers(_FIRST_INSTANT + 86_400, _LAST_INSTANT - 86_400)
_TIMES = st.builds(
    lambda unix, nanos, offset: (unix, nanos, offset),
    _INSTANTS,
    st.integers(0, 999_999_999),
    st.sampled_from(ODD_OFFSETS) | st.integers(-86_399, 86_399),
)


@settings(max_examples=1, deadline=None)
@given(st.lists(_TIMES, min_size=400, max_size=400))
def test_every_time_go_can_hold_is_written_as_go_writes_it_and_read_back(go_json, cases) -> None:  # type: ignore[no-untyped-def]
    """Differential: Go's json.Marshal of the same instant and zone offset, byte for byte; and what Go
    wrote decodes to a value that persist writes back identically."""
    answers = go_json("time", [f"{unix} {nanos} {offset}" for unix, nanos, offset in cases])
    for (unix, nanos, offset), answer in zip(cases, answers, strict=True):
        ours = '"' + GoTime(unix_seconds=unix, nanoseconds=nanos, utc_offset=offset).format() + '"'
        assert ours == answer, (unix, nanos, offset)
        record = b'{"StartTime":' + answer.encode() + b"}"
        assert json.loads(codec.dumps(codec.loads(record, Process)))["StartTime"] == json.loads(answer)
