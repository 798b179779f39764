"""Security headers: a Content-Security-Policy without inline scripts, no framing, nosniff, a referrer
policy; `Cache-Control: no-store` on everything that carries child data; /metrics only with its token."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

pytestmark = pytest.mark.db


def _csp(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def test_pages_forbid_inline_scripts_framing_and_sniffing(client) -> None:
    r = client.get("/login")
    csp = _csp(r)
    assert csp["script-src"] == "script-src 'self'" and csp["style-src"] == "style-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'" and csp["object-src"] == "object-src 'none'"
    assert csp["form-action"] == "form-action 'self'"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"


def test_the_api_never_lets_a_childs_record_be_cached(client, accounts, county) -> None:
    headers = accounts["director_a1"].headers
    child = client.get(f"/api/v1/children/{county.children[0].key}", headers=headers)
    listed = client.get("/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=headers)
    refused = client.get(f"/api/v1/children/{county.children[-1].key}", headers=headers)
    for r in (child, listed, refused):
        assert r.headers["cache-control"] == "no-store", r.request.url
        assert r.headers["x-content-type-options"] == "nosniff"
    assert child.status_code == 200 and refused.status_code == 403


def test_static_files_may_be_cached(client) -> None:
    r = client.get("/static/shouhu.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_api_docs_run_exactly_their_own_inline_script(client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    scripts = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    assert scripts
    allowed = _csp(r)["script-src"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    assert "'unsafe-inline'" not in allowed and _csp(r)["frame-ancestors"] == "frame-ancestors 'none'"


@pytest.fixture
def metrics_token(app) -> Iterator[str]:
    svc = app.state.services
    saved = svc.settings
    svc.settings = saved.model_copy(update={"metrics_token": SecretStr("scrape-token-of-the-county-0123")})
    yield "scrape-token-of-the-county-0123"
    svc.settings = saved


def test_metrics_are_off_unless_a_metrics_token_is_set(client, accounts) -> None:
    assert client.get("/api/v1/metrics").status_code == 404
    assert client.get("/api/v1/metrics", headers=accounts["root"].headers).status_code == 404


def test_metrics_answer_only_the_scraper_holding_the_token(client, accounts, metrics_token) -> None:
    assert client.get("/api/v1/metrics").status_code == 401
    assert client.get("/api/v1/metrics", headers=accounts["root"].headers).status_code == 401
    wrong = {"Authorization": "Bearer scrape-token-of-the-county-0124"}
    assert client.get("/api/v1/metrics", headers=wrong).status_code == 401
    r = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert r.status_code == 200 and "shouhu_http_requests" in r.text
