"""Every error persist raises on purpose; all derive from PersistError.

Where a builtin category fits, the error is also that builtin, so ``except LookupError`` keeps working.
"""

from __future__ import annotations


class PersistError(Exception):
    """Base class of every error raised by persist and its drivers."""


class DriverNotFoundError(PersistError, LookupError):
    """No driver is installed or registered under the requested name."""


class DriverLoadError(PersistError):
    """A driver plugin failed to import or to construct; the cause is chained."""


class SandboxNotFoundError(PersistError, LookupError):
    """The store holds no state for this sandbox."""


class InvalidIdError(PersistError, ValueError):
    """A sandbox or container ID that could escape or confuse a storage layout."""


class InvalidArgumentError(PersistError, ValueError):
    """An argument other than an ID is malformed (a negative timeout, a container map that is not one)."""


class LockTimeoutError(PersistError, TimeoutError):
    """The lock was not granted within the timeout."""


class LockLostError(PersistError):
    """A lock this driver held was taken away (its lease expired during a pause or partition).

    The save or destroy that raises it stored nothing: another holder may have changed the sandbox since.
    """


class CorruptStateError(PersistError):
    """Stored state is not valid JSON or does not have kata's types; the message names the record."""


class MisfiledStateError(CorruptStateError):
    """A sandbox record names another sandbox (its SandboxContainer is not the ID it is stored under)."""


class UnsupportedVersionError(PersistError):
    """Stored state carries a PersistVersion newer than this library understands."""


class EncodeError(PersistError, ValueError):
    """An object cannot be written as kata's JSON (wrong type, out of Go's range); nothing was stored."""


class StorageError(PersistError):
    """The backend failed (disk full, I/O error, permission, unreachable server); the cause is chained."""


class BackendUnavailableError(StorageError):
    """The backend could not be reached within its timeout."""
