"""All SQL about action types, profile revisions and profile-set revisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.engine.pipeline.model import ActionTypeKey
from app.store.api_key_repository import as_utc
from app.store.errors import StoreConflictError
from app.store.models import ActionType, ProfileRevision, ProfileSetRevision

# Any constant works; it names "the profile writers" among PostgreSQL advisory locks.
_WRITE_LOCK = 0x70706F6C


@dataclass(frozen=True)
class StoredRevision:
    """A profile revision as read from the database, detached from the session."""

    key: ActionTypeKey
    revision: int
    set_revision: int
    title: str
    effective_date: dt.date
    supported_since: dt.date | None
    status: str
    document: dict[str, Any]
    content_sha256: str
    published_at: dt.datetime
    published_by: str


def _stored(row: ProfileRevision, action_type: ActionType) -> StoredRevision:
    return StoredRevision(
        key=ActionTypeKey(
            action_type.category, action_type.owner, action_type.provider, action_type.version
        ),
        revision=row.revision,
        set_revision=row.set_revision,
        title=row.title,
        effective_date=row.effective_date,
        supported_since=row.supported_since,
        status=row.status,
        document=row.document,
        content_sha256=row.content_sha256,
        published_at=as_utc(row.published_at),  # SQLite hands back naive datetimes
        published_by=row.published_by,
    )


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current_set_revision(self) -> int:
        value = self._session.scalar(select(func.max(ProfileSetRevision.id)))
        return int(value or 0)

    def set_revision_exists(self, set_revision: int) -> bool:
        found = self._session.scalar(
            select(ProfileSetRevision.id).where(ProfileSetRevision.id == set_revision)
        )
        return found is not None

    def lock_for_write(self) -> None:
        """Serialise profile writers until the transaction ends.

        Set revisions must commit in the order they are numbered, or a replica that saw
        revision n+1 would never load an n committed later. On PostgreSQL a transaction-level
        advisory lock does it; SQLite already serialises writers from their first write (the
        set-revision insert that follows this call).
        """
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK})

    def new_set_revision(self, reason: str) -> int:
        self.lock_for_write()
        row = ProfileSetRevision(reason=reason[:200])
        self._session.add(row)
        self._session.flush()
        return row.id

    def _action_type(self, key: ActionTypeKey, *, for_update: bool = False) -> ActionType | None:
        query = select(ActionType).where(
            ActionType.category == key.category,
            ActionType.owner == key.owner,
            ActionType.provider == key.provider,
            ActionType.version == key.version,
        )
        if for_update:
            query = query.with_for_update()
        return self._session.scalar(query)

    def exists(self, key: ActionTypeKey) -> bool:
        return self._action_type(key) is not None

    def _newest_query(
        self,
        set_revision: int | None,
        *,
        effective_on: dt.date | None = None,
        oldest: bool = False,
    ) -> Select[ProfileRevision, ActionType]:
        pick = func.min if oldest else func.max
        chosen = select(
            ProfileRevision.action_type_id, pick(ProfileRevision.revision).label("revision")
        )
        if set_revision is not None:
            chosen = chosen.where(ProfileRevision.set_revision <= set_revision)
        if effective_on is not None:
            chosen = chosen.where(ProfileRevision.effective_date <= effective_on)
        chosen_sub = chosen.group_by(ProfileRevision.action_type_id).subquery()
        return (
            select(ProfileRevision, ActionType)
            .join(ActionType, ActionType.id == ProfileRevision.action_type_id)
            .join(
                chosen_sub,
                (chosen_sub.c.action_type_id == ProfileRevision.action_type_id)
                & (chosen_sub.c.revision == ProfileRevision.revision),
            )
            .order_by(
                ActionType.category, ActionType.owner, ActionType.provider, ActionType.version
            )
        )

    def latest_revisions(self, set_revision: int | None = None) -> list[StoredRevision]:
        """The newest revision of every profile, as of a profile-set revision when given."""
        rows = self._session.execute(self._newest_query(set_revision)).all()
        return [_stored(rev, at) for rev, at in rows]

    def effective_revisions(
        self, effective_on: dt.date, set_revision: int | None = None
    ) -> list[StoredRevision]:
        """Per profile, the newest revision whose `effective_date` is on or before a date."""
        query = self._newest_query(set_revision, effective_on=effective_on)
        return [_stored(rev, at) for rev, at in self._session.execute(query).all()]

    def first_revisions(self, set_revision: int | None = None) -> list[StoredRevision]:
        """The oldest revision of every profile (published by a profile-set revision when given)."""
        query = self._newest_query(set_revision, oldest=True)
        return [_stored(rev, at) for rev, at in self._session.execute(query).all()]

    def latest(
        self,
        key: ActionTypeKey,
        *,
        published_by: str | None = None,
        set_revision: int | None = None,
    ) -> StoredRevision | None:
        """The newest revision of a profile (published by `published_by`, or by a profile-set
        revision up to `set_revision`, when given)."""
        action_type = self._action_type(key)
        if action_type is None:
            return None
        query = select(ProfileRevision).where(ProfileRevision.action_type_id == action_type.id)
        if published_by is not None:
            query = query.where(ProfileRevision.published_by == published_by)
        if set_revision is not None:
            query = query.where(ProfileRevision.set_revision <= set_revision)
        row = self._session.scalar(query.order_by(ProfileRevision.revision.desc()).limit(1))
        return _stored(row, action_type) if row else None

    def latest_for_update(self, key: ActionTypeKey) -> StoredRevision | None:
        """The newest revision, with the action type row locked (PostgreSQL) until commit."""
        action_type = self._action_type(key, for_update=True)
        if action_type is None:
            return None
        row = self._session.scalar(
            select(ProfileRevision)
            .where(ProfileRevision.action_type_id == action_type.id)
            .order_by(ProfileRevision.revision.desc())
            .limit(1)
        )
        return _stored(row, action_type) if row else None

    def get_revision(self, key: ActionTypeKey, revision: int) -> StoredRevision | None:
        action_type = self._action_type(key)
        if action_type is None:
            return None
        row = self._session.scalar(
            select(ProfileRevision).where(
                ProfileRevision.action_type_id == action_type.id,
                ProfileRevision.revision == revision,
            )
        )
        return _stored(row, action_type) if row else None

    def revisions(self, key: ActionTypeKey) -> list[StoredRevision]:
        return self.revisions_page(key)

    def revisions_page(
        self,
        key: ActionTypeKey,
        *,
        after: int | None = None,
        limit: int | None = None,
        status: str | None = None,
    ) -> list[StoredRevision]:
        """Revisions of one profile, oldest first, after a revision number (keyset paging)."""
        action_type = self._action_type(key)
        if action_type is None:
            return []
        query = select(ProfileRevision).where(ProfileRevision.action_type_id == action_type.id)
        if after is not None:
            query = query.where(ProfileRevision.revision > after)
        if status is not None:
            query = query.where(ProfileRevision.status == status)
        query = query.order_by(ProfileRevision.revision)
        if limit is not None:
            query = query.limit(limit)
        return [_stored(r, action_type) for r in self._session.scalars(query).all()]

    def publish(
        self,
        key: ActionTypeKey,
        *,
        document: dict[str, Any],
        title: str,
        effective_date: dt.date,
        supported_since: dt.date | None,
        content_sha256: str,
        set_revision: int,
        published_by: str,
        status: str = "active",
        revision: int | None = None,
    ) -> StoredRevision:
        """Insert a revision: `revision` when given (a concurrent insert of the same number
        raises StoreConflictError through the unique constraint), else the next number."""
        try:
            action_type = self._action_type(key)
            if action_type is None:
                action_type = ActionType(
                    category=key.category,
                    owner=key.owner,
                    provider=key.provider,
                    version=key.version,
                )
                self._session.add(action_type)
                self._session.flush()
            if revision is None:
                last = self._session.scalar(
                    select(func.max(ProfileRevision.revision)).where(
                        ProfileRevision.action_type_id == action_type.id
                    )
                )
                revision = int(last or 0) + 1
            row = ProfileRevision(
                action_type_id=action_type.id,
                revision=revision,
                set_revision=set_revision,
                title=title,
                effective_date=effective_date,
                supported_since=supported_since,
                status=status,
                document=document,
                content_sha256=content_sha256,
                published_by=published_by[:100],
            )
            self._session.add(row)
            self._session.flush()
        except IntegrityError as exc:
            raise StoreConflictError(f"`{key.label}` revision {revision} already exists") from exc
        self._session.refresh(row)
        return _stored(row, action_type)
