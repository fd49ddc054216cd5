"""Create profiles, publish revisions and deprecate: `write` keys, If-Match on the revision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, Response

from app.api.auth import WriterDep
from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep, UnitOfWorkDep
from app.api.http_cache import NO_STORE, json_response, required_if_match
from app.api.problems import problem_responses
from app.api.routers.profiles import Category, Owner, Provider, Version
from app.api.schemas.profiles import DeprecateIn, ProfileRevisionOut
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_schema import ProfileDocument
from app.service import profile_writes
from app.service.api_keys import KeyScope, Principal, scope_allows
from app.service.profile_writes import Publisher, as_written
from app.service.records import StoredRevision

router = APIRouter(prefix="/v1/profiles", tags=["profiles"], route_class=CheckedRoute)

DocumentBody = Annotated[
    ProfileDocument,
    Body(
        description="a profile document (app/data/profiles/README.md; its JSON Schema is "
        "`GET /v1/profiles/schema`). Every action must be in the IAM catalogue in use; a "
        "statement with an action pattern, Resource `*` on actions that can be scoped, or a "
        "privilege-escalation action needs a `risk_reason` and an `admin` key",
        examples=[
            {
                "action_type": {
                    "category": "Invoke",
                    "owner": "Custom",
                    "provider": "SlackNotify",
                    "version": "1",
                },
                "title": "Custom Slack notification action",
                "supported_since": None,
                "effective_date": "2026-11-28",
                "sources": {"team-wiki": {"title": "Team wiki", "url": "https://wiki.example"}},
                "statements": [
                    {
                        "id": "Invoke",
                        "description": "invoke the notifier function",
                        "actions": ["lambda:InvokeFunction"],
                        "resources": [
                            "arn:${partition}:lambda:${region}:${account}:function:"
                            "${config.FunctionName}"
                        ],
                        "source": "team-wiki",
                    }
                ],
            }
        ],
    ),
]
IfMatch = Annotated[str | None, Header(description="the ETag of the current revision (from GET)")]
_WRITE_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 422, 428)


def _publisher(writer: Principal) -> Publisher:
    return Publisher(
        writer.actor, reasoned_grants_allowed=scope_allows(writer.scope, KeyScope.ADMIN)
    )


def _written(
    request: Request,
    session: UnitOfWorkDep,
    row: StoredRevision,
    headers: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The revision written, as GET serves the current one, with the ETag If-Match names."""
    item, etag = as_written(session, row)
    return json_response(
        request,
        ProfileRevisionOut.full(item),
        status_code=status_code,
        cache_control=NO_STORE,
        etag=etag,
        headers=headers,
    )


def _location(key: ActionTypeKey, revision: int | None = None) -> str:
    base = f"/v1/profiles/{key.category}/{key.owner}/{key.provider}/{key.version}"
    return base if revision is None else f"{base}/revisions/{revision}"


@router.post(
    "",
    summary="Create the profile of a new action type",
    status_code=201,
    response_model=ProfileRevisionOut,
    responses=problem_responses(401, 403, 409, 422),
)
def create_profile(
    request: Request,
    document: DocumentBody,
    writer: WriterDep,
    session: UnitOfWorkDep,
    services: ServicesDep,
) -> Response:
    """Create the profile of an action type that has none (AWS, ThirdParty or Custom owner):
    revision 1, and a new profile-set revision."""
    row = profile_writes.create_profile(
        session, document, catalog=services.catalog, publisher=_publisher(writer)
    )
    return _written(request, session, row, {"Location": _location(row.key)}, status_code=201)


@router.put(
    "/{category}/{owner}/{provider}/{version}",
    summary="Publish a new revision of a profile",
    response_model=ProfileRevisionOut,
    responses=_WRITE_PROBLEMS,
)
def publish_revision(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    document: DocumentBody,
    writer: WriterDep,
    session: UnitOfWorkDep,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> Response:
    """Publish a new revision of a profile. `If-Match` must carry the current revision's ETag
    (412 when another revision was published since, 428 without it). Publishing the current
    document again changes nothing."""
    key = ActionTypeKey(category, owner, provider, version)
    tags = required_if_match(if_match)
    result = profile_writes.publish_revision(
        session,
        key,
        document,
        if_match=tags,
        catalog=services.catalog,
        publisher=_publisher(writer),
    )
    row = result.revision
    return _written(request, session, row, {"Content-Location": _location(key, row.revision)})


@router.post(
    "/{category}/{owner}/{provider}/{version}/deprecate",
    summary="Deprecate a profile",
    response_model=ProfileRevisionOut,
    responses=_WRITE_PROBLEMS,
)
def deprecate_profile(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    writer: WriterDep,
    session: UnitOfWorkDep,
    if_match: IfMatch = None,
    body: Annotated[DeprecateIn | None, Body()] = None,
) -> Response:
    """Deprecate a profile: a new revision with the same document and status `deprecated`
    (same If-Match rules as publishing). Compute keeps using it for pipelines that still have
    the action."""
    key = ActionTypeKey(category, owner, provider, version)
    tags = required_if_match(if_match)
    row = profile_writes.deprecate_profile(
        session, key, if_match=tags, actor=writer.actor, reason=body.reason if body else None
    )
    return _written(request, session, row, {"Content-Location": _location(key, row.revision)})
