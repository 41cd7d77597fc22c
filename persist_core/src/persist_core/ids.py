"""The one ID rule every driver relies on, checked in the core before any backend sees an ID."""

from __future__ import annotations

import re

from persist_core.errors import InvalidIdError

MAX_ID_LENGTH = 128
#: What an ID may hold besides ASCII letters and digits ("." never first); the conformance kit tries each.
ID_PUNCTUATION = "_.+-"
# Safe as a file name, an etcd key segment and a URL path segment; a leading "." would allow "." and ".."
# and hidden names that backends use for their own bookkeeping.
_VALID_ID = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_.+\-]{0,127}\Z")


def check_id(value: object, what: str = "sandbox") -> str:
    """Return ``value`` if it is a valid ID, else raise InvalidIdError naming it and the rule."""
    if isinstance(value, str) and _VALID_ID.match(value):
        return value
    raise InvalidIdError(
        f"invalid {what} ID {value!r}: IDs are 1 to {MAX_ID_LENGTH} characters of [A-Za-z0-9_.+-], "
        "not starting with '.'"
    )
