"""The named baselines as the read endpoints list them: straight from the database, so a baseline
just seeded is listed at once (the hot endpoints use BaselineCache)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.store.baseline_repository import BaselineRepository, StoredBaseline


def all_baselines(session: Session) -> list[StoredBaseline]:
    return BaselineRepository(session).all()


def baseline_named(session: Session, name: str) -> StoredBaseline | None:
    return BaselineRepository(session).get(name)
