"""The rootlessfs driver's root: $XDG_RUNTIME_DIR/run/vc, /run/user/<uid>/run/vc with a warning, or root=."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from fs_helpers import STATE_A, encode, loaded

from persist_core import get_driver
from persist_core.errors import InvalidArgumentError
from persist_fs import FsDriver, RootlessFsDriver


def test_root_under_xdg_runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    driver = get_driver("rootlessfs")
    assert isinstance(driver, RootlessFsDriver)
    assert driver.root == str(tmp_path / "run" / "vc")
    assert driver.run_storage_path == str(tmp_path / "run" / "vc" / "sbs")
    assert not (tmp_path / "run").exists(), "constructing a driver must not create its root"


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_without_xdg_runtime_dir_the_user_run_dir_is_used_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    else:
        monkeypatch.setenv("XDG_RUNTIME_DIR", value)
    with caplog.at_level(logging.WARNING, logger="persist_fs"):
        driver = RootlessFsDriver()
    expected = f"/run/user/{os.getuid()}/run/vc"
    assert driver.root == expected
    assert any(
        "XDG_RUNTIME_DIR" in record.getMessage() and expected in record.getMessage() for record in caplog.records
    )


def test_root_option_overrides_both_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    assert RootlessFsDriver(root=tmp_path / "mine").root == str(tmp_path / "mine")
    assert FsDriver(root=tmp_path / "mine").root == str(tmp_path / "mine")
    assert FsDriver().root == "/run/vc"


def test_options_reopen_the_same_store_whatever_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "first"))
    driver = RootlessFsDriver()
    driver.save(*STATE_A)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "second"))
    reopened = get_driver("rootlessfs", **driver.options)
    assert loaded(reopened) == encode(STATE_A)


def test_bad_root_option_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="root"):
        FsDriver(root="")
    with pytest.raises(InvalidArgumentError, match="root"):
        FsDriver(root=42)  # type: ignore[arg-type]
