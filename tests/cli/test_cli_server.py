"""With `--server URL` the commands give what they give in process: the same answer, its
findings located in the files, and files the service cannot parse left out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from ..servers import Server, running_server
from .sources import CLOUDFORMATION

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`


@pytest.fixture(scope="module")
def server(seeded_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(seeded_sqlite_url, tmp_path_factory.mktemp("server") / "log") as running:
        yield running


def _answer(result: Result) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(result.stdout)
    answer.pop("decision_id")
    return answer


def test_the_server_answers_as_the_process_does(
    server: Server,
    seeded_sqlite_url: str,
    use_database: Callable[[str], None],
    invoke: Callable[..., Result],
    tmp_path: Path,
) -> None:
    use_database(seeded_sqlite_url)
    (tmp_path / "pipeline.yaml").write_text(CLOUDFORMATION)
    (tmp_path / "broken.yaml").write_text("Resources: [\n")
    args = ["compute", "--parameter", "ProjectName=my-build", tmp_path]
    remote = invoke(*args, "--server", server.base)
    local = invoke(*args)
    assert remote.exit_code == local.exit_code == 2, remote.output + local.output
    assert _answer(remote) == _answer(local)
    findings = _answer(remote)["findings"]
    assert findings[0]["code"] == "INPUT_UNREADABLE"
    assert findings[0]["file"] == str(tmp_path / "broken.yaml")
    assert {f["file"] for f in findings[1:]} == {str(tmp_path / "pipeline.yaml")}
    assert all(isinstance(f["line"], int) for f in findings[1:])
    assert "answering in process" not in remote.stderr
