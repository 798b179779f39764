"""Accounts: a password policy, and `shouhu users disable / reset-password / sign-out`, each of which
revokes every token the account holds (a per-account token version checked on every request); account
changes, sign-ins and sign-outs are in the audit log."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from serving.users import password_problem
from tests.serving import factories as f

pytestmark = pytest.mark.db

TOKEN = "/api/v1/auth/token"


@pytest.mark.parametrize(
    "password",
    [
        "12345678",
        "password",
        "aaaaaaaa",  # the three the review got accepted: too short
        "1234567890",
        "qwertyuiop",
        "aaaaaaaaaaaa",
        "password123",  # long enough, but common or trivially guessed
        "zhangwei-2024",  # contains the username
    ],
)
def test_weak_passwords_are_refused(password) -> None:
    assert password_problem(password, "zhangwei") is not None


@pytest.mark.parametrize("password", ["correct-horse-battery", "桥柏村的老槐树2024", "river stone lantern"])
def test_a_long_unusual_passphrase_is_accepted(password) -> None:
    assert password_problem(password, "zhangwei") is None


@pytest.fixture
def users_cli(settings, monkeypatch) -> Iterator[CliRunner]:
    from shouhu.settings import get_settings

    monkeypatch.setenv("SHOUHU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(settings.warehouse))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _users(runner: CliRunner, *args: str, password: str | None = None):
    from serving.cli import users_app

    return runner.invoke(users_app, list(args), input=None if password is None else password + "\n")


def _add(runner: CliRunner, username: str) -> None:
    args = ["add", "--username", username, "--role", "children_director", "--village", f.VILLAGE_A1]
    result = _users(runner, *args, "--password-stdin", password=f.PASSWORD)
    assert result.exit_code == 0, result.output


def _token(client, username: str, password: str = f.PASSWORD) -> tuple[int, dict[str, str]]:
    r = client.post(TOKEN, data={"username": username, "password": password})
    token = r.json().get("access_token", "") if r.status_code == 200 else ""
    return r.status_code, {"Authorization": f"Bearer {token}"}


def _reads(client, headers) -> int:
    return client.get("/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=headers).status_code


def test_users_add_refuses_a_weak_password(users_cli, client) -> None:
    for weak in ("12345678", "password", "aaaaaaaa", "1234567890"):
        args = ["add", "--username", "weakling", "--role", "data_team", "--password-stdin"]
        result = _users(users_cli, *args, password=weak)
        assert result.exit_code == 2 and "password" in result.output
    assert _token(client, "weakling", "1234567890")[0] == 401


def test_a_disabled_workers_token_stops_working_within_seconds(users_cli, client, audit_rows) -> None:
    _add(users_cli, "dismissed")
    status, headers = _token(client, "dismissed")
    assert status == 200 and _reads(client, headers) == 200
    result = _users(users_cli, "disable", "dismissed")
    assert result.exit_code == 0, result.output
    began = time.monotonic()
    while _reads(client, headers) == 200:  # the account check is cached for at most 5 s
        assert time.monotonic() - began < 6, "the disabled account's token still works"
        time.sleep(0.25)
    assert _reads(client, headers) == 401
    assert _token(client, "dismissed")[0] == 401
    changes = [(r["username"], r["role"], r["action"]) for r in audit_rows() if r["action"] == "disable_user"]
    assert len(changes) == 1 and changes[0][0].startswith("cli:") and changes[0][1] == "admin"


def test_a_password_reset_revokes_earlier_tokens_and_the_old_password(users_cli, client, app) -> None:
    _add(users_cli, "forgetful")
    _, old = _token(client, "forgetful")
    weak = _users(users_cli, "reset-password", "forgetful", "--password-stdin", password="forgetful123")
    assert weak.exit_code == 2 and "username" in weak.output
    new_password = "lantern-river-stone-7"
    result = _users(users_cli, "reset-password", "forgetful", "--password-stdin", password=new_password)
    assert result.exit_code == 0, result.output
    app.state.services.principals._data.clear()  # not to wait out the 5-second account cache
    assert _reads(client, old) == 401
    assert _token(client, "forgetful")[0] == 401
    status, new = _token(client, "forgetful", new_password)
    assert status == 200 and _reads(client, new) == 200


def test_sign_out_everywhere_ends_every_session_but_not_the_account(users_cli, client, app) -> None:
    _add(users_cli, "lostphone")
    _, phone = _token(client, "lostphone")
    _, desktop = _token(client, "lostphone")
    assert _users(users_cli, "sign-out", "lostphone").exit_code == 0
    app.state.services.principals._data.clear()
    assert _reads(client, phone) == 401 and _reads(client, desktop) == 401
    status, fresh = _token(client, "lostphone")
    assert status == 200 and _reads(client, fresh) == 200
    assert _users(users_cli, "disable", "nobody-of-that-name").exit_code == 2


def test_sign_ins_are_audited_with_their_address(client, accounts, audit_rows) -> None:
    assert _token(client, "director_a1")[0] == 200
    assert _token(client, "director_a1", "wrong-password-1")[0] == 401
    from serving import audit

    signs = [r for r in audit_rows() if r["action"] == "sign_in"]
    assert [(r["username"], r["outcome"]) for r in signs] == [
        ("director_a1", "ok"),
        ("director_a1", "denied"),
    ]
    with client.app.state.services.session() as session:
        assert audit.query(session, limit=1)[0].detail == "from testclient"
