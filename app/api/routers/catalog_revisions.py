"""The imported IAM catalogue revisions and the one in use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep, SessionDep
from app.api.http_cache import NO_CACHE, json_response
from app.api.pagination import TEXT_FILTER, Cursor, Limit, encode_cursor, int_cursor
from app.api.problems import problem_responses
from app.api.schemas.admin import CatalogRevisionListOut, CatalogRevisionOut
from app.api.schemas.common import CatalogRef
from app.service import catalog_revisions

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], route_class=CheckedRoute)


@router.get(
    "/revisions",
    summary="List catalogue revisions and the one in use",
    response_model=CatalogRevisionListOut,
    responses=problem_responses(422),
)
def list_catalog_revisions(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    source: Annotated[str | None, Query(pattern=TEXT_FILTER)] = None,
    active: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Imported catalogue revisions, newest first, and the catalogue this replica uses."""
    rows = catalog_revisions.list_revisions(
        session, before_id=int_cursor(cursor), limit=limit + 1, source=source, active=active
    )
    page = rows[:limit]
    body = CatalogRevisionListOut(
        in_use=CatalogRef(**vars(services.catalog_info)),
        items=[CatalogRevisionOut.of(r) for r in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )
    return json_response(request, body, cache_control=NO_CACHE)
