"""All SQL about API keys. Only a prefix and the sha256 of the secret are ever stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.errors import StoreConflictError
from app.store.models import ApiKey


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class StoredApiKey:
    id: int
    prefix: str
    secret_sha256: str
    name: str
    scope: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _stored(row: ApiKey) -> StoredApiKey:
    return StoredApiKey(
        id=row.id,
        prefix=row.prefix,
        secret_sha256=row.secret_sha256,
        name=row.name,
        scope=row.scope,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, prefix: str, secret_sha256: str, name: str, scope: str) -> StoredApiKey:
        row = ApiKey(
            prefix=prefix,
            secret_sha256=secret_sha256,
            name=name,
            scope=scope,
            created_at=dt.datetime.now(dt.UTC),
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise StoreConflictError(f"key prefix {prefix} is taken") from exc
        return _stored(row)

    def by_prefix(self, prefix: str) -> StoredApiKey | None:
        row = self._session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        return _stored(row) if row else None

    def get(self, key_id: int) -> StoredApiKey | None:
        row = self._session.get(ApiKey, key_id)
        return _stored(row) if row else None

    def revoke(self, key_id: int, at: dt.datetime) -> StoredApiKey | None:
        """Mark a key revoked (once: a revoked key keeps its first revocation time)."""
        row = self._session.get(ApiKey, key_id, with_for_update=True)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = at
            self._session.flush()
        return _stored(row)

    def page(
        self,
        *,
        after: int | None = None,
        limit: int = 50,
        scope: str | None = None,
        revoked: bool | None = None,
    ) -> list[StoredApiKey]:
        query = select(ApiKey)
        if after is not None:
            query = query.where(ApiKey.id > after)
        if scope is not None:
            query = query.where(ApiKey.scope == scope)
        if revoked is True:
            query = query.where(ApiKey.revoked_at.is_not(None))
        elif revoked is False:
            query = query.where(ApiKey.revoked_at.is_(None))
        rows = self._session.scalars(query.order_by(ApiKey.id).limit(limit)).all()
        return [_stored(r) for r in rows]
