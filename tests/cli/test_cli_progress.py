"""The progress bar: on stderr, only on a terminal and only once a copy has run for a while."""

from __future__ import annotations

import io
from pathlib import Path

from cli_helpers import FS, PersistCli, fs

from persist_core.cli.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_auto_waits_for_a_long_copy_on_a_terminal() -> None:
    stream, clock = _Terminal(), _Clock()
    with ProgressBar(40, label="copying", stream=stream, clock=clock, delay=0.5) as bar:
        bar.update(1, "first")
        assert stream.getvalue() == ""  # a short copy never shows a bar
        clock.now += 0.6
        bar.update(10, "sbx-10")
        # 10 done in 0.6 s: 16.7 per second, the other 30 in 1.8 s
        assert stream.getvalue().endswith("copying [######..................] 10/40 25% 17/s 0:02 left sbx-10")
        bar.update(11, "sbx-11")  # within the redraw interval: not redrawn
        assert "11/40" not in stream.getvalue()
        clock.now += 0.2
        bar.update(40)
        assert stream.getvalue().endswith("[########################] 40/40 100% 50/s 0:00 left ")
    assert stream.getvalue().endswith("\r\x1b[K")  # erased when done


def test_auto_never_draws_on_a_pipe_and_never_means_never() -> None:
    for stream, mode in ((io.StringIO(), "auto"), (_Terminal(), "never")):
        clock = _Clock()
        with ProgressBar(3, label="copying", stream=stream, clock=clock, mode=mode) as bar:
            clock.now += 60
            bar.update(2, "x")
        assert stream.getvalue() == ""


def test_the_command_keeps_pipes_clean_and_draws_when_asked(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    quiet = persist(*fs(kata_root), "copy", "--to", FS, "-O", f"root={tmp_path / 'a'}")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    shown = persist(*fs(kata_root), "copy", "--progress", "always", "--to", FS, "-O", f"root={tmp_path / 'b'}")
    assert shown.returncode == 0, shown.stderr
    assert "copying [" in shown.stderr
    assert "0/2 0% 7a0c4b2d91f6" in shown.stderr
    assert shown.stderr.endswith("\r\x1b[K")
    assert "\x1b" not in shown.stdout  # results stay clean for scripts
