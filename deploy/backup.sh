#!/usr/bin/env bash
# Backs up the three things a Shouhu server keeps: the service database (accounts, issued lists, decisions,
# audit log, monitoring history), the warehouse (DuckDB) and mlruns (the MLflow registry and models), into
# BACKUP_DIR/<UTC timestamp>/, keeping the newest KEEP (default 14). Reads /etc/shouhu/shouhu.env's settings
# from the environment. The warehouse is copied while no ingest runs (the monthly job is checked first).
#   deploy/backup.sh /srv/shouhu/backups
set -euo pipefail
dest_root="${1:?usage: backup.sh BACKUP_DIR}"
keep="${KEEP:-14}"
data="${SHOUHU_DATA_DIR:-data}"
warehouse="${SHOUHU_WAREHOUSE:-$data/warehouse.duckdb}"
mlruns="${SHOUHU_MLFLOW_ARTIFACT_ROOT:-mlruns}"
url="${SHOUHU_DATABASE_URL:-sqlite:///$data/shouhu.db}"
python="${PYTHON:-python3}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dest="$dest_root/$stamp"
mkdir -p "$dest"
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet shouhu-monthly.service; then
  echo "the monthly job is running: backup postponed" >&2
  exit 75
fi
case "$url" in
  postgresql*)
    # pg_dump wants a libpq URL: drop SQLAlchemy's driver suffix
    pg_dump --format=custom --file="$dest/service.pgdump" "$(echo "$url" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')"
    ;;
  sqlite:///*)
    "$python" - "${url#sqlite:///}" "$dest/service.db" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)  # a consistent copy even while the service writes
dst.close(); src.close()
PY
    ;;
  *) echo "unknown SHOUHU_DATABASE_URL scheme: $url" >&2; exit 2 ;;
esac
[ -f "$warehouse" ] && cp -- "$warehouse" "$dest/warehouse.duckdb"
[ -d "$mlruns" ] && tar -czf "$dest/mlruns.tar.gz" -C "$(dirname "$mlruns")" "$(basename "$mlruns")"
(cd "$dest" && sha256sum -- * > SHA256SUMS)
# keep the newest $keep backups
ls -1d "$dest_root"/*/ 2>/dev/null | sort | head -n -"$keep" | xargs -r rm -rf --
echo "backup: $dest"
