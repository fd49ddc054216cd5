"""The ASGI application, built by a factory that tests configure with their own settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from app import __version__
from app.api.deps import Services
from app.api.problems import install_problem_handlers, problem_response
from app.api.routers import baselines, compute, health, profiles
from app.service.catalog_import import default_catalog
from app.service.profile_cache import ProfileCache
from app.service.provenance import catalog_info
from app.settings import Settings, get_settings
from app.store.database import make_engine, make_session_factory


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        factory = make_session_factory(engine)
        cache = ProfileCache(factory)
        await asyncio.to_thread(cache.refresh)
        catalog = await asyncio.to_thread(default_catalog)
        app.state.services = Services(
            settings=settings,
            engine=engine,
            session_factory=factory,
            profiles=cache,
            catalog=catalog,
            catalog_info=catalog_info(catalog),
        )
        refresher = asyncio.create_task(cache.run_refresher(settings.profile_refresh_seconds))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            engine.dispose()

    app = FastAPI(
        title="Pipeline policy service",
        version=__version__,
        summary="Least-privilege IAM service-role policies for AWS CodePipeline pipelines.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    _limit_body_size(app, settings.max_request_bytes)
    for module in (health, compute, profiles, baselines):
        app.include_router(module.router)
    return app


def _limit_body_size(app: FastAPI, limit: int) -> None:
    @app.middleware("http")
    async def body_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return problem_response(
                413,
                "Request body too large",
                slug="body-too-large",
                detail=f"the body has {declared} bytes; the limit is {limit}",
                instance=request.url.path,
            )
        return await call_next(request)


app = create_app()
