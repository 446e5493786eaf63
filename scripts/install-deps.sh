#!/usr/bin/env bash
# Installs what building, testing and the demo need: Debian's -dev packages, and the pinned Python tools in .venv
# (a virtual environment of Debian's python3: its system interpreter refuses pip installs, PEP 668).
# Idempotent; run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config git curl systemd util-linux openssl nghttp2-server docker-registry apache2-utils postgresql strace prometheus python3 python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Makefile puts .venv/bin first on PATH, so every `python3` of the tests, the demo and the benchmarks is this one.
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
if [ ! -x .venv/bin/python3 ]; then
  echo "creating .venv with $PY"
  "$PY" -m venv .venv
fi
for req in tests/requirements.txt tools/awssim/requirements.txt; do
  if [ -f "$req" ]; then
    .venv/bin/python3 -m pip install -q --disable-pip-version-check -r "$req"
  fi
done

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: the Swift 6 toolchain is not installed (expected 'swift' on PATH or /opt/swift/usr/bin)" >&2
    exit 1
  fi
fi
