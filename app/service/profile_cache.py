"""The in-memory profile set hot endpoints use: no database round-trip per request.

The cache holds the compiled profile set of one profile-set revision. A background refresher asks
the database for the current revision every `refresh_seconds` and reloads only when it moved, so
replicas on one database converge on a new revision within that bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from app.engine.pipeline.model import ActionTypeKey
from app.engine.profiles import Profile, ProfileSet, WrittenProfile, compile_profiles
from app.store.profile_repository import ProfileRepository, StoredRevision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedProfileSet:
    profile_set: ProfileSet
    revisions: tuple[StoredRevision, ...]
    as_of: dt.date | None = None
    # Action types whose oldest revision is dated after `as_of`: that revision stands in.
    predates: frozenset[ActionTypeKey] = field(default_factory=frozenset)
    # Action types used as of `as_of` although their support date is unknown.
    undated: frozenset[ActionTypeKey] = field(default_factory=frozenset)


def compile_revisions(rows: Iterable[StoredRevision]) -> dict[ActionTypeKey, Profile]:
    """The stored revisions of one profile set, compiled; one that extends another is resolved
    with the parent's revision among them. One that does not pass the schema (published before
    the schema refused unknown keys, or extending a profile the set does not have) is left out,
    loudly: its action type then has no profile, which compute reports, rather than a profile
    read without the keys it does not know."""
    by_key = {row.key: row for row in rows}
    compiled = compile_profiles(
        {
            key: WrittenProfile(row.document, row.revision, status=row.status)
            for key, row in by_key.items()
        }
    )
    for key, error in compiled.problems.items():
        log.error(
            "revision %s of %s does not follow the profile schema and is not used: %s at %s; "
            "publish a corrected revision",
            by_key[key].revision,
            key.label,
            error.message,
            error.pointer,
        )
    return compiled.profiles


def load_profile_set(session: Session, set_revision: int | None = None) -> LoadedProfileSet:
    repo = ProfileRepository(session)
    revision = set_revision if set_revision is not None else repo.current_set_revision()
    stored = repo.latest_revisions(revision)
    profiles = compile_revisions(stored)
    return LoadedProfileSet(ProfileSet(revision=revision, profiles=profiles), tuple(stored))


class ProfileCache:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._current: LoadedProfileSet | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> LoadedProfileSet:
        if self._current is None:
            self.refresh()
        assert self._current is not None
        return self._current

    @property
    def loaded(self) -> bool:
        return self._current is not None

    def refresh(self) -> bool:
        """Reload when the database holds a newer set revision; returns whether it reloaded."""
        with self._lock, self._factory() as session:
            newest = ProfileRepository(session).current_set_revision()
            if self._current is not None and self._current.profile_set.revision == newest:
                return False
            self._current = load_profile_set(session, newest)
            log.info("profile set revision %s loaded", newest)
            return True

    async def run_refresher(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # a replica keeps serving its last good set while the DB is away
                log.warning(
                    "profile set refresh failed; keeping revision %s",
                    self._revision(),
                    exc_info=True,
                )

    def _revision(self) -> int | None:
        return self._current.profile_set.revision if self._current else None
