"""The decision commands run in process on the database DATABASE_URL names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.settings import get_settings

from ..conftest import migrate_and_seed


@pytest.fixture(scope="session")
def seeded_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated and seeded SQLite database, shared by tests that only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    migrate_and_seed(url)
    return url


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """`use_database(url)`: DATABASE_URL for the commands run after it."""

    def use(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.fixture
def invoke() -> Callable[..., Result]:
    """`invoke(*args)`: the command, with a terminal wide enough that help does not wrap."""

    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "200"})

    return run
