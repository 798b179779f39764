"""The FastAPI app factory: `create_app(settings)`. No work happens until the lifespan starts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from serving.api_errors import error_body
from serving.champion import ModelUnavailable
from serving.headers import SecurityHeaders
from serving.metrics import MetricsMiddleware
from serving.scoring import MatrixBuilder
from serving.services import Services
from serving.warehouse import WarehouseUnavailable
from shouhu.settings import Settings

log = logging.getLogger("shouhu.serving")

DESCRIPTION = """守护 Shouhu：农村留守儿童预警排查走访名单。评分仅供参考，由工作人员决定。

Roles: children_director (own village), supervisor (own township), county, data_team and admin (lists of
pseudonymous keys at township or county level, no names, no single child's record; admin also reads the audit
log). Every read of a child's record is written to the audit log."""


def create_app(settings: Settings, builder: MatrixBuilder | None = None, *, migrate: bool = False) -> FastAPI:
    """The app; `migrate` applies the database migrations at start-up (else the schema must be current:
    `shouhu db upgrade`). Raises shouhu.settings.InsecureSettings for a public default or short secret
    (unless the development flag SHOUHU_ALLOW_DEV_SECRETS is set): the server never runs on a secret anyone
    can read."""
    settings.require_secrets()
    services = Services(settings, builder, migrate_on_start=migrate)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.stop()

    # /docs is served from the app's own files (serving.docs); ReDoc would need a CDN, so it is off
    app = FastAPI(
        title="Shouhu 守护 API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services

    @app.exception_handler(ModelUnavailable)
    @app.exception_handler(WarehouseUnavailable)
    async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(503, str(exc)), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # the type only: a message could quote data
        log.error("unhandled %s", type(exc).__name__)
        return JSONResponse(error_body(500, "internal error"), status_code=500)

    from serving.api import router

    app.include_router(router)
    from serving import api_errors, docs

    docs.mount(app)  # before the pages' /static: its /static/swagger-ui/ is matched first
    from serving.web import mount as mount_pages  # the caseworker pages (serving/web)

    mount_pages(app)
    api_errors.install(app)  # after the pages: API paths answer Chinese JSON, pages keep their handlers
    from serving.monitoring.dashboard import router as monitor_page  # the 县民政 monitoring page

    app.include_router(monitor_page)
    from serving.web.csrf import SameOriginForms

    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    app.add_middleware(SameOriginForms)
    app.add_middleware(SecurityHeaders)  # every answer gets the headers, a refused form too
    # outermost: compresses what SecurityHeaders has seen whole (it hashes the docs page's inline script)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    return app
