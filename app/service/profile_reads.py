"""Stored revisions as they are served: a document that extends another, with its resolution.

A revision stores its document as written. One that extends another is served with the document
resolved with the parent's revision in the same profile set, and names that revision: the
current revision with the parent's current one, a revision selected as of a date or a profile-set
revision with the parent's revision selected with it, and a revision read by its number with the
parent's revision current when it was published (so what `/revisions/{n}` answers never changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.engine.errors import ProfileDefinitionError
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_extends import extended_key, merged_document, resolve_document
from app.store.profile_repository import ProfileRepository, StoredRevision


@dataclass(frozen=True)
class ServedRevision:
    row: StoredRevision
    # The parent's revision the document was resolved with (None: it extends none).
    parent: StoredRevision | None = None
    # The resolved document (None: it extends none, or does not resolve with that revision).
    resolved: dict[str, Any] | None = None

    @property
    def document(self) -> dict[str, Any]:
        """The document whose statements the revision has: resolved, else as written."""
        return self.resolved if self.resolved is not None else self.row.document

    @property
    def etag_variant(self) -> tuple[str, ...]:
        """What its representation depends on besides the revision itself."""
        parent = self.parent
        return (f"extends {parent.key.label} {parent.revision}",) if parent else ()


def served(row: StoredRevision, parent: StoredRevision | None) -> ServedRevision:
    """The revision with its resolution, given the parent's revision to resolve it with."""
    if extended_key(row.document) is None or parent is None:
        return ServedRevision(row)
    try:
        resolve_document(row.document, parent.document)
    except ProfileDefinitionError:
        return ServedRevision(row, parent)
    return ServedRevision(row, parent, merged_document(row.document, parent.document))


def served_in_selection(rows: Sequence[StoredRevision]) -> list[ServedRevision]:
    """The revisions of one selection (a profile set), each resolved with its parent there."""
    by_key = {row.key: row for row in rows}
    return [served(row, _get(by_key, extended_key(row.document))) for row in rows]


def served_current(repo: ProfileRepository, row: StoredRevision) -> ServedRevision:
    """A current revision, resolved with the parent's current revision."""
    parent = extended_key(row.document)
    return served(row, repo.latest(parent) if parent else None)


def served_as_published(
    repo: ProfileRepository, rows: Iterable[StoredRevision]
) -> list[ServedRevision]:
    """Revisions of one profile, each resolved with the parent's revision current when it was
    published."""
    out = []
    history: dict[ActionTypeKey, list[StoredRevision]] = {}
    for row in rows:
        parent = extended_key(row.document)
        if parent is None:
            out.append(ServedRevision(row))
            continue
        if parent not in history:
            history[parent] = repo.revisions(parent)
        then = [p for p in history[parent] if p.set_revision <= row.set_revision]
        out.append(served(row, max(then, key=lambda p: p.revision) if then else None))
    return out


def current_profile(session: Session, key: ActionTypeKey) -> ServedRevision | None:
    """The newest revision of a profile, served (None: no such profile)."""
    repo = ProfileRepository(session)
    row = repo.latest(key)
    return served_current(repo, row) if row else None


def revisions_as_published(
    session: Session, key: ActionTypeKey, *, after: int | None, limit: int, status: str | None
) -> list[ServedRevision] | None:
    """A page of a profile's revisions, oldest first, each served as published (None: no such
    profile)."""
    repo = ProfileRepository(session)
    rows = repo.revisions_page(key, after=after, limit=limit, status=status)
    if not rows and not repo.exists(key):
        return None
    return served_as_published(repo, rows)


def stored_revision(session: Session, key: ActionTypeKey, revision: int) -> StoredRevision | None:
    return ProfileRepository(session).get_revision(key, revision)


def revision_as_published(session: Session, row: StoredRevision) -> ServedRevision:
    [item] = served_as_published(ProfileRepository(session), [row])
    return item


def _get(
    rows: dict[ActionTypeKey, StoredRevision], key: ActionTypeKey | None
) -> StoredRevision | None:
    return rows.get(key) if key is not None else None
