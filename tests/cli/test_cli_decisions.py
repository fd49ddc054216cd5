"""The decision commands on local files, in process, with CI exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _local_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        yield


@pytest.fixture(scope="module")
def examples(shared_dir: Path) -> Path:
    return shared_dir / "examples"


def test_diff_of_the_legacy_policy_fails_and_names_what_is_missing(examples: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "diff",
            "--current",
            str(examples / "legacy-default-policy-2019.json"),
            str(examples / "reference-pipeline.json"),
            "-o",
            "table",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "MISSING codecommit:GetRepository" in result.output
    assert "kms:Decrypt" in result.output


def test_diff_with_a_sufficient_policy_passes(examples: Path, tmp_path: Path) -> None:
    computed = runner.invoke(cli, ["compute", str(examples / "reference-pipeline.json")])
    assert computed.exit_code == 0, computed.output
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(json.loads(computed.output)["policy"]))
    result = runner.invoke(
        cli, ["diff", "--current", str(policy), str(examples / "reference-pipeline.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "sufficient"


def test_compute_as_terraform(examples: Path) -> None:
    result = runner.invoke(
        cli, ["compute", str(examples / "reference-pipeline.json"), "-o", "terraform"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Findings: ")  # the findings come with the snippet
    assert 'resource "aws_iam_policy"' in result.output
    assert 'resource "aws_iam_role_policy_attachment"' in result.output


def test_evaluate_exit_codes(examples: Path) -> None:
    legacy = str(examples / "legacy-default-policy-2019.json")
    allowed = runner.invoke(cli, ["evaluate", legacy, "--action", "ec2:RunInstances"])
    assert allowed.exit_code == 0, allowed.output
    denied = runner.invoke(cli, ["evaluate", legacy, "--action", "iam:CreateUser", "-o", "table"])
    assert denied.exit_code == 1
    assert "implicitly_denied" in denied.output
    passed = runner.invoke(
        cli,
        [
            "evaluate",
            legacy,
            "--action",
            "iam:PassRole",
            "--resource",
            "arn:aws:iam::1:role/x",
            "--context",
            "iam:PassedToService=ecs.amazonaws.com",
        ],
    )
    assert passed.exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "/nonexistent/*.json"],
        ["diff", "/dev/null"],
        ["evaluate", "/dev/null", "--action", "s3:GetObject", "--context", "novalue"],
    ],
)
def test_bad_usage_or_input_exits_2(args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


def test_unreadable_pipeline_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [")
    result = runner.invoke(cli, ["compute", str(bad)])
    assert result.exit_code == 2
    assert "at /sources/0/body" in result.output
