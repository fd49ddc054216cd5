"""Browse permission profiles, their revisions and what changed between two."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from enum import StrEnum
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep, SessionDep
from app.api.http_cache import NO_CACHE, body_etag, immutable, json_response, not_modified
from app.api.pagination import Cursor, Limit, encode_cursor, int_cursor, strings_cursor
from app.api.problems import NotFoundError, problem_responses
from app.api.schemas.common import INT32_MAX
from app.api.schemas.profiles import (
    ProfileDiffOut,
    ProfileListOut,
    ProfileRevisionOut,
    ProfileSummaryOut,
    RevisionListOut,
)
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_schema import ProfileDocument
from app.engine.profiles import ACTIVE, DEPRECATED
from app.service.profile_diff import diff_revisions
from app.service.profile_reads import (
    ServedRevision,
    current_profile,
    revision_as_published,
    revisions_as_published,
    served_in_selection,
    stored_revision,
)
from app.service.profile_sets import select_revisions
from app.service.profile_writes import revision_etag
from app.service.records import StoredRevision

router = APIRouter(prefix="/v1/profiles", tags=["profiles"], route_class=CheckedRoute)

NAME = r"^[0-9A-Za-z_-]{1,35}$"
_WITHOUT_CASE = "compared without case"


class RevisionStatus(StrEnum):
    """A revision's status; a query may write it in any case."""

    ACTIVE = ACTIVE
    DEPRECATED = DEPRECATED

    @classmethod
    def _missing_(cls, value: object) -> RevisionStatus | None:
        return next((s for s in cls if s.value == str(value).lower()), None)


StatusQuery = Annotated[RevisionStatus | None, Query(description=_WITHOUT_CASE)]
Category = Annotated[str, Path(pattern=NAME, examples=["Source"])]
Owner = Annotated[str, Path(pattern=NAME, examples=["AWS"])]
Provider = Annotated[str, Path(pattern=NAME, examples=["CodeCommit"])]
Version = Annotated[str, Path(pattern=NAME, examples=["1"])]
AsOf = Annotated[
    dt.date | None,
    Query(description="the profiles in force on this date (YYYY-MM-DD)", examples=["2018-06-01"]),
]
SetRevision = Annotated[
    int | None,
    Query(ge=1, le=INT32_MAX, description="as published up to this profile-set revision"),
]
RevisionNumber = Annotated[int, Path(ge=1, le=INT32_MAX)]


class JsonSchemaResponse(Response):
    media_type = "application/schema+json"


@functools.cache
def _schema_body() -> bytes:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ProfileDocument.model_json_schema(),
    }
    return orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)


@router.get(
    "/schema",
    summary="Get the JSON Schema of a profile document",
    response_class=JsonSchemaResponse,
    responses={
        200: {
            "description": "a JSON Schema (draft 2020-12)",
            "content": {JsonSchemaResponse.media_type: {"schema": {"type": "object"}}},
        }
    },
)
def get_profile_schema(request: Request) -> Response:
    """The JSON Schema of a profile document, for editors: the shape of the files of
    app/data/profiles and of the POST and PUT bodies. What needs the IAM catalogue (every action
    known, `risk_reason` where a grant needs one) is checked when a profile is published."""
    body = _schema_body()
    etag = body_etag(body)
    headers = {"ETag": etag, "Cache-Control": NO_CACHE}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return JsonSchemaResponse(body, headers=headers)


def _key_tuple(key: ActionTypeKey) -> tuple[str, str, str, str]:
    return (key.category, key.owner, key.provider, key.version)


def _field(row: StoredRevision, name: str) -> str:
    return row.status if name == "status" else str(getattr(row.key, name))


