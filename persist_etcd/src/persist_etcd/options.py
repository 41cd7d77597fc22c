"""The etcd driver's options, checked once so that a typo fails at ``get_driver`` and not mid-save.

``EtcdOptions.as_dict()`` is what ``driver.options`` returns: plain JSON-able values with which
``get_driver("etcd", **options)`` in another process reaches the same store.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Sequence
from typing import Any

import attrs

from persist_core.caches import DEFAULT_CACHE_BYTES, check_cache_bytes
from persist_core.errors import InvalidArgumentError

DEFAULT_ENDPOINT = "http://127.0.0.1:2379"
DEFAULT_PREFIX = "/persist"
DEFAULT_LOCK_TTL = 10
DEFAULT_TIMEOUT = 5.0
#: etcd's own defaults for ``--max-request-bytes`` and ``--max-txn-ops``: how big one request may be.
DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024
DEFAULT_MAX_TXN_OPS = 128


def parse_endpoints(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"host:port"`` or ``"http(s)://host:port"`` items, as a list or one comma-separated string."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise InvalidArgumentError(f"etcd endpoints must be a list or a comma-separated string, got {value!r}")
    endpoints = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidArgumentError(f"etcd endpoint must be a non-empty string such as 127.0.0.1:2379, got {item!r}")
        text = item.strip()
        url = urllib.parse.urlsplit(text if "://" in text else f"http://{text}")
        try:
            port = url.port
        except ValueError:
            port = None
        if url.scheme not in ("http", "https") or not url.hostname or port is None or url.path not in ("", "/"):
            raise InvalidArgumentError(
                f"etcd endpoint {text!r} is not of the form [http[s]://]host:port (for example 127.0.0.1:2379)"
            )
        host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
        endpoints.append(f"{url.scheme}://{host}:{port}")
    if not endpoints:
        raise InvalidArgumentError("etcd endpoints must name at least one host:port")
    return tuple(dict.fromkeys(endpoints))


def parse_prefix(value: str) -> str:
    """The key prefix without its trailing slash ("" for "/"); printable ASCII so key ranges stay simple.

    ":" is refused because the driver ends the prefix with it (see keys.Layout): that is what keeps
    stores on nested prefixes such as /p and /p/sbs/t out of each other's key ranges.
    """
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidArgumentError(f"etcd key prefix must be a string starting with '/', got {value!r}")
    if not all("!" <= char <= "~" for char in value) or ":" in value:
        raise InvalidArgumentError(f"etcd key prefix must be printable ASCII without spaces or ':', got {value!r}")
    return value.rstrip("/")


def _positive_number(value: Any, what: str) -> float:
    """A number of seconds > 0; a numeric string counts too, since ``persist -o timeout=2`` passes strings."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or math.isnan(number) or number <= 0:
        raise InvalidArgumentError(f"etcd {what} must be a number > 0 seconds, got {value!r}")
    return float(number)


def _lock_ttl(value: Any) -> int:
    seconds = _positive_number(value, "lock_ttl")
    if seconds != int(seconds):
        raise InvalidArgumentError(f"etcd lock_ttl is whole seconds (etcd lease TTLs are), got {value!r}")
    return int(seconds)


def _count(value: Any, what: str, minimum: int) -> int:
    """A whole number >= ``minimum``; numeric strings count too (``persist -o max_txn_ops=1024``)."""
    number = value
    if isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int) or number < minimum:
        raise InvalidArgumentError(f"etcd {what} must be a whole number >= {minimum}, got {value!r}")
    return number


def _optional_str(value: Any, what: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidArgumentError(f"etcd {what} must be a non-empty string, got {value!r}")
    return value


@attrs.frozen(kw_only=True)
class EtcdOptions:
    """Validated, normalised driver options."""

    endpoints: tuple[str, ...]
    prefix: str
    lock_ttl: int
    timeout: float
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_txn_ops: int = DEFAULT_MAX_TXN_OPS
    cache_bytes: int = DEFAULT_CACHE_BYTES
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    user: str | None = None
    password: str | None = None
    password_file: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        endpoints: str | Sequence[str] = DEFAULT_ENDPOINT,
        prefix: str = DEFAULT_PREFIX,
        lock_ttl: int | str = DEFAULT_LOCK_TTL,
        timeout: float | str = DEFAULT_TIMEOUT,
        max_request_bytes: int | str = DEFAULT_MAX_REQUEST_BYTES,
        max_txn_ops: int | str = DEFAULT_MAX_TXN_OPS,
        cache_bytes: int | str | None = None,
        ca_cert: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        user: str | None = None,
        password: str | None = None,
        password_file: str | None = None,
    ) -> EtcdOptions:
        if (client_cert is None) != (client_key is None):
            raise InvalidArgumentError("etcd client_cert and client_key go together: give both or neither")
        if password is not None and password_file is not None:
            raise InvalidArgumentError("give etcd password or password_file, not both")
        if (user is None) != (password is None and password_file is None):
            raise InvalidArgumentError("etcd user and password (or password_file) go together: give both or neither")
        return cls(
            endpoints=parse_endpoints(endpoints),
            prefix=parse_prefix(prefix),
            lock_ttl=_lock_ttl(lock_ttl),
            timeout=_positive_number(timeout, "timeout"),
            # Below these a save of one record and its bookkeeping could not be split into requests.
            max_request_bytes=_count(max_request_bytes, "max_request_bytes", 64 * 1024),
            max_txn_ops=_count(max_txn_ops, "max_txn_ops", 8),
            cache_bytes=DEFAULT_CACHE_BYTES if cache_bytes is None else check_cache_bytes(cache_bytes),
            ca_cert=_optional_str(ca_cert, "ca_cert"),
            client_cert=_optional_str(client_cert, "client_cert"),
            client_key=_optional_str(client_key, "client_key"),
            user=_optional_str(user, "user"),
            password=_optional_str(password, "password"),
            password_file=_optional_str(password_file, "password_file"),
        )

    def secret(self) -> str | None:
        """The password, read from ``password_file`` when given (so it stays out of ``options``)."""
        if self.password_file is None:
            return self.password
        try:
            with open(self.password_file, encoding="utf-8") as file:
                return file.read().rstrip("\r\n")
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read etcd password_file {self.password_file!r}: {exc}") from exc

    def as_dict(self) -> dict[str, Any]:
        """Keyword options that re-open the same store; unset TLS and auth options are left out."""
        options: dict[str, Any] = {
            "endpoints": list(self.endpoints),
            "prefix": self.prefix or "/",
            "lock_ttl": self.lock_ttl,
            "timeout": self.timeout,
            "cache_bytes": self.cache_bytes,
        }
        for name, default in (
            ("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES),
            ("max_txn_ops", DEFAULT_MAX_TXN_OPS),
        ):
            if getattr(self, name) != default:
                options[name] = getattr(self, name)
        for name in ("ca_cert", "client_cert", "client_key", "user", "password", "password_file"):
            value = getattr(self, name)
            if value is not None:
                options[name] = value
        return options
