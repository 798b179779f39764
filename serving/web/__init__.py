"""Caseworker web pages (中文), server-rendered with Jinja2, mounted on the API's FastAPI app.

`mount(app)` is the only entry point: it adds the page routes, the static CSS and the page error handlers.
Nothing happens at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    from fastapi.staticfiles import StaticFiles

    from serving.web.routes import install_handlers, router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_handlers(app)
