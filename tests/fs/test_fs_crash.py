"""A writer killed at any instant leaves exactly the previous or the new state, and readers never see a mix.

Two tests: a forked writer dies (as abruptly as SIGKILL) at each write-path system call of a save or destroy
in turn, which covers every crash point deterministically; and writers that alternate between two states
with different container sets are SIGKILLed at random instants hundreds of times while reader processes
load without pause. ``PERSIST_FS_CRASH_KILLS`` raises the number of kills for a longer soak.
"""

from __future__ import annotations

import functools
import os
import random
import select
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fs_helpers import (
    CRASHED,
    PATIENCE,
    SID,
    STATE_A,
    STATE_B,
    Encoded,
    Syscalls,
    count_calls,
    encode,
    expected_names,
    fork,
    kata_view,
    kill,
    loaded,
    snapshot,
    visible_names,
    wait,
)
from fs_scenarios import SCENARIOS, perform, prepare

from persist_core.errors import SandboxNotFoundError
from persist_fs import FsDriver


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_killed_at_every_system_call(root: Path, scenario: str) -> None:
    before, after = SCENARIOS[scenario]
    root.mkdir(parents=True)  # so that the probe and every run create the same directories
    old, new = encode(before), encode(after)
    probe = prepare(root / "probe", before)
    calls = count_calls(lambda: perform(probe, after))
    outcomes = []
    for index, call in enumerate([*calls, "(none: the operation completes)"]):
        store = root / f"at-{index}"
        driver = prepare(store, before)

        def crash_at(index: int = index, driver: FsDriver = driver) -> None:
            faults = Syscalls()
            faults.fail_at, faults.crash = index, True
            with faults.active():
                perform(driver, after)

        status = wait(fork(crash_at))
        where = f"{scenario}: killed at call #{index} ({call})"
        assert status == (CRASHED if index < len(calls) else 0), f"{where}: the child exited with {status}"
        fresh = FsDriver(root=store)
        untouched = snapshot(store)
        seen = loaded(fresh)
        assert seen in (old, new), f"{where}: load() returned a state that is neither the old nor the new one"
        assert fresh.sandbox_ids() == ([SID] if seen is not None else []), where
        assert snapshot(store) == untouched, f"{where}: reading changed the tree"
        outcomes.append(seen == new and old != new)
        # The next writer (here, the repair tool) finishes or discards what the killed one left.
        fresh.clean_leftovers()
        assert loaded(fresh) == seen, f"{where}: cleaning up changed the state"
        assert kata_view(store) == seen, f"{where}: after cleaning up, kata's reader sees another state"
        state = before if seen == old else after
        assert visible_names(store) == expected_names(state), f"{where}: leftovers in sight"
        assert fresh.find_leftovers() == [], where
    assert outcomes == sorted(outcomes), f"{scenario}: a crash before the commit point showed the new state"
    assert outcomes[-1] and not outcomes[0], f"{scenario}: the crash points did not cover the commit"


def test_killed_commit_is_finished_by_the_next_save(root: Path) -> None:
    """A commit killed after its journal is in place: readers see the new state, the next save completes it."""
    driver = prepare(root, STATE_A)
    probe = prepare(root.parent / "probe", STATE_A)
    calls = count_calls(lambda: probe.save(*STATE_B))
    commit = max(i for i, call in enumerate(calls) if call == "rename" and i < len(calls) - 1)
    # Kill just after the journal's rename (the last rename before the first container rename is the commit).
    renames = [i for i, call in enumerate(calls) if call == "rename"]
    journal_rename = renames[0]
    assert journal_rename < commit

    def crash() -> None:
        faults = Syscalls()
        faults.fail_at, faults.crash = journal_rename + 1, True
        with faults.active():
            driver.save(*STATE_B)

    assert wait(fork(crash)) == CRASHED
    fresh = FsDriver(root=root)
    assert loaded(fresh) == encode(STATE_B), "a committed save must be what readers see"
    assert kata_view(root) != encode(STATE_B), "the test meant to stop before the files were in place"
    assert any("interrupted commit" in leftover for leftover in fresh.find_leftovers())
    third = {"c0": STATE_A[1]["c0"]}
    fresh.save(STATE_A[0], third)
    assert loaded(fresh) == encode((STATE_A[0], third))
    assert kata_view(root) == encode((STATE_A[0], third))
    assert fresh.find_leftovers() == []


