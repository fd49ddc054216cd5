"""Resolving the profile set now, as of a date, as of a set revision and with pins; the writers'
conflict backstop. On SQLite and PostgreSQL, migrated and seeded."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.engine.pipeline.model import ActionTypeKey
from app.service.errors import MissingError, UnknownPinError
from app.service.profile_cache import ProfileCache
from app.service.profile_files import content_sha256
from app.service.profile_sets import ProfileSetResolver, resolve_profile_set
from app.store.database import make_engine, make_session_factory, unit_of_work
from app.store.errors import StoreConflictError
from app.store.profile_repository import ProfileRepository

from ..conftest import migrate_and_seed

CODECOMMIT = ActionTypeKey("Source", "AWS", "CodeCommit", "1")
CODEBUILD = ActionTypeKey("Build", "AWS", "CodeBuild", "1")
STEP_FUNCTIONS = ActionTypeKey("Invoke", "AWS", "StepFunctions", "1")
EKS = ActionTypeKey("Deploy", "AWS", "EKS", "1")


@pytest.fixture
def factory(empty_database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate_and_seed(empty_database_url)
    engine = make_engine(empty_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _publish_codecommit(factory: sessionmaker[Session], effective: str) -> int:
    """Revision 2 of CodeCommit, effective on a given date, with one more note."""
    with unit_of_work(factory) as session:
        repo = ProfileRepository(session)
        current = repo.latest(CODECOMMIT)
        assert current is not None
        document = copy.deepcopy(current.document)
        document["effective_date"] = effective
        document["notes"] = [*document.get("notes", []), "revised"]
        set_revision = repo.new_set_revision("test")
        stored = repo.publish(
            CODECOMMIT,
            document=document,
            title=current.title,
            effective_date=dt.date.fromisoformat(effective),
            supported_since=current.supported_since,
            content_sha256=content_sha256(document),
            set_revision=set_revision,
            published_by="test",
        )
        return stored.set_revision


def _statement_ids(loaded_profile: object) -> list[str]:
    return [s.id for s in loaded_profile.statements]  # type: ignore[attr-defined]


def test_now_is_the_newest_of_everything(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        loaded = resolve_profile_set(session, as_of=None, set_revision=None, pins=None)
    assert loaded.profile_set.revision == 1
    assert {STEP_FUNCTIONS, EKS, CODECOMMIT} <= set(loaded.profile_set.profiles)
    assert "FullClone" in _statement_ids(loaded.profile_set.profiles[CODECOMMIT])
    assert loaded.as_of is None
    assert loaded.predates == frozenset()


def test_as_of_a_date_drops_later_action_types_and_statements(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        loaded = resolve_profile_set(
            session, as_of=dt.date(2018, 6, 1), set_revision=None, pins=None
        )
    profiles = loaded.profile_set.profiles
    assert STEP_FUNCTIONS not in profiles  # supported since 2020-05-27
    assert EKS not in profiles  # 2025
    assert ActionTypeKey("Approval", "AWS", "Manual", "1") in profiles  # support date unknown
    assert _statement_ids(profiles[CODECOMMIT]) == ["Repository"]  # full clone: 2020-11-11
    assert _statement_ids(profiles[CODEBUILD]) == ["StartBuild", "GetBuilds"]  # batch: 2020
    assert CODECOMMIT in loaded.predates  # the 2025 documentation stands in for 2018
    assert loaded.as_of == dt.date(2018, 6, 1)
    with factory() as session:
        later = resolve_profile_set(
            session, as_of=dt.date(2021, 1, 1), set_revision=None, pins=None
        )
    assert STEP_FUNCTIONS in later.profile_set.profiles
    assert "FullClone" in _statement_ids(later.profile_set.profiles[CODECOMMIT])


def test_as_of_picks_the_revision_effective_on_the_date(factory: sessionmaker[Session]) -> None:
    _publish_codecommit(factory, "2026-06-01")
    with factory() as session:
        before = resolve_profile_set(
            session, as_of=dt.date(2026, 1, 1), set_revision=None, pins=None
        )
        after = resolve_profile_set(
            session, as_of=dt.date(2026, 7, 1), set_revision=None, pins=None
        )
    assert before.profile_set.profiles[CODECOMMIT].revision == 1
    assert after.profile_set.profiles[CODECOMMIT].revision == 2
    assert before.predates == after.predates == frozenset()


def test_set_revision_and_pins(factory: sessionmaker[Session]) -> None:
    new_set = _publish_codecommit(factory, "2025-06-01")
    with factory() as session:
        now = resolve_profile_set(session, as_of=None, set_revision=None, pins=None)
        then = resolve_profile_set(session, as_of=None, set_revision=1, pins=None)
        pinned = resolve_profile_set(session, as_of=None, set_revision=None, pins={CODECOMMIT: 1})
        with pytest.raises(MissingError):
            resolve_profile_set(session, as_of=None, set_revision=99, pins=None)
        with pytest.raises(UnknownPinError):
            resolve_profile_set(session, as_of=None, set_revision=None, pins={CODECOMMIT: 7})
    assert now.profile_set.revision == new_set
    assert now.profile_set.profiles[CODECOMMIT].revision == 2
    assert then.profile_set.revision == 1
    assert then.profile_set.profiles[CODECOMMIT].revision == 1
    assert pinned.profile_set.profiles[CODECOMMIT].revision == 1
    assert pinned.profile_set.profiles[CODEBUILD].revision == 1


def test_resolver_answers_from_memory(factory: sessionmaker[Session]) -> None:
    cache = ProfileCache(factory)
    resolver = ProfileSetResolver(factory, cache)
    assert resolver.get() is cache.current
    first = resolver.get(as_of=dt.date(2018, 6, 1))
    assert resolver.get(as_of=dt.date(2018, 6, 1)) is first
    assert STEP_FUNCTIONS not in first.profile_set.profiles
    assert resolver.get(as_of=dt.date(2018, 6, 2)) is not first


def test_a_duplicate_revision_number_is_a_conflict(factory: sessionmaker[Session]) -> None:
    session = factory()
    try:
        repo = ProfileRepository(session)
        current = repo.latest(CODECOMMIT)
        assert current is not None
        set_revision = repo.new_set_revision("test")
        with pytest.raises(StoreConflictError):
            repo.publish(
                CODECOMMIT,
                document=current.document,
                title=current.title,
                effective_date=current.effective_date,
                supported_since=current.supported_since,
                content_sha256=current.content_sha256,
                set_revision=set_revision,
                published_by="test",
                revision=current.revision,
            )
    finally:
        session.rollback()
        session.close()
    with factory() as session:
        assert [r.revision for r in ProfileRepository(session).revisions(CODECOMMIT)] == [1]
