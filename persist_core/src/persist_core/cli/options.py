"""Which driver a command talks to: ``--driver NAME``, repeated ``-o KEY=VALUE`` and ``$PERSIST_OPT_<KEY>``.

Option values stay strings. Driver options are mostly paths, names and URLs, and guessing types
(is ``-o namespace=01`` a number?) would change what a driver receives behind the operator's back;
a driver that wants a number parses its own string.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from persist_core import PersistDriver, get_driver
from persist_core.errors import InvalidArgumentError, StorageError
from persist_core.redaction import MASK, is_secret, redact_options

Option = tuple[str, str]
ENVIRONMENT_PREFIX = "PERSIST_OPT_"  # like etcdctl's ETCDCTL_*: PERSIST_OPT_ROOT=/srv/state is -o root=/srv/state


class AddCommon(Protocol):
    """Adds ``--driver``, ``-o`` and ``--debug`` to a command's parser (``source_only``: see copy)."""

    def __call__(self, parser: argparse.ArgumentParser, *, source_only: bool = False) -> None: ...


def parse_option(text: str) -> Option:
    """argparse ``type=`` for ``-o``: split at the first ``=``; the key must be a keyword argument name."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"driver option {key!r} is not KEY=VALUE")
    if not key.isidentifier():
        raise argparse.ArgumentTypeError(f"driver option {key!r} is not a valid option name")
    return key, value


def shown(key: str, value: object) -> str:
    """An option's value as messages may show it: secret ones (``password``, ``token``) masked."""
    return MASK if is_secret(key) else repr(value)


def environment_options(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Driver options from ``$PERSIST_OPT_<KEY>`` (key in lower case); the command line overrides them."""
    environ = os.environ if environ is None else environ
    options = {}
    for name, value in environ.items():
        if name.startswith(ENVIRONMENT_PREFIX) and len(name) > len(ENVIRONMENT_PREFIX):
            key = name[len(ENVIRONMENT_PREFIX) :].lower()
            if not key.isidentifier():
                raise InvalidArgumentError(f"${name}: {key!r} is not a valid driver option name")
            options[key] = value
    return options


def merge_options(*groups: Iterable[Option] | None) -> dict[str, str]:
    """One options dict from every ``-o`` given; a key given twice is refused rather than silently overridden."""
    merged: dict[str, str] = {}
    for group in groups:
        for key, value in group or ():
            if key in merged:
                raise InvalidArgumentError(
                    f"driver option {key!r} is given twice ({shown(key, merged[key])} and {shown(key, value)})"
                )
            merged[key] = value
    return merged


def open_driver(name: str | None, options: dict[str, str]) -> PersistDriver:
    """``get_driver(name, **options)``; without ``--driver`` the default honours ``$PERSIST_DRIVER``."""
    return get_driver(name, **options)


def open_source(args: argparse.Namespace) -> PersistDriver:
    """The driver named by the command line (``--driver``/``-o`` before or after the command name).

    ``$PERSIST_OPT_<KEY>`` supplies options the command line does not give; an unknown one is reported
    as coming from the environment, since nothing on the command line would explain it.
    """
    from_environment = {key: value for key, value in environment_options().items() if key not in args.options}
    try:
        return open_driver(args.driver, {**from_environment, **args.options})
    except InvalidArgumentError as exc:
        if from_environment:
            names = ", ".join(f"${ENVIRONMENT_PREFIX}{key.upper()}" for key in from_environment)
            raise InvalidArgumentError(f"{exc} (options from the environment: {names})") from exc
        raise


def open_existing(args: argparse.Namespace) -> PersistDriver:
    """The source driver, for commands that only read: a store that does not exist is an error.

    Otherwise ``persist -o root=/mistyped ls`` would print "no sandboxes" and ``check`` "sound".
    """
    driver = open_source(args)
    missing = driver.missing_store()
    if missing is not None:
        raise StorageError(
            f"the {driver.name} store {missing} does not exist; nothing to read (check the driver "
            "options; a command that writes, such as import or copy, creates it)"
        )
    return driver


def describe(driver: PersistDriver) -> str:
    """A short name for the store in messages, e.g. ``fs (root=/srv/state)``; secret values masked."""
    options: dict[str, Any] = redact_options(driver.options)
    if not options:
        return driver.name
    return f"{driver.name} ({', '.join(f'{key}={value}' for key, value in options.items())})"


class SourceOnlyOption(argparse.Action):
    """``-o`` for ``copy``: always the source's; written after ``--to`` it is refused, never re-assigned.

    An option whose meaning depends on where it stands once sent a copy into the live default store.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, "to", None) is not None:
            key = values[0] if isinstance(values, tuple) else values
            parser.error(
                f"{option_string} {key}=... after --to: -o always configures the source; "
                f"give destination options with -O (e.g. -O {key}=...)"
            )
        items = list(getattr(namespace, self.dest, None) or [])
        items.append(values)
        setattr(namespace, self.dest, items)
