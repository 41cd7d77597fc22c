"""String maps (annotations, driver options) are written by msgspec: the text must be the json module's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core.codec.gotypes import maps

pytest.importorskip("msgspec")

_EVERY_ASCII = "".join(chr(i) for i in range(0x80))
_text = st.text(st.characters(codec=None), max_size=6) | st.sampled_from(
    [_EVERY_ASCII, "\u2028\u2029", "<&>", "\ud800", "a\udfffb", "\U0001f600", "\uffff", "é", "E", "e"]
)


def test_msgspec_is_the_one_in_use() -> None:
    maps._str_dict_text({"a": "b"})  # msgspec is imported on the first map written
    assert maps._encode_sorted not in (maps._msgspec_sorted, maps._str_dict_text_slowly)


@settings(max_examples=500, deadline=None)
@given(value=st.dictionaries(_text, _text, max_size=8))
def test_same_text_as_the_json_module(value: dict[str, str]) -> None:
    assert maps._str_dict_text(value) == maps._str_dict_text_slowly(value)


def test_a_dict_subclass_is_written_the_slow_way() -> None:
    class Ordered(dict[str, str]):
        pass

    value = Ordered(b="1", a="2")
    assert maps._str_dict_text(value) == '{"a":"2","b":"1"}'
