"""Power loss, not just a killed process: every on-disk state a crash of the machine could leave.

The SIGKILL tests (test_fs_crash.py) keep the page cache, so they cannot see a missing or misordered
fsync. Here, as in ALICE (OSDI '14) and CrashMonkey (OSDI '18), the file-system operations of one
driver call are recorded from a known tree, every crash state a weak POSIX file system allows is built
from them at every point of the trace (crashsim/explore.py says which), and each is checked with fresh
drivers (crashsim/check.py): the old or the new state loads (the new one once the call returned), the
listing agrees, the next save works and ``persist check --repair`` leaves a sound tree. Then the driver
is broken on purpose, four ways, and the exploration must report each.

Points of a trace that allow more than ``PERSIST_FS_POWER_LOSS_LIMIT`` states (default 256) are sampled:
``PERSIST_FS_POWER_LOSS_SAMPLES`` states (default 32) drawn with a fixed seed. Raise both for a soak.
Each test prints its counts (run with ``-s`` to see them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from crashsim.check import DISK_PROTOCOL, Report, Scenario, faithful, persist_cli, run
from crashsim.explore import explore, process_crash
from crashsim.model import materialize
from crashsim.mutations import MUTATIONS
from crashsim.trace import Op, Recorder, Rename, Returned, Write, describe
from fs_helpers import SID, State, make_state

from persist_fs import FsDriver, RootlessFsDriver

LIMIT = int(os.environ.get("PERSIST_FS_POWER_LOSS_LIMIT", "256"))
SAMPLES = int(os.environ.get("PERSIST_FS_POWER_LOSS_SAMPLES", "32"))

NEIGHBOUR_ID = "nb"
NEIGHBOUR = make_state("N", {"n0": "n0"}, sandbox_id=NEIGHBOUR_ID)
GONE_ID = "gone"
NEXT = make_state("C", {"c0": "next", "c1": "next"})


def containers(ids: range | list[int], tag: str = "") -> dict[str, str]:
    return {f"c{i}": f"c{i}{tag}" for i in ids}


def states(n: int) -> dict[str, State]:
    """The state before, and the states after each kind of save, for a sandbox of ``n`` containers."""
    base = containers(range(n))
    several = {**base, **containers(range(min(n, 3)), "-changed")}
    for i in range(8, n):
        del several[f"c{i}"]  # removed (with 10 containers: c8, c9)
    several.update(containers(range(n, n + 2 if n > 1 else n)))  # added (with 10: c10, c11)
    return {
        "before": make_state("A", base),
        "one file": make_state("A", {**base, "c0": "c0-changed"}),
        "one added": make_state("A", {**base, f"c{n}": "added"}),
        "sandbox file": make_state("A-changed", base),
        "several files": make_state("B", several),
        "several files, then one": make_state("B", {**several, "c0": "c0-again"}),
        "one removed": make_state("A", {cid: text for cid, text in base.items() if cid != f"c{n // 2}"}),
        "several removed": make_state("A", containers(range(n // 2))),
    }


def _saved(*saved: State) -> Callable[[FsDriver, Path], None]:
    def setup(driver: FsDriver, base: Path) -> None:
        for state in saved:
            driver.save(*state)

    return setup


def _save(state: State) -> Callable[[FsDriver], object]:
    return lambda driver: driver.save(*state)


def _destroy(driver: FsDriver) -> None:
    driver.destroy(SID)


def _repair(driver: FsDriver) -> None:
    status, out = persist_cli(
        "check", "--repair", "--driver", driver.name, "-o", f"root={driver.root}", "-o", f"fsync={DISK_PROTOCOL}"
    )
    assert status == 0, out


# -- a tree with every leftover a killed writer can leave, for check --repair --------------------------


def _killed(base: Path, driver_type: type[FsDriver], operation: Callable[[FsDriver], object], where: Callable) -> None:
    """Run ``operation`` on the tree in ``base``, then replace the tree by what a process killed at the
    point ``where(ops)`` of it would have left (the page cache intact: nothing lost)."""
    recorder = Recorder(base)
    with recorder.recording():
        operation(driver_type(root=base / "vc", fsync=DISK_PROTOCOL))
    trace = recorder.trace
    tree = process_crash(trace, where(trace.ops))
    shutil.rmtree(base)
    materialize(tree, base)


def _after_journal_and_one_step(ops: list[Op]) -> int:
    written = {op.node for op in ops if isinstance(op, Write) and op.data}
    commit = next(
        i for i, op in enumerate(ops) if isinstance(op, Rename) and op.dst_name == ".journal" and op.node in written
    )
    return next(i for i in range(commit + 1, len(ops)) if isinstance(ops[i], Rename)) + 1


def _before_last_rename(ops: list[Op]) -> int:
    return max(i for i, op in enumerate(ops) if isinstance(op, Rename))


def _after_first_rename(ops: list[Op]) -> int:
    return next(i for i, op in enumerate(ops) if isinstance(op, Rename)) + 1


def _leftovers(n: int) -> Callable[[FsDriver, Path], None]:
    """A commit killed past its commit point (journal in place, one step applied), a first save killed
    before its rename (a tree in .staging) and a destroy killed after it (a tree in .trash)."""

    def setup(driver: FsDriver, base: Path) -> None:
        kind = type(driver)
        for state in (NEIGHBOUR, states(n)["before"], make_state("G", {"g0": "g"}, sandbox_id=GONE_ID)):
            driver.save(*state)
        _killed(base, kind, _save(states(n)["several files"]), _after_journal_and_one_step)
        _killed(base, kind, _save(make_state("S", {"s0": "s"}, sandbox_id="staged")), _before_last_rename)
        _killed(base, kind, lambda fresh: fresh.destroy(GONE_ID), _after_first_rename)
        found = " ".join(kind(root=base / "vc", fsync=DISK_PROTOCOL).find_leftovers())
        for leftover in ("interrupted commit", "abandoned first save", "abandoned destroy"):
            assert leftover in found, f"the tree for check --repair has no {leftover}: {found}"

    return setup


def _kata_tree(state: State) -> Callable[[FsDriver, Path], None]:
    """``state`` as kata's own driver leaves it: the same files, no ``.journal``."""

    def setup(driver: FsDriver, base: Path) -> None:
        driver.save(*NEIGHBOUR)
        driver.save(*state)
        (base / "vc" / "sbs" / SID / ".journal").unlink()

    return setup


