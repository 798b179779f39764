"""The interactive API docs served entirely by the app: Swagger UI's files (5.x, which reads OpenAPI 3.1)
come from the `swagger-ui-py` package, mounted under /static/swagger-ui/, so /docs works on a county intranet
with no internet."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/swagger-ui"


def mount(app: FastAPI) -> None:
    """/docs and its OAuth2 redirect page, with Swagger UI's assets from the installed package. Call before
    the pages mount /static, so this more specific mount is matched first."""
    from importlib.util import find_spec

    spec = find_spec("swagger_ui")  # only its files: the package's own code is never run
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: `uv sync` installs it")
    static = Path(spec.submodule_search_locations[0]) / "static"
    app.mount(ASSETS, StaticFiles(directory=static), name="swagger-ui")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · 接口文档",
            oauth2_redirect_url=redirect,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            # no call to the public validator service: the page must work offline
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redirect, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
