"""The command on a database it cannot use: a message that says what to do, exit status 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_unmigrated_database_is_named_with_what_to_run(
    run_cli: Callable[..., Result], tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url, name = f"sqlite:///{tmp_path / 'never-migrated.db'}", "never-migrated.db"
    else:
        url = request.getfixturevalue("module_postgres_url")  # brand-new, never migrated
        name = url.rsplit("/", 1)[-1]
    for args in (("keys", "create", "--name", "me", "--scope", "admin"), ("keys", "list")):
        result = run_cli(url, *args)
        assert result.exit_code == 1, result.output
        assert f"{name} could not be used" in result.output
        assert "pipeline-policy db upgrade" in result.output
        assert "Traceback" not in result.output


def test_an_unreachable_database_is_named(run_cli: Callable[..., Result]) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/nowhere"
    result = run_cli(url, "keys", "list")
    assert result.exit_code == 1, result.output
    assert "nowhere could not be used" in result.output
    assert "secret" not in result.output  # the password is masked
