"""``persist ls`` and ``persist show``: what is stored, for people and for scripts."""

from __future__ import annotations

import argparse

from persist_core import ContainerState, GoTime, SandboxState
from persist_core.cli import output
from persist_core.cli.encoded_sandbox import read_encoded_sandbox
from persist_core.cli.envelope import encode_sandbox
from persist_core.cli.options import AddCommon, describe, open_existing
from persist_core.cli.survey import OK, survey

LS_HELP = "one line per stored sandbox: state, container count, persist version, last change"
SHOW_HELP = "a readable summary of one sandbox and its containers"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    ls = commands.add_parser(
        "ls",
        help=LS_HELP,
        description=LS_HELP + ". A sandbox that cannot be read is "
        "listed with its problem (corrupt, newer-version, ...) instead of stopping the listing.",
    )
    add_common(ls)
    shape = ls.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print a JSON array for scripts")
    shape.add_argument(
        "-q", "--quiet", action="store_true", help="only sandbox IDs, one a line (nothing is read but the listing)"
    )
    ls.set_defaults(run=run_ls)

    show = commands.add_parser("show", help=SHOW_HELP, description=SHOW_HELP + ".")
    add_common(show)
    show.add_argument("sandbox", metavar="SID", help="sandbox ID")
    show.add_argument(
        "--json", action="store_true", help='print the stored documents: {"sandbox": ..., "containers": {...}}'
    )
    show.set_defaults(run=run_show)


def run_ls(args: argparse.Namespace) -> int:
    driver = open_existing(args)
    if args.quiet:
        for sandbox_id in driver.sandbox_ids():
            print(sandbox_id)
        return 0
    reports = [report for sid in driver.sandbox_ids() if (report := survey(driver, sid)) is not None]
    if args.json:
        output.print_json([report.to_json() for report in reports])
        return 0
    if not reports:
        output.warn(f"no sandboxes stored in {describe(driver)}")
        return 0
    rows = [
        (
            report.id,
            output.dash(report.state) if report.status == OK else report.status,
            output.dash(report.containers),
            output.dash(report.persist_version),
            output.local_time(report.last_modified),
        )
        for report in reports
    ]
    print(output.table(("SANDBOX", "STATE", "CONTAINERS", "VERSION", "LAST CHANGE"), rows, right=frozenset({2, 3})))
    for report in reports:
        if report.error:
            output.warn(f"{report.status}: {report.error}")
    return 0


def _sandbox_lines(sandbox: SandboxState, modified: float | None) -> list[tuple[str, str]]:
    hypervisor = sandbox.hypervisor_state
    network = sandbox.network
    return [
        ("sandbox", sandbox.sandbox_container),
        ("state", output.dash(sandbox.state)),
        ("persist version", str(sandbox.persist_version)),
        ("last change", output.local_time(modified)),
        ("hypervisor", output.dash(hypervisor.type or sandbox.config.hypervisor_type)),
        ("hypervisor pid", output.dash(hypervisor.pid or None)),
        ("vm uuid", output.dash(hypervisor.uuid)),
        ("agent", output.dash(sandbox.agent_state.url)),
        ("cgroup", output.dash(sandbox.sandbox_cgroup_path)),
        ("network", output.dash(network.network_id)),
        ("endpoints", str(len(network.endpoints or ()))),
        ("devices", str(len(sandbox.devices or ()))),
    ]


def _container_row(container_id: str, container: ContainerState) -> tuple[str, ...]:
    process = container.process
    started = "-" if process.start_time == GoTime.ZERO else process.start_time.format()
    return (
        container_id,
        output.dash(container.state),
        output.dash(process.pid or None),
        started,
        output.dash(container.rootfs.fs_type),
        output.dash(container.bundle_path),
    )


def run_show(args: argparse.Namespace) -> int:
    driver = open_existing(args)
    encoded = read_encoded_sandbox(driver, args.sandbox, where=describe(driver), check_owner=False)
    if args.json:
        output.write_bytes(encode_sandbox(encoded) + b"\n")
        return 0
    lines = _sandbox_lines(encoded.sandbox, driver.last_modified(args.sandbox))
    lines.append(("containers", str(len(encoded.containers))))
    width = max(len(label) for label, _ in lines)
    print("\n".join(f"{label.ljust(width)}  {value}" for label, value in lines))
    if encoded.containers:
        rows = [_container_row(cid, state) for cid, state in encoded.containers.items()]
        print()
        print(output.table(("CONTAINER", "STATE", "PID", "STARTED", "ROOTFS", "BUNDLE"), rows, right=frozenset({2})))
    if encoded.sandbox.sandbox_container != args.sandbox:
        output.warn(
            f"sandbox {args.sandbox!r}: its record names sandbox {encoded.sandbox.sandbox_container!r}; "
            "`persist check` reports it as inconsistent"
        )
    return 0
