"""The seed publishes only files that pass the schema and the catalogue; a stored revision that
no longer passes the schema is left out of the loaded set, loudly."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy.orm import Session, sessionmaker

from app.cli import alembic_config
from app.engine.errors import ProfileDefinitionError
from app.engine.pipeline.model import ActionTypeKey
from app.service import seed as seed_module
from app.service.profile_cache import load_profile_set
from app.service.profile_files import DataFile, profile_files
from app.service.seed import seed
from app.store.database import make_engine, make_session_factory, unit_of_work
from app.store.profile_repository import ProfileRepository

CODECOMMIT = "Source--AWS--CodeCommit--1.yaml"
BUILD = "Build--AWS--CodeBuild--1.yaml"
TEST = "Test--AWS--CodeBuild--1.yaml"
BUILD_KEY = ActionTypeKey("Build", "AWS", "CodeBuild", "1")


@pytest.fixture
def factory(empty_database_url: str) -> Iterator[sessionmaker[Session]]:
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = make_engine(empty_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _shipped_with(
    change: Callable[[dict[str, Any]], None], name: str = CODECOMMIT
) -> list[DataFile]:
    files = []
    for data in profile_files():
        document = copy.deepcopy(data.document)
        if data.path.name == name:
            change(document)
        files.append(DataFile(path=Path(data.path.name), document=document))
    return files


def _rename(document: dict[str, Any]) -> None:
    document["statements"][0]["actions"][0] = "codecommit:GetBranchh"


def _broaden(document: dict[str, Any]) -> None:
    document["statements"][0]["actions"].append("codecommit:*")


def _misspell(document: dict[str, Any]) -> None:
    document["statements"][0]["wen"] = {"config": "BranchName", "present": True}


@pytest.mark.parametrize(
    ("change", "pointer", "says"),
    [
        (_rename, f"{CODECOMMIT}/statements/0/actions/", "did you mean `codecommit:GetBranch`"),
        (_broaden, f"{CODECOMMIT}/statements/0/actions/", "risk_reason"),
        (_misspell, f"{CODECOMMIT}/statements/0/wen", "did you mean `when`"),
    ],
    ids=["unknown-action", "unreasoned-pattern", "misspelt-key"],
)
def test_the_seed_refuses_a_file_that_does_not_pass(
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict[str, Any]], None],
    pointer: str,
    says: str,
) -> None:
    monkeypatch.setattr(seed_module, "profile_files", lambda: iter(_shipped_with(change)))
    with pytest.raises(ProfileDefinitionError) as raised, unit_of_work(factory) as session:
        seed(session)
    assert raised.value.pointer.startswith(pointer)
    assert says in raised.value.message
    with factory() as session:  # nothing of the run was kept
        assert ProfileRepository(session).current_set_revision() == 0


def _extend_unknown(document: dict[str, Any]) -> None:
    document["extends"] = {**document["action_type"], "provider": "CodeComit", "category": "Build"}


def _extend_another(document: dict[str, Any]) -> None:
    document["extends"] = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}


@pytest.mark.parametrize(
    ("change", "name", "pointer", "says"),
    [
        (_extend_unknown, CODECOMMIT, f"{CODECOMMIT}/extends", "has no profile to extend"),
        (_extend_another, BUILD, f"{TEST}/extends", "extends `Source/AWS/S3/1` itself"),
    ],
    ids=["unknown-parent", "parent-extends"],
)
def test_the_seed_refuses_a_file_its_parent_cannot_resolve(
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict[str, Any]], None],
    name: str,
    pointer: str,
    says: str,
) -> None:
    monkeypatch.setattr(seed_module, "profile_files", lambda: iter(_shipped_with(change, name)))
    with pytest.raises(ProfileDefinitionError) as raised, unit_of_work(factory) as session:
        seed(session)
    assert raised.value.pointer == pointer
    assert says in raised.value.message
    with factory() as session:
        assert ProfileRepository(session).current_set_revision() == 0


def test_the_seed_stores_a_child_as_written_and_the_set_resolves_it(
    factory: sessionmaker[Session],
) -> None:
    with unit_of_work(factory) as session:
        seed(session)
    test, build = ActionTypeKey("Test", "AWS", "CodeBuild", "1"), BUILD_KEY
    with factory() as session:
        stored = ProfileRepository(session).latest(test)
        loaded = load_profile_set(session)
    assert stored is not None
    assert "statements" not in stored.document
    assert stored.document["extends"]["category"] == "Build"
    child, parent = loaded.profile_set.get(test), loaded.profile_set.get(build)
    assert child is not None
    assert parent is not None
    assert child.extends == (build, parent.revision)
    assert child.statements == parent.statements


def test_a_stored_revision_the_schema_refuses_is_left_out_loudly(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    with unit_of_work(factory) as session:
        seed(session)
    key = ActionTypeKey("Source", "AWS", "CodeCommit", "1")
    with unit_of_work(factory) as session:
        repo = ProfileRepository(session)
        current = repo.latest(key)
        assert current is not None
        legacy = copy.deepcopy(current.document)
        legacy["statements"][0]["condtion"] = {"StringEquals": {"aws:ResourceAccount": "x"}}
        repo.publish(
            key,
            document=legacy,
            title=current.title,
            effective_date=current.effective_date,
            supported_since=current.supported_since,
            content_sha256="0" * 64,
            set_revision=repo.new_set_revision("written before the schema was strict"),
            published_by="test",
        )
    with caplog.at_level(logging.ERROR), factory() as session:
        loaded = load_profile_set(session)
    assert loaded.profile_set.get(key) is None
    assert loaded.profile_set.get(BUILD_KEY) is not None
    assert "revision 2 of Source/AWS/CodeCommit/1 does not follow the profile schema" in caplog.text
    assert "/statements/0/condtion" in caplog.text


def test_a_stored_child_whose_parent_no_longer_resolves_it_is_left_out_loudly(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    with unit_of_work(factory) as session:
        seed(session)
    with unit_of_work(factory) as session:
        repo = ProfileRepository(session)
        current = repo.latest(BUILD_KEY)
        assert current is not None
        # A revision stored without the writers' checks: the Test profile's parent now extends.
        extending = {**current.document, "extends": {**current.document["action_type"]}}
        extending["extends"]["category"] = "Source"
        extending["extends"]["provider"] = "S3"
        repo.publish(
            BUILD_KEY,
            document=extending,
            title=current.title,
            effective_date=current.effective_date,
            supported_since=current.supported_since,
            content_sha256="0" * 64,
            set_revision=repo.new_set_revision("a parent that extends"),
            published_by="test",
        )
    with caplog.at_level(logging.ERROR), factory() as session:
        loaded = load_profile_set(session)
    assert loaded.profile_set.get(BUILD_KEY) is not None
    assert loaded.profile_set.get(ActionTypeKey("Test", "AWS", "CodeBuild", "1")) is None
    assert "of Test/AWS/CodeBuild/1 does not follow the profile schema" in caplog.text
