"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep
from app.api.metrics import exposition
from app.api.schemas.health import HealthOut, ReadinessOut

router = APIRouter(tags=["health"], route_class=CheckedRoute)


@router.get("/healthz", summary="Liveness", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    # On the event loop, with no thread-pool hop: it answers while every worker thread is busy.
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=ReadinessOut,
    responses={
        503: {
            "model": ReadinessOut,
            "description": "Not ready (the checks say what is missing), or no answer within the "
            "request time limit (a problem)",
        }
    },
)
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready: the database answers, the profile set is loaded, and the catalogue in use is fit
    to answer with (not far below a real catalogue's size, and has every action the profiles
    name)."""
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    checks["profiles"] = (
        f"ok (set revision {services.profiles.current.profile_set.revision})"
        if services.profiles.loaded
        else "not loaded"
    )
    unfit = (
        services.catalog_readiness.problems(services.catalog, services.profiles.current.profile_set)
        if services.profiles.loaded
        else ()
    )
    checks["catalog"] = (
        f"error: {'; '.join(unfit)}"
        if unfit
        else f"ok ({services.catalog_info.actions} actions, {services.catalog_info.date})"
    )
    ready = all(v.startswith("ok") for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics(services: ServicesDep) -> Response:
    """Prometheus metrics."""
    body, media_type = exposition(
        services.profiles.current.profile_set.revision, services.catalog_info
    )
    return Response(body, media_type=media_type)
