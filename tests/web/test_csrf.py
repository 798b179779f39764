"""Cross-site forms are refused with a Chinese 403 page and change nothing: a page on another port of the
same host (same site, so SameSite=Lax still sends the cookie), a foreign Origin or Referer, a missing or
wrong CSRF token. And the pages need no inline script or style, so their Content-Security-Policy can forbid
them."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE

TITLE = "请求被拒绝"
NOTHING_DONE = "没有执行"


def _decisions(web_world, child_key: str) -> int:
    from serving.decisions import decisions_for

    with web_world.app.state.services.session() as session:
        return len(decisions_for(session, child_key))


def _concerns(web_world, child_key: str) -> int:
    from sqlalchemy import func, select

    from serving.tables import ConcernLevel

    with web_world.app.state.services.session() as session:
        return session.scalar(select(func.count()).where(ConcernLevel.child_key == child_key))


def _refused(r) -> None:
    assert r.status_code == 403, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert f"<h1>{TITLE}</h1>" in r.text and NOTHING_DONE in r.text


@pytest.fixture
def row(sessions) -> dict:
    return sessions.api_list("children_director")["rows"][-1]


def _decide_path(row: dict) -> str:
    return f"/children/{row['child_key']}/decide"


def _escalation(row: dict) -> dict:
    return {"list_row_id": row["list_row_id"], "action": "escalate_mandatory_report"}


def test_a_form_posted_with_a_foreign_origin_is_refused_even_with_a_valid_token(sessions, web_world, row):
    before = _decisions(web_world, row["child_key"])
    data = {"csrf_token": sessions.csrf("children_director"), **_escalation(row)}
    with sessions.client("children_director") as client:
        for origin in ("http://evil.example", "null", web_world.url.replace("127.0.0.1", "localhost")):
            _refused(client.post(_decide_path(row), data=data, headers={"Origin": origin}))
        referer = {"Referer": "http://evil.example/attack.html"}  # a browser that sends no Origin
        _refused(client.post(_decide_path(row), data=data, headers=referer))
    assert _decisions(web_world, row["child_key"]) == before


def test_a_form_without_the_sessions_csrf_token_is_refused(sessions, web_world, row):
    before = _decisions(web_world, row["child_key"])
    with sessions.client("children_director") as client:
        own = {"Origin": web_world.url}
        _refused(client.post(_decide_path(row), data=_escalation(row), headers=own))
        wrong = {"csrf_token": "0" * 64, **_escalation(row)}
        _refused(client.post(_decide_path(row), data=wrong, headers=own))
        # another account's token does not fit this session either
        theirs = {"csrf_token": sessions.csrf("supervisor"), **_escalation(row)}
        _refused(client.post(_decide_path(row), data=theirs, headers=own))
        concern = {"level": "high", "cycle": sessions.api_list("children_director")["as_of"]}
        concerns_before = _concerns(web_world, row["child_key"])
        _refused(client.post(f"/children/{row['child_key']}/concern", data=concern, headers=own))
    assert _decisions(web_world, row["child_key"]) == before
    assert _concerns(web_world, row["child_key"]) == concerns_before
    # the same form as the page sends it is saved
    saved = sessions.post_form("children_director", _decide_path(row), _escalation(row))
    assert saved.status_code == 303 and _decisions(web_world, row["child_key"]) == before + 1


def test_signing_out_needs_the_token_and_is_audited(sessions, web_world, audit_since):
    with sessions.client("supervisor") as client:
        _refused(client.post("/logout", headers={"Origin": web_world.url}))
    out = sessions.post_form("supervisor", "/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert 'shouhu_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    mine = [
        (e.action, e.outcome)
        for e in audit_since()
        if e.username == web_world.accounts["supervisor"].username
    ]
    assert mine == [("sign_out", "ok")]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style", re.I), "a <style> element"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an event-handler attribute"),
]


def test_pages_carry_no_inline_script_or_style(sessions, web_world, row):
    with sessions.client("children_director") as client:
        sessions.post_form(
            "children_director",
            f"/children/{row['child_key']}/concern",
            {"level": "low", "cycle": sessions.api_list("children_director")["as_of"]},
        )
        pages = {
            "list": client.get("/list"),
            "child": client.get(f"/children/{row['child_key']}"),
            "decide": client.get(_decide_path(row)),
            "print": client.get("/list/print"),
            "login": client.get("/login"),
        }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert "script-src 'self';" in page.headers["content-security-policy"]
        found = [what for pattern, what in INLINE if pattern.search(page.text)]
        assert not found, f"{name} page has {found}"
    assert 'class="bar w-' in pages["child"].text  # bar widths as classes, not style attributes


@pytest.fixture
def attacker_site(web_world, sessions, row) -> Iterator[str]:
    """Another web server on the same host, another port: its page posts a decision to Shouhu as soon as it
    opens, in the name of whoever is signed in."""
    page = f"""<!doctype html><html><body><p>抽奖活动</p>
<form id="f" method="post" action="{web_world.url}{_decide_path(row)}">
<input name="list_row_id" value="{row["list_row_id"]}"><input name="action" value="escalate_mandatory_report">
</form><script>document.getElementById("f").submit()</script></body></html>""".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.browser
def test_a_page_on_another_port_of_the_same_host_cannot_post_a_decision(
    signed_in, web_world, row, attacker_site
):
    before = _decisions(web_world, row["child_key"])
    page = signed_in("children_director", PHONE)  # the caseworker is signed in to Shouhu in this browser
    page.goto(attacker_site)  # and opens a link to another site on the same host
    page.wait_for_url(f"{web_world.url}{_decide_path(row)}")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".error")).to_contain_text(NOTHING_DONE)
    assert _decisions(web_world, row["child_key"]) == before
