"""Several web workers (`uvicorn serving.asgi:app --workers 2`, as deploy/systemd/shouhu-web.service runs
them): a champion promoted while they run is picked up by every worker, and a metrics scrape answered by
either worker counts the requests of both (prometheus multiprocess mode)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serving import factories as f

pytestmark = pytest.mark.slow


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _versions(url: str, n: int) -> list[str]:
    # a fresh connection per request, so the kernel hands them to both workers
    return [str(httpx.get(f"{url}/api/v1/readyz", timeout=30).json()["model"]) for _ in range(n)]


def test_two_workers_both_pick_up_a_promoted_champion_and_share_their_metrics(
    county: f.County, tmp_path: Path
) -> None:
    from serving.db import make_engine, migrate

    store = tmp_path / "mlflow"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    f.register_champion(uri, store, seed=0)
    db = f"sqlite:///{tmp_path / 'service.db'}"
    engine = make_engine(db)
    migrate(engine)
    engine.dispose()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "SHOUHU_DATA_DIR": str(tmp_path / "data"),
        "SHOUHU_DATABASE_URL": db,
        "SHOUHU_WAREHOUSE": str(county.warehouse),
        "SHOUHU_MLFLOW_TRACKING_URI": uri,
        "SHOUHU_PSEUDONYM_SECRET": f.SECRET,
        "SHOUHU_TOKEN_SECRET": secrets.token_urlsafe(32),
        "SHOUHU_MODEL_POLL_SECONDS": "0.5",
        "SHOUHU_METRICS_TOKEN": token,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    port = _port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "serving.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the workers did not load the champion"
            try:
                if set(_versions(url, 10)) == {"1"}:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        f.register_champion(uri, store, seed=1)  # version 2 becomes champion, through the history
        deadline = time.monotonic() + 180
        while set(_versions(url, 30)) != {"2"}:  # 30 answers, none from a worker still on version 1
            assert time.monotonic() < deadline, "a worker kept serving version 1"
            time.sleep(0.5)
        assert len(list(metrics_dir.glob("counter_*.db"))) == 2  # both workers answered requests
        before = _counted(url, token)
        _versions(url, 20)
        assert _counted(url, token) - before == 20  # every worker's share of the 20, whichever scrapes
    finally:
        server.terminate()
        server.wait(timeout=30)


def _counted(url: str, token: str) -> int:
    text = httpx.get(f"{url}/api/v1/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30).text
    found = re.findall(r'shouhu_http_requests_total\{[^}]*route="/api/v1/readyz"[^}]*\} ([0-9.e+]+)', text)
    return int(sum(float(v) for v in found))
