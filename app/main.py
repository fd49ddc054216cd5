"""The ASGI application, built by a factory that tests configure with their own settings."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import __version__
from app.api.auth import OperationalEndpointsGuard
from app.api.deps import Services
from app.api.docs import install_docs
from app.api.middleware import RequestMiddleware
from app.api.openapi import OPENAPI_TAGS, install_openapi, operation_id
from app.api.problems import install_problem_handlers
from app.api.routers import (
    admin,
    baselines,
    catalog_revisions,
    compute,
    diff,
    evaluate,
    health,
    pipelines,
    profile_writes,
    profiles,
    validate,
)
from app.service.api_keys import KeyVerifier
from app.service.baseline_cache import BaselineCache
from app.service.catalog_revisions import ActiveCatalog, CatalogCache
from app.service.profile_cache import ProfileCache
from app.service.profile_sets import ProfileSetResolver
from app.settings import Settings, get_settings
from app.store.database import make_engine, make_session_factory

# Allocations between two collections of the youngest generation, while the app serves.
YOUNG_COLLECTION_THRESHOLD = 10_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        factory = make_session_factory(engine)
        cache = ProfileCache(factory)
        catalogs = CatalogCache(factory)
        # Start-up builds objects that live as long as the app, the catalogue's above all: with
        # the collector running, each of its full collections walked everything imported and
        # built so far again (a third of the catalogue's load time, more under load). What the
        # imports built is frozen now, so that the collection below walks only what start-up
        # loads; the collector waits until that is built (`serve` has paused it from before
        # the app's imports) and then runs again.
        gc.freeze()
        gc.disable()
        try:
            await asyncio.to_thread(cache.refresh)
            active = await asyncio.to_thread(lambda: catalogs.current)
        except BaseException:
            gc.enable()
            raise
        app.state.services = Services(
            settings=settings,
            engine=engine,
            session_factory=factory,
            profiles=cache,
            catalog=active.catalog,
            catalog_info=active.info,
            keys=KeyVerifier(factory, ttl=settings.profile_refresh_seconds),
            catalogs=catalogs,
            profile_sets=ProfileSetResolver(factory, cache),
            baselines=BaselineCache(factory, ttl_seconds=settings.profile_refresh_seconds),
        )

        def use_catalog(new: ActiveCatalog) -> None:
            # A request reads app.state.services once, so it sees one catalogue and its info.
            app.state.services = dataclasses.replace(
                app.state.services, catalog=new.catalog, catalog_info=new.info
            )
            gc.freeze()  # the new catalogue too, as at start-up

        # What start-up loaded (the catalogue above all) lives as long as the app: moved out of
        # the collector's generations, it is no longer walked by every full collection (80 ms
        # each with the catalogue in them, a pause in whichever request triggers one).
        gc.collect()
        gc.freeze()
        gc.enable()
        # A decision allocates tens of thousands of short-lived objects (its answer's models
        # above all): at the default threshold of 700 the collector ran every few hundred of
        # them, a third of the time of building a 10,000-request evaluate answer.
        threshold = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
        interval = settings.profile_refresh_seconds
        refreshers = [
            asyncio.create_task(cache.run_refresher(interval)),
            asyncio.create_task(catalogs.run_refresher(interval, use_catalog)),
        ]
        try:
            yield
        finally:
            for refresher in refreshers:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            engine.dispose()
            gc.set_threshold(*threshold)
            gc.unfreeze()  # what this app held can be collected again

    app = FastAPI(
        title="Pipeline policy service",
        version=__version__,
        summary="Least-privilege IAM service-role policies for AWS CodePipeline pipelines.",
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
    )
    install_problem_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=[
                "authorization",
                "content-type",
                "if-match",
                "x-api-key",
                "x-request-id",
            ],
            expose_headers=["etag", "location", "x-request-id"],
        )
    if settings.keys_required_for_reads and settings.protect_operational_endpoints:
        app.add_middleware(OperationalEndpointsGuard)
    app.add_middleware(
        RequestMiddleware,
        max_body_bytes=settings.max_request_bytes,
        time_limit_seconds=settings.request_timeout_seconds,
        hsts_seconds=settings.hsts_seconds,
        work_limits=settings.work_limits,
        max_response_bytes=settings.max_response_bytes,
    )
    # A request is matched against the included routers in this order, at a cost per router
    # passed (about 10 µs each), so the decision routes come first.
    for module in (
        compute,
        diff,
        validate,
        evaluate,
        pipelines,
        health,
        profiles,
        profile_writes,
        baselines,
        catalog_revisions,
        admin,
    ):
        app.include_router(module.router)
    install_docs(app)
    install_openapi(app)
    return app


app = create_app()
