"""Check one crash state of the fs driver with fresh drivers, and run a whole exploration.

A crash state passes when, on a copy of it:
- ``load`` gives exactly the old or the new state (the new one if the operation had returned), and
  every other sandbox exactly what it held;
- ``sandbox_ids`` lists exactly the sandboxes that load, and reading changed nothing on disk;
- the next ``save`` succeeds, and then loads (and reads, as kata does) as saved;
and, on another copy, ``persist check --repair`` exits sound, after which the state loads the same,
kata's reader sees it too, and nothing is left over.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from fs_helpers import Encoded, State, encode, kata_view, loaded

from crashsim.explore import CrashState, Exploration, explore, process_crash
from crashsim.model import Tree, materialize, replay, snapshot
from crashsim.trace import Recorder, Sync, Trace
from persist_core.cli import app as cli_app
from persist_fs import FsDriver

_copies = itertools.count()

#: The trees live on tmpfs (/dev/shm), where the driver skips fsync by default (persist_fs.durability):
#: what is explored here is the protocol for disks, so every driver is told to fsync anyway.
DISK_PROTOCOL = "always"


_build_parser = cli_app.build_parser


@functools.cache
def _parser() -> argparse.ArgumentParser:
    return _build_parser()


def persist_cli(*args: str) -> tuple[int, str]:
    """``persist ARGS`` in this process (its exit status and output), as the console script runs it;
    the parser is built once (building it costs more than a check of a small tree)."""
    out = io.StringIO()
    with (
        mock.patch.object(cli_app, "build_parser", _parser),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        status = cli_app.main(list(args))
    return status, out.getvalue()


def tree_state(base: str) -> dict[str, tuple[int, int, int, int]]:
    """Every entry under ``base`` by path: inode, mode, size, mtime (anything written changes one)."""
    found = {}
    pending = [base]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                found[entry.path] = (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
    return found


@dataclass
class Scenario:
    """Driver calls from a known tree, and what must be stored before and after each."""

    name: str
    setup: Callable[[FsDriver, Path], None]  # makes the known tree (with this driver, under this base)
    operation: Callable[[FsDriver], object]
    sandbox_id: str
    old: State | None
    new: State | None
    then: State  # the next save, on every crash state
    others: dict[str, State] = field(default_factory=dict)  # sandboxes that must stay exactly as they are
    driver: type[FsDriver] = FsDriver
    root: str = "vc"  # the driver's root, relative to the base directory
    warm: bool = True  # the operation runs on the driver that made the tree (seals), else a fresh one
    more: tuple[tuple[Callable[[FsDriver], object], State | None], ...] = ()  # later calls, in the same trace

    @functools.cached_property
    def states(self) -> list[Encoded | None]:
        """As bytes: the state before, after the operation, and after each call of ``more``."""
        return [encode(self.old), encode(self.new), *(encode(state) for _, state in self.more)]

    @functools.cached_property
    def encoded(self) -> dict[str, Encoded | None]:
        """The next save's state, and each of ``others`` by its ID, as bytes."""
        return {"then": encode(self.then)} | {sandbox_id: encode(state) for sandbox_id, state in self.others.items()}

    def label(self, index: int) -> str:
        return ("the old state", "the new state")[index] if index < 2 else f"the state after call #{index}"


@dataclass
class Report:
    trace: Trace
    exploration: Exploration
    distinct: int = 0  # different trees among the states explored: each is checked once
    problems: list[str] = field(default_factory=list)


def record(scenario: Scenario, base: Path) -> Trace:
    """Make the known tree in ``base``, then run the calls under the recorder."""
    base.mkdir(parents=True, exist_ok=True)
    driver = scenario.driver(root=base / scenario.root, fsync=DISK_PROTOCOL)
    scenario.setup(driver, base)
    if not scenario.warm:
        driver = scenario.driver(root=base / scenario.root, fsync=DISK_PROTOCOL)
    recorder = Recorder(base)
    with recorder.recording():
        for call in (scenario.operation, *(call for call, _ in scenario.more)):
            call(driver)
            recorder.returned()
    trace = recorder.trace
    if not faithful(trace, base):
        raise AssertionError(f"{scenario.name}: the trace does not lead to the tree on disk (a call not recorded?)")
    if not any(isinstance(op, Sync) for op in trace.ops):
        raise AssertionError(f"{scenario.name}: the driver made no fsync: the disk protocol was not exercised")
    return trace


def faithful(trace: Trace, base: Path) -> bool:
    """Whether replaying all of ``trace`` (nothing lost) gives the tree now on disk: a call the recorder
    missed (a new kind of system call in the driver) shows here rather than as wrong crash states."""
    after, _ = snapshot(str(base))
    return process_crash(trace, len(trace.ops)) == replay(after, [], (), after.contents)


