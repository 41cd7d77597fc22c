"""Families of valid IDs that a backend mapping IDs onto keys, paths or rows tends to confuse.

They are built from the ID rule itself (``persist_core.ids``: its longest ID, the punctuation it accepts),
so they follow the rule when it changes; an ID the rule refuses is left out of its family.
"""

from __future__ import annotations

import string

import attrs

from persist_core.ids import MAX_ID_LENGTH, is_valid_id

#: The punctuation the ID rule accepts inside an ID, asked of the rule itself rather than restated.
ID_PUNCTUATION = "".join(mark for mark in string.punctuation if is_valid_id(f"x{mark}y"))


@attrs.frozen
class IdFamily:
    """IDs that a correct driver keeps apart, and the backend mistake that would mix them up."""

    name: str
    candidates: tuple[str, ...]
    #: Said in the failure message: what a backend that mixes these IDs up most likely does.
    mistake: str

    @property
    def ids(self) -> tuple[str, ...]:
        """The candidates the ID rule accepts, in the family's order."""
        return tuple(candidate for candidate in self.candidates if is_valid_id(candidate))


def _punctuation_candidates() -> tuple[str, ...]:
    """Each mark inside an ID and at its start (or end, where it may not start), and doubled dots."""
    candidates = ["x", "xy", "x..y"]
    for mark in ID_PUNCTUATION:
        edge = f"{mark}x" if is_valid_id(f"{mark}x") else f"x{mark}"
        candidates += [f"x{mark}y", edge]
    return tuple(dict.fromkeys(candidates))


PREFIXES = IdFamily(
    "prefixes",
    ("a", "ab", "a.b", "a-1", "a_", "a+", "b", "ab.c", "a.b.c", "a-"),
    "finds a sandbox's or a container's records by a key prefix without a separator, so that 'a' also "
    "matches 'ab' (or joins a sandbox ID and a container ID without one)",
)
CASE = IdFamily(
    "case",
    ("pod", "Pod", "POD", "pOd"),
    "folds case (a case-insensitive key, collation or file system), so that 'Pod' and 'pod' are one",
)
PUNCTUATION = IdFamily(
    "punctuation",
    _punctuation_candidates(),
    f"escapes, replaces or drops the punctuation IDs may hold ({ID_PUNCTUATION!r}), so that two IDs share a key",
)
LONGEST = IdFamily(
    "longest",
    (
        "a" * MAX_ID_LENGTH,
        "a" * (MAX_ID_LENGTH - 1) + "b",
        "b" + "a" * (MAX_ID_LENGTH - 1),
        "a" * (MAX_ID_LENGTH - 1),
    ),
    f"cuts or refuses long keys (a key, column or name limit below the ID rule's {MAX_ID_LENGTH} characters)",
)
