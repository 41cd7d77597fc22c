"""The "sqlite" driver: sandbox and container records as rows of one SQLite database.

A save is one transaction (sandbox row, its container rows replaced as a whole), so a crash leaves
the previous or the new state. WAL mode lets loads read a consistent snapshot while another process
saves, and ``synchronous=FULL`` makes a committed save survive a power cut.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from persist_core import Capability, PersistDriver, Record, StoredSandbox
from persist_core.errors import InvalidArgumentError, SandboxNotFoundError, StorageError
from persist_sqlite import locks

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandboxes (
    id TEXT PRIMARY KEY,
    record BLOB NOT NULL,
    modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS containers (
    sandbox_id TEXT NOT NULL,
    id TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (sandbox_id, id)
);
"""

#: Seconds a writer waits for another process's write transaction before reporting a StorageError.
BUSY_TIMEOUT = 30.0


class SqliteDriver(PersistDriver):
    """State in the SQLite file ``path``; locks in the directory ``<path>.locks``."""

    name = "sqlite"
    capabilities = frozenset({Capability.CROSS_PROCESS_LOCKS, Capability.DURABLE})

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise InvalidArgumentError(f"sqlite driver: path must name a database file, got {path!r}")
        self._path = Path(path)
        self._lock_dir = self._path.with_name(self._path.name + ".locks")
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file: readers never wait for a writer
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot set up the database {self._path}: {exc}") from exc
        finally:
            db.close()

    @property
    def options(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT, isolation_level=None)
            db.execute("PRAGMA synchronous=FULL")  # a save that returned survives a power cut
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {self._path}: {exc}") from exc
        return db

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One connection per call: connections are cheap, and this way no thread or fork shares one."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StorageError(f"database {self._path}: {exc}") from exc
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _location(self, sandbox_id: str, container_id: str | None = None) -> str:
        table = "sandboxes" if container_id is None else "containers"
        key = sandbox_id if container_id is None else f"{sandbox_id}/{container_id}"
        return f"{self._path}#{table}/{key}"

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        with self._transaction(write=True) as db:
            db.execute(
                "INSERT INTO sandboxes (id, record, modified) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET record = excluded.record, modified = excluded.modified",
                (sandbox_id, sandbox, time.time()),
            )
            db.execute("DELETE FROM containers WHERE sandbox_id = ?", (sandbox_id,))
            db.executemany(
                "INSERT INTO containers (sandbox_id, id, record) VALUES (?, ?, ?)",
                [(sandbox_id, cid, data) for cid, data in containers.items()],
            )

    def _load(self, sandbox_id: str) -> StoredSandbox:
        with self._transaction(write=False) as db:
            row = db.execute("SELECT record FROM sandboxes WHERE id = ?", (sandbox_id,)).fetchone()
            rows = db.execute("SELECT id, record FROM containers WHERE sandbox_id = ?", (sandbox_id,)).fetchall()
        if row is None:
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored in {self._path}")
        return StoredSandbox(
            sandbox=Record(bytes(row[0]), self._location(sandbox_id)),
            containers={cid: Record(bytes(data), self._location(sandbox_id, cid)) for cid, data in rows},
        )

    def _destroy(self, sandbox_id: str) -> None:
        with self._transaction(write=True) as db:
            db.execute("DELETE FROM containers WHERE sandbox_id = ?", (sandbox_id,))
            db.execute("DELETE FROM sandboxes WHERE id = ?", (sandbox_id,))

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Callable[[], None]:
        return locks.acquire(self._lock_dir, sandbox_id, exclusive, timeout)

    def _sandbox_ids(self) -> Iterable[str]:
        with self._transaction(write=False) as db:
            return [sandbox_id for (sandbox_id,) in db.execute("SELECT id FROM sandboxes")]

    def last_modified(self, sandbox_id: str) -> float | None:
        super().last_modified(sandbox_id)
        with self._transaction(write=False) as db:
            row = db.execute("SELECT modified FROM sandboxes WHERE id = ?", (sandbox_id,)).fetchone()
        return None if row is None else float(row[0])
