"""Deeply nested documents: decoded as deep as Go's decoder goes (10,000 levels), refused beyond.

Python's json module recurses once per level and stops at the interpreter's recursion limit (1,000), far
below Go's. Real kata records are a dozen levels deep, so the common path never comes here: only when the
parser runs out of recursion is the depth measured, and the document either refused as corrupt or decoded
again with room for it.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sys
import threading
from collections.abc import Iterator

#: encoding/json's ``maxNestingDepth``: a document nested deeper is a syntax error to Go.
GO_MAX_DEPTH = 10_000

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_room_guard = threading.Lock()


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


@contextlib.contextmanager
def recursion_room(levels: int) -> Iterator[None]:
    """Raise the recursion limit enough to parse, check and copy ``levels`` of nesting.

    One decode at a time: the limit is process-wide, and restoring it under another deep decode would
    pull the floor from under it.
    """
    with _room_guard:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(previous + 4 * levels)
        try:
            yield
        finally:
            sys.setrecursionlimit(previous)
