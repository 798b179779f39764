"""No decision without its audit row, no concern level without its audit row — even when the server dies.

A decision (or a concern level) and its audit row commit in one transaction. Two ways of checking it:
the audit write fails (a real database session whose audit insert raises), and the real server process is
killed with SIGKILL while concurrent writers post decisions and concern levels."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from serving.tables import AuditEntry, ConcernLevel, Decision
from tests.serving import factories as f
from tests.serving.conftest import TOKEN_SECRET, free_port

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
DECISION_WRITERS = 12
CONCERN_WRITERS = 4  # 16 concurrent writers in all


class AuditLogDown(RuntimeError):
    pass


class failing_audit:
    """The service's sessions refuse to flush a new `ok` audit row of a decision or concern level, as a
    database failing between the two inserts would."""

    def __init__(self, app) -> None:
        self.factory = app.state.services.sessionmaker

    @staticmethod
    def refuse(session, _ctx, _instances) -> None:
        for obj in session.new:
            if isinstance(obj, AuditEntry) and obj.outcome == "ok" and obj.action.startswith("record_"):
                raise AuditLogDown("audit log unavailable")

    def __enter__(self) -> None:
        event.listen(self.factory, "before_flush", self.refuse)

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.factory, "before_flush", self.refuse)


def _rows(client, accounts, as_of: dt.date, account: str = "county_staff") -> list[dict]:
    r = client.get(
        "/api/v1/visit-list", params={"as_of": as_of.isoformat()}, headers=accounts[account].headers
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def test_a_decision_whose_audit_row_cannot_be_written_is_not_stored(app, client, accounts) -> None:
    row = _rows(client, accounts, dt.date(2023, 6, 1))[0]
    body = {"list_row_id": row["list_row_id"], "action": "refer_assessment"}
    failing = TestClient(app, raise_server_exceptions=False)  # a 500 answer, as a real client gets it
    with failing_audit(app):
        r = failing.post("/api/v1/decisions", json=body, headers=accounts["county_staff"].headers)
    assert r.status_code == 500
    with app.state.services.session() as session:
        stored = session.scalars(select(Decision).where(Decision.list_row_id == row["list_row_id"])).all()
    assert stored == []
    # and once the audit log is back, the same decision is stored with its row
    ok = client.post("/api/v1/decisions", json=body, headers=accounts["county_staff"].headers)
    assert ok.status_code == 201
    with app.state.services.session() as session:
        audited = session.scalar(select(AuditEntry).where(AuditEntry.detail == f"decision {ok.json()['id']}"))
    assert audited is not None and audited.action == "record_decision"


def test_a_concern_level_whose_audit_row_cannot_be_written_is_not_stored(
    app, client, accounts, county
) -> None:
    from serving import casework
    from serving.access import Principal, Role

    child = county.in_village(f.VILLAGE_A2)[1].key
    who = Principal("supervisor_a", Role.supervisor, f.TOWNSHIP_A)
    svc = app.state.services
    cycle = dt.date(2023, 6, 1)
    with failing_audit(app), svc.session() as session, pytest.raises(AuditLogDown):
        casework.record_concern(svc, session, who, child, cycle, "high")
    with svc.session() as session:
        assert session.scalars(select(ConcernLevel).where(ConcernLevel.child_key == child)).all() == []
        casework.record_concern(svc, session, who, child, cycle, "high")
    with svc.session() as session:
        (level,) = session.scalars(select(ConcernLevel).where(ConcernLevel.child_key == child)).all()
        audited = session.scalar(select(AuditEntry).where(AuditEntry.detail.like(f"concern {level.id} %")))
    assert audited is not None and audited.child_key == child


# --- SIGKILL during concurrent writers ----------------------------------------------------------------
def _start_server(settings, port: int, log: Path) -> subprocess.Popen:
    """`shouhu serve` in its own process, on the test session's database, warehouse and model."""
    env = {
        **os.environ,
        "SHOUHU_DATABASE_URL": settings.database_url,
        "SHOUHU_WAREHOUSE": str(settings.warehouse),
        "SHOUHU_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "SHOUHU_DATA_DIR": str(settings.data_dir),
        "SHOUHU_PSEUDONYM_SECRET": f.SECRET,
        "SHOUHU_TOKEN_SECRET": TOKEN_SECRET,
        # decisions and concern levels need no model: skipping its load keeps the start short
        "SHOUHU_MODEL_NAME": "no-model-needed-here",
    }
    env.pop("SHOUHU_ALLOW_DEV_SECRETS", None)
    command = [sys.executable, "-m", "shouhu.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("shouhu serve did not start: " + log.read_text()[-2000:])


class Writers:
    """Threads posting decisions (API, Bearer) and concern levels (pages, cookie + CSRF) until the server
    goes away; each remembers what the server acknowledged."""

    def __init__(self, base: str, rows: list[dict], children: list[str], cycle: str) -> None:
        self.base, self.rows, self.children, self.cycle = base, rows, children, cycle
        self.acked_decisions: list[int] = []
        self.acked_concerns: Counter[str] = Counter()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def _token(self, username: str) -> str:
        r = httpx.post(
            f"{self.base}/api/v1/auth/token", data={"username": username, "password": f.PASSWORD}, timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def decide(self, i: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=10) as http:
            n = 0
            while not self.stop.is_set():
                row = self.rows[(i + n) % len(self.rows)]
                n += 1
                body = {"list_row_id": row["list_row_id"], "action": "refer_assessment", "reason": "复核"}
                try:
                    r = http.post("/api/v1/decisions", json=body)
                except httpx.TransportError:
                    return  # the server is gone
                if r.status_code == 201:
                    with self._lock:
                        self.acked_decisions.append(r.json()["id"])
                else:
                    self.errors.append(f"{r.status_code} {r.text[:100]}")

    def concern(self, child: str, cookie: str) -> None:
        from serving.security import csrf_token

        form = {"level": "medium", "cycle": self.cycle, "csrf_token": csrf_token(cookie, TOKEN_SECRET)}
        with httpx.Client(base_url=self.base, cookies={"shouhu_session": cookie}, timeout=10) as http:
            while not self.stop.is_set():
                try:
                    r = http.post(f"/children/{child}/concern", data=form, headers={"Origin": self.base})
                except httpx.TransportError:
                    return
                if r.status_code == 303:
                    with self._lock:
                        self.acked_concerns[child] += 1
                else:
                    self.errors.append(f"{r.status_code} {r.text[:100]}")

    def start(self) -> list[threading.Thread]:
        token = self._token("county_staff")
        cookie = self._token("supervisor_a")  # the pages' cookie holds the same signed token
        threads = [threading.Thread(target=self.decide, args=(i, token)) for i in range(DECISION_WRITERS)]
        threads += [threading.Thread(target=self.concern, args=(c, cookie)) for c in self.children]
        for t in threads:
            t.start()
        return threads


@pytest.mark.slow
def test_sigkill_during_concurrent_writers_loses_no_acknowledged_decision_and_no_audit_row(
    app, client, accounts, county, settings, tmp_path
) -> None:
    rows = _rows(client, accounts, dt.date(2023, 5, 1))
    children = [c.key for c in county.in_village(f.VILLAGE_A1)[:CONCERN_WRITERS]]
    with app.state.services.session() as session:
        before = session.scalar(select(Decision.id).order_by(Decision.id.desc()).limit(1)) or 0
        concerns_before = (
            session.scalar(select(ConcernLevel.id).order_by(ConcernLevel.id.desc()).limit(1)) or 0
        )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = _start_server(settings, port, log)
    try:
        began = time.monotonic()
        _wait_until_up(base, server, log)
        print(f"\n[sigkill] shouhu serve up in {time.monotonic() - began:.1f} s")
        writers = Writers(base, rows, children, "2023-05-01")
        threads = writers.start()
        deadline = time.monotonic() + 10
        while len(writers.acked_decisions) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-flight: 16 requests are being served
        server.wait(timeout=10)
        writers.stop.set()
        for t in threads:
            t.join(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    assert server.returncode == -signal.SIGKILL
    assert not writers.errors, writers.errors[:5]
    assert len(writers.acked_decisions) >= 50 and sum(writers.acked_concerns.values()) >= 4

    with app.state.services.session() as session:
        stored = set(session.scalars(select(Decision.id).where(Decision.id > before)))
        audited = {
            int(d.removeprefix("decision "))
            for d in session.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.action == "record_decision", AuditEntry.outcome == "ok"
                )
            )
            if d and d.startswith("decision ")
        }
        levels = session.scalars(select(ConcernLevel).where(ConcernLevel.id > concerns_before)).all()
        concern_audits = set(
            session.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.action == "record_concern", AuditEntry.outcome == "ok"
                )
            )
        )
    acked = set(writers.acked_decisions)
    assert acked <= stored, f"{len(acked - stored)} acknowledged decisions were lost"
    assert stored <= audited, f"{len(stored - audited)} of {len(stored)} stored decisions have no audit row"
    stored_concerns = Counter(level.child_key for level in levels)
    for child, count in writers.acked_concerns.items():
        assert stored_concerns[child] >= count, "an acknowledged concern level was lost"
    unaudited = [lv.id for lv in levels if not any(d.startswith(f"concern {lv.id} ") for d in concern_audits)]
    assert not unaudited, f"{len(unaudited)} of {len(levels)} stored concern levels have no audit row"
    concerns_acked = sum(writers.acked_concerns.values())
    print(
        f"\n[sigkill] {len(acked)} decisions acknowledged, {len(stored)} stored, all audited; "
        f"{concerns_acked} concern levels acknowledged, {len(levels)} stored, all audited"
    )