# -- random kills with concurrent readers ------------------------------------------------------------


def _writer(root: Path, start_with_b: bool, started: int) -> None:
    """Alternate between the two states until killed; say so on ``started`` after the first save."""
    driver = FsDriver(root=root)
    states = [STATE_B, STATE_A] if start_with_b else [STATE_A, STATE_B]
    driver.save(*states[0])
    os.write(started, b"1")
    while True:
        for state in reversed(states):
            driver.save(*state)


def _seconds_per_save(root: Path) -> float:
    """How long a save takes here, so that kills land inside saves however fast or slow the machine is."""
    driver = FsDriver(root=root)
    rounds = 20
    begin = time.monotonic()
    for _ in range(rounds):
        driver.save(*STATE_A)
        driver.save(*STATE_B)
    return (time.monotonic() - begin) / (2 * rounds)


def _describe(seen: Encoded | None, accepted: dict[str, Encoded | None]) -> str:
    """Which state each record of a mixed load came from."""
    if seen is None:
        return "no sandbox"

    def origin(pick: Callable[[Encoded], bytes | None]) -> str:
        return "".join(name for name, state in accepted.items() if state is not None and pick(state) == pick(seen))

    parts = [f"sandbox from {origin(lambda state: state[0]) or '?'}"]
    parts += [f"{cid} from {origin(lambda state, cid=cid: state[1].get(cid)) or '?'}" for cid in sorted(seen[1])]
    return ", ".join(parts)


def _reader(root: Path, stop: Path, report: Path) -> None:
    """Load until told to stop; any load that is not exactly A or B is written to ``report``."""
    driver = FsDriver(root=root)
    accepted = {"A": encode(STATE_A), "B": encode(STATE_B)}
    counts = {"A": 0, "B": 0}
    bad = []
    while not stop.exists():
        try:
            seen = loaded(driver)
        except Exception as exc:
            bad.append(f"load raised {exc!r}")
            continue
        label = next((name for name, state in accepted.items() if seen == state), None)
        if label is None:
            bad.append(f"load returned a mix: {_describe(seen, accepted)}")
        else:
            counts[label] += 1
        if SID not in driver.sandbox_ids():
            bad.append("sandbox_ids() lost the sandbox")
    report.write_text(f"{counts['A']} {counts['B']}\n" + "\n".join(bad[:20]))


def test_writers_killed_at_random_while_readers_load(root: Path) -> None:
    kills = int(os.environ.get("PERSIST_FS_CRASH_KILLS", "300"))
    rng = random.Random(os.environ.get("PERSIST_FS_CRASH_SEED", "persist-fs"))
    per_save = _seconds_per_save(root.parent / "timing")
    FsDriver(root=root).save(*STATE_A)
    stop = root.parent / "stop"
    reports = [root.parent / f"reader-{i}" for i in range(2)]
    readers = [fork(lambda report=report: _reader(root, stop, report)) for report in reports]
    interrupted = 0
    try:
        for kill_number in range(kills):
            started_r, started_w = os.pipe()
            writer = fork(functools.partial(_writer, root, kill_number % 2 == 1, started_w))
            os.close(started_w)
            ready = select.select([started_r], [], [], PATIENCE)[0] and os.read(started_r, 1)
            os.close(started_r)
            assert ready, "a writer never finished its first save"
            time.sleep(rng.uniform(0, 3 * per_save))
            kill(writer)
            if FsDriver(root=root).find_leftovers():
                interrupted += 1
            seen = loaded(FsDriver(root=root))
            accepted = {"A": encode(STATE_A), "B": encode(STATE_B)}
            assert seen in accepted.values(), f"after kill #{kill_number}: {_describe(seen, accepted)}"
    finally:
        stop.touch()
        statuses = [wait(reader, PATIENCE) for reader in readers]
    assert statuses == [0, 0], "a reader process failed (see its traceback above)"
    for report in reports:
        counts, *bad = report.read_text().splitlines()
        assert not bad, f"{report.name}: {bad}"
        loads_a, loads_b = map(int, counts.split())
        assert loads_a + loads_b > 0, f"{report.name} never loaded"
    assert interrupted > 0, f"none of {kills} kills interrupted a save: the test did not test anything"
    driver = FsDriver(root=root)
    driver.clean_leftovers()
    assert kata_view(root) == loaded(driver)
    assert driver.find_leftovers() == []
    driver.destroy(SID)
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