@router.get(
    "",
    summary="List the profiles in force",
    response_model=ProfileListOut,
    responses=problem_responses(404, 422),
)
def list_profiles(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    category: Annotated[str | None, Query(pattern=NAME, description=_WITHOUT_CASE)] = None,
    owner: Annotated[str | None, Query(pattern=NAME, description=_WITHOUT_CASE)] = None,
    provider: Annotated[str | None, Query(pattern=NAME, description=_WITHOUT_CASE)] = None,
    version: Annotated[str | None, Query(pattern=NAME, description=_WITHOUT_CASE)] = None,
    status: StatusQuery = None,
    as_of: AsOf = None,
    set_revision: SetRevision = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """The profile of every action type (the newest revision, or the one in force as of a date
    or a profile-set revision), filtered by action type fields and status (compared without
    case), in key order. As of a date, action types whose support date is unknown are listed and
    named in `undated`."""
    after = strings_cursor(cursor, 4)
    selection = select_revisions(session, as_of=as_of, set_revision=set_revision)
    wanted = {
        "category": category,
        "owner": owner,
        "provider": provider,
        "version": version,
        "status": status,
    }
    filters = {field: value.lower() for field, value in wanted.items() if value is not None}
    rows = [
        r
        for r in selection.revisions
        if all(_field(r, field).lower() == value for field, value in filters.items())
        and (after is None or _key_tuple(r.key) > after)
    ]
    page = rows[:limit]
    served = {item.row.key: item for item in served_in_selection(selection.revisions)}
    body = ProfileListOut(
        profile_set_revision=selection.set_revision,
        as_of=as_of,
        predates=sorted(k.label for k in selection.predates if any(r.key == k for r in page)),
        undated=sorted(k.label for k in selection.undated if any(r.key == k for r in page)),
        items=[ProfileSummaryOut.of(served[r.key], as_of) for r in page],
        next_cursor=encode_cursor(_key_tuple(page[-1].key)) if len(rows) > limit else None,
    )
    # Pinned to a set revision, the answer never changes; otherwise it moves with every write.
    cache = immutable(services) if set_revision is not None else NO_CACHE
    return json_response(request, body, cache_control=cache)


def _not_found(key: ActionTypeKey) -> NotFoundError:
    return NotFoundError(f"no profile for action type `{key.label}`")


@router.get(
    "/{category}/{owner}/{provider}/{version}",
    summary="Get the profile of an action type",
    response_model=ProfileRevisionOut,
    responses=problem_responses(404, 422),
)
def get_profile(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    session: SessionDep,
    services: ServicesDep,
    as_of: AsOf = None,
    set_revision: SetRevision = None,
) -> Response:
    """The newest revision of one profile (or the one in force as of a date or a profile-set
    revision), with its statements and citations, and resolved with the profile it extends when
    it extends another. Its ETag is what PUT's If-Match names."""
    key = ActionTypeKey(category, owner, provider, version)
    item: ServedRevision | None
    if as_of is None and set_revision is None:
        item = current_profile(session, key)
    else:
        selection = select_revisions(session, as_of=as_of, set_revision=set_revision)
        item = next((i for i in served_in_selection(selection.revisions) if i.row.key == key), None)
    if item is None:
        when = f" as of {as_of} (unknown, or not supported yet)" if as_of else ""
        raise NotFoundError(f"no profile for action type `{key.label}`{when}")
    dated = (as_of.isoformat(),) if as_of else ()
    etag = revision_etag(item.row, *dated, *item.etag_variant)
    cache = immutable(services) if set_revision is not None else NO_CACHE
    return json_response(
        request, ProfileRevisionOut.full(item, as_of), cache_control=cache, etag=etag
    )


@router.get(
    "/{category}/{owner}/{provider}/{version}/revisions",
    summary="List the revisions of a profile",
    response_model=RevisionListOut,
    responses=problem_responses(404, 422),
)
def list_revisions(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    session: SessionDep,
    status: StatusQuery = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """The revisions of one profile, oldest first."""
    key = ActionTypeKey(category, owner, provider, version)
    items = revisions_as_published(
        session,
        key,
        after=int_cursor(cursor),
        limit=limit + 1,
        status=status.value if status else None,
    )
    if items is None:
        raise _not_found(key)
    page = items[:limit]
    body = RevisionListOut(
        items=[ProfileSummaryOut.of(item) for item in page],
        next_cursor=encode_cursor(page[-1].row.revision) if len(items) > limit else None,
    )
    return json_response(request, body, cache_control=NO_CACHE)


def _revision(session: SessionDep, key: ActionTypeKey, revision: int) -> StoredRevision:
    row = stored_revision(session, key, revision)
    if row is None:
        raise NotFoundError(f"no revision {revision} of `{key.label}`")
    return row


@router.get(
    "/{category}/{owner}/{provider}/{version}/revisions/{revision}",
    summary="Get one revision of a profile",
    response_model=ProfileRevisionOut,
    responses=problem_responses(404, 422),
)
def get_revision(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    revision: RevisionNumber,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """One revision of one profile. Published revisions never change; one that extends another
    is resolved with that profile's revision current when it was published."""
    row = _revision(session, ActionTypeKey(category, owner, provider, version), revision)
    item = revision_as_published(session, row)
    return json_response(
        request,
        ProfileRevisionOut.full(item),
        cache_control=immutable(services),
        etag=revision_etag(row, *item.etag_variant),
    )


@router.get(
    "/{category}/{owner}/{provider}/{version}/revisions/{revision}/diff/{other}",
    summary="Diff two revisions of a profile",
    response_model=ProfileDiffOut,
    responses=problem_responses(404, 422),
)
def diff_two_revisions(
    request: Request,
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    revision: RevisionNumber,
    other: RevisionNumber,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """What changed from one revision to another, in the documents as written: statements added,
    removed and changed (by statement id, with the actions each gained or lost), notes, pitfalls,
    sources, fields."""
    key = ActionTypeKey(category, owner, provider, version)
    old, new = _revision(session, key, revision), _revision(session, key, other)
    basis = f"{revision_etag(old)}{revision_etag(new)}".encode()
    etag = '"' + hashlib.sha256(basis).hexdigest()[:32] + '"'
    return json_response(
        request,
        ProfileDiffOut.of(new, diff_revisions(old, new)),
        cache_control=immutable(services),
        etag=etag,
    )
