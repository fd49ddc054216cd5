"""All SQL about imported IAM catalogue revisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.api_key_repository import as_utc
from app.store.errors import StoreConflictError
from app.store.models import CatalogRevision


@dataclass(frozen=True)
class StoredCatalogRevision:
    """A catalogue revision without its snapshot bytes."""

    id: int
    source: str
    source_version: str
    date: dt.date
    sha256: str
    services: int
    actions: int
    imported_at: dt.datetime
    active: bool


_COLUMNS = (
    CatalogRevision.id,
    CatalogRevision.source,
    CatalogRevision.source_version,
    CatalogRevision.date,
    CatalogRevision.sha256,
    CatalogRevision.services,
    CatalogRevision.actions,
    CatalogRevision.imported_at,
    CatalogRevision.active,
)


def _stored(row: Any) -> StoredCatalogRevision:
    return StoredCatalogRevision(
        id=row.id,
        source=row.source,
        source_version=row.source_version,
        date=row.date,
        sha256=row.sha256,
        services=row.services,
        actions=row.actions,
        imported_at=as_utc(row.imported_at),
        active=bool(row.active),
    )


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        source: str,
        source_version: str,
        date: dt.date,
        sha256: str,
        services: int,
        actions: int,
        data: bytes,
    ) -> StoredCatalogRevision:
        row = CatalogRevision(
            source=source[:200],
            source_version=source_version[:100],
            date=date,
            sha256=sha256,
            services=services,
            actions=actions,
            imported_at=dt.datetime.now(dt.UTC),
            active=False,
            data=data,
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise StoreConflictError(f"catalogue {sha256} is already imported") from exc
        found = self.get(row.id)
        assert found is not None
        return found

    def get(self, revision_id: int) -> StoredCatalogRevision | None:
        row = self._session.execute(
            select(*_COLUMNS).where(CatalogRevision.id == revision_id)
        ).one_or_none()
        return _stored(row) if row else None

    def by_sha256(self, sha256: str) -> StoredCatalogRevision | None:
        row = self._session.execute(
            select(*_COLUMNS).where(CatalogRevision.sha256 == sha256)
        ).one_or_none()
        return _stored(row) if row else None

    def active(self) -> StoredCatalogRevision | None:
        row = self._session.execute(
            select(*_COLUMNS).where(CatalogRevision.active.is_(True)).order_by(CatalogRevision.id)
        ).first()
        return _stored(row) if row else None

    def data(self, revision_id: int) -> bytes | None:
        return self._session.scalar(
            select(CatalogRevision.data).where(CatalogRevision.id == revision_id)
        )

    def activate(self, revision_id: int) -> None:
        """Make one revision the only active one, in a single statement (so concurrent
        activations still leave exactly one active)."""
        self._session.execute(
            update(CatalogRevision).values(
                active=case((CatalogRevision.id == revision_id, True), else_=False)
            )
        )
        self._session.flush()

    def page(
        self,
        *,
        before_id: int | None = None,
        limit: int = 50,
        source: str | None = None,
        active: bool | None = None,
    ) -> list[StoredCatalogRevision]:
        """Newest first; `before_id` continues a page."""
        query = select(*_COLUMNS)
        if before_id is not None:
            query = query.where(CatalogRevision.id < before_id)
        if source is not None:
            query = query.where(CatalogRevision.source == source)
        if active is not None:
            query = query.where(CatalogRevision.active.is_(active))
        rows = self._session.execute(query.order_by(CatalogRevision.id.desc()).limit(limit))
        return [_stored(r) for r in rows]
