"""``persist rm SID...``: destroy sandboxes under the exclusive lock, so no runtime is mid-save."""

from __future__ import annotations

import argparse
import math

from persist_core import PersistDriver
from persist_core.cli import output
from persist_core.cli.interrupt import deferred_interrupt
from persist_core.cli.options import AddCommon, describe, open_source
from persist_core.errors import PersistError, SandboxNotFoundError

HELP = "destroy sandboxes, each under its exclusive lock"
DEFAULT_TIMEOUT = 10.0


def seconds(text: str) -> float:
    """argparse ``type=`` for ``--timeout``: a finite number of seconds, 0 meaning "try once"."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"timeout {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"timeout {text!r} must be a finite number of seconds >= 0")
    return value


def add_timeout(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for {what} (default {DEFAULT_TIMEOUT:g}; 0 tries once)",
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    parser = commands.add_parser(
        "rm",
        help=HELP,
        description=HELP + ". Corrupt sandboxes can be removed too: nothing is read. A sandbox that is not "
        "stored is an error (a mistyped ID should not look like success) unless --force is given.",
    )
    add_common(parser)
    parser.add_argument("sandboxes", nargs="+", metavar="SID", help="sandbox IDs")
    add_timeout(parser, "each sandbox's exclusive lock")
    parser.add_argument("-f", "--force", action="store_true", help="a sandbox that is not stored is not an error")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    driver = open_source(args)
    store = describe(driver)
    failed = 0
    sandbox_ids = list(dict.fromkeys(args.sandboxes))
    with deferred_interrupt() as stop:  # Ctrl-C: finish the destroy in hand, start no other
        for done, sandbox_id in enumerate(sandbox_ids):
            if stop.requested:
                output.error(f"interrupted after {done} of {output.count(len(sandbox_ids), 'sandbox')}")
                return output.EXIT_INTERRUPTED
            failed += _remove(args, driver, store, sandbox_id)
    return output.EXIT_FAILED if failed else output.EXIT_OK


def _remove(args: argparse.Namespace, driver: PersistDriver, store: str, sandbox_id: str) -> int:
    """Destroy one sandbox; returns 1 if it failed (reported on its own line), else 0."""
    try:
        with driver.lock(sandbox_id, exclusive=True, timeout=args.timeout):
            if not args.force and sandbox_id not in driver.sandbox_ids():
                raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored in {store}; nothing removed")
            driver.destroy(sandbox_id)
    except PersistError as exc:
        output.failure(exc, debug=args.debug)
        return 1
    print(f"removed {sandbox_id}")
    return 0
