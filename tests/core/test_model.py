"""The model classes: what mypy sees of them is what runs (keyword-only fields), and their methods behave as attrs'."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import attrs
import pytest

from persist_core.model import MODEL_CLASSES, ContainerState, Process


def _mypy(tmp_path: Path, source: str) -> tuple[int, str]:
    """Type-check ``source`` strictly on its own, with this project's installed persist_core.

    In a child process: mypy raises the garbage collector's thresholds for its own speed, which in this
    process would leave other tests' drivers (and their open descriptors) uncollected.
    """
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    (tmp_path / "snippet.py").write_text(textwrap.dedent(source))
    command = [sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini")]
    command += ["--cache-dir", str(tmp_path / "cache"), "--strict", "--show-error-codes", str(tmp_path / "snippet.py")]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    return result.returncode, result.stdout + result.stderr


def test_mypy_rejects_a_positional_field_and_types_the_keywords(tmp_path: Path) -> None:
    status, output = _mypy(
        tmp_path,
        """
        import attrs
        from persist_core.model import ContainerState

        positional = ContainerState("running")
        by_keyword: ContainerState = ContainerState(state="running")
        evolved: ContainerState = attrs.evolve(by_keyword, state="stopped")
        wrong_type = ContainerState(state=3)
        """,
    )
    assert status == 1, output
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert len(errors) == 2, output
    assert "snippet.py:5:" in errors[0] and "Too many positional arguments" in errors[0]
    assert "snippet.py:8:" in errors[1] and "[arg-type]" in errors[1]


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_every_field_is_keyword_only_at_run_time(cls: type) -> None:
    assert all(field.kw_only for field in attrs.fields(cls))
    if attrs.fields(cls):
        with pytest.raises(TypeError):
            cls("positional")


def test_equality_repr_and_hash_are_those_of_a_mutable_attrs_class() -> None:
    one = ContainerState(state="running", process=Process(pid=7))
    assert one == ContainerState(state="running", process=Process(pid=7))
    assert one != ContainerState(state="running", process=Process(pid=8))
    assert one != "running"
    assert repr(Process(pid=7, token="t")) == f"Process(start_time={Process().start_time!r}, token='t', pid=7)"
    with pytest.raises(TypeError):
        hash(one)


class _Incomparable:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("cannot compare")

    __hash__ = None  # type: ignore[assignment]


def test_a_traceback_through_the_compiled_eq_shows_its_source() -> None:
    """The model's ``__eq__`` is compiled at run time; its source is registered so a traceback shows the line."""
    left, right = ContainerState(state=_Incomparable()), ContainerState(state=_Incomparable())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError) as caught:
        _ = left == right
    text = "".join(traceback.format_exception(caught.value))
    assert "ContainerState.__eq__" in text
    assert "self.state == other.state" in text
