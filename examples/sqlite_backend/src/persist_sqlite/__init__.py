"""An example persist backend: every sandbox and container record in one SQLite database file."""

from persist_sqlite.driver import SqliteDriver

__all__ = ["SqliteDriver"]
