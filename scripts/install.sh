#!/usr/bin/env bash
# Installs everything Shouhu needs on a fresh machine that has only Python 3.11+ and pip:
# uv (from PyPI), the locked Python environment (.venv), and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
uv sync --frozen --quiet
# A CJK font too, or the screenshots of the Chinese pages show empty boxes.
if [ "${1:-}" = "--browser" ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; }; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  fi
fi
