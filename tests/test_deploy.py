"""The deployment files a county installs (deploy/): the systemd units pass `systemd-analyze verify` with
their paths pointed at this checkout, run commands that exist, the timers fire when documented, backup and
restore round-trip a service database, warehouse and mlruns, and the offline bundle installs with the network
blocked (slow: it downloads the locked wheels once)."""

from __future__ import annotations

import configparser
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
VENV = Path(sys.executable).parent.parent


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def _system_python() -> str:
    """A python3 outside this virtual environment (the bundle's pip runs there; the venv has no pip)."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != VENV / "bin")
    found = shutil.which("python3", path=path)
    if found is None:
        pytest.skip("no system python3")
    return found


def _localized(tmp: Path) -> Path:
    """The units with /srv/shouhu/.venv and /srv/shouhu/deploy pointed at this checkout."""
    out = tmp / "units"
    out.mkdir()
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/srv/shouhu/.venv", str(VENV)).replace(
            "/srv/shouhu/deploy", str(ROOT / "deploy")
        )
        (out / unit.name).write_text(text, encoding="utf-8")
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = _localized(tmp_path)
    names = sorted(p.name for p in units.iterdir())
    done = subprocess.run(
        ["systemd-analyze", "verify", *names], cwd=units, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # and the check can fail: a timer whose calendar does not parse is refused
    (units / "shouhu-monthly.timer").write_text(
        (units / "shouhu-monthly.timer").read_text().replace("*-*-03 02:30:00", "every other tuesday")
    )
    bad = subprocess.run(
        ["systemd-analyze", "verify", "shouhu-monthly.timer"], cwd=units, capture_output=True, text=True
    )
    assert bad.returncode != 0


def test_the_units_run_shouhu_commands_that_exist() -> None:
    from typer.main import get_command

    from shouhu.cli import app

    cli = get_command(app)
    commands = set(cli.commands)  # type: ignore[attr-defined]
    for unit in UNITS.glob("*.service"):
        for key in ("ExecStart", "ExecStartPre"):
            for line in _unit(unit).get("Service", key, fallback="").splitlines():
                parts = line.split()
                if parts and parts[0].endswith("/shouhu"):
                    assert parts[1] in commands, f"{unit.name}: shouhu {parts[1]}"
    web = _unit(UNITS / "shouhu-web.service").get("Service", "ExecStart")
    assert "serving.asgi:app" in web and "--workers" in web
    assert "shouhu db upgrade" in _unit(UNITS / "shouhu-web.service").get("Service", "ExecStartPre")


def test_each_timer_names_a_service_that_is_shipped_and_fires_on_its_calendar() -> None:
    for timer in UNITS.glob("*.timer"):
        section = _unit(timer)["Timer"]
        assert section.get("Persistent") == "true"  # a run missed while the server was off runs at boot
        assert (UNITS / timer.name.replace(".timer", ".service")).exists()
        if shutil.which("systemd-analyze"):
            done = subprocess.run(
                ["systemd-analyze", "calendar", section["OnCalendar"]], capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
    monthly = _unit(UNITS / "shouhu-monthly.timer")["Timer"]["OnCalendar"]
    assert monthly.startswith("*-*-03 ")  # monthly, on the 3rd


def test_backup_and_restore_round_trip_the_service_database_warehouse_and_mlruns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "shouhu.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (x TEXT)")
        con.execute("INSERT INTO t VALUES ('kept')")
    (data / "warehouse.duckdb").write_bytes(b"warehouse bytes")
    mlruns = tmp_path / "mlruns"
    (mlruns / "1").mkdir(parents=True)
    (mlruns / "1" / "meta.yaml").write_text("model: kept")
    env = {
        **os.environ,
        "SHOUHU_DATA_DIR": str(data),
        "SHOUHU_MLFLOW_ARTIFACT_ROOT": str(mlruns),
        "SHOUHU_DATABASE_URL": f"sqlite:///{db}",
        "PYTHON": sys.executable,
        "SHOUHU_BIN": str(VENV / "bin" / "shouhu"),
    }
    env.pop("SHOUHU_WAREHOUSE", None)
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh"), str(tmp_path / "backups")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    # lose everything, then restore
    db.unlink()
    (data / "warehouse.duckdb").unlink()
    shutil.rmtree(mlruns)
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "restore.sh"), str(backup)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [("kept",)]
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() is not None  # migrated
    assert (data / "warehouse.duckdb").read_bytes() == b"warehouse bytes"
    assert (mlruns / "1" / "meta.yaml").read_text() == "model: kept"


@pytest.mark.slow
def test_the_offline_bundle_installs_into_a_fresh_venv_with_the_network_blocked(tmp_path: Path) -> None:
    bundle = tmp_path / "shouhu-bundle"
    built = subprocess.run(
        ["bash", str(ROOT / "deploy" / "bundle.sh"), str(bundle)],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "PYTHON": _system_python()},
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert (tmp_path / "shouhu-bundle.tar.gz").exists()
    # unpack elsewhere, as on the county's server, and install with every index and proxy unreachable
    server = tmp_path / "server"
    server.mkdir()
    subprocess.run(["tar", "-xzf", str(tmp_path / "shouhu-bundle.tar.gz"), "-C", str(server)], check=True)
    blocked = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.upper().endswith("_PROXY") and not k.startswith("UV_")
        },
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,  # no machine-wide find-links either: only the bundle's wheelhouse
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "PYTHON": _system_python(),
    }
    venv = server / "venv"
    done = subprocess.run(
        ["bash", str(server / "shouhu-bundle" / "install.sh"), str(venv)],
        env=blocked,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    check = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import serving.app, training.pyfunc, features.pipeline; print('ok')",
        ],
        env=blocked,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=server,
    )
    assert check.stdout.strip() == "ok", check.stderr[-2000:]
