"""Shared fixtures: databases (SQLite and PostgreSQL, migrated with Alembic) and the app."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from app.cli import alembic_config, cli
from app.main import create_app
from app.service.api_keys import KeyScope, create_key
from app.service.audit import Actor
from app.service.seed import seed
from app.settings import Settings, get_settings
from app.store.database import make_engine, make_session_factory, unit_of_work
from tests import hypothesis_profiles  # noqa: F401 - loads the profile HYPOTHESIS_PROFILE names

SHARED = Path(__file__).resolve().parents[2] / "shared"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("TEST_REQUIRE_POSTGRES") == "1"
# Every app the tests build (and every CLI run and server process they start, which inherit the
# environment) checks each decision response against its response model: see app/api/json_body.py.
os.environ["VALIDATE_RESPONSES"] = "true"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _give_each_test_its_own_id(items)
    _mark_postgres(items)


def _give_each_test_its_own_id(items: list[pytest.Item]) -> None:
    """pytest-xdist hands tests out by node id, so of tests sharing an id only one would run.
    Schemathesis' tests (one per operation) all carry their function's id under pytest 9.2; each
    gets back the operation its name holds. Any id still shared stops the run."""
    shared = Counter(item.nodeid for item in items)
    for item in items:
        if shared[item.nodeid] > 1 and item.name.endswith("]") and "[" in item.name:
            operation = item.name[item.name.index("[") + 1 : -1]
            item._id = dataclasses.replace(item._id, params=operation)
    still = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if still:
        raise pytest.UsageError(f"tests share a node id, and would not all run: {still[:5]}")


def _mark_postgres(items: list[pytest.Item]) -> None:
    """Every test on a PostgreSQL database is marked `postgres` (`make test-fast` leaves them out):
    those given the `postgresql` kind of a database fixture or parameter, and those given
    `module_postgres_url`."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        kinds = callspec.params.values() if callspec is not None else ()
        on_postgres = any(isinstance(kind, str) and kind == "postgresql" for kind in kinds)
        if on_postgres or "module_postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    ok = _postgres_reachable()
    if not ok and REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL is required (TEST_REQUIRE_POSTGRES=1) but {POSTGRES_URL} is down")
    return ok


def _fresh_database(
    kind: str, tmp_path_factory: pytest.TempPathFactory, available: bool
) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    if not available:
        pytest.skip("PostgreSQL is not reachable (set TEST_REQUIRE_POSTGRES=1 to fail instead)")
    name = f"pp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_available: bool,
) -> Iterator[str]:
    """A brand-new, unmigrated database of each kind, per test."""
    yield from _fresh_database(request.param, tmp_path_factory, postgres_available)


def migrate_and_seed(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        seed(session)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def seeded_database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_available: bool,
) -> Iterator[str]:
    """One migrated and seeded database of each kind, shared by read-only tests."""
    for url in _fresh_database(request.param, tmp_path_factory, postgres_available):
        migrate_and_seed(url)
        yield url


@pytest.fixture(scope="session")
def client(seeded_database_url: str) -> Iterator[TestClient]:
    """The real app (lifespan included) over httpx, on each database."""
    app = create_app(
        Settings(
            database_url=seeded_database_url,
            profile_refresh_seconds=0.2,
            validate_responses=True,
        )
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


def _shared_example(shared_dir: Path, name: str) -> dict[str, Any]:
    path = shared_dir / "examples" / name
    if not path.is_file():
        pytest.skip(f"../shared/examples/{name} is absent")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.fixture(scope="session")
def reference(shared_dir: Path) -> dict[str, Any]:
    """The reference pipeline (get-pipeline JSON) of ../shared/examples."""
    return _shared_example(shared_dir, "reference-pipeline.json")


@pytest.fixture(scope="session")
def legacy(shared_dir: Path) -> dict[str, Any]:
    """The legacy 2019 console default policy of ../shared/examples."""
    return _shared_example(shared_dir, "legacy-default-policy-2019.json")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_available: bool,
) -> Iterator[str]:
    """A migrated and seeded database of each kind of its own, for one module's write tests."""
    for url in _fresh_database(request.param, tmp_path_factory, postgres_available):
        migrate_and_seed(url)
        yield url


@pytest.fixture(scope="module")
def module_postgres_url(
    tmp_path_factory: pytest.TempPathFactory, postgres_available: bool
) -> Iterator[str]:
    """A brand-new, unmigrated PostgreSQL database for one module (skips without PostgreSQL,
    or fails when TEST_REQUIRE_POSTGRES=1)."""
    yield from _fresh_database("postgresql", tmp_path_factory, postgres_available)


def create_api_key(url: str, scope: str, name: str = "test") -> str:
    """A new API key on the database at `url`, made the way the CLI makes one."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            new = create_key(session, name=name, scope=KeyScope(scope), actor=Actor.command("test"))
    finally:
        engine.dispose()
    return new.token


@pytest.fixture(scope="session")
def api_key() -> Callable[..., str]:
    """`api_key(url, scope, name="test")` makes a key and returns it."""
    return create_api_key


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """`run_cli(url, *args)`: the `pipeline-policy` command against the database at `url`."""

    def run(url: str, *args: str) -> Result:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args))

    yield run
    get_settings.cache_clear()
