"""Answers kept by the bytes that asked for them (see app/service/answer_cache.py).

The route class looks a request up after the key check and before anything else reads the
request: a kept answer was computed from these very bytes (path, query, Accept header, body),
which passed the strict-JSON check and the request model then, so they need neither again. The
route's handler keeps what it computes through `keep`, with the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from app.api.auth import authorize_request
from app.api.checked_route import CheckedRoute
from app.api.deps import Services, get_services
from app.api.metrics import record_answer_cache, record_decision
from app.api.strict_json import reject_non_standard_json
from app.service.answer_cache import cached_answer
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo

AnswerKey = tuple[Hashable, ...]


async def answer_key(request: Request) -> AnswerKey:
    """Everything of a request that its answer depends on."""
    scope = request.scope
    return (
        scope["path"],
        scope["query_string"],
        request.headers.get("accept", ""),
        await request.body(),
    )


def current_basis(services: Services) -> tuple[LoadedProfileSet, CatalogInfo]:
    return (services.profiles.current, services.catalog_info)


def keep(
    kind: str,
    services: Services,
    key: AnswerKey | None,
    basis: tuple[LoadedProfileSet, CatalogInfo],
    response: Response,
    *,
    verdict: str,
    decision_id: str,
) -> None:
    """Keep `response`, computed on `basis`, for requests with `key` (None: not to be kept)."""
    if key is None:
        return
    record_answer_cache(kind, hit=False)
    services.answers.put(
        key,
        basis,
        cached_answer(
            bytes(response.body), response.media_type or "application/json", verdict, decision_id
        ),
    )


class KeptAnswerRoute(CheckedRoute):
    """A decision route whose answers may be kept; `kind` names it in the metrics."""

    kind: ClassVar[str]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # FastAPI's own handler: this class runs CheckedRoute's checks itself, with the look-up
        # between them.
        handler = APIRoute.get_route_handler(self)
        kind = self.kind

        async def kept_or_computed(request: Request) -> Response:
            await authorize_request(request)
            services = await get_services(request)
            if services.answers.enabled:
                kept = services.answers.get(await answer_key(request), current_basis(services))
                if kept is not None:
                    record_answer_cache(kind, hit=True)
                    record_decision(kind, kept.verdict)
                    return Response(kept.fresh_body(), media_type=kept.media_type)
            await reject_non_standard_json(request)
            return await handler(request)

        return kept_or_computed


class ComputeRoute(KeptAnswerRoute):
    kind = "compute"
