"""The kit catches broken drivers: each deliberate flaw in broken_drivers.py fails the tests meant for it.

The kit runs in a separate pytest process, exactly as a backend author runs it (a test class per
driver subclassing DriverConformance, default settings: shrinking and patience included); its JUnit
report gives the outcome and the time of every test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent

#: For each broken driver, the kit tests that must fail (every parametrized variant of each): deterministic
#: tests only, so that no catch depends on what hypothesis happens to draw (the stateful test may fail too).
MUST_FAIL: dict[str, set[str]] = {
    "SharedReferencesDriver": {
        "test_mutating_saved_objects_does_not_change_the_store",
        "test_mutating_loaded_objects_does_not_change_the_store",
        "test_each_load_returns_new_objects",
        "test_loaded_objects_are_not_the_saved_ones",
    },
    "KeepsRemovedContainersDriver": {
        "test_containers_missing_from_a_save_are_removed",
        "test_saving_no_containers_removes_them_all",
        "test_removed_container_does_not_come_back",
        "test_kata_samples_replace_each_other",
    },
    "NonExclusiveLockDriver": {
        "test_exclusive_lock_excludes_everyone",
        "test_shared_lock_excludes_exclusive",
        "test_lock_works_before_first_save_and_after_destroy",
        "test_short_timeout_is_waited_out_then_refused",
        "test_waiter_gets_the_lock_when_it_is_released",
        "test_exclusive_lock_excludes_other_threads",
        "test_lock_timeout_error_is_a_timeout_error",
    },
    "LosesStateOnFailedSaveDriver": {
        "test_refused_save_leaves_the_old_state",
        "test_injected_save_failure_leaves_the_old_state",
    },
    "UncheckedIdsDriver": {
        "test_bad_sandbox_id_is_refused_everywhere",
        "test_bad_container_id_is_refused_and_changes_nothing",
    },
    "FalselyDurableDriver": {
        "test_state_survives_reopening_the_store",
        "test_state_is_shared_with_another_process",
    },
    "PrefixLeakDriver": {"test_ids_that_prefix_each_other_stay_apart"},
    "CaseFoldingDriver": {"test_ids_that_differ_only_in_case_stay_apart", "test_ids_are_case_sensitive"},
    "EscapingCollisionDriver": {"test_ids_with_every_punctuation_character_stay_apart"},
    "ShortKeyDriver": {"test_longest_allowed_ids_stay_apart"},
    "TruncatingDriver": {
        "test_sandbox_record_over_a_mebibyte_round_trips_byte_for_byte",
        "test_container_record_over_a_mebibyte_round_trips_byte_for_byte",
    },
    "SlowTimeoutDriver": {"test_lock_timeout_is_honoured_both_ways"},
    "GlobalLockDriver": {"test_locks_of_different_sandboxes_are_independent"},
    "TornSaveDriver": {"test_load_during_saves_sees_one_whole_state"},
    "WrongNotFoundDriver": {"test_basic_not_found"},
    "LockNeverReleasedDriver": {"test_lock_is_free_after_release", "test_waiter_gets_the_lock_when_it_is_released"},
}

#: The promise of issue 13: on a broken driver the whole kit ends within this many seconds (2-core machine).
KIT_SECONDS_ON_A_BROKEN_DRIVER = 90.0
CONTROLS = ("ControlDriver", "FlatControlDriver")

KIT_RUN = """
import pytest

import broken_drivers
from persist_core.testing import DriverConformance


class Kit(DriverConformance):
    pass
"""

KIT_CLASS = """

class Test{name}(Kit):
    @pytest.fixture
    def driver(self):
        return broken_drivers.{name}()
"""


Outcomes = dict[str, dict[str, tuple[str, str, float]]]


def _outcome(case: ET.Element) -> tuple[str, str, float]:
    seconds = float(case.get("time", "0"))
    for kind in ("failure", "error", "skipped"):
        child = case.find(kind)
        if child is not None:
            return ("failed" if kind != "skipped" else "skipped"), child.get("message", ""), seconds
    return "passed", "", seconds


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Driver class name -> kit test name (with parameters) -> (outcome, message, seconds)."""
    workdir = tmp_path_factory.mktemp("kit-run")
    names = [*CONTROLS, *MUST_FAIL]
    (workdir / "test_kit_run.py").write_text(KIT_RUN + "".join(KIT_CLASS.format(name=name) for name in names))
    report = workdir / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSIST_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", "test_kit_run.py", "-q", "-p", "no:cacheprovider"]
    command += ["--hypothesis-seed=0", f"--junitxml={report}"]
    run = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, check=False)
    if not report.exists():
        pytest.fail(f"the kit run produced no report:\n{run.stdout}\n{run.stderr}")
    results: Outcomes = {name: {} for name in names}
    for case in ET.parse(report).getroot().iter("testcase"):
        driver_name = case.get("classname", "").rsplit(".", 1)[-1].removeprefix("Test")
        results[driver_name][case.get("name", "")] = _outcome(case)
    return results


