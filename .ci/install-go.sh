#!/usr/bin/env bash
# Installs Debian's Go toolchain (golang-go), with which the tests compare persist with Go's own behaviour
# (times, JSON, foreign structures) and the benchmarks run kata's Go driver side by side. Those tests
# skip, saying why, where Go is missing; CI installs it so that they run. Idempotent; needs root and apt.
set -euo pipefail
if command -v go >/dev/null 2>&1; then
    go version
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends golang-go >/dev/null
go version
