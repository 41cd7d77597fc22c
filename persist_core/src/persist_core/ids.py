"""The one ID rule every driver relies on, checked in the core before any backend sees an ID.

kata accepts IDs of any length (``^[a-zA-Z0-9][a-zA-Z0-9_.-]+$``) and its fs driver makes a directory of
each, so what kata can store is bounded by the file name limit of Linux filesystems: 255 bytes. persist
accepts up to that bound, so that every sandbox and container kata stored can be loaded; longer names
cannot exist in kata's tree at all.
"""

from __future__ import annotations

import re

from persist_core.errors import InvalidIdError

#: The longest ID: the 255-byte name limit of Linux filesystems (IDs are ASCII: one byte per character).
MAX_ID_LENGTH = 255
#: The characters an ID may hold (a regex character class body); the first one may not be ".".
ID_CHARACTERS = r"A-Za-z0-9_.+\-"
#: The whole rule as a regex (use with ``re.fullmatch``), apart from RESERVED_IDS. Safe as a file name, an
#: etcd key segment and a URL path segment; a leading "." would allow "." and ".." and the hidden names
#: that backends use for their own bookkeeping (fs: ``.journal``, ``.new-sandbox``, ``.locks``, ...).
ID_PATTERN = rf"[A-Za-z0-9_+\-][{ID_CHARACTERS}]{{0,{MAX_ID_LENGTH - 1}}}"
#: Names kata's layout gives to its own files beside the IDs (``sbs/<sid>/persist.json`` beside
#: ``sbs/<sid>/<cid>/``): a container with such an ID would be its sandbox's own record.
RESERVED_IDS = frozenset({"persist.json"})

_VALID_ID = re.compile(ID_PATTERN + r"\Z")


def is_valid_id(value: object) -> bool:
    """True if ``value`` is an ID every driver can store."""
    return isinstance(value, str) and _VALID_ID.match(value) is not None and value not in RESERVED_IDS


def check_id(value: object, what: str = "sandbox") -> str:
    """Return ``value`` if it is a valid ID, else raise InvalidIdError naming it and the rule."""
    if isinstance(value, str) and _VALID_ID.match(value):
        if value not in RESERVED_IDS:
            return value
        raise InvalidIdError(
            f"invalid {what} ID {value!r}: kata's layout uses that name for its own file "
            f"(reserved: {', '.join(sorted(RESERVED_IDS))})"
        )
    raise InvalidIdError(
        f"invalid {what} ID {_shown(value)}: IDs are 1 to {MAX_ID_LENGTH} characters of [A-Za-z0-9_.+-], "
        "not starting with '.'"
    )


def _shown(value: object) -> str:
    """The ID as the message shows it: an absurdly long one is cut, with its length."""
    text = repr(value)
    if isinstance(value, str) and len(text) > 2 * MAX_ID_LENGTH:
        return f"{text[:MAX_ID_LENGTH]}... ({len(value)} characters)"
    return text
