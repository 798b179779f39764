#!/usr/bin/env bash
# Installs everything Shouhu needs on a fresh machine that has only Python 3.11+ and pip:
# uv (from PyPI), the locked Python environment (.venv, with the `spark` extra), and, with --browser, Debian's
# chromium and a CJK font for the browser tests and Java for the Spark tests. Other scripts source
# scripts/uv-path.sh to find the uv installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv-path.sh
if ! command -v uv >/dev/null 2>&1; then
  # A Debian system Python refuses plain `pip install` (PEP 668); a per-user install then lands in ~/.local/bin.
  python3 -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages uv
fi
uv sync --frozen --quiet --extra spark
# A CJK font too, or the screenshots of the Chinese pages show empty boxes; Java for the Spark tests.
if [ "${1:-}" = "--browser" ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy \
  || ! command -v java >/dev/null 2>&1; }; then
  sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei \
    openjdk-17-jre-headless >/dev/null
fi
