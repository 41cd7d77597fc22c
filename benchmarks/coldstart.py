"""Cold start: a new interpreter that imports persist and opens a driver, against importing its libraries.

Both run as ``python -c`` in a fresh process, timed from spawn to exit, so the interpreter's own start is
in both and the ratio shows what persist adds on top of attrs, cattrs and importlib.metadata (with which
it finds drivers). Bytecode is cached (in a scratch ``PYTHONPYCACHEPREFIX``, even where
``PYTHONDONTWRITEBYTECODE`` is set), as after ``pip install``, which compiles it: otherwise every start
would compile persist's sources and the figure would measure the compiler.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.operations import COLD, Case
from benchmarks.stores import Store

FLOOR_CODE = "import attrs, cattrs, importlib.metadata"


def driver_code(store: Store) -> str:
    return f"import persist_core; persist_core.get_driver({store.driver_name!r}, **{store.options('cold')!r})"


def environment(pycache: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def python_run(code: str, env: dict[str, str]) -> float:
    """Seconds from spawning ``python -c code`` to its exit; a failure is an error, not a figure."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise RuntimeError(f"python -c {code!r} failed: {result.stderr.decode(errors='replace').strip()}")
    return elapsed


def cold_start(store: Store) -> Case:
    code = driver_code(store)
    env = environment(store.scratch("pycache"))
    python_run(code, env)  # fail early, compile the bytecode, and leave the store's root in place
    python_run(FLOOR_CODE, env)
    return Case(
        store.name,
        COLD,
        None,
        lambda: python_run(code, env),
        lambda: python_run(FLOOR_CODE, env),
        f"python -c {FLOOR_CODE!r}",
        weight=3,
    )
