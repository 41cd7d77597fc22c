#!/usr/bin/env bash
# Installs the etcd server that tests/etcd and the benchmarks start on loopback (Debian's etcd-server,
# etcd 3.4 on bookworm). Idempotent; needs root and apt. The tests start and stop their own members on
# free 127.0.0.1 ports in temporary directories, so no etcd service has to run.
set -euo pipefail

# openssl makes the certificates for the TLS test (it skips, visibly, without it).
missing=()
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The package may enable a system etcd on 127.0.0.1:2379. The tests never use it; stop it where systemd
# runs so that it does not compete for the CPU (in containers invoke-rc.d already kept it from starting).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl disable --now etcd || true
fi

# The whole output is taken before its first line is printed: piping into `head -n 1` let head exit while etcd
# was still writing, and etcd's SIGPIPE (141) failed this script under pipefail about once in 30 runs.
version=$("$(command -v etcd || echo /usr/bin/etcd)" --version)
echo "${version%%$'\n'*}"
