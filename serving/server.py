"""How the service is put behind uvicorn (`shouhu serve`, `shouhu demo`, the tests' live servers).

uvicorn by default believes `X-Forwarded-For` from 127.0.0.1, so anyone reaching the port from the same host
could name any client address and walk around the sign-in limit. Here proxy headers are believed only from
SHOUHU_TRUSTED_PROXIES (empty by default: the peer address is the client's)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shouhu.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def config(app: FastAPI, settings: Settings, host: str, port: int, **options: Any) -> Any:
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, workers=1, **uvicorn_options(settings), **options)


def run(app: FastAPI, settings: Settings, host: str, port: int, **options: Any) -> None:
    import uvicorn

    uvicorn.Server(config(app, settings, host, port, **options)).run()