def _interrupted(before: State, after: State) -> Callable[[FsDriver, Path], None]:
    """A journaled commit from ``before`` to ``after`` killed past its commit point (one step applied)."""

    def setup(driver: FsDriver, base: Path) -> None:
        driver.save(*NEIGHBOUR)
        driver.save(*before)
        _killed(base, type(driver), _save(after), _after_journal_and_one_step)

    return setup


# -- the scenarios -------------------------------------------------------------------------------------


def _scenarios() -> dict[str, Scenario]:
    found = {}

    def add(name: str, **fields: object) -> None:
        fields.setdefault("sandbox_id", SID)
        fields.setdefault("then", NEXT)
        fields.setdefault("others", {NEIGHBOUR_ID: NEIGHBOUR})
        found[name] = Scenario(name=name, **fields)  # type: ignore[arg-type]

    for n in (1, 10):
        s = states(n)
        before = s["before"]
        add(f"first save, {n}", setup=_saved(NEIGHBOUR), operation=_save(before), old=None, new=before)
        for kind in ("one file", "several files", "one removed"):
            add(f"{kind}, {n}", setup=_saved(NEIGHBOUR, before), operation=_save(s[kind]), old=before, new=s[kind])
        add(f"destroy, {n}", setup=_saved(NEIGHBOUR, before), operation=_destroy, old=before, new=None)
        add(
            f"check --repair, {n}",
            setup=_leftovers(n),
            operation=_repair,
            old=s["several files"],
            new=s["several files"],
        )
    s = states(10)
    add(
        "several removed, 10",
        setup=_saved(NEIGHBOUR, s["before"]),
        operation=_save(s["several removed"]),
        old=s["before"],
        new=s["several removed"],
    )
    one = states(1)
    add(
        "one added, 1",
        setup=_saved(NEIGHBOUR, one["before"]),
        operation=_save(one["one added"]),
        old=one["before"],
        new=one["one added"],
    )
    # Several calls in one trace: what a call left undurable must not come back under the next one.
    for m, sm in ((1, one), (10, s)):
        again = sm["several files, then one"]
        add(
            f"several files, then one file, {m}",
            setup=_saved(NEIGHBOUR, sm["before"]),
            operation=_save(sm["several files"]),
            old=sm["before"],
            new=sm["several files"],
            more=((_save(again), again),),
        )
    add(
        "destroy, then first save, 1",
        setup=_saved(NEIGHBOUR, one["before"]),
        operation=_destroy,
        old=one["before"],
        new=None,
        more=((_save(one["one file"]), one["one file"]),),
    )
    for kind in ("one file", "several files"):
        add(
            f"{kind}, 1, over a tree kata wrote (no journal)",
            setup=_kata_tree(one["before"]),
            operation=_save(one[kind]),
            old=one["before"],
            new=one[kind],
        )
    add(
        "one file, 1, over an interrupted commit",
        setup=_interrupted(one["before"], one["several files"]),
        operation=_save(one["several files, then one"]),
        old=one["several files"],
        new=one["several files, then one"],
    )
    add(
        "sandbox file, 1",
        setup=_saved(NEIGHBOUR, one["before"]),
        operation=_save(one["sandbox file"]),
        old=one["before"],
        new=one["sandbox file"],
    )
    for kind in ("one file", "several files"):
        add(
            f"{kind}, 10, fresh driver",
            setup=_saved(NEIGHBOUR, s["before"]),
            operation=_save(s[kind]),
            old=s["before"],
            new=s[kind],
            warm=False,
        )
    add(
        "first save, 1, empty root",
        setup=_saved(),
        operation=_save(one["before"]),
        old=None,
        new=one["before"],
        others={},
    )
    rootless = {"driver": RootlessFsDriver, "root": "run/vc"}
    add(
        "rootlessfs: first save, 1, empty runtime dir",
        setup=_saved(),
        operation=_save(one["before"]),
        old=None,
        new=one["before"],
        others={},
        **rootless,
    )
    add(
        "rootlessfs: several files, 1",
        setup=_saved(NEIGHBOUR, one["before"]),
        operation=_save(one["several files"]),
        old=one["before"],
        new=one["several files"],
        **rootless,
    )
    add(
        "rootlessfs: destroy, 1",
        setup=_saved(NEIGHBOUR, one["before"]),
        operation=_destroy,
        old=one["before"],
        new=None,
        **rootless,
    )
    return found