def _by_test(results: dict[str, tuple[str, str, float]]) -> dict[str, set[str]]:
    """Test name without parameters -> the outcomes of its variants."""
    grouped: dict[str, set[str]] = {}
    for name, (outcome, _message, _seconds) in results.items():
        grouped.setdefault(name.split("[", 1)[0], set()).add(outcome)
    return grouped


@pytest.mark.parametrize("driver_name", CONTROLS)
def test_control_driver_passes_the_whole_kit(outcomes: Outcomes, driver_name: str) -> None:
    control = outcomes[driver_name]
    assert len(control) > 50, "the kit run collected too few tests"
    failed = sorted(name for name, (outcome, _, _) in control.items() if outcome == "failed")
    assert not failed, f"the unbroken {driver_name} failed: {failed}"


def test_undeclared_capabilities_are_skipped_with_the_reason(outcomes: Outcomes) -> None:
    control = outcomes["ControlDriver"]
    skipped = {name: message for name, (outcome, message, _) in control.items() if outcome == "skipped"}
    assert "test_exclusive_lock_in_another_process_excludes" in skipped
    assert "test_state_survives_reopening_the_store" in skipped
    for name, message in skipped.items():
        assert "does not declare Capability." in message, f"{name} skipped without saying why: {message!r}"
    # The memory driver declares fault injection, so those tests ran.
    assert outcomes["ControlDriver"]["test_injected_save_failure_leaves_the_old_state"][0] == "passed"


@pytest.mark.parametrize("driver_name", sorted(MUST_FAIL))
def test_broken_driver_fails_the_tests_for_its_flaw(outcomes: Outcomes, driver_name: str) -> None:
    grouped = _by_test(outcomes[driver_name])
    missing = sorted(MUST_FAIL[driver_name] - set(grouped))
    assert not missing, f"kit tests not found in the run: {missing}"
    not_caught = sorted(test for test in MUST_FAIL[driver_name] if grouped[test] != {"failed"})
    assert not not_caught, f"{driver_name} is broken, yet these kit tests did not fail (every variant): {not_caught}"


@pytest.mark.parametrize("driver_name", sorted(MUST_FAIL))
def test_kit_on_a_broken_driver_ends_within_the_bound(outcomes: Outcomes, driver_name: str) -> None:
    """Shrinking is bounded and patience shortened after a hang, so a broken driver fails fast."""
    seconds = sum(case[2] for case in outcomes[driver_name].values())
    slowest = sorted(outcomes[driver_name].items(), key=lambda item: -item[1][2])[:3]
    assert seconds <= KIT_SECONDS_ON_A_BROKEN_DRIVER, (
        f"the kit took {seconds:.0f}s on {driver_name}; slowest: "
        + ", ".join(f"{name} {case[2]:.0f}s" for name, case in slowest)
    )


def test_a_broken_basic_promise_leads_and_its_dependents_say_so(outcomes: Outcomes) -> None:
    """_load raising FileNotFoundError fails one test with one message, not dozens with tracebacks."""
    results = outcomes["WrongNotFoundDriver"]
    failed = {name: message for name, (outcome, message, _) in results.items() if outcome == "failed"}
    assert list(failed) == ["test_basic_not_found"], f"more than the basic promise failed: {sorted(failed)}"
    assert "BASIC PROMISE BROKEN: load() of a sandbox that is not stored" in failed["test_basic_not_found"]
    assert "FileNotFoundError" in failed["test_basic_not_found"]
    dependents = [message for outcome, message, _ in results.values() if outcome == "skipped"]
    waiting = [message for message in dependents if "depends on a basic promise this driver breaks" in message]
    assert len(waiting) > 50, f"only {len(waiting)} tests say they depend on the broken promise"
    assert all("see test_basic_not_found" in message for message in waiting)
    ran = [name for name, (outcome, _, _) in results.items() if outcome == "passed"]
    assert "test_exclusive_lock_excludes_everyone" in ran, "tests that need no basic promise must still run"
