#!/usr/bin/env bash
# The test command: installs what the tests need, then runs pytest. Extra arguments go to pytest
# (e.g. `bash scripts/test.sh -m db` for the service-database tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv-path.sh
bash scripts/install.sh --browser
exec uv run --frozen pytest "$@"
