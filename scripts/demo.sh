#!/usr/bin/env bash
# The main job on embedded defaults: simulated county -> ingest -> features -> model -> server with the
# caseworker page on http://127.0.0.1:8000 (demo accounts are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv-path.sh
bash scripts/install.sh
exec uv run --frozen shouhu demo "$@"
