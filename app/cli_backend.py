"""Where the decision commands send their requests: a running server, or the application in this
process on the service's database (DATABASE_URL), or on a private one seeded with the shipped
profiles when asked."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import typer

from app.cli_database import DatabaseNotReadyError, database_name, ready_profile_set_revision
from app.cli_exit import fail

SHIPPED_PROFILES_FLAG = "--shipped-profiles"


class Backend(Protocol):
    def post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> httpx.Response: ...


class HttpBackend:
    """A server, or the application in this process, reached through its HTTP interface."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> httpx.Response:
        return self._client.post(path, json=body, params=params)


class ProblemAnswerError(Exception):
    """A 4xx or 5xx answer: its problem's title and detail, and (pointer, detail) per error."""

    def __init__(
        self, status: int, title: str, detail: str, errors: tuple[tuple[str, str], ...]
    ) -> None:
        super().__init__(f"{title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors

    @classmethod
    def of(cls, response: httpx.Response) -> ProblemAnswerError:
        try:
            data = response.json()
        except ValueError:
            return cls(response.status_code, f"HTTP {response.status_code}", response.text, ())
        if not isinstance(data, dict):
            return cls(response.status_code, f"HTTP {response.status_code}", response.text, ())
        errors = tuple(
            (str(e.get("pointer", "")), str(e.get("detail", "")))
            for e in data.get("errors") or []
            if isinstance(e, dict)
        )
        title = str(data.get("title") or f"HTTP {response.status_code}")
        return cls(response.status_code, title, str(data.get("detail") or ""), errors)


def post(
    client: Backend, path: str, body: dict[str, Any], params: dict[str, str] | None = None
) -> httpx.Response:
    """The answer; ProblemAnswerError when it is an error; a server that does not answer fails."""
    try:
        response = client.post(path, body, params or {})
    except httpx.HTTPError as exc:
        fail(f"the server did not answer: {exc}")
    if response.status_code >= 400:
        raise ProblemAnswerError.of(response)
    return response


def private_database_url() -> str:
    """A SQLite database of this user's, under the cache folder, migrated and seeded with the
    profiles shipped with this version."""
    from alembic import command  # noqa: PLC0415 - alembic costs 0.3 s at start-up

    from app.cli_database import alembic_config  # noqa: PLC0415
    from app.service.seed import seed  # noqa: PLC0415
    from app.store.database import make_engine, make_session_factory, unit_of_work  # noqa: PLC0415

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipeline-policy"
    cache.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{cache / 'shipped-profiles.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            seed(session)
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def _in_process(shipped_profiles: bool) -> Iterator[Backend]:
    # Imported here: a remote call should not pay for the application's start-up.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from app.main import create_app  # noqa: PLC0415
    from app.settings import get_settings  # noqa: PLC0415

    settings = get_settings()
    if shipped_profiles:
        settings = settings.model_copy(update={"database_url": private_database_url()})
    url = settings.sqlalchemy_url
    try:
        revision = ready_profile_set_revision(url)
    except DatabaseNotReadyError as exc:
        fail(
            f"{exc}; or pass {SHIPPED_PROFILES_FLAG} to answer from the profiles shipped with "
            "this version, on a private database"
        )
    typer.echo(
        f"answering in process from the database {database_name(url)} "
        f"(profile set revision {revision})",
        err=True,
    )
    with TestClient(create_app(settings)) as client:
        yield HttpBackend(client)


@contextlib.contextmanager
def backend(
    server: str | None, api_key: str | None, *, shipped_profiles: bool
) -> Iterator[Backend]:
    if server and shipped_profiles:
        fail(f"{SHIPPED_PROFILES_FLAG} answers in process; it does not go with --server")
    if server:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120) as client:
            yield HttpBackend(client)
    else:
        with _in_process(shipped_profiles) as local:
            yield local
