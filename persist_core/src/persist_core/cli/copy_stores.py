"""``persist copy --to DRIVER``: move sandboxes between any two stores, verified after writing."""

from __future__ import annotations

import argparse

from persist_core.cli import output
from persist_core.cli.exchange import add_progress
from persist_core.cli.options import AddCommon, describe, merge_options, open_driver, open_source, parse_option
from persist_core.cli.remove import add_timeout
from persist_core.cli.snapshot import read_snapshot
from persist_core.cli.transfer import write_all

HELP = "copy sandboxes (default: all) into another store, verifying each by reading it back"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    parser = commands.add_parser(
        "copy",
        help=HELP,
        description=HELP + ". Options after --to configure the destination: "
        "persist copy --driver fs -o root=/a --to fs -o root=/b. A sandbox already stored in the "
        "destination is refused unless --replace is given; one sandbox failing does not stop the others.",
    )
    add_common(parser, destination=True)
    parser.add_argument("sandboxes", nargs="*", metavar="SID", help="sandbox IDs (default: every stored sandbox)")
    parser.add_argument("--to", required=True, metavar="DRIVER", help="the destination driver")
    parser.add_argument(
        "-O",
        "--to-option",
        dest="to_options",
        action="append",
        type=parse_option,
        metavar="KEY=VALUE",
        help="a destination driver option, wherever it is written",
    )
    parser.add_argument("--replace", action="store_true", help="overwrite sandboxes the destination already has")
    add_timeout(parser, "each destination sandbox's exclusive lock")
    add_progress(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source = open_source(args)
    target = open_driver(args.to, merge_options(args.to_options))
    source_name, target_name = describe(source), describe(target)
    sandbox_ids = list(dict.fromkeys(args.sandboxes)) or source.sandbox_ids()
    outcome = write_all(
        target,
        sandbox_ids,
        lambda sandbox_id: read_snapshot(source, sandbox_id, where=source_name),
        replace=args.replace,
        timeout=args.timeout,
        label="copying",
        progress=args.progress,
        debug=args.debug,
    )
    print(outcome.summary("copied", len(sandbox_ids), f"from {source_name} to {target_name}"))
    return output.EXIT_FAILED if outcome.failed else output.EXIT_OK
