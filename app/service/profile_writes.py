"""Use cases that write profiles: create, publish a revision, deprecate.

Every write takes the profile writers' lock, makes a new profile-set revision and records an audit
event, all in the caller's transaction (services never commit). A published revision is never
changed; publishing and deprecating name the revision they replace by its ETag, so of two
concurrent writers from the same revision exactly one wins: the other sees a newer revision once
it holds the lock, and the unique (action_type_id, revision) constraint backs that up.

A document that extends another is checked resolved with the parent's current revision; a
profile that others extend cannot start extending one, and a new revision of it must leave every
profile extending it valid. The ETag of a profile that extends another names the parent's
revision too, so If-Match names the representation read, resolved part included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.catalog import Catalog
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_extends import extended_key, resolve_document
from app.engine.profile_schema import ProfileDocument, stored_form
from app.engine.profiles import ACTIVE, DEPRECATED, Profile, compile_profile
from app.service.audit import Actor, record
from app.service.errors import ExistsError, InvalidInputError, MissingError, StaleRevisionError
from app.service.profile_checks import check_grants, check_storable
from app.service.profile_files import content_sha256
from app.service.profile_reads import ServedRevision, served_current
from app.store.errors import StoreConflictError
from app.store.profile_repository import ProfileRepository, StoredRevision


@dataclass(frozen=True)
class Publisher:
    """Who publishes, and whether they may publish grants that need a stated reason."""

    actor: Actor
    reasoned_grants_allowed: bool


@dataclass(frozen=True)
class WriteResult:
    revision: StoredRevision
    changed: bool


def target_of(key: ActionTypeKey) -> str:
    return f"profile:{key.label}"


def revision_etag(row: StoredRevision, *variant: str) -> str:
    """Strong ETag of a revision: action type, revision number and content hash (and the
    variant of the representation, e.g. an as-of date that filtered it)."""
    basis = "\n".join([row.key.label, str(row.revision), row.content_sha256, *variant])
    return '"' + hashlib.sha256(basis.encode()).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class _Content:
    """What a new revision stores: the document and the fields read from it."""

    document: dict[str, Any]
    title: str
    effective_date: dt.date
    supported_since: dt.date | None

    @classmethod
    def of_row(cls, row: StoredRevision) -> _Content:
        return cls(row.document, row.title, row.effective_date, row.supported_since)


def _children(repo: ProfileRepository, key: ActionTypeKey) -> list[StoredRevision]:
    """The current revisions of the profiles that extend `key`."""
    return [row for row in repo.latest_revisions() if extended_key(row.document) == key]


def _resolved(
    repo: ProfileRepository, document: ProfileDocument, stored: dict[str, Any]
) -> ProfileDocument:
    """The document resolved with its parent's current revision (itself when it extends none);
    ProfileDefinitionError at `/extends` for a parent without a profile, one that extends
    another, or a profile others extend that would extend one."""
    key = document.action_type.key
    if document.extends is None:
        return document
    children = _children(repo, key)
    if children:
        names = ", ".join(f"`{row.key.label}`" for row in children)
        raise ProfileDefinitionError.of(
            [("/extends", f"{names} extend(s) this profile, so it cannot extend another")]
        )
    parent = repo.latest(document.extends.key)
    known = [row.key for row in repo.latest_revisions()] if parent is None else ()
    return resolve_document(stored, parent.document if parent else None, known=known)


def _check_children(repo: ProfileRepository, key: ActionTypeKey, stored: dict[str, Any]) -> None:
    """Every profile extending `key` must stay valid resolved with its new revision."""
    problems: list[tuple[str, str]] = []
    for child in _children(repo, key):
        try:
            resolve_document(child.document, stored)
        except ProfileDefinitionError as error:
            problems.extend(
                (
                    "/",
                    f"`{child.key.label}` extends this profile, and would not follow the schema "
                    f"with this revision: {message} (at `{pointer}` of `{child.key.label}`)",
                )
                for pointer, message in error.problems
            )
    if problems:
        raise ProfileDefinitionError.of(problems)


def _checked(
    session: Session, document: ProfileDocument, catalog: Catalog, publisher: Publisher
) -> tuple[_Content, Profile]:
    """The document as it is stored, and compiled (resolved with its parent's current revision
    when it extends another); InvalidInputError or ProfileDefinitionError when it cannot be
    published (the schema was checked where it was read)."""
    repo = ProfileRepository(session)
    stored = stored_form(document)
    check_storable(stored)
    resolved = _resolved(repo, document, stored)
    check_grants(
        resolved,
        catalog,
        reasoned_grants_allowed=publisher.reasoned_grants_allowed,
        written=stored,
    )
    if document.extends is None:
        _check_children(repo, document.action_type.key, stored)
    profile = compile_profile(resolved, revision=0)
    content = _Content(stored, profile.title, profile.effective_date, profile.supported_since)
    return content, profile


def create_profile(
    session: Session, document: ProfileDocument, *, catalog: Catalog, publisher: Publisher
) -> StoredRevision:
    """Revision 1 of a profile for an action type that has none."""
    content, profile = _checked(session, document, catalog, publisher)
    actor = publisher.actor
    key = profile.key
    repo = ProfileRepository(session)
    if repo.exists(key):
        raise ExistsError(f"`{key.label}` already has a profile; publish a revision with PUT")
    set_revision = repo.new_set_revision(f"create {key.label}")
    sha = content_sha256(content.document)
    try:
        stored = repo.publish(
            key,
            document=content.document,
            title=content.title,
            effective_date=content.effective_date,
            supported_since=content.supported_since,
            content_sha256=sha,
            set_revision=set_revision,
            published_by=actor.label,
            revision=1,
        )
    except StoreConflictError as exc:
        raise ExistsError(f"`{key.label}` already has a profile") from exc
    record(
        session,
        actor,
        "profile.create",
        target_of(key),
        after=1,
        detail={"set_revision": set_revision, "content_sha256": sha},
    )
    return stored


def as_written(session: Session, row: StoredRevision) -> tuple[ServedRevision, str]:
    """A revision just written, served as the current one, and the ETag If-Match must name."""
    item = served_current(ProfileRepository(session), row)
    return item, revision_etag(row, *item.etag_variant)


def current_etag(repo: ProfileRepository, row: StoredRevision) -> str:
    """The ETag of a profile's current revision as it is served (with the parent's revision it
    is resolved with, when it extends another): what If-Match must name."""
    return revision_etag(row, *served_current(repo, row).etag_variant)


def _matches(if_match: Iterable[str], etag: str) -> bool:
    return etag in set(if_match)


def _current(
    repo: ProfileRepository, key: ActionTypeKey, if_match: Sequence[str]
) -> StoredRevision:
    current = repo.latest(key)
    if current is None:
        raise MissingError(f"no profile for action type `{key.label}`; create it with POST")
    _require_match(repo, current, if_match)
    return current


def _require_match(
    repo: ProfileRepository, current: StoredRevision, if_match: Sequence[str]
) -> None:
    etag = current_etag(repo, current)
    if not _matches(if_match, etag):
        raise StaleRevisionError(
            f"If-Match does not name the current revision {current.revision} of "
            f"`{current.key.label}` (its ETag is {etag}); read it again",
            pointer="header:If-Match",
        )


def _supersede(
    session: Session,
    current: StoredRevision,
    *,
    if_match: Sequence[str],
    actor: Actor,
    action: str,
    content: _Content,
    status: str,
    detail: dict[str, Any],
) -> StoredRevision:
    repo = ProfileRepository(session)
    key = current.key
    set_revision = repo.new_set_revision(f"{action.split('.')[1]} {key.label}")
    # Holding the writers' lock now: what is current may have moved since the first look.
    latest = repo.latest_for_update(key)
    assert latest is not None
    _require_match(repo, latest, if_match)
    sha = content_sha256(content.document)
    try:
        stored = repo.publish(
            key,
            document=content.document,
            title=content.title,
            effective_date=content.effective_date,
            supported_since=content.supported_since,
            content_sha256=sha,
            set_revision=set_revision,
            published_by=actor.label,
            status=status,
            revision=latest.revision + 1,
        )
    except StoreConflictError as exc:
        raise StaleRevisionError(
            f"revision {latest.revision + 1} of `{key.label}` was published concurrently",
            pointer="header:If-Match",
        ) from exc
    record(
        session,
        actor,
        action,
        target_of(key),
        before=latest.revision,
        after=stored.revision,
        detail={"set_revision": set_revision, "content_sha256": sha, **detail},
    )
    return stored


def publish_revision(
    session: Session,
    key: ActionTypeKey,
    document: ProfileDocument,
    *,
    if_match: Sequence[str],
    catalog: Catalog,
    publisher: Publisher,
) -> WriteResult:
    """A new revision with this document. Publishing the current document again (to an active
    profile) changes nothing and answers with the current revision."""
    content, profile = _checked(session, document, catalog, publisher)
    if profile.key != key:
        raise InvalidInputError(
            f"`action_type` is {profile.key.label}, the path names {key.label}",
            pointer="/action_type",
        )
    repo = ProfileRepository(session)
    current = _current(repo, key, if_match)
    if current.status == ACTIVE and current.content_sha256 == content_sha256(content.document):
        return WriteResult(current, changed=False)
    stored = _supersede(
        session,
        current,
        if_match=if_match,
        actor=publisher.actor,
        action="profile.publish",
        content=content,
        status=ACTIVE,
        detail={},
    )
    return WriteResult(stored, changed=True)


def deprecate_profile(
    session: Session,
    key: ActionTypeKey,
    *,
    if_match: Sequence[str],
    actor: Actor,
    reason: str | None,
) -> StoredRevision:
    """A new revision with the current document and status `deprecated`."""
    repo = ProfileRepository(session)
    current = _current(repo, key, if_match)
    if current.status == DEPRECATED:
        raise ExistsError(f"`{key.label}` is already deprecated (revision {current.revision})")
    return _supersede(
        session,
        current,
        if_match=if_match,
        actor=actor,
        action="profile.deprecate",
        content=_Content.of_row(current),
        status=DEPRECATED,
        detail={"reason": reason} if reason else {},
    )
