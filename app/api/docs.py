"""Swagger UI and ReDoc from local assets: the ones the `fastapi-offline` package ships, served
under /static/docs/, so the docs load without internet.

The pages are plain Starlette routes, as FastAPI's own docs routes are: the checked route class's
key check does not apply to them (nor to /openapi.json); with REQUIRE_KEYS_FOR_READS and
PROTECT_OPERATIONAL_ENDPOINTS on, `app.api.auth.OperationalEndpointsGuard` asks them for a key.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# No call to the public validator (validator.swagger.io) from the page.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None, "displayRequestDuration": True}


def _assets_dir() -> Path:
    return Path(str(files("fastapi_offline").joinpath("static")))


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc; `app` must be made with `docs_url=None, redoc_url=None`."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url
    app.mount(ASSETS_URL, StaticFiles(directory=_assets_dir()), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
