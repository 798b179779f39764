#!/usr/bin/env bash
# The test command: installs what the tests need, then runs pytest. Extra arguments go to pytest
# (e.g. `bash scripts/test.sh -m db` for the service-database tests only). The run fails when it changed a
# file of the checkout (tests/conftest.py compares `git status` before and after).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv-path.sh
bash scripts/install.sh --browser
exec uv run --frozen pytest "$@"