def run(
    scenario: Scenario,
    workdir: Path,
    *,
    limit: int,
    samples: int,
    mutate: Callable[[Trace], Trace] | None = None,
    stop_after: int | None = None,
) -> Report:
    """Record, explore and check every distinct crash state; ``stop_after`` problems ends it early.

    A crash state after ``r`` calls returned may load the state after call ``r`` or (the call in
    flight) after call ``r + 1``; a tree that several points of the trace can leave must satisfy all.
    """
    trace = record(scenario, workdir / "recorded")
    if mutate is not None:
        trace = mutate(trace)
    exploration, states = explore(trace, limit=limit, samples=samples)
    report = Report(trace, exploration)
    last = len(scenario.states) - 1
    verdicts: dict[Tree, tuple[frozenset[int], CrashState]] = {}  # what may load, and where it was made
    for state in states:
        allowed = frozenset({state.returned, min(state.returned + 1, last)})
        if state.tree in verdicts:
            before, example = verdicts[state.tree]
            verdicts[state.tree] = (before & allowed, state if len(allowed) < len(before) else example)
        else:
            verdicts[state.tree] = (allowed, state)
    report.distinct = len(verdicts)
    # The strictest first (after a call returned, where a lost fsync shows).
    for tree, (allowed, state) in sorted(verdicts.items(), key=lambda item: len(item[1][0])):
        for problem in check_state(scenario, tree, allowed=allowed, workdir=workdir):
            report.problems.append(f"{problem}\n    {state.explain(trace)}")
        if stop_after is not None and len(report.problems) >= stop_after:
            break
    return report


@contextlib.contextmanager
def _copy(tree: Tree, workdir: Path) -> Iterator[Path]:
    path = workdir / f"state-{next(_copies)}"
    materialize(tree, path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def check_state(scenario: Scenario, tree: Tree, *, allowed: frozenset[int], workdir: Path) -> list[str]:
    then = scenario.encoded["then"]
    sid = scenario.sandbox_id
    problems: list[str] = []
    with _copy(tree, workdir) as base:
        root = base / scenario.root
        driver = scenario.driver(root=root, fsync=DISK_PROTOCOL)
        untouched = tree_state(str(base))
        try:
            seen = loaded(driver, sid)
        except Exception as exc:
            return [f"load raised {exc!r}"]
        which = [i for i, state in enumerate(scenario.states) if state == seen]
        may = " or ".join(scenario.label(i) for i in sorted(allowed))
        if not which:
            problems.append(f"load returned a state that no call made (only {may} may load)")
        elif not allowed.intersection(which):
            problems.append(f"load returned {scenario.label(which[0])} (only {may} may load)")
        for other in scenario.others:
            try:
                if loaded(driver, other) != scenario.encoded[other]:
                    problems.append(f"sandbox {other!r}, untouched by the operation, changed")
            except Exception as exc:
                problems.append(f"sandbox {other!r}, untouched by the operation, does not load: {exc!r}")
        listed = driver.sandbox_ids()
        expected = sorted({*scenario.others, *([sid] if seen is not None else [])})
        if listed != expected:
            problems.append(f"sandbox_ids() is {listed}, but {expected} load")
        if tree_state(str(base)) != untouched:
            problems.append("reading the crash state changed it")
        try:
            scenario.driver(root=root, fsync=DISK_PROTOCOL).save(*scenario.then)
            if loaded(scenario.driver(root=root, fsync=DISK_PROTOCOL), sid) != then:
                problems.append("the next save returned, but load does not return what it saved")
            if kata_view(root, sid) != then:
                problems.append("the next save returned, but kata's reader does not see what it saved")
        except Exception as exc:
            problems.append(f"the next save failed: {exc!r}")
    with _copy(tree, workdir) as base:
        problems += _check_repair(scenario, base / scenario.root, seen)
    return problems


def _check_repair(scenario: Scenario, root: Path, seen: Encoded | None) -> list[str]:
    sid = scenario.sandbox_id
    if not root.exists():
        return []  # nothing stored, nothing to repair (the command refuses a store that does not exist)
    status, out = persist_cli(
        "check", "--repair", "--driver", scenario.driver.name, "-o", f"root={root}", "-o", f"fsync={DISK_PROTOCOL}"
    )
    if status != 0:
        return [f"persist check --repair exited {status}: {out.strip()}"]
    problems = []
    fresh = scenario.driver(root=root, fsync=DISK_PROTOCOL)
    if loaded(fresh, sid) != seen:
        problems.append("persist check --repair changed what loads")
    if kata_view(root, sid) != seen:
        problems.append("after persist check --repair, kata's reader sees another state than load")
    if leftovers := fresh.find_leftovers():
        problems.append(f"persist check --repair left {leftovers}")
    directory = root / "sbs" / sid
    if directory.is_dir():
        names = set(os.listdir(directory))
        hidden = {name for name in names if name.startswith(".")} - {".journal"}
        visible = names - hidden - {".journal"}
        expected = {"persist.json", *seen[1]} if seen is not None else set()
        if hidden or visible != expected:
            problems.append(f"after persist check --repair, {directory} holds {sorted(names)}")
    elif seen is not None:
        problems.append(f"after persist check --repair, {directory} is gone")
    for hidden_dir in (".staging", ".trash"):
        path = root / "sbs" / hidden_dir
        if path.is_dir() and os.listdir(path):
            problems.append(f"after persist check --repair, {path} holds {sorted(os.listdir(path))}")
    return problems
