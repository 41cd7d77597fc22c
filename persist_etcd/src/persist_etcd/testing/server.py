"""Throwaway etcd servers on loopback for tests and benchmarks: one member, or a cluster of several.

Each member listens on 127.0.0.1 only, on free ports, with its data in a directory the caller owns, so
runs never meet a system etcd or each other. Members can be stopped (SIGTERM), killed (SIGKILL) and
restarted on the same ports and data, which is what the fault tests need.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

ETCD_ENV = "PERSIST_ETCD_BINARY"
START_TIMEOUT = 60.0


class EtcdUnavailable(RuntimeError):
    """The etcd binary is missing or a member would not start; tests turn this into a visible skip or failure."""


def find_etcd() -> str | None:
    """The etcd binary: ``$PERSIST_ETCD_BINARY``, else ``etcd`` on PATH, else Debian's /usr/bin/etcd."""
    candidate = os.environ.get(ETCD_ENV) or shutil.which("etcd") or "/usr/bin/etcd"
    return candidate if os.access(candidate, os.X_OK) else None


def _die_with_parent() -> None:
    # Runs in the child before exec: if the test process dies, the kernel stops etcd too, so a crashed
    # test run never leaves servers behind.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    # The port is free now; etcd binds it a moment later. A clash makes the member fail to start, and
    # EtcdCluster.start retries with new ports.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@attrs.frozen
class TlsFiles:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (see ``make_tls_files``)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_args(self) -> list[str]:
        """Client traffic over TLS, and only clients with a certificate from the CA get in."""
        return [
            f"--cert-file={self.server_cert}",
            f"--key-file={self.server_key}",
            f"--trusted-ca-file={self.ca_cert}",
            "--client-cert-auth",
        ]


def make_tls_files(directory: Path, openssl: str = "openssl") -> TlsFiles:
    """Make a throwaway CA and certificates with the openssl command (valid one day, for 127.0.0.1)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(*(directory / name for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")))

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=persist-test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    # etcd's JSON gateway calls etcd's gRPC side with the server certificate, so it must allow client auth.
    for name, usage in (("server", "serverAuth,clientAuth"), ("client", "clientAuth")):
        (directory / f"{name}.ext").write_text(f"subjectAltName=IP:127.0.0.1\nextendedKeyUsage={usage}\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
            "-out", f"{name}.csr")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", f"{name}.ext", "-out", f"{name}.pem")  # fmt: skip
    return files


class EtcdMember:
    """One etcd process of a cluster; ``start``/``stop``/``kill`` keep its ports and data directory."""

    def __init__(self, binary: str, name: str, data_dir: Path, client_port: int, peer_port: int) -> None:
        self.binary = binary
        self.name = name
        self.data_dir = data_dir
        self.client_port = client_port
        self.peer_port = peer_port
        self.initial_cluster = ""
        self.extra_args: list[str] = []
        self.tls: TlsFiles | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def client_url(self) -> str:
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".log")

    def command(self) -> list[str]:
        return [
            self.binary,
            f"--name={self.name}",
            f"--data-dir={self.data_dir}",
            f"--listen-client-urls={self.client_url}",
            f"--advertise-client-urls={self.client_url}",
            f"--listen-peer-urls={self.peer_url}",
            f"--initial-advertise-peer-urls={self.peer_url}",
            f"--initial-cluster={self.initial_cluster}",
            "--initial-cluster-state=new",
            f"--initial-cluster-token=persist-{self.data_dir.parent.name}",
            "--logger=zap",
            "--log-outputs=stderr",
            "--log-level=warn",
            *([] if self.tls is None else self.tls.server_args()),
            *self.extra_args,
        ]

    def start(self) -> None:
        """Start the process (returns at once; ``wait_ready`` waits for it to serve)."""
        if self.running:
            return
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _context(self) -> ssl.SSLContext | None:
        if self.tls is None:
            return None
        context = ssl.create_default_context(cafile=str(self.tls.ca_cert))
        context.load_cert_chain(str(self.tls.client_cert), str(self.tls.client_key))
        return context

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.client_url}/health", timeout=2, context=self._context()) as response:
                return b'"true"' in response.read()
        except (OSError, urllib.error.URLError):
            return False

    def serving(self) -> bool:
        """The member answers HTTP (it may still lack a quorum)."""
        try:
            with urllib.request.urlopen(f"{self.client_url}/version", timeout=2, context=self._context()):
                return True
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process with ``sig`` and wait for it; the data directory stays for a restart."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Crash the member: SIGKILL, no clean shutdown."""
        self.stop(signal.SIGKILL)

    def log_tail(self, limit: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return ""


class EtcdCluster:
    """``size`` members on loopback, started together; ``endpoints`` is what the driver's options take."""

    def __init__(
        self,
        base_dir: Path,
        size: int = 1,
        binary: str | None = None,
        extra_args: Sequence[str] = (),
        tls: TlsFiles | None = None,
    ) -> None:
        found = binary or find_etcd()
        if found is None:
            raise EtcdUnavailable(
                "etcd binary not found (install Debian's etcd-server: apt-get install -y etcd-server, "
                f"or set ${ETCD_ENV})"
            )
        self.binary = found
        self.base_dir = base_dir
        self.size = size
        self.extra_args = list(extra_args)
        self.tls = tls
        self.members: list[EtcdMember] = []

    @property
    def endpoints(self) -> list[str]:
        return [member.client_url for member in self.members]

    def _layout(self, attempt: int) -> None:
        root = self.base_dir / f"cluster{attempt}"
        self.members = [
            EtcdMember(self.binary, f"m{index}", root / f"m{index}", free_port(), free_port())
            for index in range(self.size)
        ]
        initial = ",".join(f"{member.name}={member.peer_url}" for member in self.members)
        for member in self.members:
            member.initial_cluster = initial
            member.extra_args = self.extra_args
            member.tls = self.tls

    def start(self, attempts: int = 3) -> EtcdCluster:
        """Start every member and wait until the cluster serves; retries with fresh ports on a clash."""
        last = ""
        for attempt in range(attempts):
            self._layout(attempt)
            for member in self.members:
                member.start()
            try:
                self.wait_ready()
                return self
            except EtcdUnavailable as exc:
                last = str(exc)
                self.stop()
        raise EtcdUnavailable(f"etcd cluster of {self.size} would not start: {last}")

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every running member reports healthy (it has a leader and serves reads)."""
        deadline = time.monotonic() + timeout
        pending = [member for member in self.members if member.running]
        while pending:
            for member in list(pending):
                if not member.running:
                    raise EtcdUnavailable(f"etcd member {member.name} exited: {member.log_tail()}")
                if member.healthy():
                    pending.remove(member)
            if pending and time.monotonic() > deadline:
                raise EtcdUnavailable(
                    f"etcd members {[m.name for m in pending]} not healthy after {timeout}s: {pending[0].log_tail()}"
                )
            if pending:
                time.sleep(0.1)

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_cluster(base_dir: Path, size: int = 1) -> Iterator[EtcdCluster]:
    """A started cluster of ``size`` members, stopped on exit."""
    with EtcdCluster(base_dir, size) as cluster:
        yield cluster
