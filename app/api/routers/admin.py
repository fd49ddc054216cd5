"""Admin: API keys, the audit log, importing and activating IAM catalogue revisions."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.auth import AdminDep
from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep, SessionDep, UnitOfWorkDep
from app.api.http_cache import NO_STORE, PRIVATE_NO_CACHE, json_response
from app.api.pagination import TEXT_FILTER, Cursor, Limit, encode_cursor, int_cursor
from app.api.problems import UnprocessableInputError, problem_responses
from app.api.schemas.admin import (
    AuditEventOut,
    AuditListOut,
    CatalogImportIn,
    CatalogRevisionOut,
    KeyCreatedOut,
    KeyCreateIn,
    KeyListOut,
    KeyOut,
)
from app.api.schemas.common import INT32_MAX
from app.service import api_keys, audit, catalog_revisions
from app.service.api_keys import KeyScope

router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=CheckedRoute)

Id = Annotated[int, Path(ge=1, le=INT32_MAX)]
_ADMIN_PROBLEMS = problem_responses(401, 403, 422)


@router.post(
    "/keys",
    summary="Create an API key",
    status_code=201,
    response_model=KeyCreatedOut,
    responses=_ADMIN_PROBLEMS,
)
def create_key(
    request: Request, body: KeyCreateIn, admin: AdminDep, session: UnitOfWorkDep
) -> Response:
    """Make an API key. The answer holds the whole key, once; only its hash is kept."""
    new = api_keys.create_key(session, name=body.name, scope=body.scope, actor=admin.actor)
    return json_response(
        request, KeyCreatedOut.created(new), status_code=201, cache_control=NO_STORE
    )


@router.get("/keys", summary="List API keys", response_model=KeyListOut, responses=_ADMIN_PROBLEMS)
def list_keys(
    request: Request,
    _admin: AdminDep,
    session: SessionDep,
    scope: KeyScope | None = None,
    revoked: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """API keys (never their secrets), oldest first, by scope and revocation."""
    rows = api_keys.list_keys(
        session, after=int_cursor(cursor), limit=limit + 1, scope=scope, revoked=revoked
    )
    page = rows[:limit]
    body = KeyListOut(
        items=[KeyOut.of(k) for k in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )
    return json_response(request, body, cache_control=PRIVATE_NO_CACHE)


@router.delete(
    "/keys/{key_id}",
    summary="Revoke an API key",
    response_model=KeyOut,
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_key(request: Request, key_id: Id, admin: AdminDep, session: UnitOfWorkDep) -> Response:
    """Revoke a key: writes see it at once, cached reads within PROFILE_REFRESH_SECONDS."""
    stored = api_keys.revoke_key(session, key_id, actor=admin.actor)
    return json_response(request, KeyOut.of(stored), cache_control=NO_STORE)


@router.get(
    "/audit", summary="Read the audit log", response_model=AuditListOut, responses=_ADMIN_PROBLEMS
)
def list_audit_events(
    request: Request,
    _admin: AdminDep,
    session: SessionDep,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z]+\.[a-z]+$", examples=["profile.publish"])
    ] = None,
    target: Annotated[
        str | None, Query(pattern=TEXT_FILTER, examples=["profile:Source/AWS/CodeCommit/1"])
    ] = None,
    key_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    since: Annotated[dt.datetime | None, Query(description="at or after (ISO 8601)")] = None,
    until: Annotated[dt.datetime | None, Query(description="before (ISO 8601)")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Every write, newest first: key, action, target, revisions before and after, time."""
    rows = audit.events(
        session,
        before_id=int_cursor(cursor),
        limit=limit + 1,
        action=action,
        target=target,
        key_id=key_id,
        since=since,
        until=until,
    )
    page = rows[:limit]
    body = AuditListOut(
        items=[AuditEventOut.of(e) for e in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )
    return json_response(request, body, cache_control=PRIVATE_NO_CACHE)


def _snapshot_bytes(body: CatalogImportIn) -> tuple[bytes, str]:
    if (body.snapshot_base64 is None) == (body.service_reference is None):
        raise UnprocessableInputError(
            "send exactly one of `snapshot_base64` and `service_reference`", pointer=""
        )
    if body.snapshot_base64 is not None:
        try:
            return base64.b64decode(body.snapshot_base64, validate=True), "/snapshot_base64"
        except (binascii.Error, ValueError) as exc:
            raise UnprocessableInputError(
                "`snapshot_base64` is not base64", pointer="/snapshot_base64"
            ) from exc
    assert body.service_reference is not None
    for field in ("source_version", "date"):
        if getattr(body, field) is None:
            raise UnprocessableInputError(
                f"`{field}` is required with `service_reference`", pointer=f"/{field}"
            )
    assert body.source_version is not None
    assert body.date is not None
    data = catalog_revisions.snapshot_from_service_reference(
        body.service_reference,
        source=body.source,
        source_version=body.source_version,
        date=body.date.isoformat(),
        pointer="/service_reference",
    )
    return data, "/service_reference"


@router.post(
    "/catalog/revisions",
    summary="Import a catalogue revision",
    status_code=201,
    response_model=CatalogRevisionOut,
    responses=problem_responses(401, 403, 409, 422),
)
def import_catalog_revision(
    request: Request,
    body: CatalogImportIn,
    admin: AdminDep,
    session: UnitOfWorkDep,
    services: ServicesDep,
) -> Response:
    """Import an IAM catalogue as a new, inactive revision (activate it to use it). A snapshot
    that expands to more than MAX_EXPANDED_BYTES is a 413, refused as soon as it does.

    A catalogue that would be unsafe in place of the one in use (it drops actions the profiles
    use, drops more than a tenth of the services or actions in use, or is far smaller than a
    real catalogue) is a 409 whose `difference` says what it drops, unless `force` is true; a
    forced import records the force and the difference in the audit log."""
    data, pointer = _snapshot_bytes(body)
    stored = catalog_revisions.import_snapshot(
        session,
        data,
        actor=admin.actor,
        pointer=pointer,
        force=body.force,
        max_expanded_bytes=services.settings.max_expanded_bytes,
    )
    return json_response(
        request,
        CatalogRevisionOut.of(stored),
        status_code=201,
        cache_control=NO_STORE,
    )


@router.post(
    "/catalog/revisions/{revision_id}/activate",
    summary="Activate a catalogue revision",
    response_model=CatalogRevisionOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def activate_catalog_revision(
    request: Request,
    revision_id: Id,
    admin: AdminDep,
    session: UnitOfWorkDep,
    force: Annotated[
        bool, Query(description="activate even where it would be unsafe; recorded in the audit log")
    ] = False,
) -> Response:
    """Make a catalogue revision the one every replica answers with (within the refresh
    bound); decisions cite it in `provenance.catalog`.

    A revision that would be unsafe in place of the catalogue in use (as on import) is a 409
    whose `difference` says what it drops, unless `?force=true`; a forced activation records
    the force and the difference in the audit log."""
    stored = catalog_revisions.activate(session, revision_id, actor=admin.actor, force=force)
    return json_response(request, CatalogRevisionOut.of(stored), cache_control=NO_STORE)
