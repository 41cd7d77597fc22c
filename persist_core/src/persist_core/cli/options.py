"""Which driver a command talks to: ``--driver NAME`` and repeated ``-o KEY=VALUE``.

Option values stay strings. Driver options are mostly paths, names and URLs, and guessing types
(is ``-o namespace=01`` a number?) would change what a driver receives behind the operator's back;
a driver that wants a number parses its own string.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from persist_core import PersistDriver, get_driver
from persist_core.errors import InvalidArgumentError

Option = tuple[str, str]


class AddCommon(Protocol):
    """Adds ``--driver``, ``-o`` and ``--debug`` to a command's parser (``destination``: see copy)."""

    def __call__(self, parser: argparse.ArgumentParser, *, destination: bool = False) -> None: ...


def parse_option(text: str) -> Option:
    """argparse ``type=`` for ``-o``: split at the first ``=``; the key must be a keyword argument name."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"driver option {text!r} is not KEY=VALUE")
    if not key.isidentifier():
        raise argparse.ArgumentTypeError(f"driver option {text!r}: {key!r} is not a valid option name")
    return key, value


def merge_options(*groups: Iterable[Option] | None) -> dict[str, str]:
    """One options dict from every ``-o`` given; a key given twice is refused rather than silently overridden."""
    merged: dict[str, str] = {}
    for group in groups:
        for key, value in group or ():
            if key in merged:
                raise InvalidArgumentError(f"driver option {key!r} is given twice ({merged[key]!r} and {value!r})")
            merged[key] = value
    return merged


def open_driver(name: str | None, options: dict[str, str]) -> PersistDriver:
    """``get_driver(name, **options)``; without ``--driver`` the default honours ``$PERSIST_DRIVER``."""
    return get_driver(name, **options)


def open_source(args: argparse.Namespace) -> PersistDriver:
    """The driver named by the command line (``--driver``/``-o`` before or after the command name)."""
    return open_driver(args.driver, args.options)


def describe(driver: PersistDriver) -> str:
    """A short name for the store in messages, e.g. ``fs (root=/srv/state)``."""
    options: dict[str, Any] = driver.options
    if not options:
        return driver.name
    return f"{driver.name} ({', '.join(f'{key}={value}' for key, value in options.items())})"


class DestinationOption(argparse.Action):
    """``-o`` for ``copy``: options given after ``--to`` belong to the destination, as the command reads."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        dest = "to_options" if getattr(namespace, "to", None) is not None else self.dest
        items = list(getattr(namespace, dest, None) or [])
        items.append(values)
        setattr(namespace, dest, items)
