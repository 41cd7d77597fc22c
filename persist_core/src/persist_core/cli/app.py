"""The ``persist`` command line: parser assembly, driver selection and the error contract.

Every failure ends as one line on stderr and a non-zero exit status; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from persist_core.cli import check, completion, copy_stores, exchange, inspect, output, plugins, remove
from persist_core.cli.options import (
    ENVIRONMENT_PREFIX,
    SourceOnlyOption,
    environment_options,
    merge_options,
    parse_option,
)
from persist_core.redaction import secret_values
from persist_core.registry import DEFAULT_DRIVER_ENV

COMMANDS = (plugins, inspect, remove, check, exchange, copy_stores, completion)

DESCRIPTION = (
    "Inspect, check, repair and move persisted sandbox state with any installed driver. "
    f"Without --driver the default driver is used (${DEFAULT_DRIVER_ENV}, else fs for root, rootlessfs "
    "otherwise). -o KEY=VALUE passes a driver option, as a string (e.g. -o root=/srv/state); "
    f"${ENVIRONMENT_PREFIX}<KEY> gives one from the environment (e.g. {ENVIRONMENT_PREFIX}ROOT=/srv/state), "
    "and -o wins over it. --driver, -o and --debug may be given before or after the command."
)
EPILOG = (
    f"exit status: {output.EXIT_OK} success, {output.EXIT_FAILED} error, {output.EXIT_USAGE} bad command line, "
    f"{output.EXIT_UNSOUND} `check` found problems. `persist COMMAND --help` describes each command."
)


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error reduced to one line that says where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(output.EXIT_USAGE, f"{self.prog}: error: {output.one_line(message)} (see `{self.prog} --help`)\n")


def _version() -> str:
    try:
        return version("persist-core")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _add_driver_arguments(parser: argparse.ArgumentParser, *, prefix: str = "", source_only: bool = False) -> None:
    """``--driver``/``-o``/``--debug``; at top level they land in ``top_*`` so a command's own win nothing."""
    default = None if prefix else argparse.SUPPRESS
    group = parser.add_argument_group("driver selection")
    group.add_argument(
        "--driver", dest=f"{prefix}driver", metavar="NAME", default=default, help="driver name (see `persist drivers`)"
    )
    group.add_argument(
        "-o",
        "--option",
        dest=f"{prefix}options",
        metavar="KEY=VALUE",
        type=parse_option,
        action=SourceOnlyOption if source_only else "append",
        default=default,
        help="driver option, repeatable; values are strings"
        + ("; always the source's (the destination's are -O)" if source_only else ""),
    )
    parser.add_argument(
        "--debug", dest=f"{prefix}debug", action="store_true", default=default or False, help="show tracebacks"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=output.PROG, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_driver_arguments(parser, prefix="top_")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)

    def add_common(command: argparse.ArgumentParser, *, source_only: bool = False) -> None:
        _add_driver_arguments(command, source_only=source_only)

    for module in COMMANDS:
        module.register(commands, add_common)
    return parser


def _resolve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Merge driver selection given before the command with what was given after it."""
    command_driver = getattr(args, "driver", None)
    if args.top_driver and command_driver and args.top_driver != command_driver:
        parser.error(f"--driver is given twice ({args.top_driver!r} and {command_driver!r})")
    args.driver = command_driver or args.top_driver
    args.debug = bool(args.top_debug or getattr(args, "debug", False))
    args.options = merge_options(args.top_options, getattr(args, "options", None))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (the console script passes it to ``sys.exit``)."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments  # known before parsing, for errors that happen while parsing
    try:
        output.hide(secret_values(environment_options()))
        args = parser.parse_args(arguments)
        _resolve(parser, args)
        output.hide(secret_values(args.options) + secret_values(merge_options(getattr(args, "to_options", None))))
        debug = args.debug
        status: int = args.run(args)
    except KeyboardInterrupt as exc:
        output.error(str(exc) or "interrupted")
        return output.EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`persist ls | head`): stop quietly, and keep the interpreter's final
        # flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return output.EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the contract: one line, whatever went wrong
        output.failure(exc, debug=debug)
        return output.EXIT_FAILED
    return status
