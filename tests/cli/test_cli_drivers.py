"""``persist drivers``: what is installed, from which distribution, and which plugins are broken."""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points
from pathlib import Path

from cli_helpers import PersistCli, table


def _installed() -> dict[str, tuple[str, str]]:
    """The truth the command must report: entry points of group persist.drivers and their distributions."""
    found = {}
    for entry_point in entry_points(group="persist.drivers"):
        assert entry_point.dist is not None
        found[entry_point.name] = (entry_point.dist.name, entry_point.dist.version)
    return found


def _broken_plugin(site: Path) -> dict[str, str]:
    """An installed distribution whose driver module does not exist: metadata only, as pip would leave it."""
    info = site / "persist_broken_plugin-9.8.7.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: persist-broken-plugin\nVersion: 9.8.7\n")
    (info / "entry_points.txt").write_text("[persist.drivers]\nbroken = persist_no_such_module:Driver\n")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_lists_every_installed_driver_with_distribution_and_version(persist: PersistCli) -> None:
    result = persist("drivers")
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows.pop("DRIVER") == ["DISTRIBUTION", "VERSION", "CAPABILITIES", "STATUS"]
    installed = _installed()
    assert "memory" in installed
    assert {name.rstrip("*").strip() for name in rows} >= set(installed)
    memory = rows["memory"]
    assert memory[:2] == list(installed["memory"])
    assert memory[-1] == "ok"
    assert "fault_injection" in memory[2]


def test_default_driver_is_marked_and_follows_persist_driver(persist: PersistCli) -> None:
    result = persist("drivers", env={"PERSIST_DRIVER": "memory"})
    assert "memory *" in result.stdout
    data = json.loads(persist("drivers", "--json", env={"PERSIST_DRIVER": "memory"}).stdout)
    assert [info["name"] for info in data if info["default"]] == ["memory"]


def test_a_broken_plugin_is_listed_with_its_error_and_the_others_still_are(persist: PersistCli, tmp_path: Path) -> None:
    env = _broken_plugin(tmp_path / "site")
    result = persist("drivers", env=env)
    assert result.returncode == 1  # an operator's script sees that something installed is broken
    assert result.stderr == "persist: error: broken driver plugin: broken (see STATUS above)\n"
    line = next(line for line in result.stdout.splitlines() if line.startswith("broken "))
    assert "persist-broken-plugin" in line
    assert "9.8.7" in line
    assert "broken: ModuleNotFoundError" in line
    assert "persist_no_such_module" in line
    assert table(result.stdout)["memory"][-1] == "ok"

    as_json = persist("drivers", "--json", env=env)
    assert as_json.returncode == 1
    data = {info["name"]: info for info in json.loads(as_json.stdout)}
    assert data["broken"]["distribution"] == "persist-broken-plugin"
    assert "persist_no_such_module" in data["broken"]["error"]
    assert data["memory"]["error"] is None
    assert data["memory"]["version"] == _installed()["memory"][1]


def test_using_a_broken_plugin_is_one_clear_error(persist: PersistCli, tmp_path: Path) -> None:
    result = persist("--driver", "broken", "ls", env=_broken_plugin(tmp_path / "site"))
    assert result.returncode == 1
    assert result.stderr.startswith("persist: error: ")
    assert "'broken'" in result.stderr
    assert "persist_no_such_module" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_with_driver_options_it_also_proves_the_driver_opens(persist: PersistCli) -> None:
    result = persist("drivers", "--driver", "memory", "-o", "namespace=ops")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "memory (namespace=ops): opens"
    bad = persist("drivers", "--driver", "memory", "-o", "colour=blue")
    assert bad.returncode == 1
    assert "colour" in bad.stderr
