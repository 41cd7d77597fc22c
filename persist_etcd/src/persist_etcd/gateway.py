"""Talking to an etcd cluster through its v3 JSON gateway, with fail-over and a deadline per operation.

etcd3gw speaks to one member; this module holds one HTTP session per member and moves to the next
member when one is down, between elections or out of quorum, until the operation's time budget is
spent. Then it raises BackendUnavailableError naming every endpoint and why it failed, so an
unreachable cluster is a clear error within the timeout and never a hang.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
import etcd3gw
import requests
from etcd3gw import exceptions as gw_errors
from etcd3gw.lease import Lease

from persist_core.errors import BackendUnavailableError, StorageError
from persist_etcd.keys import range_end
from persist_etcd.options import EtcdOptions

_log = logging.getLogger(__name__)

T = TypeVar("T")

# gRPC status codes that etcd uses for "try again, maybe elsewhere": no leader, leader changed, request
# timed out (Unavailable, DeadlineExceeded), too many requests (ResourceExhausted), and Aborted.
_RETRY_CODES = frozenset({4, 8, 10, 14})
_UNAUTHENTICATED = 16
# Member down or unreachable (connection refused, timed out, 503/504) or a gateway-side failure (500).
_TRANSIENT = (gw_errors.ConnectionFailedError, gw_errors.ConnectionTimeoutError, gw_errors.InternalServerError)
_NOT_FOUND = 5


class _Retry(Exception):
    """An endpoint failed in a way another endpoint (or a later try) may not."""


class NotFound(StorageError):
    """etcd answered "not found" (a lease that expired or was revoked)."""


class RequestTooLarge(StorageError):
    """etcd refused a request as larger than it accepts; no member will take it, so it is never retried."""


def _too_large(code: int | None, message: str) -> bool:
    # etcd's own check (--max-request-bytes) answers "request is too large"; gRPC's, for requests past
    # that limit plus its framing allowance, "received message larger than max (N vs. M)".
    return "request is too large" in message or (code == 8 and "larger than max" in message)


@attrs.define
class _Endpoint:
    url: str
    host: str
    port: int
    protocol: str
    session: requests.Session
    api_path: str | None = None
    token_lock: threading.Lock = attrs.field(factory=threading.Lock)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what led to it: etcd3gw re-raises requests' errors as text, the original is the context."""
    cause: BaseException | None = exc
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _wire_reason(exc: BaseException) -> str | None:
    """What went wrong on the wire, if ``exc`` is one of the failures worth naming in a few words."""
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {exc}"[:300]
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return None


def _etcd_reason(exc: BaseException) -> str | None:
    """etcd's own words, from the gateway's JSON answer (or the answer itself when it is not JSON)."""
    detail = getattr(exc, "detail_text", None)
    if not detail:
        return None
    try:
        parsed = json.loads(detail)
    except ValueError:
        return str(detail)[:300]
    if isinstance(parsed, dict):
        return str(parsed.get("message") or parsed.get("error") or detail)[:300]
    return None


def _message(exc: BaseException) -> str:
    """A short reason: what went wrong on the wire if that is known, else etcd's own words, else the text."""
    for cause in _causes(exc):
        reason = _wire_reason(cause)
        if reason is not None:
            return reason
    reason = _etcd_reason(exc)
    if reason is not None:
        return reason
    text = str(exc)
    return "connection refused" if "Connection refused" in text else (text or type(exc).__name__)[:300]


def _grpc_code(exc: BaseException) -> int | None:
    try:
        parsed = json.loads(getattr(exc, "detail_text", None) or "")
    except ValueError:
        return None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    return code if isinstance(code, int) else None


