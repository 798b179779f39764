#!/usr/bin/env bash
# Builds the offline install bundle from the lockfile: a wheelhouse of every locked runtime dependency plus
# Shouhu's own wheel, the deploy/ folder, docs/operations.md and install.sh. Copy the .tar.gz to the county's
# server (no internet needed there) and run install.sh. Build it on the same OS release, CPU architecture and
# Python minor version as the server: the wheels are platform-specific.
#
#   bash deploy/bundle.sh [OUT_DIR]        # default dist/shouhu-bundle → dist/shouhu-bundle.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv-path.sh
out="${1:-dist/shouhu-bundle}"
python="${PYTHON:-python3}"
rm -rf "$out"
mkdir -p "$out/wheelhouse"
# the locked versions of the runtime dependencies (no dev tools), without the project itself
uv export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o "$out/requirements.txt" >/dev/null
uv build --wheel --out-dir "$out/wheelhouse" >/dev/null
# `pip wheel` takes a published wheel where there is one and builds the rest from source, once, here
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -r "$out/requirements.txt" -w "$out/wheelhouse"
cp -r deploy "$out/deploy"
cp docs/operations.md "$out/operations.md"
cat > "$out/install.sh" <<'INSTALL'
#!/usr/bin/env bash
# Installs Shouhu from this bundle into a fresh virtual environment, without any network access.
#   bash install.sh [VENV_DIR]      # default /srv/shouhu/.venv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-/srv/shouhu/.venv}"
python="${PYTHON:-python3}"
(cd "$here/wheelhouse" && sha256sum --quiet -c ../SHA256SUMS)
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
  --find-links "$here/wheelhouse" -r "$here/requirements.txt"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps \
  --find-links "$here/wheelhouse" shouhu
"$venv/bin/shouhu" --help >/dev/null
echo "installed Shouhu into $venv"
INSTALL
chmod +x "$out/install.sh"
(cd "$out/wheelhouse" && sha256sum -- *.whl > ../SHA256SUMS)
tar -czf "$out.tar.gz" -C "$(dirname "$out")" "$(basename "$out")"
echo "bundle: $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1), $(ls "$out/wheelhouse" | wc -l) wheels)"
