"""Sessions for the page tests. The service allows 10 sign-in attempts a minute from one address, so each
role signs in once per test session; its cookie (the same signed token the API takes as a Bearer token) is
reused by browser contexts, HTTP clients and API calls alike."""

from __future__ import annotations

from typing import Any

import httpx

COOKIE = "shouhu_session"


class Sessions:
    def __init__(self, web_world: Any) -> None:
        self.world = web_world
        self._tokens: dict[str, str] = {}

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
