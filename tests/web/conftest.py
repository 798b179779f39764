"""One world for the page tests, built once per session the way `shouhu demo` builds it (shouhu.demo): a tiny
simulated county → ingest → features → train → promote into tmp paths, the demo accounts (one per role), the
real app behind uvicorn on a free port in a thread, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class WebWorld:
    settings: Any  # shouhu.settings.Settings
    county: Any  # simulation.config.SimulationConfig
    world: Any  # shouhu.demo.World
    accounts: dict[str, Any]  # role → shouhu.demo.Account
    app: Any
    url: str
    flagged: str  # child key of the director's village child arranged to be rule-flagged (living alone)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from shouhu.settings import Settings, get_settings

    root = tmp_path_factory.mktemp("web")
    env = {
        "SHOUHU_DATA_DIR": str(root / "data"),
        "SHOUHU_WAREHOUSE": str(root / "data" / "warehouse.duckdb"),
        "SHOUHU_DATABASE_URL": os.environ.get("SHOUHU_DATABASE_URL")
        or f"sqlite:///{root / 'data' / 'shouhu.db'}",
        "SHOUHU_MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlruns' / 'mlflow.db'}",
        "SHOUHU_MLFLOW_ARTIFACT_ROOT": str(root / "mlruns"),
        "SHOUHU_PSEUDONYM_SECRET": "web-test-pseudonym-secret-0123456789",
        "SHOUHU_TOKEN_SECRET": secrets.token_urlsafe(32),
        "SHOUHU_VISITS_PER_TOWNSHIP": "10",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # so code that reads get_settings() sees the same tmp world
    get_settings.cache_clear()
    try:
        yield Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _arrange_a_child_living_alone(settings: Any, world: Any) -> str:
    """A mandatory-report situation in the demo director's village, so the pages always have a rule-flagged
    child to show: one more registry snapshot (through the real ingest) says a child of the village looks
    after themself. The real rules flag it (`living_alone_or_unsupervised`); it tops the director's list."""
    import pandas as pd

    from data_contracts.ingest import ingest_folder
    from data_contracts.pseudonym import child_key

    registry = pd.read_csv(
        world.sim_dir / "feeds" / "children_registry.csv", dtype=str, keep_default_na=False
    )
    latest = registry["snapshot_date"].max()
    here = registry[
        (registry["residence_village_code"] == world.village)
        & (registry["snapshot_date"] == latest)
        & (registry["status"] == "active")
    ]
    row = here.sort_values("child_id").iloc[0].copy()
    day = pd.Timestamp(latest) + pd.Timedelta(days=1)
    row["snapshot_date"] = day.isoformat(sep=" ")
    row["recorded_at"] = (day + pd.Timedelta(hours=12)).isoformat(sep=" ")
    row["guardianship_type"] = "self_or_siblings"
    folder = settings.data_dir / "arranged"
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row]).to_csv(folder / "children_registry_arranged.csv", index=False)
    secret = settings.pseudonym_secret.get_secret_value()
    report = ingest_folder(folder, settings.warehouse, secret, progress=False)
    assert (report.total.loaded, report.total.quarantined) == (1, 0), report.total
    return child_key(row["child_id"], secret)


@pytest.fixture(scope="session")
def web_world(web_settings: Any) -> Iterator[WebWorld]:
    import uvicorn

    from serving.app import create_app
    from shouhu import demo
    from simulation.config import SimulationConfig
    from training.pipeline import TrainConfig

    # Small on purpose: 2 townships × 2 villages, ~150 children, 21 months; one training fold, no baseline.
    county = SimulationConfig(
        townships=2, villages=2, children=150, start=dt.date(2023, 1, 1), end=dt.date(2024, 9, 30), seed=7
    )
    small = TrainConfig(
        n_folds=1, test_dates=2, calibration_dates=2, with_logreg=False, min_positives=3, k=10
    )
    world = demo.build_world(
        web_settings, county, train_from="2023-04-01", train_config=small, progress=False
    )
    flagged = _arrange_a_child_living_alone(web_settings, world)
    accounts = {a.role: a for a in demo.create_accounts(web_settings, world)}
    from serving import server as serving_server

    app = create_app(web_settings.model_copy(update={"as_of": world.as_of}))  # as `shouhu demo` serves
    server = uvicorn.Server(
        serving_server.config(app, web_settings, "127.0.0.1", _free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield WebWorld(web_settings, county, world, accounts, app, f"http://127.0.0.1:{port}", flagged)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots: a temporary folder, or the folder `--screenshots`
    names (`--screenshots docs/screenshots` refreshes the README's images)."""
    asked = request.config.getoption("--screenshots")
    folder = Path(asked) if asked else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sessions(web_world: WebWorld) -> Any:
    from tests.web.support import Sessions

    return Sessions(web_world)


@pytest.fixture
def signed_in(
    browser: Any, web_world: WebWorld, sessions: Any, screenshots: Path
) -> Iterator[Callable[..., Any]]:
    """`signed_in(role, viewport, login_shot=None)`: a fresh browser context on the role's visit list. With
    `login_shot` the page signs in through the form (and screenshots it); otherwise it reuses the role's
    session cookie."""
    contexts = []

    def open_as(role: str, viewport: dict[str, int] = PHONE, login_shot: str | None = None) -> Any:
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=web_world.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)  # the first list of a date scores the cohort
        if login_shot is None:
            context.add_cookies(
                [{"name": "shouhu_session", "value": sessions.token(role), "url": web_world.url}]
            )
            page.goto("/list")
            return page
        account = web_world.accounts[role]
        page.goto("/list")
        page.wait_for_url("**/login**")
        page.fill("input[name=username]", account.username)
        page.fill("input[name=password]", account.password)
        page.screenshot(path=str(screenshots / login_shot))
        page.click("button[type=submit]")
        page.wait_for_url("**/list**")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def audit_since(web_world: WebWorld) -> Callable[[], list[Any]]:
    """Audit rows written since the test started."""
    from serving import audit

    with web_world.app.state.services.session() as session:
        rows = audit.query(session, limit=1)
        start = rows[0].id if rows else 0

    def read() -> list[Any]:
        with web_world.app.state.services.session() as session:
            return [e for e in reversed(audit.query(session, limit=1000)) if e.id > start]

    return read
