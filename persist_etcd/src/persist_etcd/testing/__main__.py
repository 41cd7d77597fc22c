"""``python -m persist_etcd.testing [--members N] [--dir DIR]``: a throwaway etcd on loopback until Ctrl-C.

Prints the endpoints to pass as ``get_driver("etcd", endpoints=...)``; for trying the driver out and for
benchmarks, never for production (one machine, loopback only).
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path

from persist_etcd.testing.server import EtcdCluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m persist_etcd.testing", description=__doc__)
    parser.add_argument("--members", type=int, default=1, help="cluster size (default 1)")
    parser.add_argument("--dir", type=Path, help="data directory (default: a temporary one, removed at exit)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="persist-etcd-") as scratch:
        cluster = EtcdCluster(args.dir or Path(scratch), args.members).start()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(",".join(cluster.endpoints), flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
