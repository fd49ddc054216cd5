"""All SQL about action types, profile revisions and profile-set revisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.engine.pipeline.model import ActionTypeKey
from app.store.models import ActionType, ProfileRevision, ProfileSetRevision


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
        published_at=row.published_at,
        published_by=row.published_by,
    )


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current_set_revision(self) -> int:
        value = self._session.scalar(select(func.max(ProfileSetRevision.id)))
        return int(value or 0)

    def new_set_revision(self, reason: str) -> int:
        row = ProfileSetRevision(reason=reason[:200])
        self._session.add(row)
        self._session.flush()
        return row.id

    def _action_type(self, key: ActionTypeKey) -> ActionType | None:
        return self._session.scalar(
            select(ActionType).where(
                ActionType.category == key.category,
                ActionType.owner == key.owner,
                ActionType.provider == key.provider,
                ActionType.version == key.version,
            )
        )

    def _latest_query(self, set_revision: int | None) -> Select[ProfileRevision, ActionType]:
        newest = select(
            ProfileRevision.action_type_id, func.max(ProfileRevision.revision).label("revision")
        )
        if set_revision is not None:
            newest = newest.where(ProfileRevision.set_revision <= set_revision)
        newest_sub = newest.group_by(ProfileRevision.action_type_id).subquery()
        return (
            select(ProfileRevision, ActionType)
            .join(ActionType, ActionType.id == ProfileRevision.action_type_id)
            .join(
                newest_sub,
                (newest_sub.c.action_type_id == ProfileRevision.action_type_id)
                & (newest_sub.c.revision == ProfileRevision.revision),
            )
            .order_by(
                ActionType.category, ActionType.owner, ActionType.provider, ActionType.version
            )
        )

    def latest_revisions(self, set_revision: int | None = None) -> list[StoredRevision]:
        """The newest revision of every profile, as of a profile-set revision when given."""
        rows = self._session.execute(self._latest_query(set_revision)).all()
        return [_stored(rev, at) for rev, at in rows]

    def latest(self, key: ActionTypeKey) -> StoredRevision | None:
        action_type = self._action_type(key)
        if action_type is None:
            return None
        row = self._session.scalar(
            select(ProfileRevision)
            .where(ProfileRevision.action_type_id == action_type.id)
            .order_by(ProfileRevision.revision.desc())
            .limit(1)
        )
        return _stored(row, action_type) if row else None

    def revisions(self, key: ActionTypeKey) -> list[StoredRevision]:
        action_type = self._action_type(key)
        if action_type is None:
            return []
        rows = self._session.scalars(
            select(ProfileRevision)
            .where(ProfileRevision.action_type_id == action_type.id)
            .order_by(ProfileRevision.revision)
        ).all()
        return [_stored(r, action_type) for r in rows]

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
    ) -> StoredRevision:
        action_type = self._action_type(key)
        if action_type is None:
            action_type = ActionType(
                category=key.category, owner=key.owner, provider=key.provider, version=key.version
            )
            self._session.add(action_type)
            self._session.flush()
        last = self._session.scalar(
            select(func.max(ProfileRevision.revision)).where(
                ProfileRevision.action_type_id == action_type.id
            )
        )
        row = ProfileRevision(
            action_type_id=action_type.id,
            revision=int(last or 0) + 1,
            set_revision=set_revision,
            title=title,
            effective_date=effective_date,
            supported_since=supported_since,
            status="active",
            document=document,
            content_sha256=content_sha256,
            published_by=published_by,
        )
        self._session.add(row)
        self._session.flush()
        self._session.refresh(row)
        return _stored(row, action_type)
