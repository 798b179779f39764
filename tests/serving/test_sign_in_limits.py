"""The sign-in limit counts *failed* attempts per username, per (username, address) and per address, and
believes X-Forwarded-For only from a trusted proxy: an office behind one NAT address is never locked out,
while one password sprayed over many usernames, or one account guessed from many addresses, is stopped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serving import factories as f

pytestmark = pytest.mark.db

TOKEN = "/api/v1/auth/token"
SPRAYED = "Winter2024-welcome"  # one plausible password tried against many accounts
COLLEAGUES = [f"office_{i:02d}" for i in range(10)]


@pytest.fixture
def limiter(app) -> Iterator[object]:
    """The app's limiter, empty before and after the test (other tests' failures share its addresses)."""
    limiter = app.state.services.token_limiter
    limiter.reset()
    yield limiter
    limiter.reset()


@pytest.fixture(scope="module")
def colleagues(app, client) -> list[str]:
    from serving.users import add_user

    with app.state.services.session() as session:
        for name in COLLEAGUES:
            add_user(session, name, "children_director", f.PASSWORD, village=f.VILLAGE_A1)
    return COLLEAGUES


def _from(app, address: str) -> TestClient:
    """A client whose requests come from `address` (the peer address the server sees)."""
    return TestClient(app, client=(address, 40_000))


def _sign_in(client: TestClient | httpx.Client, username: str, password: str) -> int:
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


def test_ten_colleagues_signing_in_from_one_office_address_never_lock_each_other_out(
    app, limiter, colleagues
) -> None:
    office = _from(app, "10.20.30.40")  # a township office: everyone behind one NAT address
    # a typo each, then the right password, then again the next morning: 30 attempts from one address,
    # more than the per-address limit (20), yet nobody waits — only the 10 failures count
    assert [_sign_in(office, name, "correct-horse-typo") for name in colleagues] == [401] * 10
    assert [_sign_in(office, name, f.PASSWORD) for name in colleagues] == [200] * 10
    assert [_sign_in(office, name, f.PASSWORD) for name in colleagues] == [200] * 10


def test_one_password_sprayed_over_25_usernames_from_one_address_is_stopped(app, accounts, limiter) -> None:
    sprayer = _from(app, "203.0.113.9")
    codes = [_sign_in(sprayer, f"guess_{i:02d}", SPRAYED) for i in range(25)]
    per_address = limiter.limits.per_address
    assert codes == [401] * per_address + [429] * (25 - per_address)
    # while stopped, not even a right password is checked; other addresses go on as before
    assert _sign_in(sprayer, "director_a1", f.PASSWORD) == 429
    assert _sign_in(_from(app, "203.0.113.10"), "director_a1", f.PASSWORD) == 200


def test_guessing_one_account_from_many_addresses_is_stopped(app, limiter, audit_rows) -> None:
    per_user = limiter.limits.per_user
    codes = [
        _sign_in(_from(app, f"198.51.100.{i}"), "director_b1", f"guess-{i}-xyz") for i in range(per_user)
    ]
    assert codes == [401] * per_user
    refused = _from(app, "198.51.100.200").post(
        TOKEN, data={"username": "director_b1", "password": f.PASSWORD}
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    last = audit_rows()[-1]
    assert (last["username"], last["action"], last["outcome"]) == ("director_b1", "sign_in", "denied")


def test_one_person_mistyping_is_slowed_on_their_own_address_only(app, accounts, limiter) -> None:
    phone = _from(app, "192.0.2.1")
    per_pair = limiter.limits.per_user_address
    assert [_sign_in(phone, "director_a1", "mistyped-password") for _ in range(per_pair)] == [401] * per_pair
    assert _sign_in(phone, "director_a1", f.PASSWORD) == 429
    assert _sign_in(_from(app, "192.0.2.2"), "director_a1", f.PASSWORD) == 200  # the office desktop


def test_rotating_x_forwarded_for_does_not_get_around_the_limit(live_server, limiter) -> None:
    """Against the real uvicorn server as `shouhu serve` configures it: with no trusted proxy set, the
    header names nobody, so every spray counts against the one real peer address."""
    with httpx.Client(base_url=live_server, timeout=30) as http:
        codes = [
            http.post(
                TOKEN,
                data={"username": f"rotate_{i:02d}", "password": SPRAYED},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(25)
        ]
    per_address = limiter.limits.per_address
    assert codes == [401] * per_address + [429] * (25 - per_address)


def test_a_trusted_proxy_names_the_client_address(app, settings, limiter, audit_rows) -> None:
    """With SHOUHU_TRUSTED_PROXIES naming the proxy (here 127.0.0.1), X-Forwarded-For is believed: the
    sign-in is counted and audited under the client's address, not the proxy's."""
    import threading
    import time

    import uvicorn

    from serving import server as serving_server
    from tests.serving.conftest import free_port

    behind_proxy = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    assert serving_server.uvicorn_options(settings)["proxy_headers"] is False
    port = free_port()
    config = serving_server.config(app, behind_proxy, "127.0.0.1", port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        r = httpx.post(
            f"http://127.0.0.1:{port}{TOKEN}",
            data={"username": "director_a1", "password": "not-the-password"},
            headers={"X-Forwarded-For": "198.51.100.77"},
            timeout=30,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert r.status_code == 401
    denied = [row for row in audit_rows() if row["action"] == "sign_in" and row["outcome"] == "denied"]
    assert denied and denied[-1]["username"] == "director_a1"
    from serving import audit

    with app.state.services.session() as session:
        assert audit.query(session, limit=1)[0].detail == "from 198.51.100.77"
