"""``persist check [--repair]``: is every stored sandbox readable, and did killed writers leave anything?

Repair only calls the driver's ``clean_leftovers``, which by contract never touches a record that loads.
The command does not take that on trust: it re-reads every sandbox afterwards and fails loudly if one
that loaded before no longer does. Corrupt sandboxes are reported, never deleted: that is ``persist rm``.
"""

from __future__ import annotations

import argparse

from persist_core import PersistDriver
from persist_core.cli import output
from persist_core.cli.options import AddCommon, describe, open_existing
from persist_core.cli.survey import SandboxReport, survey

HELP = "read every sandbox; report corrupt records, newer versions and leftovers of killed writers"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    parser = commands.add_parser(
        "check",
        help=HELP,
        description=HELP + f". Exit status {output.EXIT_OK} only when everything is sound, "
        f"{output.EXIT_UNSOUND} when problems were found, {output.EXIT_FAILED} when the check itself failed.",
    )
    add_common(parser)
    parser.add_argument(
        "--repair",
        action="store_true",
        help="remove leftovers of killed writers (never a sandbox that loads; corrupt ones are left for `rm`)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report for scripts")
    parser.set_defaults(run=run)


def _survey_all(driver: PersistDriver) -> list[SandboxReport]:
    return [report for sid in driver.sandbox_ids() if (report := survey(driver, sid)) is not None]


def run(args: argparse.Namespace) -> int:
    driver = open_existing(args)
    store = describe(driver)
    reports = _survey_all(driver)
    leftovers = driver.find_leftovers()
    strays = driver.find_strays()
    removed: list[str] = []
    damaged: list[str] = []
    if args.repair:
        loaded_before = {report.id for report in reports if report.sound}
        removed = driver.clean_leftovers()
        reports = _survey_all(driver)
        loaded_after = {report.id for report in reports if report.sound}
        damaged = sorted(loaded_before - loaded_after)
        leftovers = driver.find_leftovers()
    problems = [report for report in reports if not report.sound]
    sound = not problems and not leftovers and not strays and not damaged

    if args.json:
        output.print_json(
            {
                "store": store,
                "sound": sound,
                "sandboxes": [report.to_json() for report in reports],
                "leftovers": leftovers,
                "strays": strays,
                "removed": removed,
                "damaged": damaged,
            }
        )
    else:
        for report in problems:
            print(f"{report.status}: {output.one_line(report.error or report.id)}")
        for item in leftovers:
            print(f"leftover: {output.one_line(item)}")
        for item in strays:
            print(f"stray: {output.one_line(item)}")
        for item in removed:
            print(f"removed: {output.one_line(item)}")
        counts = [f"{len(reports) - len(problems)} sound"]
        counts += [f"{sum(r.status == s for r in problems)} {s}" for s in sorted({r.status for r in problems})]
        summary = f"{output.count(len(reports), 'sandbox')} in {store}: {', '.join(counts)}; "
        summary += output.count(len(leftovers), "leftover")
        if args.repair:
            summary += f" ({len(removed)} removed)"
        print(f"{summary}: {'sound' if sound else 'NOT sound'}")
    for sandbox_id in damaged:
        output.error(
            f"sandbox {sandbox_id!r} loaded before the repair and does not now; the driver's "
            "clean_leftovers broke its promise, report it to the driver's authors"
        )
    if damaged:
        return output.EXIT_FAILED
    return output.EXIT_OK if sound else output.EXIT_UNSOUND
