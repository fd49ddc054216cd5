"""Use cases that write profiles: create, publish a revision, deprecate.

Every write takes the profile writers' lock, makes a new profile-set revision and records an audit
event, all in the caller's transaction (services never commit). A published revision is never
changed; publishing and deprecating name the revision they replace by its ETag, so of two
concurrent writers from the same revision exactly one wins: the other sees a newer revision once
it holds the lock, and the unique (action_type_id, revision) constraint backs that up.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.engine.pipeline.model import ActionTypeKey
from app.engine.profiles import Profile, parse_profile
from app.service.audit import Actor, record
from app.service.errors import ExistsError, InvalidInputError, MissingError, StaleRevisionError
from app.service.profile_files import content_sha256
from app.store.errors import StoreConflictError
from app.store.profile_repository import ProfileRepository, StoredRevision

CATEGORIES = (
    "Source",
    "Build",
    "Test",
    "Deploy",
    "Approval",
    "Invoke",
    "Compute",
    "Rule",
    "Pipeline",
)
OWNERS = ("AWS", "ThirdParty", "Custom")
_NAME = re.compile(r"^[0-9A-Za-z_-]+$")
_LENGTHS = {"provider": 35, "version": 9}
_TITLE_MAX = 200


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


def _storable(value: Any, pointer: str) -> None:
    """Refuse what JSON parsers accept but the databases cannot store: NUL in text (PostgreSQL),
    integers beyond 64 bits and non-finite numbers."""
    where = pointer or "/"
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInputError("text must not contain NUL characters", pointer=where)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise InvalidInputError("integers must fit in 64 bits", pointer=where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError("numbers must be finite", pointer=where)
    elif isinstance(value, dict):
        for k, v in value.items():
            _storable(str(k), pointer)
            _storable(v, f"{pointer}/{str(k).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _storable(v, f"{pointer}/{i}")


def check_document(document: dict[str, Any]) -> Profile:
    """Validate a profile document for publication (ProfileDefinitionError or InvalidInputError)."""
    _storable(document, "")
    profile = parse_profile(document, revision=0)
    key = profile.key
    if key.category not in CATEGORIES:
        raise InvalidInputError(
            f"`category` must be one of {', '.join(CATEGORIES)}", pointer="/action_type/category"
        )
    if key.owner not in OWNERS:
        raise InvalidInputError(
            f"`owner` must be one of {', '.join(OWNERS)}", pointer="/action_type/owner"
        )
    for field, limit in _LENGTHS.items():
        value = getattr(key, field)
        if len(value) > limit or not _NAME.match(value):
            raise InvalidInputError(
                f"`{field}` must be 1-{limit} letters, digits, `-` or `_`",
                pointer=f"/action_type/{field}",
            )
    if len(profile.title) > _TITLE_MAX:
        raise InvalidInputError(f"`title` is longer than {_TITLE_MAX} characters", pointer="/title")
    return profile


def create_profile(session: Session, document: dict[str, Any], *, actor: Actor) -> StoredRevision:
    """Revision 1 of a profile for an action type that has none."""
    profile = check_document(document)
    key = profile.key
    repo = ProfileRepository(session)
    if repo.exists(key):
        raise ExistsError(f"`{key.label}` already has a profile; publish a revision with PUT")
    set_revision = repo.new_set_revision(f"create {key.label}")
    sha = content_sha256(document)
    try:
        stored = repo.publish(
            key,
            document=document,
            title=profile.title,
            effective_date=profile.effective_date,
            supported_since=profile.supported_since,
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


def _matches(if_match: Iterable[str], row: StoredRevision) -> bool:
    return revision_etag(row) in set(if_match)


def _current(
    repo: ProfileRepository, key: ActionTypeKey, if_match: Sequence[str]
) -> StoredRevision:
    current = repo.latest(key)
    if current is None:
        raise MissingError(f"no profile for action type `{key.label}`; create it with POST")
    _require_match(current, if_match)
    return current


def _require_match(current: StoredRevision, if_match: Sequence[str]) -> None:
    if not _matches(if_match, current):
        raise StaleRevisionError(
            f"If-Match does not name the current revision {current.revision} of "
            f"`{current.key.label}` (its ETag is {revision_etag(current)}); read it again",
            pointer="header:If-Match",
        )


def _supersede(
    session: Session,
    current: StoredRevision,
    *,
    if_match: Sequence[str],
    actor: Actor,
    action: str,
    document: dict[str, Any],
    profile: Profile,
    status: str,
    detail: dict[str, Any],
) -> StoredRevision:
    repo = ProfileRepository(session)
    key = current.key
    set_revision = repo.new_set_revision(f"{action.split('.')[1]} {key.label}")
    # Holding the writers' lock now: what is current may have moved since the first look.
    latest = repo.latest_for_update(key)
    assert latest is not None
    _require_match(latest, if_match)
    sha = content_sha256(document)
    try:
        stored = repo.publish(
            key,
            document=document,
            title=profile.title,
            effective_date=profile.effective_date,
            supported_since=profile.supported_since,
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
    document: dict[str, Any],
    *,
    if_match: Sequence[str],
    actor: Actor,
) -> WriteResult:
    """A new revision with this document. Publishing the current document again (to an active
    profile) changes nothing and answers with the current revision."""
    profile = check_document(document)
    if profile.key != key:
        raise InvalidInputError(
            f"`action_type` is {profile.key.label}, the path names {key.label}",
            pointer="/action_type",
        )
    repo = ProfileRepository(session)
    current = _current(repo, key, if_match)
    if current.status == "active" and current.content_sha256 == content_sha256(document):
        return WriteResult(current, changed=False)
    stored = _supersede(
        session,
        current,
        if_match=if_match,
        actor=actor,
        action="profile.publish",
        document=document,
        profile=profile,
        status="active",
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
    if current.status == "deprecated":
        raise ExistsError(f"`{key.label}` is already deprecated (revision {current.revision})")
    profile = parse_profile(current.document, revision=current.revision)
    return _supersede(
        session,
        current,
        if_match=if_match,
        actor=actor,
        action="profile.deprecate",
        document=current.document,
        profile=profile,
        status="deprecated",
        detail={"reason": reason} if reason else {},
    )
