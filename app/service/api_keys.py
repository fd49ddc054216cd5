"""API keys: `pp_<prefix>_<secret>`, stored as the prefix and the sha256 of the secret.

The secret is a random 32-byte URL-safe token. It is shown once, when the key is made, and is
never stored or logged; verification hashes the presented secret and compares in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from app.service.audit import Actor, record
from app.service.errors import MissingError
from app.store.api_key_repository import ApiKeyRepository, StoredApiKey


class KeyScope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_RANK = {KeyScope.READ: 0, KeyScope.WRITE: 1, KeyScope.ADMIN: 2}
_TOKEN = re.compile(r"^pp_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def scope_allows(granted: str, needed: KeyScope) -> bool:
    """admin implies write implies read."""
    return granted in _RANK and _RANK[KeyScope(granted)] >= _RANK[needed]


@dataclass(frozen=True)
class Principal:
    """The verified caller of a request."""

    key_id: int
    prefix: str
    name: str
    scope: str

    @property
    def actor(self) -> Actor:
        return Actor(key_id=self.key_id, label=f"key {self.key_id} ({self.prefix}, {self.name})")


@dataclass(frozen=True)
class NewKey:
    stored: StoredApiKey
    token: str  # shown once


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    match = _TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


def create_key(session: Session, *, name: str, scope: KeyScope, actor: Actor) -> NewKey:
    repo = ApiKeyRepository(session)
    prefix = secrets.token_hex(4)
    while repo.by_prefix(prefix) is not None:  # 32 bits: a clash is rare, never reused
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    stored = repo.add(prefix=prefix, secret_sha256=_hash(secret), name=name, scope=scope.value)
    record(
        session,
        actor,
        "key.create",
        f"key:{stored.id}",
        detail={"prefix": prefix, "name": name, "scope": scope.value},
    )
    return NewKey(stored=stored, token=f"pp_{prefix}_{secret}")


def revoke_key(session: Session, key_id: int, *, actor: Actor) -> StoredApiKey:
    """Revoke a key; revoking a revoked key changes nothing."""
    repo = ApiKeyRepository(session)
    before = repo.get(key_id)
    if before is None:
        raise MissingError(f"no API key {key_id}")
    if before.revoked_at is not None:
        return before
    stored = repo.revoke(key_id, dt.datetime.now(dt.UTC))
    assert stored is not None
    record(
        session,
        actor,
        "key.revoke",
        f"key:{key_id}",
        detail={"prefix": stored.prefix, "name": stored.name},
    )
    return stored


def list_keys(
    session: Session,
    *,
    after: int | None,
    limit: int,
    scope: KeyScope | None = None,
    revoked: bool | None = None,
) -> list[StoredApiKey]:
    return ApiKeyRepository(session).page(
        after=after, limit=limit, scope=scope.value if scope else None, revoked=revoked
    )


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal of a presented key, or None when it is malformed, unknown or revoked."""
    parts = split_token(token)
    if parts is None:
        return None
    prefix, secret = parts
    stored = ApiKeyRepository(session).by_prefix(prefix)
    if stored is None or not hmac.compare_digest(stored.secret_sha256, _hash(secret)):
        return None
    if stored.revoked_at is not None:
        return None
    return Principal(key_id=stored.id, prefix=stored.prefix, name=stored.name, scope=stored.scope)


class KeyVerifier:
    """Verifies keys; remembers answers for `ttl` seconds so reads need no database round-trip.

    The memo is keyed by the sha256 of the whole presented key (never the key itself), holds
    rejections too, and is bounded. A revocation is seen by cached reads within `ttl`; writes
    and admin requests ask with `fresh=True` and see it at once.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], ttl: float, max_entries: int = 10_000
    ) -> None:
        self._factory = session_factory
        self._ttl = ttl
        self._max = max_entries
        self._memo: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str, *, fresh: bool = False) -> Principal | None:
        if split_token(token) is None:
            return None
        memo_key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        if not fresh:
            with self._lock:
                hit = self._memo.get(memo_key)
            if hit is not None and hit[1] > now:
                return hit[0]
        with self._factory() as session:
            principal = authenticate(session, token)
        with self._lock:
            if len(self._memo) >= self._max:
                self._memo = {k: v for k, v in self._memo.items() if v[1] > now}
                if len(self._memo) >= self._max:
                    self._memo.clear()
            self._memo[memo_key] = (principal, now + self._ttl)
        return principal
