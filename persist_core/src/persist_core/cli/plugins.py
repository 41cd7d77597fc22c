"""``persist drivers``: every installed driver with its distribution and version, broken ones included.

Each plugin is imported on its own so that one failing import is reported next to its name while the
others are still listed; this is the one place that imports every plugin on purpose.
"""

from __future__ import annotations

import argparse
from collections import Counter
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import attrs

from persist_core import PersistDriver, available_drivers
from persist_core.cli import output
from persist_core.cli.options import AddCommon, describe, open_source
from persist_core.registry import DEFAULT_DRIVER_ENV, ENTRY_POINT_GROUP, default_driver_name

HELP = "list installed drivers with their distribution, version and capabilities"


@attrs.frozen
class DriverInfo:
    name: str
    distribution: str | None
    version: str | None
    target: str | None
    capabilities: list[str] | None
    default: bool
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _probe(entry_point: EntryPoint) -> tuple[list[str] | None, str | None]:
    """Import the plugin: its capabilities, or the error that makes it unusable."""
    try:
        factory = entry_point.load()
    except Exception as exc:  # noqa: BLE001 - a plugin may fail in any way; report it, list the rest
        return None, f"{type(exc).__name__}: {exc}"
    if isinstance(factory, type) and issubclass(factory, PersistDriver):
        return sorted(capability.value for capability in factory.capabilities), None
    if callable(factory):
        return None, None  # a factory function: capabilities are known only once constructed
    return None, f"entry point {entry_point.value!r} is not a driver class or factory"


def list_drivers() -> list[DriverInfo]:
    default = default_driver_name()
    found = list(entry_points(group=ENTRY_POINT_GROUP))
    providers = Counter(entry_point.name for entry_point in found)
    infos = []
    for entry_point in found:
        dist = entry_point.dist
        capabilities, error = _probe(entry_point)
        if providers[entry_point.name] > 1:
            count = providers[entry_point.name]
            error = f"{count} installed distributions provide {entry_point.name!r}; uninstall all but one"
        infos.append(
            DriverInfo(
                name=entry_point.name,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
                target=entry_point.value,
                capabilities=capabilities,
                default=entry_point.name == default,
                error=error,
            )
        )
    for name in sorted(set(available_drivers()) - set(providers)):
        infos.append(DriverInfo(name, None, None, None, None, name == default, None))  # register_driver()
    return sorted(infos, key=lambda info: (info.name, info.distribution or ""))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    parser = commands.add_parser(
        "drivers",
        help=HELP,
        description=HELP + f". A plugin that fails to import is listed with its error. The default driver "
        f"(marked *) is ${DEFAULT_DRIVER_ENV}, else fs for root and rootlessfs for other users. "
        "With --driver or -o, also check that that driver opens with those options. "
        f"Exit status {output.EXIT_FAILED} when any installed plugin is broken.",
    )
    add_common(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    infos = list_drivers()
    status = output.EXIT_FAILED if any(info.error for info in infos) else output.EXIT_OK
    if args.json:
        output.print_json([info.to_json() for info in infos])
        return status
    rows = [
        (
            info.name + (" *" if info.default else ""),
            info.distribution or "(registered in-process)",
            output.dash(info.version),
            "-" if info.capabilities is None else ", ".join(info.capabilities) or "none",
            f"broken: {output.one_line(info.error)}" if info.error else "ok",
        )
        for info in infos
    ]
    if rows:
        print(output.table(("DRIVER", "DISTRIBUTION", "VERSION", "CAPABILITIES", "STATUS"), rows))
    if not any(info.default for info in infos):
        output.warn(f"the default driver {default_driver_name()!r} is not installed")
    if args.driver is not None or args.options:
        # Named on the command line: also prove that it starts with these options.
        print(f"{describe(open_source(args))}: opens")
    if status != output.EXIT_OK:
        broken = sorted({info.name for info in infos if info.error})
        output.error(f"broken driver plugin: {', '.join(broken)} (see STATUS above)")
    return status
