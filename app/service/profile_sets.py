"""Which profile revisions answer a question: now, as of a date, as of a set revision, pinned.

As of a date D, an action type is in the set when its `supported_since` is on or before D, and it
answers with its newest revision whose `effective_date` is on or before D. An action type whose
`supported_since` is unknown (null; every shipped profile has one) cannot be ruled out, so it is
in the set too, and reported in `undated`. Profiles follow documentation dated when they were
written (the shipped ones: 2025), so for an action type whose oldest revision is dated after D,
that oldest revision stands in (the key is reported in `predates`). Either way, statements whose
`since` is after D are dropped: a permission that became necessary later was not needed then.

As of a profile-set revision N, only revisions published by set revisions up to N are visible.
Pins name exact revisions per action type and win over both. A revision that extends another is
resolved with the parent's revision in the same selection.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.engine.pipeline.model import ActionTypeKey
from app.engine.profiles import Profile, ProfileSet
from app.service.errors import MissingError, UnknownPinError
from app.service.profile_cache import LoadedProfileSet, ProfileCache, compile_revisions
from app.store.profile_repository import ProfileRepository, StoredRevision


@dataclass(frozen=True)
class RevisionSelection:
    set_revision: int
    revisions: tuple[StoredRevision, ...]
    as_of: dt.date | None
    predates: frozenset[ActionTypeKey]
    # As of a date: action types in the set although no source dates their support.
    undated: frozenset[ActionTypeKey] = frozenset()


def select_revisions(
    session: Session,
    *,
    as_of: dt.date | None = None,
    set_revision: int | None = None,
    pins: Mapping[ActionTypeKey, int] | None = None,
) -> RevisionSelection:
    """The stored revisions in force (see the module docstring), sorted by action type."""
    repo = ProfileRepository(session)
    if set_revision is None:
        bound = repo.current_set_revision()
    elif repo.set_revision_exists(set_revision):
        bound = set_revision
    else:
        raise MissingError(f"no profile-set revision {set_revision}", pointer="query:set_revision")
    predates: set[ActionTypeKey] = set()
    if as_of is None:
        chosen = {r.key: r for r in repo.latest_revisions(bound)}
    else:
        effective = {r.key: r for r in repo.effective_revisions(as_of, bound)}
        chosen = {}
        for first in repo.first_revisions(bound):
            row = effective.get(first.key)
            if row is None:
                row = first
                predates.add(first.key)
            if row.supported_since is None or row.supported_since <= as_of:
                chosen[row.key] = row
        predates &= set(chosen)
    for key, revision in (pins or {}).items():
        pinned = repo.get_revision(key, revision) if 1 <= revision < 2**31 else None
        if pinned is None:
            raise UnknownPinError(f"no revision {revision} of `{key.label}`")
        chosen[key] = pinned
        predates.discard(key)
    undated = {k for k, r in chosen.items() if r.supported_since is None} if as_of else set()
    return RevisionSelection(
        set_revision=bound,
        revisions=tuple(chosen[k] for k in sorted(chosen)),
        as_of=as_of,
        predates=frozenset(predates),
        undated=frozenset(undated),
    )


def in_force(since: Any, as_of: dt.date | None) -> bool:
    """Whether a statement with this `since` (a date, an ISO string or None) applies at as_of."""
    if as_of is None or since is None:
        return True
    when = since if isinstance(since, dt.date) else dt.date.fromisoformat(str(since))
    return when <= as_of


def profile_as_of(profile: Profile, as_of: dt.date) -> Profile:
    """The profile without the statements that became necessary after as_of."""
    kept = tuple(s for s in profile.statements if in_force(s.since, as_of))
    if len(kept) == len(profile.statements):
        return profile
    return dataclasses.replace(profile, statements=kept)


def document_as_of(document: dict[str, Any], as_of: dt.date | None) -> dict[str, Any]:
    """The stored document without the statements that became necessary after as_of."""
    statements = document.get("statements") or []
    if as_of is None:
        return document
    kept = [s for s in statements if in_force(s.get("since"), as_of)]
    return document if len(kept) == len(statements) else {**document, "statements": kept}


def resolve_profile_set(
    session: Session,
    *,
    as_of: dt.date | None,
    set_revision: int | None,
    pins: Mapping[ActionTypeKey, int] | None,
) -> LoadedProfileSet:
    """The compiled profile set as of a date and/or a set revision, with per-key pins.

    Raises MissingError for an unknown set revision and UnknownPinError for a pinned revision
    that does not exist (callers add the JSON pointer of the pin).
    """
    selection = select_revisions(session, as_of=as_of, set_revision=set_revision, pins=pins)
    profiles = {
        key: profile_as_of(profile, as_of) if as_of else profile
        for key, profile in compile_revisions(selection.revisions).items()
    }
    return LoadedProfileSet(
        ProfileSet(revision=selection.set_revision, profiles=profiles),
        selection.revisions,
        as_of=as_of,
        predates=selection.predates,
        undated=selection.undated,
    )


class ProfileSetResolver:
    """Answers repeated as-of questions from memory, so hot endpoints stay off the database.

    A question without as_of, set revision or pins is the cached current set. Any other is
    resolved once against a fixed set revision (the cache's current one when none is given),
    which makes the answer immutable, and kept in a small LRU.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], cache: ProfileCache, max_entries: int = 32
    ) -> None:
        self._factory = session_factory
        self._cache = cache
        self._max = max_entries
        self._memo: OrderedDict[tuple[Any, ...], LoadedProfileSet] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        *,
        as_of: dt.date | None = None,
        set_revision: int | None = None,
        pins: Mapping[ActionTypeKey, int] | None = None,
    ) -> LoadedProfileSet:
        if as_of is None and set_revision is None and not pins:
            return self._cache.current
        bound = (
            set_revision if set_revision is not None else self._cache.current.profile_set.revision
        )
        memo_key = (bound, as_of, frozenset((pins or {}).items()))
        with self._lock:
            hit = self._memo.get(memo_key)
            if hit is not None:
                self._memo.move_to_end(memo_key)
                return hit
        with self._factory() as session:
            loaded = resolve_profile_set(session, as_of=as_of, set_revision=bound, pins=pins)
        with self._lock:
            self._memo[memo_key] = loaded
            while len(self._memo) > self._max:
                self._memo.popitem(last=False)
        return loaded
