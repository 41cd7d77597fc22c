"""Benchmark every driver against the physical floor: ``python benchmarks/run.py [--quick] [--json out.json]``.

Prints one row per figure (median, its floor measured in the same rounds, the ratio) and the targets of
issue 6 with PASS/MISS. Stores whose driver is missing (fs before it lands, etcd without a server binary)
are skipped with the reason. ``--quick`` is a smoke run (under a minute, fewer sizes and rounds): its
numbers are rough; only a full run's numbers are worth quoting. ``--kata-go`` adds the side-by-side
comparison with kata's own Go fs driver (``benchmarks/kata_compare.py``, skipped where Go is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from persist_core.errors import PersistError

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: import the benchmarks package, not its loose modules
    sys.path[0] = str(REPO)

from benchmarks import kata_compare, operations, report  # noqa: E402
from benchmarks.coldstart import cold_start  # noqa: E402
from benchmarks.machine import describe, filesystem_type  # noqa: E402
from benchmarks.results import Figure, Results  # noqa: E402
from benchmarks.states import SANDBOX_TEMPLATES, Workload  # noqa: E402
from benchmarks.stores import STORES, Skip, Store, open_store  # noqa: E402
from benchmarks.targets import evaluate  # noqa: E402
from benchmarks.timing import Budget, measure  # noqa: E402

FULL = Budget(min_rounds=15, max_rounds=500, seconds=3.0)
QUICK = Budget(min_rounds=5, max_rounds=40, seconds=0.2, warmup=1, least_rounds=3)
FULL_SIZES = (1, 10, 100, 1000)
QUICK_SIZES = (1, 10, 100)
OPERATIONS = (
    operations.SAVE_NEW,
    operations.SAVE_ONE,
    operations.LOAD,
    operations.LIST,
    operations.LOCK,
    operations.COLD,
)

Builder = Callable[[contextlib.ExitStack], operations.Case]


def _csv(kind: Callable[[str], object]) -> Callable[[str], list[object]]:
    return lambda text: [kind(item.strip()) for item in text.split(",") if item.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1,10,100, few rounds, 1,000 sandboxes")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--stores", type=_csv(str), default=list(STORES), help=f"default: {','.join(STORES)}")
    parser.add_argument("--sizes", type=_csv(int), help="container counts (default 1,10,100,1000; quick 1,10,100)")
    parser.add_argument("--operations", type=_csv(str), default=list(OPERATIONS), help="default: all")
    parser.add_argument("--sandboxes", type=int, help="sandboxes listed by sandbox_ids (default 10000; quick 1000)")
    parser.add_argument("--tmpfs", type=Path, default=Path("/dev/shm"), help="a tmpfs directory (default /dev/shm)")
    parser.add_argument("--disk", type=Path, default=Path("/var/tmp"), help="a disk directory (default /var/tmp)")
    parser.add_argument(
        "--sandbox",
        choices=sorted(SANDBOX_TEMPLATES),
        default="current-kata",
        help="kata sandbox file used as the template (default current-kata; every-field is the heaviest)",
    )
    parser.add_argument("--fs-driver", default="fs", help="driver name for the fs stores (default fs)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--kata-go", action="store_true", help="then compare with kata's Go driver (kata_compare.py)")
    args = parser.parse_args(argv)
    for store in args.stores:
        if store not in STORES:
            parser.error(f"unknown store {store!r}; choose from {', '.join(STORES)}")
    for operation in args.operations:
        if operation not in OPERATIONS:
            parser.error(f"unknown operation {operation!r}; choose from {', '.join(OPERATIONS)}")
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else FULL_SIZES)
    args.sandboxes = args.sandboxes or (1000 if args.quick else 10_000)
    return args


def plan(store: Store, work: Workload, args: argparse.Namespace) -> list[tuple[str, Builder]]:
    """The cases of one store, in the order they run; each builder sets its case up when called."""
    driver = store.open("main")
    wanted = set(args.operations)
    builders: list[tuple[str, Builder]] = []
    for n in args.sizes:
        if operations.SAVE_NEW in wanted:
            builders.append(
                (f"{operations.SAVE_NEW} N={n}", functools.partial(operations.save_new, store, driver, work, n))
            )
        if operations.SAVE_ONE in wanted:
            builder = functools.partial(operations.save_one_changed, store, driver, work, n)
            builders.append((f"{operations.SAVE_ONE} N={n}", builder))
        if operations.LOAD in wanted:
            builders.append((f"{operations.LOAD} N={n}", functools.partial(operations.load, store, driver, work, n)))
    if operations.LIST in wanted:
        builders.append((operations.LIST, functools.partial(operations.listing, store, work, args.sandboxes)))
    if operations.LOCK in wanted:
        builders.append((operations.LOCK, functools.partial(operations.lock, store, driver, work)))
    if operations.COLD in wanted:
        builders.append((operations.COLD, lambda stack: cold_start(store)))
    return builders


def run_store(store: Store, work: Workload, args: argparse.Namespace, budget: Budget, results: Results) -> None:
    for what, build in plan(store, work, args):
        try:
            with contextlib.ExitStack() as stack:
                case = build(stack)
                value, floor = measure(case.figure, case.floor, budget.scaled(case.weight))
        except PersistError as exc:  # a driver's limit (etcd's operations per transaction): a finding, not a crash
            results.failures.append({"store": store.name, "case": what, "error": f"{type(exc).__name__}: {exc}"})
            print(f"  {store.name} {what}: failed: {exc}", file=sys.stderr, flush=True)
            continue
        figure = Figure(case.store, case.operation, case.n, value, floor, case.floor_kind)
        results.add(figure)
        n = "" if figure.n is None else f" N={figure.n}"
        print(
            f"  {figure.store} {figure.operation}{n}: {report.duration(value.median)} "
            f"(floor {report.duration(floor.median)}, {figure.ratio:.2f}x, {value.samples} runs)",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    budget = QUICK if args.quick else FULL
    label = f"{os.getpid()}-{time.time_ns()}"
    work = Workload(label, args.sandbox)
    results = Results()
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        for name in args.stores:
            print(f"{name}:", file=sys.stderr, flush=True)
            try:
                store = open_store(
                    name, tmpfs=args.tmpfs, disk=args.disk, fs_driver=args.fs_driver, label=label, stack=stack
                )
            except Skip as exc:
                results.skipped[name] = str(exc)
                print(f"  skipped: {exc}", file=sys.stderr, flush=True)
                continue
            for note in store.notes:
                print(f"  note: {note}", file=sys.stderr, flush=True)
            run_store(store, work, args, budget, results)
    outcomes = evaluate(results)
    print(report.figures_table(results))
    print()
    print(report.targets_table(outcomes))
    for name, reason in results.skipped.items():
        print(f"skipped {name}: {reason}")
    for failure in results.failures:
        print(f"failed {failure['store']} {failure['case']}: {failure['error']}")
    elapsed = time.perf_counter() - started
    print(f"{'quick' if args.quick else 'full'} run, {elapsed:.0f} s")
    if args.json:
        settings = {
            "quick": args.quick,
            "stores": args.stores,
            "sizes": args.sizes,
            "operations": args.operations,
            "sandboxes": args.sandboxes,
            "sandbox_template": args.sandbox,
            "filesystems": {str(args.tmpfs): filesystem_type(args.tmpfs), str(args.disk): filesystem_type(args.disk)},
            "budget": {"min_rounds": budget.min_rounds, "seconds_per_case": budget.seconds},
            "elapsed_s": elapsed,
        }
        doc = report.document(results, outcomes, describe(REPO), settings)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    if args.kata_go:
        print()
        kata_compare.main([*(["--quick"] if args.quick else []), "--tmpfs", str(args.tmpfs)])
    missed = any(outcome.status == "MISS" for outcome in outcomes)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
