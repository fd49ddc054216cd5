"""The `pipeline-policy` command: serve, migrate and seed."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn
from alembic import command
from alembic.config import Config

from app.service.seed import seed as run_seed
from app.settings import get_settings
from app.store.database import make_engine, make_session_factory, unit_of_work

cli = typer.Typer(no_args_is_help=True, help="Least-privilege IAM policies for CodePipeline.")
db = typer.Typer(no_args_is_help=True, help="Database schema.")
cli.add_typer(db, name="db")

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url or get_settings().sqlalchemy_url)
    return config


@db.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default head)."""
    command.upgrade(alembic_config(), revision)


@db.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    command.downgrade(alembic_config(), revision)


@cli.command()
def seed() -> None:
    """Load the shipped profiles and baselines (idempotent)."""
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            report = run_seed(session)
    finally:
        engine.dispose()
    typer.echo(
        f"profiles: {len(report.profiles_published)} published, {report.profiles_unchanged} "
        f"unchanged; baselines changed: {len(report.baselines_changed)}; "
        f"profile set revision {report.set_revision}"
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
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        proxy_headers=False,
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
