"""The command on the service's database: named, and when it cannot be used, a message that
says what to do (exit status 1 for the admin commands, 2 for the decision commands)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from app.cli import cli
from app.main import create_app
from app.settings import Settings, get_settings

from ..conftest import create_api_key
from ..documents import with_note


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


# -- the decision commands in process --------------------------------------------------------------

PROFILE = "/v1/profiles/Source/AWS/CodeCommit/1"


def _used_revisions(answer: dict[str, Any]) -> dict[str, int]:
    return {p["action_type"]: p["revision"] for p in answer["provenance"]["profiles"]}


@pytest.fixture
def in_fresh_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A current folder of its own, no DATABASE_URL, and a cache folder of its own."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_the_in_process_commands_use_the_database_the_service_uses(
    in_fresh_folder: Path, shared_dir: Path
) -> None:
    runner = CliRunner()
    for args in (["db", "upgrade"], ["seed"]):
        assert runner.invoke(cli, args).exit_code == 0
    default_url = "sqlite:///var/pipeline-policy.db"  # the README's default, in this folder
    assert (in_fresh_folder / "var" / "pipeline-policy.db").is_file()
    key = create_api_key(default_url, "write")
    with TestClient(create_app(Settings(database_url=default_url))) as client:
        current = client.get(PROFILE)
        published = client.put(
            PROFILE,
            json=with_note(current.json()["document"], "published through the API"),
            headers={"Authorization": f"Bearer {key}", "If-Match": current.headers["etag"]},
        )
        assert published.status_code == 200, published.text

    result = runner.invoke(
        cli, ["compute", str(shared_dir / "examples" / "reference-pipeline.json")]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert _used_revisions(answer)["Source/AWS/CodeCommit/1"] == 2  # the published revision
    assert answer["provenance"]["profile_set_revision"] == 2  # the seed made 1, the publication 2
    assert f"database {default_url}" in result.stderr
    assert "profile set revision 2" in result.stderr


@pytest.mark.parametrize("state", ["absent", "empty", "unseeded"])
@pytest.mark.parametrize("command", ["compute", "diff", "validate", "evaluate"])
def test_an_unusable_database_is_named_with_what_to_run(
    in_fresh_folder: Path, shared_dir: Path, state: str, command: str
) -> None:
    database = in_fresh_folder / "var" / "pipeline-policy.db"
    if state != "absent":
        database.parent.mkdir()
        database.touch()
    if state == "unseeded":
        assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    examples = shared_dir / "examples"
    args = {
        "compute": [str(examples / "reference-pipeline.json")],
        "diff": ["--baseline", "legacy-2019", str(examples / "reference-pipeline.json")],
        "validate": [str(examples / "legacy-default-policy-2019.json")],
        "evaluate": [str(examples / "legacy-default-policy-2019.json"), "--action", "s3:GetObject"],
    }[command]
    result = CliRunner().invoke(cli, [command, *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "sqlite:///var/pipeline-policy.db" in result.stderr
    assert "pipeline-policy seed" in result.stderr
    assert ("pipeline-policy db upgrade" in result.stderr) == (state != "unseeded")
    assert "--shipped-profiles" in result.stderr
    assert "Traceback" not in result.output
    assert database.exists() == (state != "absent")  # nothing made on the way


def test_an_unmigrated_postgresql_database_is_named_for_the_decision_commands(
    module_postgres_url: str, shared_dir: Path, use_database: Callable[[str], None]
) -> None:
    use_database(module_postgres_url)
    result = CliRunner().invoke(
        cli, ["compute", str(shared_dir / "examples" / "reference-pipeline.json")]
    )
    assert result.exit_code == 2, result.output
    assert f"{module_postgres_url.rsplit('/', 1)[-1]} has not been migrated" in result.stderr
    assert "pipeline-policy db upgrade" in result.stderr


def test_the_shipped_profiles_on_a_private_database_only_when_asked(
    in_fresh_folder: Path, shared_dir: Path
) -> None:
    pipeline = str(shared_dir / "examples" / "reference-pipeline.json")
    result = CliRunner().invoke(cli, ["compute", "--shipped-profiles", pipeline])
    assert result.exit_code == 0, result.output
    private = in_fresh_folder.parent / "cache" / "pipeline-policy" / "shipped-profiles.db"
    assert f"database sqlite:///{private}" in result.stderr
    assert json.loads(result.stdout)["provenance"]["profile_set_revision"] >= 1
    assert not (in_fresh_folder / "var").exists()  # the service's database is left alone
    both = CliRunner().invoke(
        cli, ["compute", "--shipped-profiles", "--server", "http://127.0.0.1:1", pipeline]
    )
    assert both.exit_code == 2
    assert "--shipped-profiles" in both.stderr
