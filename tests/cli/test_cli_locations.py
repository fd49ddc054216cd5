"""Findings name the file they are about and, where the text has it, the line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from .sources import CLOUDFORMATION, TERRAFORM, line_of

# Each case runs a command in process, the app started anew: left out of `make test-fast`.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _seeded_database(seeded_sqlite_url: str, use_database: Callable[[str], None]) -> None:
    use_database(seeded_sqlite_url)


# (file name, text, pointers in the file of the build action and of its project name, and the
# lines they are at)
SOURCES = [
    pytest.param(
        "pipeline.yaml",
        CLOUDFORMATION,
        "/Resources/Pipeline/Properties/Stages/1/Actions/0",
        "/Resources/Pipeline/Properties/Stages/1/Actions/0/Configuration/ProjectName",
        line_of(CLOUDFORMATION, "            - Name: Build"),
        line_of(CLOUDFORMATION, "ProjectName: !Ref"),
        id="cloudformation",
    ),
    pytest.param(
        "pipeline.tf",
        TERRAFORM,
        "/resource/aws_codepipeline/main/stage/1/action/0",
        "/resource/aws_codepipeline/main/stage/1/action/0/configuration/ProjectName",
        [i for i, line in enumerate(TERRAFORM.splitlines(), 1) if line == "    action {"][1],
        line_of(TERRAFORM, "ProjectName = var.project"),
        id="terraform",
    ),
]


def _findings(invoke: Callable[..., Result], path: Path) -> list[dict[str, Any]]:
    result = invoke("compute", path)
    assert result.exit_code == 0, result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.parametrize(("name", "text", "action", "value", "action_line", "value_line"), SOURCES)
def test_json_findings_keep_the_path_and_add_file_and_line(
    name: str,
    text: str,
    action: str,
    value: str,
    action_line: int,
    value_line: int,
    tmp_path: Path,
    invoke: Callable[..., Result],
) -> None:
    path = tmp_path / name
    path.write_text(text)
    findings = _findings(invoke, path)
    assert findings
    for f in findings:
        assert f["path"].startswith("/sources/0/body/"), f
        assert f["file"] == str(path), f
        assert isinstance(f["line"], int), f
    by_path = {f["path"]: f["line"] for f in findings}
    assert by_path[f"/sources/0/body{action}"] == action_line
    assert by_path[f"/sources/0/body{value}"] == value_line


def test_a_get_pipeline_document_gives_lines_too(
    shared_dir: Path, invoke: Callable[..., Result]
) -> None:
    path = shared_dir / "examples" / "reference-pipeline.json"
    text = path.read_text()
    findings = _findings(invoke, path)
    assert findings
    assert all(f["file"] == str(path) and isinstance(f["line"], int) for f in findings)
    ecs = next(f for f in findings if f["path"] == "/sources/0/body/pipeline/stages/2/actions/2")
    # The line of the brace that opens the action, just above its name.
    assert ecs["line"] == line_of(text, '"name": "DeployService"') - 1
    assert text.splitlines()[ecs["line"] - 1].strip() == "{"


def test_table_findings_name_the_file_and_line(
    tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(CLOUDFORMATION)
    result = invoke("compute", "-o", "table", path)
    assert result.exit_code == 0, result.output
    assert f"{path}:{line_of(CLOUDFORMATION, 'ProjectName: !Ref')}" in result.stdout
    assert "/sources/0/body" not in result.stdout


def test_validate_locates_policy_findings_in_the_policy_file(
    tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "*", "Resource": "*"}\n  ]\n}\n'
    )
    result = invoke("validate", "--fail-on", "ERROR", policy)
    findings = json.loads(result.stdout)[str(policy)]["findings"]
    assert findings
    assert all(f["file"] == str(policy) for f in findings)
    assert {
        f["line"] for f in findings if f["path"].startswith("/policy/documents/0/Statement/0")
    } == {4}
