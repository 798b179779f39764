"""Sessions for the page tests. Each role signs in once per test session; its cookie (the same signed token
the API takes as a Bearer token) is reused by browser contexts, HTTP clients and API calls alike. Forms
carry the session's CSRF token, read from a page as a browser has it (`csrf`, `post_form`)."""

from __future__ import annotations

import re
from typing import Any

import httpx

COOKIE = "shouhu_session"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def csrf_in(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF_FIELD.search(html)
    assert found and found.group(1), "the page has no form with a CSRF token"
    return found.group(1)


class Sessions:
    def __init__(self, web_world: Any) -> None:
        self.world = web_world
        self._tokens: dict[str, str] = {}
        self._csrf: dict[str, str] = {}

    def token(self, role: str) -> str:
        """Sign in through the login form once per role; the session cookie's value."""
        if role not in self._tokens:
            account = self.world.accounts[role]
            r = httpx.post(
                f"{self.world.url}/login",
                data={"username": account.username, "password": account.password},
                timeout=60,
            )
            assert r.status_code == 303 and r.headers["location"] == "/list", r.text
            self._tokens[role] = r.cookies[COOKIE]
        return self._tokens[role]

    def csrf(self, role: str) -> str:
        """The role's CSRF token, as its pages carry it (read once from the visit list page)."""
        if role not in self._csrf:
            with self.client(role) as client:
                page = client.get("/list")
            assert page.status_code == 200, page.text[:300]
            self._csrf[role] = csrf_in(page.text)
        return self._csrf[role]

    def post_form(self, role: str, path: str, data: dict[str, Any]) -> httpx.Response:
        """A page's form posted as the role's browser posts it: session cookie, CSRF token, own Origin."""
        with self.client(role) as client:
            return client.post(
                path, data={"csrf_token": self.csrf(role), **data}, headers={"Origin": self.world.url}
            )

    def client(self, role: str) -> httpx.Client:
        """An HTTP client holding the role's session cookie, as a browser would."""
        return httpx.Client(base_url=self.world.url, cookies={COOKIE: self.token(role)}, timeout=120)

    def api_list(self, role: str, **params: str) -> dict[str, Any]:
        """The API's visit list for the role, asked with the session's token as a Bearer token."""
        r = httpx.get(
            f"{self.world.url}/api/v1/visit-list",
            params={"limit": 1000, **params},
            headers={"Authorization": f"Bearer {self.token(role)}"},
            timeout=120,
        )
        assert r.status_code == 200, r.text
        return r.json()
