"""All SQL about the audit log. Events are only ever inserted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.api_key_repository import as_utc
from app.store.models import AuditEvent


@dataclass(frozen=True)
class StoredAuditEvent:
    id: int
    at: dt.datetime
    key_id: int | None
    action: str
    target: str
    before_revision: int | None
    after_revision: int | None
    detail: dict[str, Any]


def _stored(row: AuditEvent) -> StoredAuditEvent:
    return StoredAuditEvent(
        id=row.id,
        at=as_utc(row.at),
        key_id=row.key_id,
        action=row.action,
        target=row.target,
        before_revision=row.before_revision,
        after_revision=row.after_revision,
        detail=row.detail,
    )


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        action: str,
        target: str,
        key_id: int | None,
        before_revision: int | None = None,
        after_revision: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> StoredAuditEvent:
        row = AuditEvent(
            at=dt.datetime.now(dt.UTC),
            key_id=key_id,
            action=action,
            target=target[:200],
            before_revision=before_revision,
            after_revision=after_revision,
            detail=detail or {},
        )
        self._session.add(row)
        self._session.flush()
        return _stored(row)

    def page(
        self,
        *,
        before_id: int | None = None,
        limit: int = 50,
        action: str | None = None,
        target: str | None = None,
        key_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[StoredAuditEvent]:
        """Newest first; `before_id` continues a page (keyset paging on the id)."""
        query = select(AuditEvent)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if target is not None:
            query = query.where(AuditEvent.target == target)
        if key_id is not None:
            query = query.where(AuditEvent.key_id == key_id)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        if until is not None:
            query = query.where(AuditEvent.at < until)
        rows = self._session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
        return [_stored(r) for r in rows]
