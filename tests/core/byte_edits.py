"""Random edits of JSON bytes for the differential tests of the codec's shortcuts: a few bytes set, inserted
or deleted anywhere, drawn from what changes JSON's meaning (digits, signs, quotes, brackets, the letters of
literals and keys) and from invalid UTF-8."""

from __future__ import annotations

from hypothesis import strategies as st

SIGNIFICANT = [*b'-0123456789.eE+"\\{}[],: \t\nntfulS', 0x80, 0xC3, 0xE6, 0xED, 0xFF]

Edit = tuple[float, str, int]


def byte_edits() -> st.SearchStrategy[list[Edit]]:
    """One to four edits: where (a fraction of the length), how, and the byte."""
    edit = st.tuples(
        st.floats(0, 1, exclude_max=True), st.sampled_from(["set", "insert", "delete"]), st.sampled_from(SIGNIFICANT)
    )
    return st.lists(edit, min_size=1, max_size=4)


def apply_edits(original: bytes, edits: list[Edit]) -> bytes:
    data = bytearray(original)
    for where, how, byte in edits:
        at = int(where * len(data))
        if how == "set" and data:
            data[at] = byte
        elif how == "insert":
            data.insert(at, byte)
        elif data:
            del data[at]
    return bytes(data)
