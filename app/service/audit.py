"""Who did a write, and the audit event every write records in its own transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.service.errors import InvalidInputError
from app.store.audit_repository import AuditRepository, StoredAuditEvent

ACTIONS = (
    "profile.seed",
    "profile.create",
    "profile.publish",
    "profile.deprecate",
    "key.create",
    "key.revoke",
    "catalog.import",
    "catalog.activate",
)


@dataclass(frozen=True)
class Actor:
    """The author of a write: an API key, or a local command (key_id None)."""

    key_id: int | None
    label: str

    @classmethod
    def command(cls, name: str) -> Actor:
        return cls(key_id=None, label=name)


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    *,
    before: int | None = None,
    after: int | None = None,
    detail: dict[str, Any] | None = None,
) -> StoredAuditEvent:
    assert action in ACTIONS, action
    return AuditRepository(session).add(
        action=action,
        target=target,
        key_id=actor.key_id,
        before_revision=before,
        after_revision=after,
        detail={"by": actor.label, **(detail or {})},
    )


def events(
    session: Session,
    *,
    before_id: int | None,
    limit: int,
    action: str | None = None,
    target: str | None = None,
    key_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[StoredAuditEvent]:
    return AuditRepository(session).page(
        before_id=before_id,
        limit=limit,
        action=action,
        target=target,
        key_id=key_id,
        since=_utc(since, "query:since"),
        until=_utc(until, "query:until"),
    )


def _utc(value: dt.datetime | None, pointer: str) -> dt.datetime | None:
    """Times without an offset are UTC."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise InvalidInputError("the time is out of range", pointer=pointer) from exc
