"""No public default or short secret outside the demo: the server and ingest refuse them (saying how to set
one), a token forged with the public development secret reads nothing, and the demo makes its own."""

from __future__ import annotations

import datetime as dt
import secrets
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serving.security import issue_token
from shouhu.settings import DEV_PSEUDONYM_SECRET, DEV_TOKEN_SECRET, InsecureSettings, Settings
from tests.serving import factories as f

STRONG = secrets.token_urlsafe(32)


def _settings(tmp_path: Path, **overrides) -> Settings:
    values = {
        "data_dir": tmp_path / "data",
        "warehouse": tmp_path / "data" / "w.duckdb",
        "database_url": f"sqlite:///{tmp_path / 'data' / 's.db'}",
        "mlflow_tracking_uri": f"sqlite:///{tmp_path / 'ml.db'}",
        "pseudonym_secret": STRONG,
        "token_secret": secrets.token_urlsafe(32),
        "allow_dev_secrets": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"token_secret": DEV_TOKEN_SECRET}, "SHOUHU_TOKEN_SECRET is a public development value"),
        ({"pseudonym_secret": DEV_PSEUDONYM_SECRET}, "SHOUHU_PSEUDONYM_SECRET is a public development value"),
        ({"token_secret": "x" * 31}, "SHOUHU_TOKEN_SECRET is shorter than 32 characters"),
    ],
)
def test_the_server_refuses_a_public_default_or_short_secret_and_says_how_to_set_one(
    tmp_path, overrides, named
) -> None:
    from serving.app import create_app

    with pytest.raises(InsecureSettings) as refused:
        create_app(_settings(tmp_path, **overrides))
    message = str(refused.value)
    assert named in message and "secrets.token_urlsafe(32)" in message and ".env" in message
    assert "SHOUHU_ALLOW_DEV_SECRETS=1" in message


def test_fit_secrets_or_the_development_flag_let_the_server_start(tmp_path) -> None:
    from serving.app import create_app

    assert create_app(_settings(tmp_path)) is not None
    dev = _settings(
        tmp_path, token_secret=DEV_TOKEN_SECRET, pseudonym_secret=DEV_PSEUDONYM_SECRET, allow_dev_secrets=True
    )
    assert create_app(dev) is not None


def _clean_env(monkeypatch, tmp_path: Path) -> None:
    for name in ("SHOUHU_TOKEN_SECRET", "SHOUHU_PSEUDONYM_SECRET", "SHOUHU_ALLOW_DEV_SECRETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOUHU_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 's.db'}")
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def test_shouhu_serve_on_default_secrets_exits_with_how_to_set_them(tmp_path, monkeypatch) -> None:
    from shouhu.cli import app
    from shouhu.settings import get_settings

    _clean_env(monkeypatch, tmp_path)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "8999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "refusing to run with insecure secrets" in result.output
    assert "SHOUHU_TOKEN_SECRET" in result.output and "SHOUHU_PSEUDONYM_SECRET" in result.output
    assert "Traceback" not in result.output


def test_shouhu_ingest_refuses_to_pseudonymize_with_the_public_secret(tmp_path, monkeypatch) -> None:
    from shouhu.cli import app
    from shouhu.settings import get_settings
    from tests.data_contracts.factories import BASE, write_world

    _clean_env(monkeypatch, tmp_path)
    write_world(tmp_path / "in", only=BASE)
    warehouse = tmp_path / "wh.duckdb"
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(tmp_path / "in"), "--warehouse", str(warehouse)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "SHOUHU_PSEUDONYM_SECRET is a public development value" in result.output
    assert not warehouse.exists()


@pytest.mark.db
def test_a_token_forged_with_the_public_development_secret_reads_nothing(client, accounts) -> None:
    forged = issue_token("county_staff", DEV_TOKEN_SECRET, 60)
    r = client.get("/api/v1/visit-list", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    page = client.get("/list", cookies={"shouhu_session": forged}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


@pytest.mark.db
def test_a_token_without_a_version_or_of_an_older_version_is_refused(client, app, accounts) -> None:
    import jwt

    secret = app.state.services.settings.token_secret.get_secret_value()
    now = dt.datetime.now(dt.UTC)
    unversioned = jwt.encode(
        {"sub": "county_staff", "iat": now, "exp": now + dt.timedelta(minutes=5)}, secret, algorithm="HS256"
    )
    future = issue_token("county_staff", secret, 5, version=7)
    for token in (unversioned, future):
        r = client.get("/api/v1/model", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    assert client.get("/api/v1/model", headers=accounts["county_staff"].headers).status_code == 200


def test_the_demo_generates_its_secrets_once_per_data_folder_and_reuses_them(tmp_path, monkeypatch) -> None:
    from shouhu import demo

    for name in ("SHOUHU_TOKEN_SECRET", "SHOUHU_PSEUDONYM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    first = demo.demo_secrets(Settings(_env_file=None, data_dir=tmp_path / "a"))
    again = demo.demo_secrets(Settings(_env_file=None, data_dir=tmp_path / "a"))
    other = demo.demo_secrets(Settings(_env_file=None, data_dir=tmp_path / "b"))
    assert not first.secret_problems()  # random, long enough, not the public values
    assert first.token_secret == again.token_secret and first.pseudonym_secret == again.pseudonym_secret
    assert first.token_secret != other.token_secret and first.pseudonym_secret != other.pseudonym_secret
    stored = tmp_path / "a" / demo.SECRETS_FILE
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    # a secret the person set is kept
    mine = demo.demo_secrets(Settings(_env_file=None, data_dir=tmp_path / "a", pseudonym_secret=f.SECRET))
    assert mine.pseudonym_secret.get_secret_value() == f.SECRET
    assert mine.token_secret == first.token_secret
