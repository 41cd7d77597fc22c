"""Drivers are found by entry point, loaded one at a time, and a broken plugin breaks only itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import persist_core
from persist_core import available_drivers, get_driver, register_driver, unregister_driver
from persist_core.errors import DriverLoadError, DriverNotFoundError, InvalidArgumentError, PersistError
from persist_memory import MemoryDriver


def _plugin_dist(root: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """A minimal installed distribution (dist-info on a sys.path entry) declaring persist drivers."""
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[persist.drivers]\n{lines}\n")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _plugin_dist(
        tmp_path,
        "persist-thirdparty",
        {
            "thirdparty": "tp_good:GoodDriver",
            "tp-missing": "tp_not_installed:Driver",
            "tp-crashes": "tp_crash:CrashingDriver",
            "tp-wrong": "tp_wrong:not_a_driver",
            "tp-picky": "tp_picky:PickyDriver",
            "tp-leaky": "tp_leaky:LeakyDriver",
            "tp-leaky-own": "tp_leaky:LeakyOwnError",
        },
        {
            "tp_good": """
                from persist_memory import MemoryDriver
                class GoodDriver(MemoryDriver):
                    name = "thirdparty"
            """,
            "tp_crash": """
                class CrashingDriver:
                    def __init__(self, **options):
                        raise RuntimeError("cannot reach the database")
            """,
            "tp_wrong": """
                def not_a_driver(**options):
                    return object()
            """,
            "tp_picky": """
                from persist_core.errors import InvalidArgumentError
                def PickyDriver(**options):
                    raise InvalidArgumentError("option 'root' must be absolute")
            """,
            "tp_leaky": """
                from persist_core.errors import InvalidArgumentError
                def LeakyDriver(*, user, password, token):
                    raise RuntimeError(f"cannot log in as {user} with {password} (token {token})")
                def LeakyOwnError(*, password):
                    raise InvalidArgumentError(f"password {password!r} is too short")
            """,
        },
    )
    monkeypatch.syspath_prepend(str(root))
    return root


def test_installed_drivers_are_listed() -> None:
    assert {"fs", "memory", "rootlessfs"} <= set(available_drivers())
    assert available_drivers() == sorted(available_drivers())


def test_listing_imports_no_plugin() -> None:
    code = (
        "import sys, persist_core; names = persist_core.available_drivers(); "
        "print(sorted(m for m in sys.modules if m.startswith(('persist_fs', 'persist_memory', 'persist_etcd'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_getting_one_driver_imports_only_that_plugin() -> None:
    code = (
        "import sys, persist_core; persist_core.get_driver('memory'); "
        "print(sorted(m for m in sys.modules if m.startswith(('persist_fs', 'persist_etcd'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_get_driver_passes_options_and_options_reopen_the_store() -> None:
    driver = get_driver("memory", namespace="registry-test")
    assert isinstance(driver, MemoryDriver)
    assert driver.name == "memory"
    assert driver.options == {"namespace": "registry-test"}
    again = get_driver(driver.name, **driver.options)
    assert again is not driver
    from persist_core.model import SandboxState

    driver.save(SandboxState(sandbox_container="s", persist_version=2), {})
    assert again.sandbox_ids() == ["s"]
    again.destroy("s")


def test_unknown_driver_suggests_installed_names_never_a_package_to_install() -> None:
    with pytest.raises(DriverNotFoundError) as info:
        get_driver("nosuch")
    message = str(info.value)
    assert "'nosuch'" in message and "memory" in message
    assert "pip install" not in message and "persist-nosuch" not in message  # no guessed package to fetch
    assert "did you mean" not in message
    assert isinstance(info.value, LookupError)
    with pytest.raises(DriverNotFoundError, match=r"no persist driver named 'memroy' \(did you mean 'memory'\?\)"):
        get_driver("memroy")


def test_an_unknown_option_names_the_options_the_driver_takes() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        get_driver("memory", namespce="x")
    assert str(info.value) == (
        "persist driver 'memory' has no option 'namespce' (did you mean 'namespace'?); "
        "its options: namespace, cache_bytes"
    )
    with pytest.raises(InvalidArgumentError, match=r"has no option 'colour'; its options: namespace, cache_bytes$"):
        get_driver("memory", colour="blue")


def test_secret_option_values_never_appear_in_load_errors(third_party: Path) -> None:
    with pytest.raises(DriverLoadError) as crashing:
        get_driver("tp-leaky", password="hunter2", token="t0ken-value", user="alice")
    message = str(crashing.value)
    assert "hunter2" not in message and "t0ken-value" not in message
    assert "'password': '***'" in message and "'token': '***'" in message and "'user': 'alice'" in message
    assert "cannot log in as alice with *** " in message  # the cause's own text, masked too
    with pytest.raises(InvalidArgumentError) as own:
        get_driver("tp-leaky-own", password="hunter2")
    assert "hunter2" not in str(own.value) and "***" in str(own.value)


def test_third_party_plugin_is_found_by_entry_point(third_party: Path) -> None:
    assert {"thirdparty", "tp-missing", "tp-crashes"} <= set(available_drivers())
    driver = get_driver("thirdparty")
    assert type(driver).__name__ == "GoodDriver"


def test_broken_plugins_fail_alone_with_the_cause_chained(third_party: Path) -> None:
    with pytest.raises(DriverLoadError, match="'tp-missing' failed to import") as missing:
        get_driver("tp-missing")
    assert isinstance(missing.value.__cause__, ImportError)
    with pytest.raises(DriverLoadError, match="cannot reach the database") as crashing:
        get_driver("tp-crashes")
    assert isinstance(crashing.value.__cause__, RuntimeError)
    with pytest.raises(DriverLoadError, match="not a PersistDriver"):
        get_driver("tp-wrong")
    with pytest.raises(InvalidArgumentError, match="must be absolute"):  # the plugin's own clear error
        get_driver("tp-picky")
    # the broken ones break neither listing nor other drivers
    assert "tp-missing" in available_drivers()
    assert isinstance(get_driver("memory"), MemoryDriver)
    assert get_driver("thirdparty").name == "thirdparty"


def test_registered_factory_wins_over_entry_point_and_can_be_undone() -> None:
    mine = MemoryDriver()
    assert register_driver("memory", lambda **options: mine) is None
    try:
        assert get_driver("memory") is mine
        assert "memory" in available_drivers()
    finally:
        unregister_driver("memory")
    assert get_driver("memory") is not mine


def test_register_returns_the_previous_factory() -> None:
    first = MemoryDriver()

    def factory(**options: object) -> MemoryDriver:
        return first

    register_driver("in-process", factory)
    try:
        assert "in-process" in available_drivers()
        assert register_driver("in-process", MemoryDriver) is factory
        assert isinstance(get_driver("in-process"), MemoryDriver)
    finally:
        unregister_driver("in-process")
    assert "in-process" not in available_drivers()
    with pytest.raises(InvalidArgumentError):
        register_driver("", MemoryDriver)


def test_default_driver_honours_environment_then_privileges(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def recorder(name: str) -> object:
        def factory(**options: object) -> MemoryDriver:
            seen.append(name)
            return MemoryDriver()

        return factory

    for name in ("fs", "rootlessfs", "custom"):
        monkeypatch.setitem(persist_core.registry._registered, name, recorder(name))  # type: ignore[arg-type]
    monkeypatch.setenv("PERSIST_DRIVER", "custom")
    get_driver()
    monkeypatch.delenv("PERSIST_DRIVER")
    monkeypatch.setattr("os.geteuid", lambda: 0)
    get_driver()
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    get_driver()
    assert seen == ["custom", "fs", "rootlessfs"]


def test_every_error_is_a_persist_error() -> None:
    import inspect

    from persist_core import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 10
    assert all(issubclass(c, PersistError) for c in classes)


def test_a_plugin_installed_after_the_first_scan_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runtime that lists drivers, then has a plugin installed into its site directory, finds it next time."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "tp-late" not in available_drivers()
    with pytest.raises(DriverNotFoundError):
        get_driver("tp-late")
    _plugin_dist(
        site,
        "persist-late",
        {"tp-late": "tp_late:LateDriver"},
        {"tp_late": "from persist_memory import MemoryDriver\nclass LateDriver(MemoryDriver):\n    name = 'tp-late'\n"},
    )
    later = site.stat().st_mtime + 2  # an install happens later than the scan: the directory's time moves on
    os.utime(site, (later, later))
    assert "tp-late" in available_drivers()
    assert type(get_driver("tp-late")).__name__ == "LateDriver"


def test_a_failed_import_names_the_entry_point_and_its_distribution(third_party: Path) -> None:
    with pytest.raises(DriverLoadError) as missing:
        get_driver("tp-missing")
    assert str(missing.value) == (
        "persist driver 'tp-missing' failed to import (tp_not_installed:Driver, from persist-thirdparty 1.0): "
        "No module named 'tp_not_installed'"
    )


def test_a_plugin_whose_import_raises_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _plugin_dist(
        tmp_path,
        "persist-explodes",
        {"tp-explodes": "tp_explodes:Driver"},
        {"tp_explodes": "raise OSError('no /dev/kvm')"},
    )
    monkeypatch.syspath_prepend(str(root))
    with pytest.raises(DriverLoadError, match=r"'tp-explodes' failed to import .*: no /dev/kvm$") as info:
        get_driver("tp-explodes")
    assert isinstance(info.value.__cause__, OSError)
    assert "tp-explodes" in available_drivers()
    assert isinstance(get_driver("memory"), MemoryDriver)


def test_two_distributions_providing_one_name_are_refused_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for dist in ("persist-one", "persist-two"):
        module = dist.replace("-", "_")
        _plugin_dist(tmp_path / dist, dist, {"tp-twice": f"{module}:Driver"}, {module: "Driver = None\n"})
        monkeypatch.syspath_prepend(str(tmp_path / dist))
    with pytest.raises(DriverLoadError) as info:
        get_driver("tp-twice")
    message = str(info.value)
    assert message.startswith("more than one installed distribution provides persist driver 'tp-twice': ")
    assert (
        "persist_one:Driver, from persist-one 1.0" in message and "persist_two:Driver, from persist-two 1.0" in message
    )
    assert "persist_one" not in sys.modules and "persist_two" not in sys.modules  # neither was imported
