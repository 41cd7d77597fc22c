"""Terminal and script output: aligned tables for people, JSON for scripts, one-line messages on stderr."""

from __future__ import annotations

import datetime as _dt
import json
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from persist_core.errors import PersistError
from persist_core.redaction import redact_text

PROG = "persist"

EXIT_OK = 0
EXIT_FAILED = 1  # an error stopped the command, or some of its sandboxes failed
EXIT_USAGE = 2  # argparse's status for a bad command line
EXIT_UNSOUND = 3  # `check` found problems (distinct from failing to check)
EXIT_INTERRUPTED = 130

# Secret option values of this run (passwords, tokens): masked in every message, whoever wrote it.
_secrets: list[str] = []


def hide(secrets: Sequence[str]) -> None:
    """Mask these values in every message from now on (the CLI passes its secret driver options)."""
    _secrets.extend(secret for secret in secrets if secret not in _secrets)
    _secrets.sort(key=len, reverse=True)


def one_line(text: str) -> str:
    """Collapse a message to one line: the contract is one line per error on stderr."""
    return " ".join(redact_text(text, _secrets).split())


def warn(message: str) -> None:
    print(f"{PROG}: {one_line(message)}", file=sys.stderr)


def error(message: str) -> None:
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)


def failure(exc: BaseException, *, debug: bool) -> None:
    """One line naming the problem; the traceback only when asked for with ``--debug``."""
    if debug:
        sys.stderr.write(redact_text("".join(traceback.format_exception(exc)), _secrets))
    message = str(exc) or type(exc).__name__
    error(message if isinstance(exc, PersistError) else f"{type(exc).__name__}: {message}")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()) -> str:
    """Columns padded to their widest cell; ``right`` names the (numeric) columns aligned right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in (headers, *rows):
        cells = [
            str(cell).rjust(width) if index in right else str(cell).ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def print_json(value: Any) -> None:
    """A report for scripts (never a stored document: those come from the codec, see ``envelope``)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_bytes(data: bytes) -> None:
    """Stored documents go out as the exact bytes the codec produced, whatever the locale's encoding."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a replaced text stream (tests); the codec's bytes are UTF-8
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()


def local_time(seconds: float | None) -> str:
    """Local wall-clock time with its UTC offset, to the second; ``-`` when the driver cannot tell."""
    if seconds is None:
        return "-"
    return _dt.datetime.fromtimestamp(seconds).astimezone().isoformat(sep=" ", timespec="seconds")


def count(number: int, noun: str) -> str:
    """``1 sandbox``, ``2 sandboxes``: summaries are read by people."""
    plural = noun + ("es" if noun.endswith(("s", "x")) else "s")
    return f"{number} {noun if number == 1 else plural}"


def dash(value: object) -> str:
    """A table cell: ``-`` for unknown or empty values, so columns never collapse."""
    return "-" if value is None or value == "" else str(value)
