"""The database the command works on: its migrations, its name in messages, and whether it can
answer (migrated to the newest revision and seeded) before a decision command uses it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.settings import get_settings
from app.store.database import make_engine, make_session_factory, unit_of_work
from app.store.profile_repository import ProfileRepository

if TYPE_CHECKING:
    from alembic.config import Config

# The Alembic revisions ship inside the package (app/migrations is the repository's migrations/
# folder, packaged as data), so an installed copy migrates without the source tree; alembic.ini
# serves developers running `alembic` from the repository.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

WHAT_TO_RUN = (
    "run `pipeline-policy db upgrade` and `pipeline-policy seed` (the command reads "
    "DATABASE_URL; its SQLite default is relative to the current folder)"
)


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration for the database at `url` (default: DATABASE_URL)."""
    from alembic.config import Config  # noqa: PLC0415 - alembic costs 0.3 s at start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url or get_settings().sqlalchemy_url)
    return config


def database_name(url: str) -> str:
    """The URL as messages show it: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def unusable_message(url: str, exc: OperationalError | ProgrammingError) -> str:
    """What to say when the database is unreachable or its tables are missing."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return (
        f"the database {database_name(url)} could not be used ({reason}); if it has not been "
        f"migrated yet, {WHAT_TO_RUN}"
    )


class DatabaseNotReadyError(Exception):
    """The database cannot answer decisions yet; the message says what to run."""


def ready_profile_set_revision(url: str) -> int:
    """The profile-set revision of a database migrated to the newest revision and seeded.

    Raises DatabaseNotReadyError otherwise. Makes nothing: a SQLite file that does not exist
    is not created.
    """
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see alembic_config
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    name = database_name(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        if not path.is_file():
            raise DatabaseNotReadyError(
                f"the database {name} does not exist (no file {path.resolve()}); {WHAT_TO_RUN}"
            )
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != head:
            state = "has not been migrated" if current is None else f"is at migration {current}"
            raise DatabaseNotReadyError(f"the database {name} {state}, not {head}; {WHAT_TO_RUN}")
        with unit_of_work(make_session_factory(engine)) as session:
            revision = ProfileRepository(session).current_set_revision()
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseNotReadyError(unusable_message(url, exc)) from exc
    finally:
        engine.dispose()
    if revision == 0:
        raise DatabaseNotReadyError(
            f"the database {name} holds no profiles; run `pipeline-policy seed`"
        )
    return revision
