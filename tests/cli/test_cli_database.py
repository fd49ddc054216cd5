"""The command on a database it cannot use: a message that says what to do, exit status 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result


def test_an_unmigrated_database_is_named_with_what_to_run(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    for args in (("keys", "create", "--name", "me", "--scope", "admin"), ("keys", "list")):
        result = run_cli(url, *args)
        assert result.exit_code == 1, result.output
        assert "never-migrated.db could not be used" in result.output
        assert "pipeline-policy db upgrade" in result.output
        assert "Traceback" not in result.output