def b64(data: str | bytes) -> str:
    """etcd's JSON gateway carries keys and values as base64 (our keys are ASCII, see parse_prefix)."""
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class Gateway:
    """Operations on one etcd cluster, each bounded by ``options.timeout`` seconds in total."""

    def __init__(self, options: EtcdOptions) -> None:
        self.options = options
        self._password = options.secret()  # read once: a password_file that vanishes later does no harm
        self._endpoints = [self._endpoint(url) for url in options.endpoints]
        self._preferred = 0
        self._guard = threading.Lock()

    def _endpoint(self, url: str) -> _Endpoint:
        parts = urllib.parse.urlsplit(url)
        session = requests.Session()
        # The options alone decide where requests go and whom they trust: requests would otherwise let
        # $REQUESTS_CA_BUNDLE override ca_cert, and send etcd traffic through $HTTP_PROXY.
        session.trust_env = False
        if self.options.ca_cert is not None:
            session.verify = self.options.ca_cert
        if self.options.client_cert is not None and self.options.client_key is not None:
            session.cert = (self.options.client_cert, self.options.client_key)
        host, port = parts.hostname, parts.port
        if host is None or port is None:  # parse_endpoints let it through: a bug here, not bad input
            raise AssertionError(f"unparsed etcd endpoint {url!r}")
        return _Endpoint(url=url, host=host, port=port, protocol=parts.scheme, session=session)

    def close(self) -> None:
        for endpoint in self._endpoints:
            endpoint.session.close()

    @property
    def endpoints(self) -> list[str]:
        return [endpoint.url for endpoint in self._endpoints]

    # -- the fail-over loop ---------------------------------------------------------------------------

    def _client(self, endpoint: _Endpoint, timeout: float) -> etcd3gw.Etcd3Client:
        # A client object is only a URL, a timeout and the endpoint's shared session: making one per
        # attempt gives each thread its own timeout without locking.
        client = etcd3gw.Etcd3Client(
            host=endpoint.host,
            port=endpoint.port,
            protocol=endpoint.protocol,
            timeout=timeout,
            api_path=endpoint.api_path,
            session=endpoint.session,
        )
        if endpoint.api_path is None:
            endpoint.api_path = client.api_path  # discovered once per member: /v3/ on etcd >= 3.4
        if self.options.user is not None and "Authorization" not in endpoint.session.headers:
            self._authenticate(endpoint, client)
        return client

    def _authenticate(self, endpoint: _Endpoint, client: etcd3gw.Etcd3Client) -> None:
        with endpoint.token_lock:
            result = client.post(
                client.get_url("/auth/authenticate"),
                json={"name": self.options.user, "password": self._password},
            )
            endpoint.session.headers["Authorization"] = str(result["token"])

    def _attempt(self, endpoint: _Endpoint, timeout: float, request: Callable[[etcd3gw.Etcd3Client], T]) -> T:
        try:
            return request(self._client(endpoint, timeout))
        except (
            gw_errors.ConnectionFailedError,
            gw_errors.ConnectionTimeoutError,
            gw_errors.InternalServerError,
        ) as exc:
            raise _Retry(_message(exc)) from exc
        except requests.RequestException as exc:  # streaming reads and anything etcd3gw lets through
            raise _Retry(_message(exc)) from exc
        except gw_errors.Etcd3Exception as exc:
            code = _grpc_code(exc)
            if _too_large(code, _message(exc)):
                raise RequestTooLarge(f"etcd at {endpoint.url}: {_message(exc)}") from exc
            if code == _UNAUTHENTICATED and self.options.user is not None:
                endpoint.session.headers.pop("Authorization", None)  # token expired: log in again, retry
                raise _Retry(_message(exc)) from exc
            if code in _RETRY_CODES:
                raise _Retry(_message(exc)) from exc
            if code == _NOT_FOUND:
                raise NotFound(f"etcd at {endpoint.url}: {_message(exc)}") from exc
            raise StorageError(f"etcd at {endpoint.url} refused the request: {_message(exc)}") from exc
        except ValueError as exc:  # a body that is not JSON: something else listens there
            raise StorageError(f"{endpoint.url} did not answer like an etcd v3 gateway: {exc}") from exc

    def call(self, what: str, request: Callable[[etcd3gw.Etcd3Client], T]) -> T:
        """Run ``request`` on the first member that can answer, within ``options.timeout`` seconds.

        ``what`` names the operation in the error raised when no member answered in time.
        """
        budget = self.options.timeout
        deadline = time.monotonic() + budget
        failures: dict[str, str] = {}
        pause = 0.05
        while True:
            with self._guard:
                start = self._preferred
            count = len(self._endpoints)
            for offset in range(count):
                index = (start + offset) % count
                endpoint = self._endpoints[index]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Share what is left among the members not yet tried, so that one member that accepts
                # but never answers (no quorum) cannot use up the whole budget alone.
                timeout = max(remaining / (count - offset), min(remaining, 0.5))
                try:
                    result = self._attempt(endpoint, timeout, request)
                except _Retry as exc:
                    failures[endpoint.url] = str(exc)
                    _log.debug("etcd %s failed for %s: %s", endpoint.url, what, exc)
                    continue
                with self._guard:
                    self._preferred = index
                return result
            if time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        detail = "; ".join(f"{url}: {failures.get(url, 'not tried before the deadline')}" for url in self.endpoints)
        raise BackendUnavailableError(f"etcd cluster unavailable: {what} failed within {budget:g}s ({detail})")

    # -- the requests the driver makes ------------------------------------------------------------

    def range(self, what: str, key: str, *, prefix: bool, keys_only: bool = False) -> list[tuple[str, bytes, int]]:
        """(key, value, mod_revision) of ``key`` or of every key under it, sorted by key."""

        def request(client: etcd3gw.Etcd3Client) -> list[tuple[str, bytes, int]]:
            payload: dict[str, Any] = {"key": b64(key)}
            if prefix:
                payload["range_end"] = b64(range_end(key))
            if keys_only:
                payload["keys_only"] = True
            result = client.post(client.get_url("/kv/range"), json=payload)
            return parse_kvs(result)

        return self.call(what, request)

    def txn(self, what: str, body: dict[str, Any]) -> dict[str, Any]:
        """One etcd transaction; the response has ``succeeded`` filled in (the gateway omits false)."""

        def request(client: etcd3gw.Etcd3Client) -> dict[str, Any]:
            result: dict[str, Any] = dict(client.transaction(body))
            result["succeeded"] = bool(result.get("succeeded", False))
            return result

        return self.call(what, request)

    def delete_prefix(self, what: str, key: str) -> None:
        self.call(what, lambda client: client.delete(key, range_end=range_end(key)))

    def grant(self, what: str, ttl: int) -> tuple[int, int]:
        """A new lease: (lease ID, granted TTL, which etcd may raise to its minimum)."""

        def request(client: etcd3gw.Etcd3Client) -> tuple[int, int]:
            result = client.post(client.get_url("/lease/grant"), json={"TTL": ttl, "ID": 0})
            return int(result["ID"]), int(result.get("TTL", ttl))

        return self.call(what, request)

    def keepalive(self, what: str, lease_id: int) -> int:
        """Refresh a lease; its new TTL, or -1 if it has expired."""
        return self.call(what, lambda client: Lease(lease_id, client).refresh())

    def revoke(self, what: str, lease_id: int) -> None:
        """Revoke a lease, deleting its keys; a lease already gone is not an error."""
        with contextlib.suppress(NotFound):
            self.call(what, lambda client: Lease(lease_id, client).revoke())

    def wait_for_delete(self, key: str, start_revision: int, seconds: float) -> None:
        """Return when a key under ``key`` is deleted at or after ``start_revision``, or after ``seconds``.

        Only a wake-up hint: callers re-check the state afterwards, so a missed event costs at most
        ``seconds``, and a failed watch returns at once after a short pause.
        """
        with self._guard:
            endpoint = self._endpoints[self._preferred]
        started = time.monotonic()
        try:
            client = self._client(endpoint, min(seconds, self.options.timeout))
            create: dict[str, Any] = {
                "key": b64(key),
                "range_end": b64(range_end(key)),
                "start_revision": start_revision,
                "filters": ["NOPUT"],
            }
            with endpoint.session.post(
                client.get_url("/watch"),
                json={"create_request": create},
                stream=True,
                timeout=(min(seconds, self.options.timeout), seconds),
            ) as response:
                if response.status_code != requests.codes["ok"]:
                    raise StorageError(f"watch refused: {response.status_code}")
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    result = json.loads(line).get("result", {})
                    if result.get("events") or result.get("canceled"):
                        return
                    if time.monotonic() - started >= seconds:
                        return
        except (requests.RequestException, gw_errors.Etcd3Exception, StorageError, ValueError) as exc:
            _log.debug("etcd watch on %s ended: %s", endpoint.url, exc)
        # The watch ended without an event (member down, stream closed): do not spin.
        elapsed = time.monotonic() - started
        if elapsed < seconds:
            time.sleep(min(0.2, seconds - elapsed))


def parse_kvs(result: dict[str, Any]) -> list[tuple[str, bytes, int]]:
    """(key, value, mod_revision) from a range response; keys decode as latin-1, as etcd3gw encodes them."""
    return [
        (unb64(kv["key"]).decode("latin-1"), unb64(kv.get("value", "")), int(kv.get("mod_revision", 0)))
        for kv in result.get("kvs", [])
    ]