SCENARIOS = _scenarios()


def _summary(scenario: Scenario, report: Report) -> str:
    how = "all" if report.exploration.exhaustive else "sampled"
    operations = sum(not isinstance(op, Returned) for op in report.trace.ops)
    return (
        f"{scenario.name}: {operations} operations, {report.exploration.states} crash states, "
        f"{report.exploration.explored} explored ({how}), {report.distinct} distinct trees checked"
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_crash_state_recovers(root: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    report = run(scenario, root, limit=LIMIT, samples=SAMPLES)
    print(_summary(scenario, report))
    assert report.distinct > 1, f"{name}: the exploration built no crash state but the tree before"
    shown = "\n".join(report.problems[:5])
    assert not report.problems, f"{name}: {len(report.problems)} crash states do not recover, e.g.:\n{shown}"


# Where each way of breaking the driver applies (and so must be reported).
BROKEN = [
    (mutation, name)
    for mutation, names in {
        "directory fsync after a rename dropped": ["one file, 1", "several files, 1", "first save, 1", "destroy, 1"],
        "rename before the file's fsync": ["one file, 1", "sandbox file, 1", "several files, 1", "first save, 1"],
        "journal emptied before the steps are durable": [
            "several files, 1",
            "several files, 10",
            "several removed, 10",
        ],
        # Harmless within one call: it shows when the next call's temporary is read through the old journal.
        "journal emptied without an fsync": ["several files, then one file, 1"],
    }.items()
    for name in names
]


@pytest.mark.parametrize(("mutation", "name"), BROKEN)
def test_the_exploration_finds_a_broken_driver(root: Path, mutation: str, name: str) -> None:
    scenario = SCENARIOS[name]
    report = run(scenario, root, limit=LIMIT, samples=SAMPLES, mutate=MUTATIONS[mutation], stop_after=1)
    print(f"{mutation}, in {name}: {report.problems[0] if report.problems else 'NOT FOUND'}")
    assert report.problems, f"the exploration did not notice the driver broken ({mutation}) in {name}"


def test_the_recorder_resolves_descriptors_and_notices_a_call_it_missed(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "d").mkdir()
    unrecorded_write = os.write
    recorder = Recorder(root)
    with recorder.recording():
        dir_fd = os.open(root / "d", os.O_RDONLY | os.O_DIRECTORY)
        fd = os.open("f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dir_fd)
        os.write(fd, b"seen")
        os.fsync(fd)
        os.close(fd)
        os.rename("f", "g", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        os.fsync(dir_fd)
        os.close(dir_fd)
    assert [describe(op) for op in recorder.ops] == [
        "create(d/f)",
        "write(d/f, 4 bytes at 0)",
        "fsync(d/f)",
        "rename(d/f -> d/g)",
        "fsync(d)",
    ]
    assert faithful(recorder.trace, root)
    with recorder.recording():
        fd = os.open(root / "d" / "g", os.O_WRONLY | os.O_APPEND)
        unrecorded_write(fd, b" unseen")
        os.close(fd)
    assert not faithful(recorder.trace, root)


def test_the_model_loses_unsynced_names_and_bytes_but_never_what_an_fsync_made_durable(root: Path) -> None:
    """A file written, renamed without its fsync, then its directory fsynced: the classic bug, by hand."""
    root.mkdir(parents=True)
    recorder = Recorder(root)
    with recorder.recording():
        fd = os.open(root / "tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"ab")
        os.close(fd)
        os.rename(root / "tmp", root / "file")
        dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)
    exploration, states = explore(recorder.trace, limit=1000, samples=0)
    trees: dict[int, set[object]] = {}
    for state in states:
        trees.setdefault(state.prefix, set()).add(state.tree)

    def tree(**files: bytes) -> object:
        return ("d", tuple((name, ("f", data)) for name, data in sorted(files.items())))

    assert trees[0] == {tree()}
    # Written, not renamed: the name may be lost; the bytes may be lost, torn or kept.
    assert trees[2] == {tree(), tree(tmp=b""), tree(tmp=b"a"), tree(tmp=b"ab")}
    # Renamed, not yet durable: either name, or none, with any prefix of the bytes.
    assert trees[3] == {tree()} | {tree(**{name: data}) for name in ("tmp", "file") for data in (b"", b"a", b"ab")}
    # The directory fsynced: the rename stays, but the file's bytes were never made durable.
    assert trees[4] == {tree(file=b""), tree(file=b"a"), tree(file=b"ab")}
    assert exploration.exhaustive
    assert [point.states for point in exploration.points] == [1, 2, 6, 12, 3]
