"""All SQL about baselines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Baseline


@dataclass(frozen=True)
class StoredBaseline:
    name: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    description: str
    source: dict[str, Any]
    document: dict[str, Any]
    content_sha256: str


def _stored(row: Baseline) -> StoredBaseline:
    return StoredBaseline(
        name=row.name,
        title=row.title,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        description=row.description,
        source=row.source,
        document=row.document,
        content_sha256=row.content_sha256,
    )


class BaselineRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def all(self) -> list[StoredBaseline]:
        rows = self._session.scalars(select(Baseline).order_by(Baseline.effective_from)).all()
        return [_stored(r) for r in rows]

    def get(self, name: str) -> StoredBaseline | None:
        row = self._session.scalar(select(Baseline).where(Baseline.name == name))
        return _stored(row) if row else None

    def upsert(self, baseline: StoredBaseline) -> bool:
        """Insert or replace a baseline; returns whether anything changed."""
        row = self._session.scalar(select(Baseline).where(Baseline.name == baseline.name))
        if row is not None and row.content_sha256 == baseline.content_sha256:
            return False
        if row is None:
            row = Baseline(name=baseline.name)
            self._session.add(row)
        row.title = baseline.title
        row.effective_from = baseline.effective_from
        row.effective_to = baseline.effective_to
        row.description = baseline.description
        row.source = baseline.source
        row.document = baseline.document
        row.content_sha256 = baseline.content_sha256
        self._session.flush()
        return True
