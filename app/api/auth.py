"""API keys on requests: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

Writes and admin requests verify the key against the database every time. Reads are open unless
REQUIRE_KEYS_FOR_READS (or PRODUCTION) is on; then every request but the health probes and
/metrics needs a `read` key, verified through the in-memory TTL cache; with
PROTECT_OPERATIONAL_ENDPOINTS on too, /metrics and the API docs (/docs, /redoc, /openapi.json,
/static/docs) need one as well (the docs are Starlette routes outside the checked route class, so
`OperationalEndpointsGuard` checks them). Open reads touch neither the key nor the database, so
the hot endpoints stay off it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.deps import Services, ServicesDep, get_services
from app.api.problems import (
    ForbiddenError,
    HttpProblemError,
    UnauthorizedError,
    http_problem_response,
)
from app.service.api_keys import KeyScope, Principal, scope_allows

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
OPEN_PATHS = PROBE_PATHS | {"/metrics"}
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json", "/static/docs/")

_bearer = HTTPBearer(auto_error=False, description="an API key: `pp_<prefix>_<secret>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key")


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


def _principal(request: Request, services: Services, *, fresh: bool) -> Principal:
    token = presented_key(request)
    if token is None:
        raise UnauthorizedError("send an API key as `Authorization: Bearer <key>` or `X-API-Key`")
    principal = services.keys.verify(token, fresh=fresh)
    if principal is None:
        raise UnauthorizedError("the API key is not valid (unknown, malformed or revoked)")
    return principal


async def authorize_request(request: Request) -> None:
    """Every route: a `read` key on every request when the settings require keys for reads.

    async, so that open reads cost no thread-pool hop; checking a key may query the database,
    so that part runs in the pool.
    """
    services = await get_services(request)
    settings = services.settings
    if not settings.keys_required_for_reads:
        return
    open_paths = PROBE_PATHS if settings.protect_operational_endpoints else OPEN_PATHS
    if request.url.path in open_paths:
        return
    request.state.principal = await run_in_threadpool(_principal, request, services, fresh=False)


def _is_docs(path: str) -> bool:
    return path.startswith(DOCS_PATHS) or path in ("/docs", "/redoc", "/static/docs")


class OperationalEndpointsGuard:
    """A `read` key for the API docs and the OpenAPI document, when reads need keys and
    PROTECT_OPERATIONAL_ENDPOINTS is on (installed only then)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_docs(scope["path"]):
            request = Request(scope, receive)
            try:
                await authorize_request(request)
            except HttpProblemError as exc:
                response = http_problem_response(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def require(scope: KeyScope) -> Callable[..., Principal]:
    def dependency(
        request: Request,
        services: ServicesDep,
        _bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        _api_key_header: Annotated[str | None, Depends(_api_key)],
    ) -> Principal:
        principal = _principal(request, services, fresh=True)
        if not scope_allows(principal.scope, scope):
            raise ForbiddenError(
                f"this needs a `{scope.value}` key; key {principal.prefix} has `{principal.scope}`"
            )
        return principal

    return dependency


WriterDep = Annotated[Principal, Depends(require(KeyScope.WRITE))]
AdminDep = Annotated[Principal, Depends(require(KeyScope.ADMIN))]
