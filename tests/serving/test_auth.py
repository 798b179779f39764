"""Sign-in: argon2-hashed passwords, signed expiring tokens, and the `shouhu users` command (the limit on
failed attempts: test_sign_in_limits; accounts, revocation and the password policy: test_accounts)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from serving.security import issue_token
from tests.serving import factories as f

pytestmark = pytest.mark.db

TYPO_VILLAGE = ("--village", "360321109999")  # 12 digits, but no village of the county


def test_passwords_are_stored_as_argon2_hashes(app, accounts) -> None:
    from serving.tables import User

    with app.state.services.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "director_a1"))
    assert stored.startswith("$argon2") and f.PASSWORD not in stored


def test_a_wrong_password_is_refused_and_audited(client, accounts, audit_rows) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "director_a1", "password": "wrong-password"})
    assert r.status_code == 401
    assert (audit_rows()[-1]["action"], audit_rows()[-1]["outcome"]) == ("sign_in", "denied")


def test_a_username_with_a_nul_byte_is_refused_not_a_server_error(client, accounts) -> None:
    # Found by schemathesis on PostgreSQL, whose text columns cannot hold NUL.
    r = client.post("/api/v1/auth/token", data={"username": "director\x00a1", "password": f.PASSWORD})
    assert r.status_code == 401


def test_expired_and_forged_tokens_are_refused(client, app, accounts) -> None:
    secret = app.state.services.settings.token_secret.get_secret_value()
    old = issue_token("county_staff", secret, 1, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    r = client.get("/api/v1/model", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
    assert r.json()["detail"] == "登录已过期，请重新登录"
    forged = issue_token("county_staff", "someone-elses-secret-of-at-least-32-bytes", 5)
    assert client.get("/api/v1/model", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_users_add_reads_the_password_from_stdin_and_the_user_can_sign_in(
    client, settings, monkeypatch
) -> None:
    from serving.cli import users_app

    monkeypatch.setenv("SHOUHU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SHOUHU_WAREHOUSE", str(settings.warehouse))
    from shouhu.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = [
            "add",
            "--username",
            "newdirector",
            "--role",
            "children_director",
            "--village",
            f.VILLAGE_A2,
            "--password-stdin",
        ]
        result = runner.invoke(users_app, args, input="a-long-password\n")
        assert result.exit_code == 0, result.output
        again = runner.invoke(users_app, args, input="a-long-password\n")
        assert again.exit_code == 2 and "already exists" in again.output
        bad = runner.invoke(
            users_app,
            ["add", "--username", "x", "--role", "supervisor", "--password-stdin"],
            input="a-long-password\n",
        )
        assert bad.exit_code == 2 and "--township" in bad.output
        typo = runner.invoke(
            users_app,
            ["add", "--username", "typo", "--role", "children_director", "--password-stdin", *TYPO_VILLAGE],
            input="a-long-password\n",
        )
        assert typo.exit_code == 2 and "360321109999 is not an admin unit" in typo.output
        listed = runner.invoke(users_app, ["list"])
        assert "newdirector" in listed.output
    finally:
        get_settings.cache_clear()
    r = client.post("/api/v1/auth/token", data={"username": "newdirector", "password": "a-long-password"})
    assert r.status_code == 200 and r.json()["role"] == "children_director"
