"""``persist copy --to DRIVER``: move sandboxes between any two stores, verified after writing.

The source is configured by ``-o``, the destination only by ``-O``: an option that changed owner with
its position once sent a copy into the live default store. A destination without options is refused
unless ``--to-default`` says its default store is meant, and a store is never copied onto itself.
"""

from __future__ import annotations

import argparse
import os

from persist_core import PersistDriver
from persist_core.cli.encoded_sandbox import read_encoded_sandbox
from persist_core.cli.exchange import add_progress, add_resume
from persist_core.cli.options import AddCommon, describe, merge_options, open_driver, open_existing, parse_option
from persist_core.cli.remove import add_timeout
from persist_core.cli.transfer import write_all
from persist_core.errors import InvalidArgumentError

HELP = "copy sandboxes (default: all) into another store, verifying each by reading it back"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    parser = commands.add_parser(
        "copy",
        help=HELP,
        description=HELP + ". -o configures the source and -O the destination, wherever they are written: "
        "persist copy --driver fs -o root=/a --to fs -O root=/b. A destination without -O is refused unless "
        "--to-default is given; copying a store onto itself is refused. A sandbox already stored in the "
        "destination is refused unless --replace (or --skip-existing, to resume) is given; one sandbox "
        "failing does not stop the others. Ctrl-C stops after the sandbox in hand and says how far it got.",
    )
    add_common(parser, source_only=True)
    parser.add_argument("sandboxes", nargs="*", metavar="SID", help="sandbox IDs (default: every stored sandbox)")
    parser.add_argument("--to", required=True, metavar="DRIVER", help="the destination driver")
    parser.add_argument(
        "-O",
        "--to-option",
        dest="to_options",
        action="append",
        type=parse_option,
        metavar="KEY=VALUE",
        help="a destination driver option, repeatable, wherever it is written",
    )
    parser.add_argument(
        "--to-default",
        action="store_true",
        help="the destination has no -O on purpose: its driver's default store is meant (e.g. /run/vc for fs)",
    )
    add_resume(parser)
    add_timeout(parser, "each destination sandbox's exclusive lock")
    add_progress(parser)
    parser.set_defaults(run=run)


def same_store(one: PersistDriver, other: PersistDriver) -> bool:
    """Whether two drivers address one store: related driver classes (fs and rootlessfs) with equal options.

    Option values that name one existing file or directory by different paths (a symlink, a bind mount)
    count as equal.
    """
    related = isinstance(one, type(other)) or isinstance(other, type(one))
    if not related or one.options.keys() != other.options.keys():
        return False
    return all(_same_value(value, other.options[key]) for key, value in one.options.items())


def _same_value(one: object, other: object) -> bool:
    if one == other:
        return True
    if not (isinstance(one, str) and isinstance(other, str) and one.startswith("/") and other.startswith("/")):
        return False
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): not the same existing store
        return False


def open_destination(args: argparse.Namespace, source: PersistDriver) -> PersistDriver:
    target_options = merge_options(args.to_options)
    if target_options and args.to_default:
        raise InvalidArgumentError("--to-default means the destination has no options, but -O gives some")
    target = open_driver(args.to, target_options)
    if not target_options and not args.to_default:
        raise InvalidArgumentError(
            f"the destination has no options, so it would be {describe(target)}, the {args.to} driver's "
            "default store; give its options with -O KEY=VALUE, or --to-default if that store is meant; "
            "nothing copied"
        )
    if same_store(source, target):
        raise InvalidArgumentError(f"source and destination are the same store, {describe(source)}; nothing copied")
    return target


def run(args: argparse.Namespace) -> int:
    source = open_existing(args)
    target = open_destination(args, source)
    source_name, target_name = describe(source), describe(target)
    sandbox_ids = list(dict.fromkeys(args.sandboxes)) or source.sandbox_ids()
    outcome = write_all(
        target,
        sandbox_ids,
        lambda sandbox_id: read_encoded_sandbox(source, sandbox_id, where=source_name),
        replace=args.replace,
        skip_existing=args.skip_existing,
        timeout=args.timeout,
        label="copying",
        progress=args.progress,
        debug=args.debug,
    )
    print(outcome.summary("copied", f"from {source_name} to {target_name}"))
    return outcome.status
