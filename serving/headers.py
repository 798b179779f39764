"""Security headers on every response (ASGI middleware):

- a Content-Security-Policy allowing scripts and styles from the service itself only — no inline script, no
  inline style attribute, no plugin, no <base>, forms only to itself — and `frame-ancestors 'none'` with
  `X-Frame-Options: DENY`, so no other site can frame a page (clickjacking);
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, `Cross-Origin-Opener-Policy`;
- `Cache-Control: no-store` on everything but the static CSS/JS: API answers, pages and exports carry
  children's data, which a shared phone's browser or a proxy must not keep;
- `Strict-Transport-Security` when the request came over https.

The interactive API docs (/docs) load Swagger UI from the service itself (serving.docs) and run one inline
start-up script; their policy allows exactly that script (its SHA-256, computed from the page served)."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
STATIC = "/static/"


def docs_csp(body: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; font-src 'self'; "
        "img-src 'self' data:; worker-src blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _set_headers(headers: MutableHeaders, scope: Scope, csp: str) -> None:
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not scope["path"].startswith(STATIC):
        headers["Cache-Control"] = "no-store"
    if scope.get("scheme") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(DOCS_PATHS):
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _set_headers(MutableHeaders(scope=message), scope, PAGES_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The docs pages are small: hold the answer until its body is known, then hash its inline script."""
        start: Message | None = None
        body = b""

        async def hold(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body += message.get("body", b"")
                if message.get("more_body"):
                    return
                assert start is not None
                _set_headers(MutableHeaders(scope=start), scope, docs_csp(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, hold)
