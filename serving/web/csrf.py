"""Cross-site request forgery, refused twice for the pages (the API takes Bearer tokens, never the cookie):

1. `SameOriginForms` (ASGI middleware): a page request other than GET/HEAD/OPTIONS whose `Origin` — or, when a
   browser sends none, `Referer` — names another origin is refused. Another port or a sibling subdomain is
   another origin, though the same *site*, so SameSite=Lax cookies alone would still be sent from it.
2. `require_token` (dependency of every cookie-authenticated form POST): the form's hidden `csrf_token` must
   be the HMAC of the session cookie (`serving.security.csrf_token`), which another page cannot read.

Both answer a Chinese 403 page and change nothing."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.security import csrf_matches
from serving.security import csrf_token as make_token
from serving.web.pages import COOKIE

log = logging.getLogger("shouhu.serving")
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}
TITLE = "请求被拒绝"
MESSAGE = (
    "这个操作不是从守护本身的页面提交的，或页面已过期，所以没有执行，也没有保存任何内容。"
    "请回到走访清单，重新打开页面后再操作。"
)


class CsrfRefused(Exception):
    """A cross-site or token-less form submission (answered with a Chinese 403 page)."""


def _origin(url: str, default_scheme: str = "http") -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url if "//" in url else f"{default_scheme}://{url}")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def own_origin(scope: Scope) -> tuple[str, str, int] | None:
    """The origin a request was sent to: its scheme (a trusted proxy's X-Forwarded-Proto, see serving.server)
    and its Host header."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = scope.get("scheme", "http")
    return _origin(f"{scheme}://{host}") if host else None


def foreign_source(scope: Scope) -> str | None:
    """Why the Origin / Referer is not the page's own origin; None when it is or neither is sent."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    referer = headers.get(b"referer")
    own = own_origin(scope)
    if origin is not None:
        text = origin.decode("latin-1")
        if text == "null" or own is None or _origin(text) != own:
            return f"origin {text[:80]}"
        return None
    if referer is not None:
        text = referer.decode("latin-1")
        if own is None or _origin(text) != own:
            return "referer of another origin"
    return None


class SameOriginForms:
    """Refuses state-changing page requests sent from another origin (ASGI middleware; the API is exempt)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not scope["path"].startswith("/api/")
        ):
            why = foreign_source(scope)
            if why is not None:
                log.warning("refused a cross-site %s (%s)", scope["method"], why)
                from serving.web.routes import refusal_page

                response = refusal_page(scope)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def token_for(request: Request) -> str | None:
    """The CSRF token the pages put in their forms, for the session cookie of `request` (None: signed out)."""
    session = request.cookies.get(COOKIE)
    if not session:
        return None
    return make_token(session, request.app.state.services.settings.token_secret.get_secret_value())


def require_token(request: Request, csrf_token: Annotated[str, Form(max_length=128)] = "") -> None:
    """Dependency of cookie-authenticated form POSTs: the form's token must match the session's."""
    session = request.cookies.get(COOKIE) or ""
    secret = request.app.state.services.settings.token_secret.get_secret_value()
    if not session or not csrf_matches(csrf_token, session, secret):
        log.warning("refused a form without a valid CSRF token")
        raise CsrfRefused
