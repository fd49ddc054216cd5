"""Answers kept by the bytes that asked for them (see app/service/answer_cache.py).

The route class of the decision routes looks a request up after the key check and before
anything else reads the request: a kept answer was computed from these very bytes (path, query,
Accept and Content-Type headers, body), which passed the strict-JSON check and the request model
then, so they need neither again. The route's handler hands what it computes to `decided`, which
counts the decisions and keeps the answer under the key the route class left on the request,
when the answer depends on nothing but that request and the current profile set and catalogue
(no profile selection, no named baseline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from fastapi import Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import Services, get_services
from app.api.metrics import record_answer_cache, record_decision
from app.service.answer_cache import AnswerKey, cached_answer
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo

Basis = tuple[LoadedProfileSet, CatalogInfo]
# Headers a response works out from its body and media type; a kept answer's are worked out anew.
_COMPUTED_HEADERS = frozenset({"content-length", "content-type"})


async def answer_key(request: Request) -> AnswerKey:
    """Everything of a request that its answer depends on. The content type is in it because
    FastAPI reads a body as JSON only under a JSON content type: the same bytes sent as
    text/plain are refused, and must not find the answer given to them as JSON."""
    headers = request.headers
    scope = request.scope
    return (
        scope["path"],
        scope["query_string"],
        headers.get("accept", ""),
        headers.get("content-type", ""),
        await request.body(),
    )


def decided(
    http: Request,
    services: Services,
    basis: Basis,
    response: Response,
    *,
    verdicts: Sequence[str],
    decision_id: str,
    keepable: bool = True,
) -> Response:
    """Count the decisions of a computed answer, and keep it for the requests that ask with
    `http`'s bytes when it is `keepable`: when it depends on nothing but the request and
    `basis` (the profile set and catalogue it was computed on)."""
    route: KeptAnswerRoute = http.scope["route"]  # decided is called by these routes only
    kind = route.kind
    for verdict in verdicts:
        record_decision(kind, verdict)
    key: AnswerKey | None = getattr(http.state, "answer_key", None)
    if keepable and key is not None:  # None: the cache is off
        record_answer_cache(kind, hit=False)
        services.answers.put(
            key,
            basis,
            cached_answer(
                bytes(response.body),
                response.media_type or "application/json",
                tuple(verdicts),
                decision_id,
                tuple(
                    (name, value)
                    for name, value in response.headers.items()
                    if name not in _COMPUTED_HEADERS
                ),
            ),
        )
    return response


class KeptAnswerRoute(CheckedRoute):
    """A decision route whose answers may be kept; `kind` names it in the metrics."""

    kind: ClassVar[str]

    async def answer_before_reading(self, request: Request) -> Response | None:
        services = await get_services(request)
        if not services.answers.enabled:
            return None
        key = await answer_key(request)
        kept = services.answers.get(key, (services.profiles.current, services.catalog_info))
        if kept is None:
            request.state.answer_key = key  # for `decided`, once the answer is computed
            return None
        record_answer_cache(self.kind, hit=True)
        for verdict in kept.verdicts:
            record_decision(self.kind, verdict)
        return Response(kept.fresh_body(), media_type=kept.media_type, headers=dict(kept.headers))


class ComputeRoute(KeptAnswerRoute):
    kind = "compute"


class DiffRoute(KeptAnswerRoute):
    kind = "diff"


class EvaluateRoute(KeptAnswerRoute):
    kind = "evaluate"


class PipelinesRoute(KeptAnswerRoute):
    kind = "pipelines"
