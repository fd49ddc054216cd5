"""Migrations on both databases: up, check against the models, down, and seeding."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import inspect

from app.cli import alembic_config
from app.service.seed import seed
from app.store.database import make_engine, make_session_factory, unit_of_work
from app.store.profile_repository import ProfileRepository

TABLES = {
    "action_type",
    "profile_revision",
    "profile_set_revision",
    "baseline",
    "api_key",
    "audit_event",
    "catalog_revision",
}


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    command.check(config)  # raises when the models and the migrated schema differ
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_check_fails_on_an_unmigrated_database(empty_database_url: str) -> None:
    with pytest.raises(CommandError):
        command.check(alembic_config(empty_database_url))


def test_seed_is_idempotent_and_a_change_is_a_new_revision(empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = make_engine(empty_database_url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        first = seed(session)
    assert first.profiles_published
    assert first.set_revision == 1
    with unit_of_work(factory) as session:
        second = seed(session)
    assert second.profiles_published == []
    assert second.set_revision == 1
    with unit_of_work(factory) as session:
        repo = ProfileRepository(session)
        before = repo.latest_revisions()
        target = before[0]
        changed = {**target.document, "title": target.document["title"] + " (edited)"}
        new_set = repo.new_set_revision("test edit")
        repo.publish(
            target.key,
            document=changed,
            title=changed["title"],
            effective_date=target.effective_date,
            supported_since=target.supported_since,
            content_sha256="0" * 64,
            set_revision=new_set,
            published_by="test",
        )
    with unit_of_work(factory) as session:
        repo = ProfileRepository(session)
        assert repo.current_set_revision() == 2
        assert [r.revision for r in repo.revisions(target.key)] == [1, 2]
        as_of_first = {r.key: r.revision for r in repo.latest_revisions(set_revision=1)}
        assert as_of_first[target.key] == 1
    engine.dispose()
