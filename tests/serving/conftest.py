"""Shared, session-wide world for the serving tests (building a warehouse and loading a model take seconds):
a real ingested county, a tmp MLflow store with a registered champion, the service database (tmp SQLite, or
SHOUHU_DATABASE_URL — e.g. PostgreSQL — recreated once per session), one app, and one user per role."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.serving import factories as f

TEST_URL_ENV = "SHOUHU_DATABASE_URL"
TOKEN_SECRET = secrets.token_urlsafe(32)  # per test session, as a deployment sets its own


def _recreate_schema(url: str) -> None:
    from sqlalchemy import MetaData, text

    from serving.db import make_engine, migrate

    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP FUNCTION IF EXISTS shouhu_append_only() CASCADE"))
    migrate(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(TEST_URL_ENV) or f"sqlite:///{tmp_path_factory.mktemp('db') / 'service.db'}"
    _recreate_schema(url)
    return url


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> f.County:
    return f.build_county(
        tmp_path_factory.mktemp("county"), {f.VILLAGE_A1: 6, f.VILLAGE_A2: 4, f.VILLAGE_B1: 3}
    )


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    f.register_champion(uri, folder, seed=0)
    return uri, folder


class Flags:
    """Rule flags the test matrix builder sets, per as-of date (tests use their own dates)."""

    def __init__(self) -> None:
        self.by_date: dict[dt.date, dict[str, str]] = {}


@pytest.fixture(scope="session")
def flags() -> Flags:
    return Flags()


@pytest.fixture(scope="session")
def settings(database_url: str, county: f.County, mlflow_store: tuple[str, Path], tmp_path_factory):
    from shouhu.settings import Settings

    return Settings(
        database_url=database_url,
        warehouse=county.warehouse,
        mlflow_tracking_uri=mlflow_store[0],
        pseudonym_secret=f.SECRET,
        token_secret=TOKEN_SECRET,
        model_poll_seconds=0.3,
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="session")
def app(settings, county: f.County, flags: Flags):
    from serving.app import create_app

    def builder(_warehouse: Path, dates: list[pd.Timestamp], _spec=None) -> pd.DataFrame:
        day = dates[0].date()
        return f.matrix_for(county, day, flags.by_date.get(day))

    return create_app(settings, builder=builder)


@pytest.fixture(scope="session")
def client(app) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    headers: dict[str, str]


ACCOUNTS = {
    "director_a1": ("children_director", {"village": f.VILLAGE_A1}),
    "director_b1": ("children_director", {"village": f.VILLAGE_B1}),
    "supervisor_a": ("supervisor", {"township": f.TOWNSHIP_A}),
    "county_staff": ("county", {"county": f.COUNTY}),
    "other_county": ("county", {"county": "360322000000"}),
    "analyst": ("data_team", {}),
    "root": ("admin", {}),
}


@pytest.fixture(scope="session")
def accounts(client, app) -> dict[str, Account]:
    from serving.users import add_user

    out = {}
    with app.state.services.session() as session:
        for username, (role, area) in ACCOUNTS.items():
            add_user(session, username, role, f.PASSWORD, **area)
    for username, (role, _) in ACCOUNTS.items():
        r = client.post("/api/v1/auth/token", data={"username": username, "password": f.PASSWORD})
        assert r.status_code == 200, r.text
        out[username] = Account(username, role, {"Authorization": f"Bearer {r.json()['access_token']}"})
    return out


@pytest.fixture
def audit_rows(app):
    """Audit rows newer than the test's start, as dicts."""
    from serving import audit

    with app.state.services.session() as session:
        rows = audit.query(session, limit=1)
        start = rows[0].id if rows else 0

    def read() -> list[dict]:
        with app.state.services.session() as session:
            entries = audit.query(session, limit=1000)
        return [
            {
                "username": e.username,
                "role": e.role,
                "action": e.action,
                "child_key": e.child_key,
                "outcome": e.outcome,
                "scope": e.scope,
                "at": e.at,
            }
            for e in reversed(entries)
            if e.id > start
        ]

    return read


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app, client) -> Iterator[str]:
    """The same app behind a real uvicorn server on a free port, in a thread, configured as `shouhu serve`
    configures it (serving.server: no proxy headers believed unless from SHOUHU_TRUSTED_PROXIES)."""
    import uvicorn

    from serving import server as serving_server

    port = free_port()
    config = serving_server.config(app, app.state.services.settings, "127.0.0.1", port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
