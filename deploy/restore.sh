#!/usr/bin/env bash
# Restores a backup made by backup.sh into the paths the environment's SHOUHU_* settings name, then brings
# the schema to the code's version. Stop the service and timers first:
#   systemctl stop shouhu-web shouhu-monthly.timer shouhu-monitor.timer
#   deploy/restore.sh /srv/shouhu/backups/20270103T010000Z
#   systemctl start shouhu-web shouhu-monthly.timer shouhu-monitor.timer
set -euo pipefail
src="${1:?usage: restore.sh BACKUP_FOLDER}"
data="${SHOUHU_DATA_DIR:-data}"
warehouse="${SHOUHU_WAREHOUSE:-$data/warehouse.duckdb}"
mlruns="${SHOUHU_MLFLOW_ARTIFACT_ROOT:-mlruns}"
url="${SHOUHU_DATABASE_URL:-sqlite:///$data/shouhu.db}"
shouhu="${SHOUHU_BIN:-shouhu}"
(cd "$src" && sha256sum --quiet -c SHA256SUMS)
case "$url" in
  postgresql*)
    pg_restore --clean --if-exists --no-owner --dbname="$(echo "$url" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')" "$src/service.pgdump"
    ;;
  sqlite:///*)
    mkdir -p "$(dirname "${url#sqlite:///}")"
    cp -- "$src/service.db" "${url#sqlite:///}"
    rm -f -- "${url#sqlite:///}-wal" "${url#sqlite:///}-shm"
    ;;
esac
if [ -f "$src/warehouse.duckdb" ]; then mkdir -p "$(dirname "$warehouse")"; cp -- "$src/warehouse.duckdb" "$warehouse"; fi
if [ -f "$src/mlruns.tar.gz" ]; then
  mkdir -p "$(dirname "$mlruns")"
  rm -rf -- "$mlruns"
  tar -xzf "$src/mlruns.tar.gz" -C "$(dirname "$mlruns")"
fi
"$shouhu" db upgrade  # a backup from an older version: migrations bring it to this code's schema
echo "restored $src"
